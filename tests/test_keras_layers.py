"""fastact_keras layers against their native Keras (and tfa) counterparts: values, gradients, configs,
shapes, masking, dtypes, and the Keras workflows that must keep working."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import pytest

import fastact

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
import fastact_keras as fk  # noqa: E402
from fastact_keras import _ops  # noqa: E402

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((16, 6, 8)) * 2).astype(np.float32)
X[0, 0, :2], X[1, :2, 0] = 0.0, -0.0        # the kinks of the ReLU family, where gradients are chosen


def tfa_maxout(x, num_units, axis=-1):
    """tfa.layers.Maxout's formulation (TensorFlow Addons is gone; this is its call())."""
    shape = list(x.shape)
    ax = axis % len(shape)
    expand = shape[:ax] + [shape[ax] // num_units, num_units] + shape[ax + 1:]
    return tf.reduce_max(tf.reshape(x, expand), axis=ax)


PAIRS = [
    (lambda: fk.ReLU(), lambda: keras.layers.ReLU()),
    (lambda: fk.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5),
     lambda: keras.layers.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.5)),
    (lambda: fk.ReLU(max_value=6.0), lambda: keras.layers.ReLU(max_value=6.0)),
    (lambda: fk.ReLU(max_value=np.inf, threshold=0.5), lambda: keras.layers.ReLU(max_value=np.inf, threshold=0.5)),
    (lambda: fk.LeakyReLU(), lambda: keras.layers.LeakyReLU()),
    (lambda: fk.LeakyReLU(negative_slope=0.05), lambda: keras.layers.LeakyReLU(negative_slope=0.05)),
    (lambda: fk.PReLU(alpha_initializer=keras.initializers.RandomUniform(0.05, 0.4, seed=1)),
     lambda: keras.layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(0.05, 0.4, seed=1))),
    (lambda: fk.PReLU(alpha_initializer=keras.initializers.Constant(0.2), shared_axes=[1]),
     lambda: keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.2), shared_axes=[1])),
    (lambda: fk.PReLU(), lambda: keras.layers.PReLU()),
    (lambda: fk.Activation("sigmoid"), lambda: keras.layers.Activation("sigmoid")),
    (lambda: fk.Activation("tanh"), lambda: keras.layers.Activation("tanh")),
    (lambda: fk.Activation("relu"), lambda: keras.layers.Activation("relu")),
    (lambda: fk.Activation("leaky_relu"), lambda: keras.layers.Activation("leaky_relu")),
    (lambda: fk.ELU(), lambda: keras.layers.ELU()),
    (lambda: fk.ELU(alpha=0.5), lambda: keras.layers.ELU(alpha=0.5)),
    (lambda: fk.Activation("gelu"), lambda: keras.layers.Activation("gelu")),
    (lambda: fk.Activation("swish"), lambda: keras.layers.Activation("swish")),
    (lambda: fk.Softmax(), lambda: keras.layers.Softmax()),
    (lambda: fk.Softmax(axis=1), lambda: keras.layers.Softmax(axis=1)),
    (lambda: fk.Softmax(axis=[1, 2]), lambda: keras.layers.Softmax(axis=[1, 2])),
    (lambda: fk.Activation("softmax"), lambda: keras.layers.Activation("softmax")),
    (lambda: fk.Activation("log_softmax"), lambda: keras.layers.Activation("log_softmax")),
]
IDS = ["relu", "relu-options", "relu6", "relu-max-inf", "leaky", "leaky-0.05", "prelu", "prelu-shared", "prelu-zeros",
       "sigmoid", "tanh", "act-relu", "act-leaky", "elu", "elu-0.5", "act-gelu", "act-swish", "softmax",
       "softmax-axis1", "softmax-axes", "act-softmax", "act-log-softmax"]


def values_and_grads(layer, x, graph):
    xt = tf.constant(x)
    g = tf.constant(np.random.default_rng(7).standard_normal(x.shape).astype(np.float32))

    def run(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = layer(v)
        grads = tape.gradient(y, [v] + layer.trainable_weights, output_gradients=g)
        return y, grads

    if graph:
        run = tf.function(run, jit_compile=graph == "xla")
    y, grads = run(xt)
    return y.numpy(), [gr.numpy() for gr in grads]


# (under XLA the layers are their pure-TF twins: PReLU's alpha got no gradient where it was 0, Keras's
# default, and LeakyReLU's slope at 0 was 1)
@pytest.mark.parametrize("graph", [False, True, "xla"], ids=["eager", "tf.function", "xla"])
@pytest.mark.parametrize("make_ours, make_native", PAIRS, ids=IDS)
def test_matches_native_layer(make_ours, make_native, graph):
    ours, native = make_ours(), make_native()
    y1, g1 = values_and_grads(ours, X, graph)
    y2, g2 = values_and_grads(native, X, graph)
    np.testing.assert_allclose(y1, y2, rtol=2e-7, atol=1e-7)
    assert len(g1) == len(g2)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("units, axis", [(4, -1), (2, -1), (3, 1), (8, -1)])
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_maxout_matches_tfa(units, axis, graph):
    x = tf.constant(RNG.standard_normal((5, 6, 8)).astype(np.float32))
    layer = fk.Maxout(units, axis=axis)

    def both(v):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(v)
            y1 = layer(v)
            y2 = tfa_maxout(v, units, axis)
        return y1, y2, tape.gradient(y1, v), tape.gradient(y2, v)

    if graph:
        both = tf.function(both)
    y1, y2, g1, g2 = both(x)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())   # no ties in random data
    assert layer.compute_output_shape((None, 6, 8)) == tuple(y1.shape.as_list()[:0] + [None] + y1.shape.as_list()[1:])


