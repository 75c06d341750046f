"""Measure the serial cut-off: the smallest size at which all threads beat one thread.

Each activation row in fastact/_table.py carries ``serial_below``; this script is how those numbers were
chosen.  It times every kernel with n_threads=1 and n_threads=N (interleaved, median of several batches)
over sizes around the expected break-even and prints the first size where N threads win by >= 25%
(a margin, because a busy machine makes the parallel region cost more).

    python benchmarks/cutoff.py [--threads N]
"""
import argparse
import os
import sys
import time

import numpy as np

import fastact
from fastact import _core
from fastact._table import ACTIVATIONS

sys.path.append(os.path.dirname(os.path.abspath(__file__)))  # appended: the installed fastact wins
from speed import _whole  # noqa: E402

SIZES = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]


def per_call(f, calls):
    t = time.perf_counter()
    for _ in range(calls):
        f()
    return (time.perf_counter() - t) / calls


def measure(kid, row, n, threads, rounds=7):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 4).astype(np.float32)
    out = np.empty_like(x)
    kernels = fastact._dispatch.kernels
    # call the kernel module directly: the cut-off is about the parallel region, not argument handling
    one = lambda: kernels.forward(kid, x, out, 0.0, np.inf if row.params else 0.0, 0.0, 1)   # noqa: E731
    many = lambda: kernels.forward(kid, x, out, 0.0, np.inf if row.params else 0.0, 0.0, threads)  # noqa
    calls = max(1, int(2e6 // n))
    t1, tn = [], []
    for _ in range(rounds):
        t1.append(per_call(one, calls))
        tn.append(per_call(many, calls))
    return float(np.median(t1)), float(np.median(tn))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=_whole(1), default=fastact.get_num_threads(),
                    help="the thread count timed against one thread (default: %(default)s)")
    args = ap.parse_args(argv)
    print(f"threads={args.threads}, SIMD level {fastact._dispatch.current_level()}, float32, times in µs")
    print("| kernel | " + " | ".join(str(n) for n in SIZES) + " | break-even | table |")
    print("|---" * (len(SIZES) + 3) + "|")
    for kid, row in enumerate(ACTIVATIONS):
        cells, even = [], None
        for n in SIZES:
            t1, tn = measure(kid, row, n, args.threads)
            cells.append(f"{t1 * 1e6:.1f}/{tn * 1e6:.1f}")
            if even is None and tn < 0.8 * t1:
                even = n
        print(f"| {row.name} | " + " | ".join(cells) + f" | {even} | {row.serial_below} |")
    print("cells: one thread / all threads")


if __name__ == "__main__":
    _core  # imported so the module is initialised like in normal use
    main()
