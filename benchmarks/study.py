"""The source document's claims about activations, measured with fastact_keras on this machine.

    python benchmarks/study.py [--quick] [--out DIR]

1. Linearity: a deep stack of Dense layers without activations is one affine map (checked numerically),
   and it cannot fit a non-linear target that one hidden ReLU layer fits.
2. Convergence: sigmoid, tanh, ReLU, Leaky ReLU, PReLU, Maxout trained the same way on scikit-learn's
   digits; epochs (and seconds) to reach a fixed training error; ReLU's speed-up over tanh beside the
   ~6x of Krizhevsky et al. (2012).
3. Saturation: per-layer gradient norms during training of a deep sigmoid net and the same ReLU net.
4. Dead units: the dead fraction per layer per epoch (DeadUnitMonitor) at a proper and at a too-high
   learning rate, for ReLU and its remedies.

Every network uses the same architecture, initialiser and optimiser across activations (Maxout: its
Dense layer is twice as wide, pooled back, as Maxout units do), fixed seeds, fastact_keras layers.
Writes study.json and three PNG plots to --out (default benchmarks/results/study); prints a report.
"""
import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import fastact  # noqa: E402
import fastact_keras as fk  # noqa: E402

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "maxout"]
SEED = 0


def activation_layer(name, width):
    if name in ("sigmoid", "tanh"):
        return fk.Activation(name)
    return {"relu": lambda: fk.ReLU(), "leaky_relu": lambda: fk.LeakyReLU(negative_slope=0.01),
            "prelu": lambda: fk.PReLU(alpha_initializer=keras.initializers.Constant(0.25)),
            "maxout": lambda: fk.Maxout(width)}[name]()


def mlp(name, inputs, widths, outputs, init="glorot_uniform"):
    """Dense -> activation blocks; Maxout's Dense is 2x wide and pooled back to the same width."""
    layers = [keras.Input((inputs,))]
    for i, w in enumerate(widths):
        layers.append(keras.layers.Dense(w * (2 if name == "maxout" else 1), kernel_initializer=init,
                                         name=f"dense_{i}"))
        act = activation_layer(name, w)
        act.name = f"{name}_{i}"  # stable names for the dead-unit logs
        layers.append(act)
    layers.append(keras.layers.Dense(outputs, kernel_initializer=init, name="logits"))
    return keras.Sequential(layers)


def digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)


# ---- 1. linearity ----------------------------------------------------------------------------------

def linearity(quick):
    from sklearn.datasets import make_circles
    keras.utils.set_random_seed(SEED)
    depth = 8
    stack = keras.Sequential([keras.Input((2,))] + [keras.layers.Dense(16) for _ in range(depth - 1)]
                             + [keras.layers.Dense(1)])
    # the composed affine map: x @ W + b with W = W1 W2 ... Wn
    w, b = np.eye(2, dtype=np.float64), np.zeros(2)
    for layer in stack.layers:
        k, bias = (v.numpy().astype(np.float64) for v in layer.weights)
        w, b = w @ k, b @ k + bias
    probe = np.random.default_rng(1).standard_normal((1000, 2)).astype(np.float32)
    gap = float(np.max(np.abs(stack.predict(probe, verbose=0).astype(np.float64) - (probe @ w + b))))

    x, y = make_circles(n_samples=1000, noise=0.05, factor=0.5, random_state=SEED)
    x = x.astype(np.float32)
    results = {}
    for label, model in [
        (f"{depth} Dense layers, no activation", keras.Sequential(
            [keras.Input((2,))] + [keras.layers.Dense(16) for _ in range(depth - 1)] + [keras.layers.Dense(1)])),
        ("1 hidden layer, fastact ReLU", keras.Sequential(
            [keras.Input((2,)), keras.layers.Dense(16), fk.ReLU(), keras.layers.Dense(1)])),
    ]:
        keras.utils.set_random_seed(SEED)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
        h = model.fit(x, y, epochs=40 if quick else 150, batch_size=64, verbose=0)
        results[label] = float(h.history["binary_accuracy"][-1])
    return {"composed_map_max_abs_difference": gap, "circles_train_accuracy": results}


# ---- 2. convergence --------------------------------------------------------------------------------