@pytest.mark.parametrize("layer", [fk.ReLU(max_value=2.0), fk.LeakyReLU(0.2),
                                   fk.PReLU(shared_axes=[1, 2], alpha_initializer="ones"), fk.Maxout(3),
                                   fk.Activation("tanh"), fk.Softmax(axis=[1, 2])], ids=lambda l: type(l).__name__)
def test_config_round_trip_and_serialization(layer):
    layer.build((None, 4, 6))
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)
    assert keras.saving.serialize_keras_object(layer)["registered_name"].startswith("fastact>")


def test_same_config_keys_as_keras():
    for ours, native in [(fk.ReLU(), keras.layers.ReLU()), (fk.LeakyReLU(), keras.layers.LeakyReLU()),
                         (fk.PReLU(), keras.layers.PReLU()), (fk.Activation("relu"), keras.layers.Activation("relu")),
                         (fk.Softmax(axis=1), keras.layers.Softmax(axis=1))]:
        assert set(ours.get_config()) == set(native.get_config())
    assert fk.LeakyReLU().negative_slope == 0.3
    assert fk.PReLU().get_config()["alpha_initializer"]["class_name"] == "Zeros"
    assert {"num_units", "axis"} <= set(fk.Maxout(2).get_config())


@pytest.mark.parametrize("make, msg", [
    (lambda: fk.ReLU(max_value=-1), "max_value of a ReLU layer cannot be a negative value. Received: max_value=-1"),
    (lambda: fk.ReLU(negative_slope=-0.1), "negative_slope of a ReLU layer cannot be None or a negative value"),
    (lambda: fk.ReLU(threshold=-1.0), "threshold of a ReLU layer cannot be None or a negative value"),
    (lambda: fk.LeakyReLU(negative_slope=-1), "The negative_slope value of a Leaky ReLU layer cannot be None"),
    (lambda: fk.Activation("softmaxx"), "Unknown fastact activation: 'softmaxx'"),
])
def test_validation_messages(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(num_units=0), ValueError, r"num_units must be >= 1, got num_units=0"),
    (dict(num_units="a"), TypeError, r"num_units must be an integer, got 'a' \(str\)"),
    (dict(num_units=2, axis=1.5), TypeError, r"axis must be an integer, got 1.5 \(float\)"),
])
def test_maxout_checks_its_arguments_when_made(kwargs, exc, msg):
    # (ZeroDivisionError, or TypeErrors from Python's operators, at build)
    with pytest.raises(exc, match=msg):
        fk.Maxout(**kwargs)


def test_maxout_axis_beyond_the_inputs():
    with pytest.raises(ValueError, match=r"axis 5 is out of bounds for inputs with 2 dimension\(s\)"):
        fk.Maxout(2, axis=5)(np.ones((2, 4), np.float32))     # (an IndexError)


@pytest.mark.parametrize("axis", [-1, 1])
def test_maxout_pure_tf_path_is_the_kernels_on_ties_and_nan(axis):
    # the twin (XLA, export) picks each group's first NaN, else its first maximum, which alone takes
    # the gradient, as the kernels do (tfa's reduce_max shares it among ties)
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=(4, 6, 12)).astype(np.float32)
    x[0, 0, 3] = x[1, 1, 4] = x[0, 4, 0] = np.nan
    x[1, 1, 0], x[2, 2, :], x[3, 3, :] = np.inf, -0.0, -np.inf
    units = 4 if axis == -1 else 3
    y_ref = fastact.maxout(x, units, axis)
    g = rng.standard_normal(y_ref.shape).astype(np.float32)
    dx_ref = fastact.maxout_backward(g, x, units, axis)
    for jit in (False, True):
        @tf.function(jit_compile=jit)
        def run(v):
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = fk.Maxout(units, axis=axis)(v)
            return y, tape.gradient(y, v, output_gradients=tf.constant(g))
        y, dx = run(tf.constant(x))
        np.testing.assert_array_equal(y.numpy(), y_ref, err_msg=f"jit_compile={jit}")
        np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(y_ref))
        np.testing.assert_array_equal(dx.numpy(), dx_ref, err_msg=f"jit_compile={jit}")


