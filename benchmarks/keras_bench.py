"""Keras models with fastact_keras layers against the same models with Keras's native layers.

    python benchmarks/keras_bench.py [--quick]

For an MLP (784-256-256-10) and a small CNN (28x28x1 -> conv 32 -> conv 64 -> pool -> 10), with each
activation (ReLU, LeakyReLU, PReLU, sigmoid, tanh; Maxout against the tfa reshape + reduce_max
formulation), at batch sizes 32 and 1024: the time of one training step (``train_on_batch``) and one
prediction (``predict_on_batch``), interleaved, median of several rounds.  Also the per-call cost of the
``tf.numpy_function`` bridge on a tiny tensor.  Ratio = native time / fastact time (> 1: fastact faster).
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import fastact  # noqa: E402
import fastact_keras as fk  # noqa: E402

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from speed import _cpu_model  # noqa: E402


class TfaMaxout(keras.layers.Layer):
    """tfa.layers.Maxout's call(), the formulation Keras users had."""

    def __init__(self, num_units, **kwargs):
        super().__init__(**kwargs)
        self.num_units = num_units

    def call(self, x):
        shape = [tf.shape(x)[i] if s is None else s for i, s in enumerate(x.shape)]
        expand = shape[:-1] + [shape[-1] // self.num_units, self.num_units]
        return tf.reduce_max(tf.reshape(x, expand), axis=-2)


ACTIVATIONS = {  # name -> (fastact layer factory, native layer factory, widen before it for maxout)
    "relu": (lambda: fk.ReLU(), lambda: keras.layers.ReLU(), 1),
    "leaky_relu": (lambda: fk.LeakyReLU(), lambda: keras.layers.LeakyReLU(), 1),
    "prelu": (lambda: fk.PReLU(), lambda: keras.layers.PReLU(), 1),
    "sigmoid": (lambda: fk.Activation("sigmoid"), lambda: keras.layers.Activation("sigmoid"), 1),
    "tanh": (lambda: fk.Activation("tanh"), lambda: keras.layers.Activation("tanh"), 1),
    "maxout": (None, None, 2),
}


def act_layer(name, width, ours):
    if name == "maxout":
        return fk.Maxout(width) if ours else TfaMaxout(width)
    return ACTIVATIONS[name][0 if ours else 1]()


def mlp(name, ours):
    w = ACTIVATIONS[name][2]
    layers = [keras.Input((784,))]
    for _ in range(2):
        layers += [keras.layers.Dense(256 * w), act_layer(name, 256, ours)]
    return keras.Sequential(layers + [keras.layers.Dense(10)])


def cnn(name, ours):
    w = ACTIVATIONS[name][2]
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(32 * w, 3), act_layer(name, 32, ours),
                             keras.layers.Conv2D(64 * w, 3, strides=2), act_layer(name, 64, ours),
                             keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])


def timed(fn, repeats):
    fn()
    return lambda: _one(fn)


def _one(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def compare(make, name, batch, repeats, calls):
    keras.utils.set_random_seed(0)
    models = {"fastact": make(name, True), "native": make(name, False)}
    shape = (batch,) + tuple(models["fastact"].input_shape[1:])
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 10, batch)
    for m in models.values():
        m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.train_on_batch(x, y)
        m.predict_on_batch(x)
    result = {}
    for what in ("train", "predict"):
        samples = {k: [] for k in models}
        for r in range(repeats):
            for k in (list(models) if r % 2 == 0 else list(models)[::-1]):
                m = models[k]
                fn = (lambda m=m: m.train_on_batch(x, y)) if what == "train" else (lambda m=m: m.predict_on_batch(x))
                t = time.perf_counter()
                for _ in range(calls):
                    fn()
                samples[k].append((time.perf_counter() - t) / calls)
        result[what] = {k: statistics.median(v) for k, v in samples.items()}
    return result


def bridge_cost(n_ops=200, repeats=7):
    """Per-op cost of chaining ``n_ops`` activations on an 8-element tensor inside one tf.function (the
    call overhead of the tf.function itself is divided away)."""
    x = tf.constant(np.linspace(-1, 1, 8, dtype=np.float32))
    ops = {"tf.nn.relu": tf.nn.relu,
           "fastact_keras relu, forward": fk.activations.relu,
           "tf.numpy_function(np.maximum), forward": lambda v: tf.numpy_function(
               lambda a: np.maximum(a, np.float32(0)), [v], tf.float32, stateful=False)}
    out = {}
    for name, op in ops.items():
        def chain(v, op=op):
            for _ in range(n_ops):
                v = op(v)
            return v
        fn = tf.function(chain)
        fn(x)
        s = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn(x)
            s.append((time.perf_counter() - t) / n_ops)
        out[name] = statistics.median(s)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="batch 32 only, relu/prelu/maxout, 3 rounds")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 5
    names = ["relu", "prelu", "maxout"] if args.quick else list(ACTIVATIONS)
    batches = [32] if args.quick else [32, 1024]
    print(f"CPU: {_cpu_model()} | fastact threads: {fastact.get_num_threads()} | TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__} | median of {repeats} interleaved rounds, ms per step\n")
    print("| model | activation | batch | train fastact | train native | ratio | predict fastact | predict native | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for model_name, make in (("MLP", mlp), ("CNN", cnn)):
        for name in names:
            for batch in batches:
                calls = max(1, int(3000 / batch)) if model_name == "MLP" else max(1, int(300 / batch))
                r = compare(make, name, batch, repeats, calls)
                tr, pr = r["train"], r["predict"]
                native = "tfa reshape+max" if name == "maxout" else "native"
                print(f"| {model_name} | {name} (vs {native}) | {batch} | {tr['fastact'] * 1e3:.2f} | "
                      f"{tr['native'] * 1e3:.2f} | {tr['native'] / tr['fastact']:.2f} | {pr['fastact'] * 1e3:.2f} | "
                      f"{pr['native'] * 1e3:.2f} | {pr['native'] / pr['fastact']:.2f} |", flush=True)
    print("\nBridge cost per op (8 elements, 200 chained in one tf.function):\n")
    for name, t in bridge_cost().items():
        print(f"- {name}: {t * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