def convergence(x, y, quick, target_error):
    max_epochs = 12 if quick else 60
    runs = {}
    for name in ACTIVATIONS:
        keras.utils.set_random_seed(SEED)
        model = mlp(name, 64, [64, 64], 10)
        model.compile(optimizer=keras.optimizers.SGD(0.05), metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        errors, times, start = [], [], time.perf_counter()
        for _ in range(max_epochs):
            h = model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=True)
            errors.append(1.0 - float(h.history["accuracy"][-1]))
            times.append(time.perf_counter() - start)
            if errors[-1] <= target_error:
                break
        reached = next((i + 1 for i, e in enumerate(errors) if e <= target_error), None)
        runs[name] = {"train_error": errors, "seconds": times, "epochs_to_target": reached,
                      "seconds_to_target": times[reached - 1] if reached else None}
        took = f" ({times[reached - 1]:.1f} s)" if reached else ""
        print(f"  convergence {name:10s} epochs to {target_error:.0%} training error: "
              f"{reached if reached else f'> {max_epochs}'}{took}", flush=True)
    tanh, relu = runs["tanh"]["epochs_to_target"], runs["relu"]["epochs_to_target"]
    ratio = (tanh / relu) if (tanh and relu) else None
    return {"target_train_error": target_error, "optimizer": "SGD(learning_rate=0.05), batch 32",
            "max_epochs": max_epochs, "runs": runs, "tanh_over_relu_epochs": ratio}


# ---- 3. saturation ---------------------------------------------------------------------------------