SECOND_ORDER = [
    ("tanh", fk.activations.tanh, keras.activations.tanh),
    ("sigmoid", fk.activations.sigmoid, keras.activations.sigmoid),
    ("elu", fk.activations.elu, keras.activations.elu),
    ("gelu", fk.activations.gelu, keras.activations.gelu),
    ("softplus", fk.activations.softplus, keras.activations.softplus),
    ("softmax", fk.activations.softmax, keras.activations.softmax),
    ("log_softmax", fk.activations.log_softmax, keras.activations.log_softmax),
    ("glu", fk.activations.glu, keras.activations.glu),
    ("prelu", lambda v: _ops.prelu(v, tf.fill([6], 0.3)), lambda v: keras.activations.leaky_relu(v, 0.3)),
]


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
@pytest.mark.parametrize("name, ours, theirs", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_second_order_gradients_are_keras(name, ours, theirs, graph):
    # a gradient differentiated again (gradient penalties, Hessian-vector products): the kernels'
    # numpy_function has no gradient, and nested tapes got None; now the twin's second derivative
    x = tf.constant(np.random.default_rng(4).standard_normal((3, 6)).astype(np.float32))
    w = tf.range(1.0, 7.0) if name != "glu" else tf.range(1.0, 4.0)

    def run(fn, v):
        with tf.GradientTape() as outer:
            outer.watch(v)
            with tf.GradientTape() as inner:
                inner.watch(v)
                y = tf.reduce_sum(fn(v) * w)
            g = inner.gradient(y, v)
            s = tf.reduce_sum(tf.sin(g))
        return g, outer.gradient(s, v, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    if graph:
        run = tf.function(run)
    g1, h1 = run(ours, x)
    g2, h2 = run(theirs, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(h1.numpy(), h2.numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
@pytest.mark.parametrize("name, ours, theirs", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_forward_mode_derivatives_are_keras(name, ours, theirs, graph):
    # tf.autodiff.ForwardAccumulator cannot push tangents through a numpy_function: the JVP was None
    # eagerly and zeros in a graph, without a word; the twin computes where an accumulator watches
    x = tf.constant(np.random.default_rng(8).standard_normal((3, 6)).astype(np.float32))
    v = tf.constant(np.random.default_rng(9).standard_normal((3, 6)).astype(np.float32))

    def jvp(fn):
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            y = fn(x)
        return acc.jvp(y)

    run = tf.function(jvp) if graph else jvp
    ours_jvp, theirs_jvp = run(ours), run(theirs)
    assert ours_jvp is not None
    np.testing.assert_allclose(ours_jvp.numpy(), theirs_jvp.numpy(), rtol=2e-5, atol=2e-6)


def test_an_accumulator_watching_other_tensors_leaves_the_kernels_on():
    # the twin computes only where an accumulator watches the op's inputs: TFE_Py_PackJVPs gives one
    # entry per active accumulator, empty where it watches none of them (any() of them, not bool())
    u, w = tf.constant([1.0, -2.0]), tf.constant([3.0])
    assert not _ops._forward_watched([u])
    with tf.autodiff.ForwardAccumulator(w, tf.ones_like(w)):
        assert not _ops._forward_watched([u])
        assert _ops._forward_watched([w])
        np.testing.assert_array_equal(fk.activations.gelu(u).numpy(), fastact.gelu(u.numpy()))


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_hessian_vector_product_forward_over_backward(graph):
    # TensorFlow's recommended Hessian-vector product: an accumulator around a tape (None eagerly, zeros
    # in a graph through the kernels' gradient); the same model with Keras's ELU gives the reference
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 4)).astype(np.float32)
    Y = rng.standard_normal((16, 1)).astype(np.float32)

    def hvp(act):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), act(), keras.layers.Dense(1)])
        w = [t.value for t in model.trainable_weights]

        def f():
            with tf.autodiff.ForwardAccumulator(w, [tf.ones_like(t) for t in w]) as acc:
                with tf.GradientTape() as tape:
                    loss = tf.reduce_mean((model(X) - Y) ** 2)
                g = tape.gradient(loss, w)
            return acc.jvp(g)
        return (tf.function(f) if graph else f)()

    for ours, theirs in zip(hvp(fk.ELU), hvp(keras.layers.ELU)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["tanh", "elu", "softmax"])
def test_second_order_through_tf_gradients_in_a_graph(name):
    # tf.gradients has no tape to ask whether the gradient will be differentiated: in a graph the
    # kernels' gradient always carries the twin's second derivative (it was None)
    x = tf.constant(np.random.default_rng(6).standard_normal((2, 5)).astype(np.float32))

    def hessian_diag(fn):
        @tf.function
        def run(v):
            g = tf.gradients(tf.reduce_sum(fn(v) * tf.range(1.0, 6.0)), v)[0]
            return tf.gradients(tf.reduce_sum(g), v)[0]
        return run(x).numpy()

    np.testing.assert_allclose(hessian_diag(getattr(fk.activations, name)),
                               hessian_diag(getattr(keras.activations, name)), rtol=2e-5, atol=2e-6)


