"""Reproduce the erfc coefficients of fastact/_scalar.pxd (FA_ERFC_P), used by the float32 gelu.

erfc(z) = t exp(P(u) - z^2) with t = 2/(2 + z) and u = (12t - 7)/5, which maps z in [0, 10] to u in
[-1, 1]; P is the degree-14 Chebyshev least-squares fit of log(erfc(z)/t) + z^2 at 400 Chebyshev nodes
(mpmath, 100 bits), printed as monomial coefficients in u.  Prints the largest error of P on a dense
grid (2^-35.6 when written).

    python benchmarks/fit_erfc.py          # needs mpmath
"""
import argparse

import mpmath as mp
import numpy as np

mp.mp.prec = 100
A, B, DEG, NODES = mp.mpf(1) / 6, mp.mpf(1), 14, 400


def target(t):
    z = 2 / t - 2
    return mp.log(mp.erfc(z) / t) + z * z


def main():
    nodes = [(A + B) / 2 + (B - A) / 2 * mp.cos(mp.pi * (2 * i + 1) / (2 * NODES)) for i in range(NODES)]
    u = np.array([float((2 * n - (A + B)) / (B - A)) for n in nodes])
    y = np.array([float(target(n)) for n in nodes])
    cheb = np.polynomial.chebyshev.chebfit(u, y, DEG)
    worst = 0.0
    for z in np.linspace(0, 10, 1501):
        t = 2 / (2 + z)
        worst = max(worst, abs(np.polynomial.chebyshev.chebval((12 * t - 7) / 5, cheb) - float(target(mp.mpf(t)))))
    print(f"max |P - target| = {worst:.3g} (2^{np.log2(worst):.1f})")
    for c in np.polynomial.chebyshev.cheb2poly(cheb):
        print(f"    {float(c)!r},")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