class GradientNorms(keras.callbacks.Callback):
    """Norm of the loss gradient with respect to each Dense kernel, on a fixed batch, each epoch."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = tf.constant(x), tf.constant(y)
        self.norms = []

    def on_epoch_begin(self, epoch, logs=None):
        kernels = [l.kernel for l in self.model.layers if isinstance(l, keras.layers.Dense)]
        with tf.GradientTape() as tape:
            loss = self.model.compute_loss(x=self.x, y=self.y, y_pred=self.model(self.x, training=True))
        self.norms.append([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


def saturation(x, y, quick):
    out = {}
    for name in ("sigmoid", "relu"):
        keras.utils.set_random_seed(SEED)
        model = mlp(name, 64, [32] * 8, 10)
        model.compile(optimizer=keras.optimizers.SGD(0.05),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        cb = GradientNorms(x[:256], y[:256])
        h = model.fit(x, y, epochs=5 if quick else 20, batch_size=32, verbose=0, callbacks=[cb])
        out[name] = {"grad_norm_per_layer_per_epoch": cb.norms,
                     "final_train_accuracy": float(h.history["accuracy"][-1])}
        first = cb.norms[0]
        print(f"  saturation {name:8s} epoch-0 gradient norm, first layer / last hidden layer: "
              f"{first[0]:.2e} / {first[-2]:.2e}", flush=True)
    return out


# ---- 4. dead units ---------------------------------------------------------------------------------

def dead_units(x, y, quick):
    settings = {"proper (SGD 0.05)": 0.05, "too high (SGD 1.0)": 1.0}
    out = {}
    for label, lr in settings.items():
        out[label] = {}
        for name in ("relu", "leaky_relu", "prelu", "maxout"):
            keras.utils.set_random_seed(SEED)
            model = mlp(name, 64, [64, 64], 10)
            model.compile(optimizer=keras.optimizers.SGD(lr),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            monitor = fk.DeadUnitMonitor(x, warn_above=1.0)   # report, don't warn, inside the study
            h = model.fit(x, y, epochs=4 if quick else 15, batch_size=32, verbose=0, callbacks=[monitor])
            fractions = {k.split("/", 1)[1]: v for k, v in h.history.items() if k.startswith("dead_fraction/")}
            diverged = not np.isfinite(h.history["loss"][-1])   # NaN weights: nothing is > 0 any more
            out[label][name] = {"dead_fraction_per_epoch": fractions, "diverged": bool(diverged),
                                "final_train_accuracy": float(np.nan_to_num(h.history["accuracy"][-1]))}
            final = ", ".join(f"{v[-1]:.0%}" for v in fractions.values())
            print(f"  dead units {label:18s} {name:10s} last epoch per layer: {final}, training accuracy "
                  f"{out[label][name]['final_train_accuracy']:.1%}{'  (diverged: loss NaN)' if diverged else ''}",
                  flush=True)
    return out


# ---- output ----------------------------------------------------------------------------------------

def plots(results, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = {}

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, run in results["convergence"]["runs"].items():
        ax.plot(range(1, len(run["train_error"]) + 1), run["train_error"], marker=".", label=name)
    ax.axhline(results["convergence"]["target_train_error"], color="grey", ls="--", lw=1, label="target")
    ax.set(yscale="log", xlabel="epoch", ylabel="training error", title="Convergence on digits (SGD 0.05)")
    ax.legend()
    files["convergence"] = os.path.join(out_dir, "convergence.png")
    fig.tight_layout(), fig.savefig(files["convergence"], dpi=110), plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, run in results["saturation"].items():
        norms = np.array(run["grad_norm_per_layer_per_epoch"])
        ax.plot(range(1, norms.shape[1] + 1), norms[0], marker="o", label=f"{name}, epoch 0")
        ax.plot(range(1, norms.shape[1] + 1), norms[-1], marker="x", ls=":", label=f"{name}, last epoch")
    ax.set(yscale="log", xlabel="Dense layer (1 = next to the input)", ylabel="gradient norm",
           title="Gradient norm per layer, 8 hidden layers")
    ax.legend()
    files["saturation"] = os.path.join(out_dir, "gradient_norms.png")
    fig.tight_layout(), fig.savefig(files["saturation"], dpi=110), plt.close(fig)

    settings = list(results["dead_units"])
    fig, axes = plt.subplots(1, len(settings), figsize=(11, 4.2), sharey=True)
    for ax, label in zip(axes, settings):
        for name, run in results["dead_units"][label].items():
            if run["diverged"]:
                continue  # NaN weights, not dead units
            for layer, series in run["dead_fraction_per_epoch"].items():
                ax.plot(range(1, len(series) + 1), series, marker=".", ls="-" if layer.endswith("0") else "--",
                        label=layer)
        diverged = [n for n, r in results["dead_units"][label].items() if r["diverged"]]
        note = f" ({', '.join(diverged)} diverged)" if diverged else ""
        ax.set(xlabel="epoch", title=f"learning rate {label}{note}", ylim=(-0.02, 1.02))
        ax.legend(fontsize=7, ncol=2)
    axes[0].set_ylabel("dead fraction")
    files["dead_units"] = os.path.join(out_dir, "dead_units.png")
    fig.tight_layout(), fig.savefig(files["dead_units"], dpi=110), plt.close(fig)
    return files


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few epochs: checks the pipeline, not the claims")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "study"))
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    x, y = digits()
    print(f"# The source document's claims, measured (seed {SEED}, digits {x.shape}, "
          f"{'quick' if args.quick else 'full'} run)\n", flush=True)
    results = {"machine": {"cpu": platform.processor() or platform.machine(), "threads": fastact.get_num_threads(),
                           "fastact": fastact.__version__, "tensorflow": tf.__version__, "keras": keras.__version__},
               "seed": SEED, "quick": args.quick}
    print("1. linearity", flush=True)
    results["linearity"] = lin = linearity(args.quick)
    print(f"  8 stacked Dense layers vs their product matrix: max difference {lin['composed_map_max_abs_difference']:.1e}")
    for label, acc in lin["circles_train_accuracy"].items():
        print(f"  circles, {label}: training accuracy {acc:.1%}")
    print("2. convergence", flush=True)
    results["convergence"] = conv = convergence(x, y, args.quick, target_error=0.05)
    ratio = conv["tanh_over_relu_epochs"]
    print(f"  tanh/ReLU epochs to {conv['target_train_error']:.0%} error: "
          f"{'n/a' if ratio is None else f'{ratio:.2f}x'} (Krizhevsky et al. 2012: ~6x on CIFAR-10)")
    print("3. saturation", flush=True)
    results["saturation"] = saturation(x, y, args.quick)
    print("4. dead units", flush=True)
    results["dead_units"] = dead_units(x, y, args.quick)
    results["plots"] = plots(results, args.out)
    results["seconds"] = time.perf_counter() - start
    with open(os.path.join(args.out, "study.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"\nwrote {os.path.join(args.out, 'study.json')} and {', '.join(results['plots'].values())} "
          f"in {results['seconds']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