def test_vectorized_map_twice_in_a_graph_and_over_a_function():
    # a second pfor in one graph is "loop_body_1"; a tf.function traced inside one starts a graph of
    # its own (zeros, both)
    x = tf.constant(np.random.default_rng(8).standard_normal((3, 4)).astype(np.float32))
    expected = 1 - np.tanh(x.numpy()) ** 2

    @tf.function
    def twice(v):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(v)
            a = tf.vectorized_map(fk.activations.tanh, v)
            b = tf.vectorized_map(tf.function(fk.activations.tanh), v)
            c = tf.vectorized_map(fk.activations.tanh, v)
        return [tape.gradient(y, v) for y in (a, b, c)]

    for g in twice(x):
        np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_gradient_of_an_output_gathered_along_axis_0(graph):
    # its gradient comes as IndexedSlices, which custom_gradient (and numpy_function) do not take
    table = tf.Variable(np.random.default_rng(9).standard_normal((10, 3)).astype(np.float32))
    ids = tf.constant([1, 4, 4, 7])

    def run(act):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.gather(act(table), ids) * tf.range(1.0, 4.0))
        return tape.gradient(y, table)

    if graph:
        run = tf.function(run)
    np.testing.assert_allclose(tf.convert_to_tensor(run(fk.activations.tanh)).numpy(),
                               tf.convert_to_tensor(run(keras.activations.tanh)).numpy(), rtol=1e-5, atol=1e-7)


def test_prelu_op_with_a_variable_alpha_under_nested_tapes():
    # tf.cast hands a variable of x's dtype back as it is, which the tape query could not take
    x = tf.constant([[-2.0, 0.5, 3.0]])
    alpha = tf.Variable([0.25, 0.25, 0.25])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(_ops.prelu(x, alpha) ** 2)
        g = inner.gradient(y, alpha)
        s = tf.reduce_sum(g)
    np.testing.assert_allclose(g.numpy(), [2 * 0.25 * 4, 0.0, 0.0])      # d(alpha x)^2/dalpha = 2 alpha x^2
    np.testing.assert_allclose(outer.gradient(s, alpha).numpy(), [8.0, 0.0, 0.0])


def test_activations_on_symbolic_inputs_build_a_model_that_saves(tmp_path):
    # h = fastact_keras.activations.gelu(h) on a KerasTensor, as keras.activations take it (it raised
    # "A KerasTensor cannot be used as input to a TensorFlow function")
    def build(acts):
        inp = keras.Input((None, 8))
        h = acts.gelu(inp)
        h = acts.relu(h, max_value=0.5, negative_slope=0.1)
        h = acts.glu(h)
        return keras.Model(inp, acts.softmax(h, axis=-1))

    ours, theirs = build(fk.activations), build(keras.activations)
    assert ours.output.shape == (None, None, 4)
    x = RNG.standard_normal((2, 3, 8)).astype(np.float32)
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=1e-6, atol=1e-7)
    ours.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras")(x).numpy(), ours(x).numpy())
    assert fk.activations.sigmoid(keras.Input((4,), dtype="int32")).dtype == "float32"


def test_ragged_tensors_through_the_elementwise_functions():
    # (they raised "object of type 'RaggedTensor' has no len()"): elementwise over the flat values
    rt = tf.ragged.constant([[1.0, -2.0, 3.0], [-4.0]])
    for ours, theirs in ((fk.ReLU(), keras.layers.ReLU()), (fk.activations.gelu, keras.activations.gelu)):
        y = ours(rt)
        assert isinstance(y, tf.RaggedTensor)
        np.testing.assert_allclose(y.flat_values.numpy(), theirs(rt).flat_values.numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="x is a RaggedTensor, which fastact's softmax does not take"):
        fk.activations.softmax(rt)


def test_string_and_complex_tensors_are_refused_at_the_call():
    with pytest.raises(TypeError, match="x has dtype string, which fastact does not support"):
        fk.activations.relu(tf.constant(["a"]))
    with pytest.raises(TypeError, match="x has dtype complex128, which fastact does not support"):
        fk.PReLU()(tf.constant([[1 + 2j]]))


def test_scalar_tensor_parameters_as_keras_takes_them():
    x = tf.constant([-1.0, 3.0, 9.0])
    for bound in (tf.constant(6.0), tf.Variable(6.0)):
        np.testing.assert_array_equal(fk.activations.relu(x, max_value=bound).numpy(), [0.0, 3.0, 6.0])


def test_gradient_penalty_reaches_every_weight():
    # WGAN-GP's penalty on Dense -> ELU -> Dense: the weights after the activation got None
    keras.utils.set_random_seed(0)
    models = [keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), act, keras.layers.Dense(1)])
              for act in (fk.ELU(), keras.layers.ELU())]
    models[1].set_weights(models[0].get_weights())
    x = tf.constant(np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32))
    grads = []
    for model in models:
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                out = model(x)
            penalty = tf.reduce_mean((tf.norm(inner.gradient(out, x), axis=1) - 1.0) ** 2)
        grads.append(outer.gradient(penalty, model.trainable_variables))
    for ours, theirs in zip(*grads):
        if theirs is None:      # (the last bias: the penalty does not depend on it)
            assert ours is None
            continue
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["tanh", "relu", "gelu", "softmax", "sparsemax", "glu"])
def test_vectorized_map_gradients(name):
    # tf.vectorized_map runs a numpy_function element by element in a while loop, which lost the
    # custom gradient (zeros): inside it the activations are their pure-TF twins
    x = tf.constant(np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32))
    fn = getattr(fk.activations, name)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.vectorized_map(fn, x)
    with tf.GradientTape() as tape2:
        tape2.watch(x)
        y_ref = tf.stack([fn(x[i]) for i in range(3)])
    np.testing.assert_allclose(y.numpy(), y_ref.numpy(), rtol=1e-6, atol=1e-7)
    w = tf.reshape(tf.range(1.0, 1.0 + tf.cast(tf.size(y), tf.float32)), y.shape)
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=w).numpy(),
                               tape2.gradient(y_ref, x, output_gradients=w).numpy(), rtol=1e-5, atol=1e-6)


