"""Accuracy sweep: every float32 input (all 2^32 bit patterns) through fastact's float32 kernels, against
a float64 reference; a wide float64 sample against a longdouble reference.

    python benchmarks/accuracy.py [--functions sigmoid,tanh] [--step 1] [--float64-samples 1e8]

Reported per function: max error in ULP where the exact result is >= FLT_MIN (SPEC: <= 1), the input
where it occurs, the largest absolute error below FLT_MIN (SPEC: < FLT_MIN) and NaN/inf mismatches.
``--step N`` sweeps every N-th bit pattern (the test suite runs a strided subset of this sweep).
The float32 results are compared with the unrounded float64 reference, so a correctly rounded result
shows at most 0.5 ULP (plus ~1e-8 ULP of error in the float64 reference itself).
"""
import argparse
import sys
import time

import numpy as np

import fastact
from fastact._table import ACTIVATIONS
from fastact._testing import default_params, reference, ulp_errors

CHUNK = 1 << 24


def reference64(name, x32, params):
    """float64 reference for float32 inputs: for sigmoid and tanh in float64 (the longdouble reference is
    slow for 2^32 inputs), else the test suite's reference, given the float32 array so that it treats the
    inputs (parameter rounding, erfc's precision) as it does for a float32 call."""
    x = x32.astype(np.float64)
    if name == "sigmoid":
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    if name == "tanh":
        return np.tanh(x)
    return np.asarray(reference(name, x32, *params), dtype=np.float64)


def ulp_errors32(y, exact):
    """float32 ULP errors against a float64 reference, in float64 arithmetic (fast enough for 2^32)."""
    finite = np.isfinite(exact) & np.isfinite(y)
    y, exact = y[finite].astype(np.float64), exact[finite]
    tiny = np.finfo(np.float32).tiny
    normal = np.abs(exact) >= tiny
    _, e = np.frexp(exact[normal])
    ulps = np.abs(y[normal] - exact[normal]) / np.ldexp(1.0, e - 24)
    return ulps, np.abs(y[~normal] - exact[~normal]), finite, normal


def sweep_float32(name, step):
    row = {r.name: r for r in ACTIVATIONS}[name]
    params = default_params(row)
    fn = getattr(fastact, name)
    worst, worst_x, worst_sub, mismatches, count = 0.0, None, 0.0, 0, 0
    t0 = time.perf_counter()
    with np.errstate(all="ignore"):
        for start in range(0, 1 << 32, CHUNK * step):
            bits = np.arange(start, min(start + CHUNK * step, 1 << 32), step, dtype=np.uint64)
            x = bits.astype(np.uint32).view(np.float32)
            y = fn(x, *params)
            exact = reference64(name, x, params)
            nan_ok = np.isnan(y) == np.isnan(exact)
            inf = np.isinf(exact)
            mismatches += int((~nan_ok).sum() + (y[inf] != exact[inf]).sum())
            ulps, sub, finite, normal = ulp_errors32(y, exact)
            if ulps.size and ulps.max() > worst:
                worst = float(ulps.max())
                worst_x = float(x[finite][normal][np.argmax(ulps)])
            if sub.size:
                worst_sub = max(worst_sub, float(sub.max()))
            count += x.size
            done = (start + CHUNK * step) / (1 << 32)
            print(f"\r  {name}: {min(done, 1):6.1%}  max {worst:.4f} ULP", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return dict(function=name, dtype="float32", inputs=count, max_ulp=worst, at=worst_x,
                max_abs_below_tiny=worst_sub, special_mismatches=mismatches, seconds=time.perf_counter() - t0)


def sample_float64(name, n):
    row = {r.name: r for r in ACTIVATIONS}[name]
    params = default_params(row)
    rng = np.random.default_rng(0)
    worst, worst_x, count = 0.0, None, 0
    t0 = time.perf_counter()
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        # exponents spread over the whole range where the function is not saturated, both signs
        x = np.exp(rng.uniform(-745, 7.0, m)) * rng.choice([-1.0, 1.0], m)
        y = getattr(fastact, name)(x, *params)
        exact = reference(name, x, *params)
        ulps, _ = ulp_errors(y, exact, np.float64)
        if ulps.size and ulps.max() > worst:
            # ulp_errors keeps the finite results whose exact value is >= tiny: map its index back
            ex = np.asarray(exact, np.longdouble)
            finite = np.isfinite(ex) & np.isfinite(y)
            kept = x[finite][np.abs(ex[finite]) >= np.finfo(np.float64).tiny]
            worst, worst_x = float(ulps.max()), float(kept[np.argmax(ulps)])
        count += m
        print(f"\r  {name} float64: {count / n:6.1%}  max {worst:.4f} ULP", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return dict(function=name, dtype="float64", inputs=count, max_ulp=worst, at=worst_x,
                max_abs_below_tiny=None, special_mismatches=None, seconds=time.perf_counter() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    transcendental = [r.name for r in ACTIVATIONS if r.float32_ulp > 0]
    ap.add_argument("--functions", default=",".join(transcendental))
    ap.add_argument("--step", type=int, default=1, help="sweep every N-th float32 bit pattern")
    ap.add_argument("--float64-samples", type=float, default=1e8)
    args = ap.parse_args(argv)
    print(f"fastact {fastact.__version__}, SIMD level {fastact._dispatch.current_level()}, "
          f"{fastact.get_num_threads()} threads\n")
    print("| function | dtype | inputs | max ULP (exact >= FLT_MIN) | at x = | max abs error below FLT_MIN "
          "| NaN/inf mismatches | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.functions.split(","):
        for r in (sweep_float32(name, args.step), sample_float64(name, int(args.float64_samples))):
            sub = "—" if r["max_abs_below_tiny"] is None else f"{r['max_abs_below_tiny']:.3g}"
            mism = "—" if r["special_mismatches"] is None else r["special_mismatches"]
            print(f"| {r['function']} | {r['dtype']} | {r['inputs']:,} | {r['max_ulp']:.4f} | {r['at']!r} | {sub} "
                  f"| {mism} | {r['seconds']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
