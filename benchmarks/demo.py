"""``make demo``: what fastact is on this machine, how exact it is, and how fast.

1. ``fastact.show_config()``.
2. Correctness: every function, forward and backward, float32 and float64, against the pure-NumPy
   extended-precision reference on a wide sample (and special values): max error in ULP.
   PReLU, Maxout and the dead-unit counter against their references.
3. Speed: fastact against NumPy/SciPy (and PyTorch/TensorFlow when installed), forward and backward,
   1e3 ... 1.6e7 elements (benchmarks/speed.py), and PReLU/Maxout against PyTorch/TensorFlow when
   installed (benchmarks/units.py).
4. Keras (when TensorFlow is installed): a small model with fastact_keras layers trained on
   scikit-learn's digits, with Keras's progress bar, its test accuracy and the dead-unit fractions.

    python benchmarks/demo.py [--quick]
"""
import argparse
import os
import sys

import numpy as np

import fastact
from fastact._table import ACTIVATIONS
from fastact._testing import (
    backward_bound,
    default_params,
    reference,
    scaled_ulp_error,
    ulp_errors,
)

sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # appended: the installed fastact wins
import speed  # noqa: E402

SOURCE_DOCUMENT = ("sigmoid", "tanh", "relu", "leaky_relu")   # the elementwise ones; PReLU/Maxout below
import units  # noqa: E402


def sample(dtype, n, seed=0):
    rng = np.random.default_rng(seed)
    f = np.finfo(dtype)
    parts = [rng.standard_normal(n) * s for s in (1e-3, 1, 4, 30)]
    parts.append(np.exp(rng.uniform(np.log(f.tiny), np.log(f.max) * 0.99, n)) * rng.choice([-1, 1], n))
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, f.max, -f.max, f.tiny, -f.tiny]
    return np.concatenate(parts + [special]).astype(dtype)


def error_of(actual, exact, dtype):
    """Max ULP error (normal range) and whether NaN/inf/subnormal behaviour matches."""
    ulps, sub = ulp_errors(actual, exact, dtype)
    exact = np.asarray(exact)
    special_ok = (np.array_equal(np.isnan(actual), np.isnan(exact))
                  and (sub.size == 0 or float(sub.max()) < np.finfo(dtype).tiny))
    return (float(ulps.max()) if ulps.size else 0.0), special_ok


def correctness(n):
    print(f"\n## Correctness against the extended-precision reference ({5 * n:,} inputs per dtype)\n")
    print("| function | dtype | forward max ULP | backward max ULP | NaN/inf/subnormal | promised (fwd; bwd) |")
    print("|---|---|---:|---:|---|---|")
    all_ok = True
    for row in ACTIVATIONS:
        params = default_params(row)
        f, b = getattr(fastact, row.name), getattr(fastact, row.name + "_backward")
        for dtype in (np.float32, np.float64):
            x = sample(dtype, n)
            g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
            y = f(x, *params)
            fwd, ok1 = error_of(y, reference(row.name, x, *params), dtype)
            saved = y if row.saved == "y" else x
            dx = b(g, saved, *params)
            exact_dx = reference(row.name + "_backward", g, saved, *params)
            bwd, ok2 = error_of(dx, exact_dx, dtype)
            scaled = row.backward_cancels and dtype == np.float64
            if scaled:   # the derivative crosses zero: ULP of |g| max(1, |x|), as promised
                bwd = scaled_ulp_error(dx, exact_dx, g, saved)
            bound = row.float32_ulp if dtype == np.float32 else row.float64_ulp
            bbound = backward_bound(row, dtype)
            ok = ok1 and ok2 and fwd <= bound and bwd <= bbound
            all_ok &= ok
            promised = "exact" if bound == 0 else f"<= {bound:g}"
            bpromised = "exact" if bbound == 0 else f"<= {bbound:g}" + (" of \\|g\\|·max(1, \\|x\\|)" if scaled else "")
            print(f"| {row.name} | {np.dtype(dtype).name} | {fwd:.3f} | {bwd:.3f} | "
                  f"{'ok' if ok1 and ok2 else 'MISMATCH'} | {promised}; {bpromised}{'' if ok else '  <-- FAILS'} |")
    return all_ok