def test_maxout_rejects_bad_channel_count():
    with pytest.raises(ValueError, match=r"number of features\(10\) is not a multiple of num_units\(3\)"):
        fk.Maxout(3)(np.ones((2, 10), np.float32))


def test_static_shapes_kept_with_dynamic_batch():
    for layer, out_shape in [(fk.ReLU(), [None, 6, 8]), (fk.PReLU(), [None, 6, 8]), (fk.Maxout(2), [None, 6, 2]),
                             (fk.Activation("sigmoid"), [None, 6, 8]), (fk.Softmax(), [None, 6, 8]),
                             (fk.Activation("glu"), [None, 6, 4])]:
        @tf.function(input_signature=[tf.TensorSpec([None, 6, 8], tf.float32)])
        def f(v):
            y = layer(v)
            assert y.shape.as_list() == out_shape, y.shape
            return y
        f(X)
        inp = keras.Input((6, 8))
        assert tuple(layer(inp).shape) == tuple(out_shape)


def test_masking_passes_through():
    # the LSTM skips masked steps only if the mask reaches it through the fastact layer
    x = np.ones((2, 5, 3), np.float32)
    x[:, 3:] = 0
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Masking(0.0), fk.ReLU(), keras.layers.LSTM(4)])
    native = keras.Sequential([keras.Input((5, 3)), keras.layers.Masking(0.0), keras.layers.ReLU(), keras.layers.LSTM(4)])
    native.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), native.predict(x, verbose=0), rtol=1e-5)


