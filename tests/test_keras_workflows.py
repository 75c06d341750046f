"""Keras workflows in fresh processes: save/load, export without fastact, jit_compile, MirroredStrategy,
training on scikit-learn's digits, DeadUnitMonitor, and the error without TensorFlow."""
import os
import subprocess
import sys
import textwrap
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
import fastact  # noqa: E402
import fastact_keras as fk  # noqa: E402


def run(code, cwd, timeout=600):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                       env=env, timeout=timeout)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    return r.stdout


def small_model():
    inp = keras.Input((12,))
    h = keras.layers.Dense(16)(inp)
    h = fk.PReLU(alpha_initializer=keras.initializers.Constant(0.1))(h)
    h = keras.layers.Dense(16)(h)
    h = fk.ReLU(max_value=6.0)(h)
    h = keras.layers.Dense(8, activation=fk.activations.tanh)(h)
    h = fk.Maxout(4)(h)
    h = fk.LeakyReLU()(h)
    out = keras.layers.Dense(3, activation=fk.activations.sigmoid)(fk.Activation("sigmoid")(h))
    return keras.Model(inp, out)


X = np.random.default_rng(0).standard_normal((64, 12)).astype(np.float32)


def test_save_and_load_in_a_fresh_process(tmp_path):
    model = small_model()
    model.compile(loss="mse")
    model.fit(X, np.zeros((64, 3)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", model.predict(X, verbose=0))
    run("""
        import numpy as np, keras
        import fastact_keras
        m = keras.models.load_model("m.keras")
        assert type(m.layers[2]).__module__.startswith("fastact_keras"), m.layers
        np.testing.assert_array_equal(m.predict(np.load("x.npy"), verbose=0), np.load("y.npy"))
        m.fit(np.load("x.npy"), np.zeros((64, 3)), epochs=1, verbose=0)   # and it still trains
        """, tmp_path)


def test_export_runs_without_fastact(tmp_path):
    model = small_model()
    expected = model.predict(X, verbose=0)
    model.export(str(tmp_path / "exported"), verbose=False)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", expected)
    run("""
        import sys
        sys.modules["fastact"] = None          # fastact cannot be imported in this process
        sys.modules["fastact_keras"] = None
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load("exported")
        y = loaded.serve(tf.constant(np.load("x.npy"))).numpy()
        np.testing.assert_allclose(y, np.load("y.npy"), rtol=1e-5, atol=1e-6)
        print("ok")
        """, tmp_path)


def test_glu_exports_with_an_axis_of_unknown_size(tmp_path):
    # the twin splits with tf.split: keras.ops.glu checks the axis' size at trace time, and export of glu
    # on (None, None) inputs failed (a TypeError on None % 2)
    inp = keras.Input((None,))
    model = keras.Model(inp, fk.Activation("glu")(inp))
    x = np.random.default_rng(2).standard_normal((3, 8)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(expected, fastact.glu(x), rtol=1e-6)
    model.export(str(tmp_path / "exported"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "exported"))
    np.testing.assert_allclose(loaded.serve(tf.constant(x)).numpy(), expected, rtol=1e-6, atol=1e-7)


def test_jit_compile_true_uses_the_tf_path():
    model = small_model()
    model.compile(loss="mse", jit_compile=True)
    eager = small_model()
    eager.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(X, verbose=0), eager(X).numpy(), rtol=1e-5, atol=1e-6)
    history = model.fit(X, np.zeros((64, 3)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()

    layer = fk.PReLU(alpha_initializer=keras.initializers.Constant(0.5))

    @tf.function(jit_compile=True)
    def f(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = layer(v)
        return y, tape.gradient(y, [v, layer.alpha])
    y, (gx, galpha) = f(tf.constant(X))
    np.testing.assert_array_equal(y.numpy(), np.where(X > 0, X, np.float32(0.5) * X))
    np.testing.assert_array_equal(gx.numpy(), np.where(X > 0, 1.0, 0.5).astype(np.float32))
    np.testing.assert_allclose(galpha.numpy(), np.where(X > 0, 0, X).sum(axis=0), rtol=1e-5)


def test_mirrored_strategy_on_two_cpu_devices(tmp_path):
    out = run("""
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import keras, fastact_keras as fk
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        assert strategy.num_replicas_in_sync == 2
        with strategy.scope():
            model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), fk.PReLU(), fk.ReLU(),
                                      keras.layers.Dense(8), fk.Maxout(4), keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
        x = np.random.default_rng(0).standard_normal((256, 8)).astype("float32")
        h = model.fit(x, x[:, :1] ** 2, epochs=3, batch_size=64, verbose=0)
        assert h.history["loss"][-1] < h.history["loss"][0], h.history
        print("replicas", strategy.num_replicas_in_sync)
        """, tmp_path)
    assert "replicas 2" in out


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    return train_test_split(x, d.target, test_size=0.25, random_state=0, stratify=d.target)


def test_digits_model_reaches_95_percent():
    pytest.importorskip("sklearn")
    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = digits()
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128), fk.PReLU(), keras.layers.Dense(64),
                              fk.ReLU(), keras.layers.Dense(64), fk.Maxout(32), fk.LeakyReLU(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=25, batch_size=32, verbose=0)
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc >= 0.95, acc


def test_dead_unit_monitor_logs_and_warns():
    keras.utils.set_random_seed(1)
    x = np.random.default_rng(2).standard_normal((128, 8)).astype(np.float32)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(20, name="d1"), fk.ReLU(name="relu_a"),
                              keras.layers.Dense(10, bias_initializer=keras.initializers.Constant(-100.0)),
                              fk.LeakyReLU(name="leaky_b"), keras.layers.Dense(10), fk.Activation("tanh", name="t"),
                              keras.layers.Dense(1)])
    model.compile(loss="mse")
    monitor = fk.DeadUnitMonitor(x, warn_above=0.4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, np.zeros((128, 1)), epochs=2, verbose=0, callbacks=[monitor])
    assert set(k for k in history.history if k.startswith("dead_fraction/")) == {
        "dead_fraction/relu_a", "dead_fraction/leaky_b"}
    assert history.history["dead_fraction/leaky_b"] == [1.0, 1.0]   # bias -100: nothing ever fires
    assert 0.0 <= history.history["dead_fraction/relu_a"][0] < 0.4
    assert any("layer 'leaky_b' are dead" in str(w.message) for w in caught)
    assert not any("relu_a" in str(w.message) for w in caught)
    # the fractions are the NumPy-level counter's on the layers' outputs
    import fastact
    sub = keras.Model(model.inputs, model.get_layer("relu_a").output)
    counter = fastact.DeadUnitCounter().update(sub.predict(x, verbose=0))
    assert monitor.dead_fractions()["relu_a"] == counter.dead_fraction
    with pytest.raises(ValueError, match="warn_above must be in"):
        fk.DeadUnitMonitor(x, warn_above=2)


def test_import_without_tensorflow_says_how_to_install(tmp_path):
    r = subprocess.run([sys.executable, "-c", "import sys; sys.modules['tensorflow'] = None; import fastact; "
                        "import fastact_keras"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode != 0
    assert "pip install 'fastact[keras]'" in r.stderr


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(data=None), TypeError, r"data must be model inputs .* got None"),
    (dict(warn_above="a"), TypeError, r"warn_above must be a number in \[0, 1\], got 'a' \(str\)"),
    (dict(warn_above=1.5), ValueError, r"warn_above must be in \[0, 1\], got warn_above=1.5"),
    (dict(batch_size=0), ValueError, r"batch_size must be >= 1, got 0"),
    (dict(data=tf.data.Dataset.from_tensor_slices(np.ones((4, 3), np.float32)).batch(2).repeat()), ValueError,
     r"data is an infinite tf.data.Dataset"),        # (each epoch's end never came)
    (dict(batch_size=2.5), TypeError, r"batch_size must be an integer >= 1 or None, got 2.5"),
    (dict(axis=1.5), TypeError, r"axis must be an integer or a tuple of integers, got 1.5"),
])
def test_dead_unit_monitor_checks_its_arguments(kwargs, exc, msg):
    # (None failed only at the epoch's end; a string warn_above said "could not convert string")
    args = {"data": np.ones((4, 3), np.float32), **kwargs}
    with pytest.raises(exc, match=msg):
        fk.DeadUnitMonitor(**args)


def test_map_fn_converts_no_callback():
    # tf.map_fn applies AutoGraph, which converted the kernels' callbacks too and warned, at each of
    # their runs, that it could not read fastact's generated functions
    code = textwrap.dedent("""
        import tensorflow as tf, fastact_keras as fk
        x = tf.constant([[-1.0, 0.5, 2.0], [3.0, -0.2, 0.1]])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.map_fn(fk.activations.tanh, x)
        print(float(tf.reduce_sum(tape.gradient(y, x))))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd="/")
    assert r.returncode == 0, r.stderr
    assert "Unable to locate the source code" not in r.stdout + r.stderr
    x = np.array([-1.0, 0.5, 2.0, 3.0, -0.2, 0.1])
    assert abs(float(r.stdout.split()[-1]) - np.sum(1 - np.tanh(x) ** 2)) < 1e-5


def test_dead_unit_monitor_batch_size_none_is_the_default():
    assert fk.DeadUnitMonitor(np.ones((4, 3), np.float32), batch_size=None).batch_size == 256