def units_correctness():
    """PReLU (several alpha layouts), Maxout and the dead-unit counter against the reference."""
    from fastact import _reference as R
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 12, 10, 8)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    print("\n| check | result |\n|---|---|")
    ok = True
    for alpha_shape in [(), (8,), (12, 1, 1), (12, 10, 8), (1, 1, 8)]:
        alpha = rng.uniform(0.05, 0.3, alpha_shape).astype(np.float32)
        dx, dalpha = fastact.prelu_backward(g, x, alpha)
        rdx, rdalpha = R.prelu_backward(g, x, alpha)
        exact = (np.array_equal(fastact.prelu(x, alpha), R.prelu(x, alpha)) and np.array_equal(dx, rdx))
        rel = float(np.max(np.abs(dalpha - rdalpha) / np.maximum(np.abs(rdalpha), 1e-30)))
        ok &= exact and rel < 1e-6
        print(f"| prelu alpha {alpha_shape}: y, dx exact; dalpha max rel. error | {exact}; {rel:.1e} |")
    for units_, axis in [(4, -1), (6, 1)]:
        same = (np.array_equal(fastact.maxout(x, units_, axis), R.maxout(x, units_, axis)) and np.array_equal(
            fastact.maxout_backward(fastact.maxout(x, units_, axis), x, units_, axis),
            R.maxout_backward(R.maxout(x, units_, axis), x, units_, axis)))
        ok &= same
        print(f"| maxout num_units={units_}, axis={axis}: forward and backward exact | {same} |")
    counter = fastact.DeadUnitCounter(axis=-1).update(x - 3)
    same = np.array_equal(counter.counts, R.positive_counts(x - 3, (-1,)))
    ok &= same
    print(f"| DeadUnitCounter counts exact (dead fraction {counter.dead_fraction:.3f}) | {same} |")
    return ok


def keras_demo(quick):
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        import fastact_keras as fk
    except ImportError as exc:
        print(f"\n(Keras part skipped: {exc}; `pip install 'fastact[demo]'`)")
        return True
    print("\n## Keras: digits with fastact_keras layers\n")
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        (digits.data / 16.0).astype(np.float32), digits.target, test_size=0.25, random_state=0,
        stratify=digits.target)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(128), fk.PReLU(name="prelu"),
        keras.layers.Dense(64), fk.ReLU(name="relu"),
        keras.layers.Dense(64), fk.Maxout(32, name="maxout"), fk.LeakyReLU(name="leaky_relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    monitor = fk.DeadUnitMonitor(x_train)
    history = model.fit(x_train, y_train, epochs=5 if quick else 25, batch_size=32, verbose=2 if quick else 1,
                        callbacks=[monitor])
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"\ntest accuracy: {acc:.4f}")
    print("dead fraction after the last epoch: " + ", ".join(
        f"{k.split('/')[1]} {v[-1]:.3f}" for k, v in history.history.items() if k.startswith("dead_fraction/")))
    return quick or acc >= 0.95


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sample, sizes up to 1e6, 3 rounds")
    args = ap.parse_args()

    print("# fastact demo\n")
    fastact.show_config()
    ok = correctness(20_000 if args.quick else 200_000)
    ok &= units_correctness()

    threads = fastact.get_num_threads()
    sizes = speed.QUICK_SIZES if args.quick else (1_000, 10_000, 100_000, 1_000_000, 16_000_000)
    print(f"\n## Speed of the source document's activations ({threads} threads; progress on stderr)\n")
    print("(every other activation: `make bench`, or `python benchmarks/speed.py --kernels gelu,silu`)\n")
    if "torch" not in {p.name for p in speed.available_peers()}:
        print("(PyTorch is not installed here: `pip install 'fastact[bench]'` adds it to the table)\n")
    results = speed.run(kernels=SOURCE_DOCUMENT, sizes=sizes, threads=threads, repeats=3 if args.quick else 5)
    print(speed.markdown_table(results, speed.metadata(threads)))
    print("\n## PReLU and Maxout\n")
    sys.stdout.flush()
    units.main(["--sizes", "1e6" if args.quick else "1e6,1.6e7", "--repeats", "3" if args.quick else "5"])
    ok &= keras_demo(args.quick)
    if not ok:
        sys.exit("a check FAILED")


if __name__ == "__main__":
    main()