def test_mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        for layer in (fk.ReLU(), fk.LeakyReLU(), fk.PReLU(), fk.Maxout(2), fk.Activation("sigmoid"), fk.Softmax()):
            x = tf.constant(X.astype(np.float16))
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
            assert y.dtype == tf.float16, (layer, y.dtype)
            assert tape.gradient(y, x).dtype == tf.float16
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8), fk.PReLU(), fk.Activation("tanh"),
                                  keras.layers.Dense(1, dtype="float32")])
        model.compile(loss="mse")
        model.fit(np.ones((32, 8), np.float32), np.ones((32, 1)), epochs=1, verbose=0)
        assert model.layers[1].alpha.dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_read_only_numpy_inputs():
    x = X.copy()
    x.flags.writeable = False
    for layer in (fk.ReLU(), fk.PReLU(), fk.Maxout(4), fk.Activation("sigmoid")):
        assert layer(x).shape[0] == x.shape[0]
    model = keras.Sequential([keras.Input((6, 8)), fk.ReLU(), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(loss="mse")
    model.fit(x, np.zeros((16, 1)), epochs=1, verbose=0)


def make_models():
    """The same small network as Sequential, Functional and subclassed models."""
    def layers():
        return [keras.layers.Dense(16), fk.PReLU(), keras.layers.Dense(16), fk.ReLU(), keras.layers.Dense(8),
                fk.LeakyReLU(), keras.layers.Dense(8), fk.Maxout(4), keras.layers.Dense(1, activation=fk.activations.sigmoid)]

    seq = keras.Sequential([keras.Input((10,))] + layers())
    inp = keras.Input((10,))
    h = inp
    for layer in layers():
        h = layer(h)
    func = keras.Model(inp, h)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.body = layers()

        def call(self, v):
            for layer in self.body:
                v = layer(v)
            return v

    return {"sequential": seq, "functional": func, "subclassed": Sub()}


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_fit_evaluate_predict_with_default_compile(kind):
    model = make_models()[kind]
    x = RNG.standard_normal((256, 10)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])   # defaults otherwise
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert np.isfinite(loss)
    assert model.predict(x, verbose=0).shape == (256, 1)


def test_activations_functions_in_dense_match_keras():
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu"):
        ours = keras.layers.Dense(3, activation=getattr(fk.activations, name), kernel_initializer="ones")
        native = keras.layers.Dense(3, activation=name, kernel_initializer="ones")
        np.testing.assert_allclose(ours(x), native(x), rtol=2e-7, atol=1e-7)
        config = keras.saving.serialize_keras_object(ours)
        assert "fastact" in str(config["config"]["activation"])
    np.testing.assert_allclose(fk.activations.relu(x, negative_slope=0.1, max_value=1.0),
                               keras.activations.relu(x, negative_slope=0.1, max_value=1.0))


# Every activation function against keras.activations: values and gradients, eager and in tf.function,
# with the arguments Keras takes (threshold has no defaults in Keras).
ACT_ARGS = {"threshold": (0.3, -1.0), "elu": (0.7,), "celu": (1.5,), "soft_shrink": (0.4,), "hard_shrink": (0.4,),
            "squareplus": (2.0,)}
ACT_NAMES = sorted(fk.activations.ALL)
SAVES_Y = {"sigmoid", "tanh", "exponential"}


@pytest.mark.parametrize("name", ACT_NAMES)
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_every_activation_matches_keras(name, graph):
    x = tf.constant((np.random.default_rng(3).standard_normal((7, 10)) * 3).astype(np.float32))
    g = tf.constant(np.random.default_rng(4).standard_normal((7, 5 if name == "glu" else 10)).astype(np.float32))
    args = ACT_ARGS.get(name, ())
    # Keras 3.15's sparsemax is wrong (test_keras_sparsemax_is_wrong): the paper's formulation, in TF
    native = _ops._tf_sparsemax if name == "sparsemax" else getattr(keras.activations, name)
    variants = [(getattr(fk.activations, name), native, args)]
    if name == "gelu":
        variants.append((fk.activations.gelu, keras.activations.gelu, (True,)))
    if name in ("softmax", "log_softmax", "sparsemax", "glu"):   # another axis (glu: the same, by number)
        variants.append((getattr(fk.activations, name), native, (1 if name == "glu" else 0,)))

    for ours_fn, native_fn, a in variants:
        def run(fn, v):
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = fn(v, *a)
            return y, tape.gradient(y, v, output_gradients=g)

        if graph:
            run = tf.function(run)
        y, dx = run(ours_fn, x)
        # Keras evaluated in float64 is the reference.  Its formulas lose relative accuracy in some tails
        # even in float64 (gelu's 1 + erf), and sigmoid/tanh's gradients use the rounded float32 output,
        # hence the absolute floor; fastact's own accuracy is tested against longdouble elsewhere.
        with tf.GradientTape() as tape:
            x64 = tf.cast(x, tf.float64)
            tape.watch(x64)
            y_ref = native_fn(x64, *a)
        dx_ref = tape.gradient(y_ref, x64, output_gradients=tf.cast(g, tf.float64))
        np.testing.assert_allclose(y.numpy(), y_ref.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
        # a gradient taken from the rounded float32 output (as Keras's own is) is off by up to ~2 ULP of
        # y times |g| in absolute terms
        floor = 1e-6 if ours_fn.__name__ in SAVES_Y else 1e-7
        np.testing.assert_allclose(dx.numpy(), dx_ref.numpy(), rtol=1e-6, atol=floor, err_msg=name)
        assert y.shape == g.shape and y.dtype == x.dtype


@pytest.mark.parametrize("name", ACT_NAMES)
def test_every_activation_pure_tf_under_xla(name):
    # XLA cannot call back into Python: the op becomes Keras's own formulation, same values
    x = tf.constant((np.random.default_rng(5).standard_normal((5, 6)) * 3).astype(np.float32))
    args = ACT_ARGS.get(name, ())
    fn = getattr(fk.activations, name)
    y_xla = tf.function(lambda v: fn(v, *args), jit_compile=True)(x)
    np.testing.assert_allclose(y_xla.numpy(), fn(x, *args).numpy(), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("kind", ["Softmax", "Activation", "Dense-softmax", "Dense-sigmoid"])
def test_crossentropy_starts_from_the_logits_as_with_keras(kind):
    # keras.activations.softmax/sigmoid mark their output with its logits, and the crossentropy losses
    # start from those (not from the probabilities clipped at 1e-7): fastact's outputs carry the same
    # mark, so the loss and the step are Keras's (they were 11.3 against 174.1 on these saturated logits)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 8)) * 10).astype(np.float32)
    y = rng.integers(0, 3, 64)
    sigmoid = kind == "Dense-sigmoid"
    if sigmoid:
        y = (y > 0).astype(np.float32)

    def run(mod, acts):
        keras.utils.set_random_seed(0)
        init = keras.initializers.RandomNormal(stddev=5.0, seed=1)
        inp = keras.Input((8,))
        if kind.startswith("Dense"):
            out = keras.layers.Dense(1 if sigmoid else 3, kernel_initializer=init,
                                     activation=getattr(acts, "sigmoid" if sigmoid else "softmax"))(inp)
        else:
            h = keras.layers.Dense(3, kernel_initializer=init)(inp)
            out = (mod.Softmax() if kind == "Softmax" else mod.Activation("softmax"))(h)
        model = keras.Model(inp, out)
        model.compile(loss="binary_crossentropy" if sigmoid else "sparse_categorical_crossentropy", optimizer="sgd")
        loss = model.evaluate(x, y, verbose=0)
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
        return loss, model.get_weights()[0]

    (loss, w), (loss_k, w_k) = run(fk, fk.activations), run(keras.layers, keras.activations)
    assert loss > 50     # (from the logits: without them the clipped probabilities cap it near 16)
    np.testing.assert_allclose(loss, loss_k, rtol=1e-5)
    np.testing.assert_allclose(w, w_k, rtol=1e-5, atol=1e-6)


def test_softmax_over_several_axes_carries_no_logits():
    # (as Keras's layer: a crossentropy over the last axis could not start from them)
    x = tf.constant(X)
    assert hasattr(fk.Softmax()(x), "_keras_logits")
    assert not hasattr(fk.Softmax(axis=[1, 2])(x), "_keras_logits")
    assert not hasattr(keras.layers.Softmax(axis=[1, 2])(x), "_keras_logits")


RELU_PARAMS = [dict(), dict(negative_slope=0.1), dict(max_value=6.0), dict(max_value=6.0, negative_slope=0.1),
               dict(max_value=1.0), dict(max_value=1.0, negative_slope=0.1), dict(threshold=0.5),
               dict(threshold=0.5, negative_slope=0.1), dict(threshold=0.5, max_value=1.0, negative_slope=0.2),
               dict(threshold=-1.0, max_value=1.0, negative_slope=0.1), dict(threshold=-1.0, negative_slope=0.1),
               dict(max_value=np.inf, negative_slope=0.1), dict(threshold=6.0, max_value=6.0)]


@pytest.mark.parametrize("params", RELU_PARAMS, ids=str)
def test_relu_gradient_at_the_kinks_is_keras(params):
    # Keras's gradient at x = 0, threshold, max_value: its leaky op (a g at 0) where it calls it, else
    # its composite's (a clip passing g at both bounds, no leak at the threshold, relu6 strict at 6);
    # the kernels, fastact_keras and its pure-TF (XLA) twin all give it
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 6.0, 7.0], np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = keras.activations.relu(xt, **params)
    expected = tape.gradient(y, xt).numpy()
    np.testing.assert_array_equal(fastact.relu_backward(np.ones_like(x), x, **params), expected)
    for jit in (False, True):
        @tf.function(jit_compile=jit)
        def grad(v):
            with tf.GradientTape() as tape:
                tape.watch(v)
                out = fk.activations.relu(v, **params)
            return tape.gradient(out, v)
        np.testing.assert_array_equal(grad(xt).numpy(), expected, err_msg=f"jit_compile={jit}")


def test_prelu_gradient_at_zero_is_keras():
    # Keras's PReLU is relu(x) - alpha relu(-x): no gradient at x = 0, to x or to alpha
    x = tf.constant([[-2.0, -0.0, 0.0, 3.0]])
    for layer in (keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25)),
                  fk.PReLU(alpha_initializer=keras.initializers.Constant(0.25))):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = layer(x)
        np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0.25, 0.0, 0.0, 1.0]])
        np.testing.assert_array_equal(tape.gradient(y, layer.trainable_weights[0]).numpy(), [-2.0, 0, 0, 0])
    layer = fk.PReLU(alpha_initializer=keras.initializers.Constant(0.25))
    layer.build(x.shape)
    np.testing.assert_array_equal(tf.function(lambda v: tf.gradients(layer(v), v)[0], jit_compile=True)(x).numpy(),
                                  [[0.25, 0.0, 0.0, 1.0]])        # (the pure-TF twin, under XLA)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_zero_d_tensors_of_every_dtype(dtype):
    # numpy_function cannot pass a 0-d bfloat16 tensor: such an input goes as shape (1,) and comes back
    # 0-d (PReLU(dtype="bfloat16") on (batch,) inputs, whose alpha is 0-d, raised "object __array__
    # method not producing an array")
    x = tf.constant(-1.5, dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fk.activations.leaky_relu(x, negative_slope=0.5)
    assert y.shape == () and float(y) == -0.75 and float(tape.gradient(y, x)) == 0.5
    v = tf.constant([-1.0, 0.0, 2.0], dtype)
    for layer in (fk.PReLU(dtype=dtype, alpha_initializer=keras.initializers.Constant(0.25)),
                  keras.layers.PReLU(dtype=dtype, alpha_initializer=keras.initializers.Constant(0.25))):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = layer(v)
        dx, dalpha = tape.gradient(y, [v] + layer.trainable_weights)
        np.testing.assert_array_equal(np.asarray(y, np.float32), [-0.25, 0.0, 2.0])
        np.testing.assert_array_equal(np.asarray(dx, np.float32), [0.25, 0.0, 1.0])
        assert dalpha.shape == () and float(dalpha) == -1.0


def test_a_flag_is_taken_by_its_truth_as_keras_takes_it():
    x = tf.constant([-3.0, -0.5, 0.5, 2.0])
    for flag in (1, 0, None, "tanh", np.bool_(True)):
        np.testing.assert_allclose(fk.activations.gelu(x, approximate=flag).numpy(),
                                   keras.activations.gelu(x, approximate=flag).numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(fk.activations.gelu(x, approximate=flag).numpy(),
                                      fk.activations.gelu(x, approximate=bool(flag)).numpy())


def test_integer_tensors_are_computed_in_keras_float_type():
    # (it raised "out has dtype int32, but the result has dtype float64"); complex stays fastact's error
    x = tf.constant([1, -2, 0], tf.int32)
    np.testing.assert_array_equal(fk.activations.relu(x).numpy(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(fk.activations.leaky_relu(x).numpy(), keras.activations.leaky_relu(x).numpy())
    assert fk.activations.sigmoid(x).dtype == tf.float32
    np.testing.assert_array_equal(fk.ReLU()(x).numpy(), keras.layers.ReLU()(x).numpy())
    np.testing.assert_array_equal(fk.Maxout(2)(tf.constant([[1, 2, 3, 4]])).numpy(), [[3.0, 4.0]])
    layer = fk.PReLU(alpha_initializer=keras.initializers.Constant(0.5))   # (it raised about out's dtype)
    np.testing.assert_array_equal(layer(tf.constant([[-2, 0, 3]])).numpy(), [[-1.0, 0.0, 3.0]])
    with pytest.raises(TypeError, match="has dtype complex64, which fastact does not support"):
        fk.activations.relu(tf.constant([1 + 2j], tf.complex64))


def test_messages_use_keras_parameter_names():
    with pytest.raises(ValueError, match=r"^negative_slope of leaky_relu must be finite, got nan"):
        fk.activations.leaky_relu(tf.constant([1.0]), negative_slope=float("nan"))
    with pytest.raises(ValueError, match=r"negative_slope of leaky_relu is beyond float32's range"):
        fk.LeakyReLU(negative_slope=1e39)(tf.constant([1.0]))


def test_parameters_checked_for_the_pure_tf_path_too():
    # the pure-TF twin takes the layer's parameters as they are: fastact's checks run at the call, so
    # that XLA refuses what the kernels refuse (a NaN alpha; 1e39, inf in a float32 computation), and
    # takes a bound at inf as Keras does (relu: clipped at 0 from a threshold below 0)
    x = tf.constant([-2.0, -0.5, 0.0, 3.0])
    for params, msg in [(dict(alpha=float("nan")), "alpha of elu must be finite, got nan"),
                        (dict(alpha=1e39), "alpha of elu is beyond float32's range")]:
        for jit in (False, True):
            with pytest.raises(ValueError, match=msg):
                tf.function(lambda v: fk.activations.elu(v, **params), jit_compile=jit)(x)
    x64 = tf.cast(x, tf.float64)
    big = tf.constant([1e305, -1.0, 2.0], tf.float64)       # (a bound beyond float32's, in float64)
    for jit in (False, True):
        y = tf.function(lambda v: fk.activations.relu(v, max_value=1e300), jit_compile=jit)(big)
        np.testing.assert_array_equal(y.numpy(), [1e300, 0.0, 2.0])
        y = tf.function(lambda v: fk.activations.elu(v, alpha=1e39), jit_compile=jit)(x64)
        np.testing.assert_allclose(y.numpy(), fastact.elu(x64.numpy(), alpha=1e39), rtol=1e-12)
        y = tf.function(lambda v: fk.activations.relu(v, max_value=np.inf, threshold=-1.0), jit_compile=jit)(x)
        np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 0.0, 3.0])
        np.testing.assert_array_equal(y.numpy(), keras.activations.relu(x, max_value=np.inf, threshold=-1.0))


@pytest.mark.parametrize("name", ACT_NAMES)
def test_every_activation_by_name_in_a_layer(name):
    layer = fk.Activation(name)
    x = (np.random.default_rng(6).standard_normal((3, 4)) * 2).astype(np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), getattr(fastact, layer.activation.__name__)(
        x, *layer._params))
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    np.testing.assert_array_equal(restored(x).numpy(), layer(x).numpy())


def test_keras_sparsemax_is_wrong():
    # Keras 3.15 divides the sum of every partial sum in the support by k: [1, 1.2, 0] gives [0, 0, 0],
    # which does not sum to 1.  fastact (and its pure-TF twin) give the paper's [0.4, 0.6, 0].
    x = np.array([[1.0, 1.2, 0.0]], np.float32)
    np.testing.assert_allclose(fk.activations.sparsemax(x).numpy(), [[0.4, 0.6, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(_ops._tf_sparsemax(tf.constant(x)).numpy(), [[0.4, 0.6, 0.0]], rtol=1e-6)
    assert not np.allclose(keras.activations.sparsemax(x).numpy().sum(), 1.0)


@pytest.mark.parametrize("mask_shape, axis", [((16, 6, 8), -1), ((16, 1, 8), -1), ((8,), -1), ((16, 6, 1), [1, 2]),
                                              ((16, 6, 8), 1)])
@pytest.mark.parametrize("mask_dtype", ["bool", "float32"])
def test_softmax_layer_mask_matches_keras(mask_shape, axis, mask_dtype):
    rng = np.random.default_rng(11)
    mask = rng.random(mask_shape) > 0.3
    mask = mask if mask_dtype == "bool" else mask.astype(np.float32) * 0.9
    xt, mt = tf.constant(X), tf.constant(mask)
    g = tf.constant(rng.standard_normal(X.shape).astype(np.float32))
    results = []
    for layer in (fk.Softmax(axis=axis), keras.layers.Softmax(axis=axis)):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt, mask=mt)
        results.append((y.numpy(), tape.gradient(y, xt, output_gradients=g).numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


def test_softmax_layer_rejects_a_mask_keras_rejects():
    with pytest.raises(ValueError, match="The `mask` must be broadcastable to `inputs`"):
        fk.Softmax()(X, mask=np.ones((16, 6, 3), bool))
    with pytest.raises(ValueError, match="The `mask` must be broadcastable to `inputs`"):
        fk.Softmax()(X, mask=np.ones((1, 16, 6, 8), bool))


def test_softmax_layer_fully_masked_row_is_zero():
    mask = np.ones(X.shape, bool)
    mask[0, 0] = False
    y = fk.Softmax()(X, mask=mask).numpy()
    np.testing.assert_array_equal(y[0, 0], 0.0)
    np.testing.assert_allclose(y[1:].sum(axis=-1), 1.0, rtol=1e-6)
