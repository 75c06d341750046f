"""Accuracy sweep: every float32 input (all 2^32 bit patterns) through fastact's float32 kernels, against
a float64 reference; a wide float64 sample against a longdouble reference.

    python benchmarks/accuracy.py [--functions sigmoid,tanh] [--step 1] [--float64-samples 1e8]
                                  [--axis-elements 1e7]

Reported per function: max error in ULP where the exact result is >= FLT_MIN (SPEC: <= 1), the input
where it occurs, the largest absolute error below FLT_MIN (SPEC: < FLT_MIN) and NaN/inf mismatches.
``--step N`` sweeps every N-th bit pattern (the test suite runs a strided subset of this sweep).
The float32 results are compared with the unrounded float64 reference, so a correctly rounded result
shows at most 0.5 ULP (plus ~1e-8 ULP of error in the float64 reference itself).

The functions along an axis (softmax, log_softmax, sparsemax, glu) have no bit-pattern sweep: a row's
result depends on all of it.  They get ``--axis-elements`` elements (default 1e7) per dtype, in rows of
3, 17, 1000 and 5000 values of standard normals times 1, 10 and 100 (logits of every sharpness), against
the longdouble reference: forward in ULP, backward in ULP of the terms (fastact._testing).
"""
import argparse
import os
import sys
import time

import numpy as np

import fastact
from fastact._table import ACTIVATIONS, AXIS_FUNCTIONS
from fastact._testing import axis_backward_scale, default_params, reference, scaled_errors, ulp_errors

sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # appended: the installed fastact wins
from speed import _csv, _whole  # noqa: E402

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


def sample_axis(name, dtype, elements):
    """Random rows through an axis function and its backward: (forward result, backward result)."""
    row = {r.name: r for r in AXIS_FUNCTIONS}[name]
    rng = np.random.default_rng(1)
    fwd = dict(function=name, dtype=np.dtype(dtype).name, inputs=0, max_ulp=0.0, at=None,
               max_abs_below_tiny=0.0, special_mismatches=0)
    bwd = dict(fwd, function=name + "_backward")
    t0 = time.perf_counter()
    shapes = [(L, scale) for L in (3, 17, 1000, 5000) for scale in (1.0, 10.0, 100.0)]
    per = max(1, elements // len(shapes))
    for L, scale in shapes:
        n_rows = max(1, per // (2 * L if name == "glu" else L))
        x = (rng.standard_normal((n_rows, 2 * L if name == "glu" else L)) * scale).astype(dtype)
        y = getattr(fastact, name)(x)
        exact = reference(name, x)
        ulps, sub = ulp_errors(y, exact, dtype)
        g = rng.standard_normal(y.shape).astype(dtype)
        saved = x if row.saved == "x" else y
        err = scaled_errors(getattr(fastact, name + "_backward")(g, saved), reference(name + "_backward", g, saved),
                            axis_backward_scale(name, g, saved), dtype)
        for r, e, s_ in ((fwd, ulps, sub), (bwd, err, None)):
            r["inputs"] += x.size
            if e.size and e.max() > r["max_ulp"]:
                r["max_ulp"], r["at"] = float(e.max()), f"rows of {L}, scale {scale:g}"
            if s_ is not None and s_.size:
                r["max_abs_below_tiny"] = max(r["max_abs_below_tiny"], float(s_.max()))
        fwd["special_mismatches"] += int(np.sum(np.isnan(y) != np.isnan(np.asarray(exact, np.float64))))
        print(f"\r  {name} {fwd['dtype']}: rows of {L}, scale {scale:g}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for r in (fwd, bwd):
        r["seconds"] = (time.perf_counter() - t0) / 2
    bwd["max_abs_below_tiny"] = bwd["special_mismatches"] = None
    return fwd, bwd


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    transcendental = [r.name for r in ACTIVATIONS if r.float32_ulp > 0]
    ap.add_argument("--functions", type=_csv(known=[r.name for r in ACTIVATIONS], allow_empty=True),
                    default=",".join(transcendental),
                    help="elementwise functions to sweep, comma-separated (default: those with a float32 ULP"
                         " bound)")
    ap.add_argument("--step", type=_whole(1), default=1, help="sweep every N-th float32 bit pattern")
    ap.add_argument("--float64-samples", type=_whole(1), default=1e8,
                    help="random float64 inputs per function (default 1e8)")
    ap.add_argument("--axis-elements", type=_whole(0), default=1e7,
                    help="elements per dtype for each axis function (0: skip them)")
    ap.add_argument("--axis-functions", type=_csv(known=[r.name for r in AXIS_FUNCTIONS], allow_empty=True),
                    default=",".join(r.name for r in AXIS_FUNCTIONS),
                    help="axis functions to sample, comma-separated (default: %(default)s)")
    args = ap.parse_args(argv)
    print(f"fastact {fastact.__version__}, SIMD level {fastact._dispatch.current_level()}, "
          f"{fastact.get_num_threads()} threads\n")
    print("| function | dtype | inputs | max ULP (exact >= FLT_MIN) | at x = | max abs error below FLT_MIN "
          "| NaN/inf mismatches | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    def report(r):
        sub = "—" if r["max_abs_below_tiny"] is None else f"{r['max_abs_below_tiny']:.3g}"
        mism = "—" if r["special_mismatches"] is None else r["special_mismatches"]
        at = r["at"] if isinstance(r["at"], str) else repr(r["at"])
        print(f"| {r['function']} | {r['dtype']} | {r['inputs']:,} | {r['max_ulp']:.4f} | {at} | {sub} "
              f"| {mism} | {r['seconds']:.0f} |", flush=True)

    for name in args.functions:
        for r in (sweep_float32(name, args.step), sample_float64(name, int(args.float64_samples))):
            report(r)
    if args.axis_elements > 0:
        for name in args.axis_functions:
            for dtype in (np.float32, np.float64):
                for r in sample_axis(name, dtype, int(args.axis_elements)):
                    report(r)


if __name__ == "__main__":
    main()
