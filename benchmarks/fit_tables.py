"""Reproduce the float32 tables of fastact/_spans.h: FA_TANH_TAB (tanh), FA_TANH_SHRINK_TAB (tanh_shrink), the
fa_atab tables of gelu and of gelu's and silu's derivatives, and FA_GELU_G (gelu's tail); and the float64
ones of exact gelu (FA_GQ_* in fastact/_scalar.pxd, FA_GELU_M64 and FA_GELU_G64 in fastact/_spans_f64.h).

[0, 16) is split into 32 intervals: quarter binades from 1/16 to 16, the first widened down to 0.  On
each, f(c + t) = c0 + (c1 t + (a0 + t^2 P(t))) with c the interval's midpoint (so |x| - c is exact),
c0 = f(c) rounded to float and P of degree 4 (degree 6 in all).  The functions:

  tanh  tanh(x); its first interval is odd, x + x^3 Q(x), so that tiny x give x exactly;
  tanh_shrink  x - tanh(x), fitted itself (its relative accuracy near 0 is not tanh's); its first
        interval is x^3 Q(x).

Coefficients are weighted least-squares fits (relative error) at 300 Chebyshev nodes against mpmath,
rounded to float one at a time (c1 first, then a0, then upwards), refitting the rest after each
rounding so that the later ones absorb the rounding error.  The kernels take the slot from bits 21..25
of max(|x|, 1/16) (two exponent bits' worth of quarter binades: 8 binades map to 32 distinct slots), so
the tables are stored in slot order; the midpoints (the "centre" row) are tanh's table's first row.

Prints the C table and, per interval, the largest error of a float32 emulation of the evaluation on a
grid, in ULP of the rounded result (tanh 0.549 when written; benchmarks/accuracy.py sweeps every input
of the compiled kernel).  The
tanh_shrink kernel keeps c0 + c1 t exact and takes a series below 5/64, so its errors are below the
plain form's printed here (0.77 ULP, 1.96 on the first interval): 0.575 ULP over every 61st input.

    python benchmarks/fit_tables.py tanh|tanh_shrink          # needs mpmath

The second family, fa_atab tables (FA_GELU_Q_ATAB, FA_GELU_D_ATAB, FA_SILU_S_ATAB, FA_SILU_D_ATAB),
serves the common path of gelu, silu and their derivatives: V(a) for a = |x| below a bound R, with no
exp at all.
Slot j holds a with floor(a (k1 + a k2) + k0) = j (k2 > 0 narrows the intervals where a Gaussian falls
fast, k2 < 0 widens them where an exponential falls slowly), and on it V(c + t) = c0 + (c1 + c1lo) t +
(a0 + t^2 P(t)), P of degree 4, with c0 + a0 = V(c) and c1 + c1lo = V'(c) exact to float pairs, so that
the fit's error is minimax-like over the interval with the value and slope pinned.  Where V has a root
(the derivatives', at x = -0.7518 and -1.2785), k0 puts it at the middle of its interval and that
interval's centre at the root itself: the neighbours then never evaluate close to it, where c0 + c1 t
would cancel.  Without a root, the first interval is centred at 0 (gelu_q, silu_s: c0 = 1/2 exactly, so
that gelu's and silu's kernels give x/2 exactly for tiny x).  The functions (each V(a) = D(-a), D(a) =
1 - V(a), since D(x) + D(-x) = 1):

  gelu_q  Q(a) = erfc(a/sqrt(2))/2: gelu(x) = x Q(|x|) for x < 0, x (1 - Q(x)) for x >= 0
  gelu_d  Q(a) - a phi(a): gelu's derivative Phi(x) + x phi(x) at x = -a
  silu_s  S(a) = sigmoid(-a): silu(x) = x S(|x|) for x < 0, x (1 - S(x)) for x >= 0
  silu_d  sigmoid(-a) (1 - a sigmoid(a)): silu's derivative at x = -a

The printed error is V's relative error before the kernel's last rounding, in a float32 emulation of
the evaluation, on a grid of 200 floats per interval.

    python benchmarks/fit_tables.py gelu_q|gelu_d|silu_s|silu_d

Beyond its tables (|x| from 5.5 and 6) gelu takes the normal tail's exp form: Q(a) = E G(w) / a with
E = e^(-a^2/2), w = 1/a^2 and G = c0 + (c0lo + w P(w)), c0 = 1/sqrt(2 pi) as hi + lo and P of degree 5,
fitted (relative, rounded as above) on a in [5.375, 16]; the printed error is G's in float32 with w
rounded:

    python benchmarks/fit_tables.py gelu_tail

The float64 normal tail Q(a) = erfc(a/sqrt(2))/2 of exact gelu (fa_normal_q_f64 in fastact/_scalar.pxd)
takes fdlibm's structure with fits of its own (z = a/sqrt(2)): for z in [1/2, 0.84375) and [0.84375,
1.25), D(s) = erfc(anchor + s) - erfc(anchor) rounded (anchors 0.671875 and 1.0625, where |D| stays below
erfc itself: anchored at 1, D's rounding near z = 1.25 made Q 1.07 ULP off, 0.77 now), polynomials of
degree 16 and 15 in s; from z = 1.25, F(s) = ln(z erfc(z)) + z^2 + 0.5625 in s = 1/z^2, degree 26 on [0.1225,
0.64] (around 0.38125) and 20 on [0, 0.1225].  Each is a Chebyshev interpolant computed in 160-bit
arithmetic, turned into monomials around the centre and rounded to double; the printed error is the
largest absolute error of a double Horner evaluation on a grid (D and F are small, so that is about
their share of Q's relative error).

    python benchmarks/fit_tables.py gelu_q64

The float64 exact-gelu spans of fastact/_spans_f64.h take Q(a) = e^(-a^2/2) M(a) with M(a) = e^(a^2/2)
Q(a), smooth: FA_GELU_M64 holds M on 16 slots over a in [0, 15), quarter binades of 1 + a in the order
of its bits 50..53 (vpermt2pd's index), each the Chebyshev interpolant of degree 14 around the slot's
centre (0 in the first, the midpoint elsewhere) as c0 + c1 t + t^2 P(t) with c0 and c1 as pairs, and
FA_GELU_G64 a M(a) = G(1/a^2) from a = 15 on (degree 10 in w = 1/a^2 on [0, 1/225]); the printed errors
are relative, with the kernel's evaluation (P by its halves in t^2) emulated in double:

    python benchmarks/fit_tables.py gelu_m64

The AVX2 build's float32 exact gelu and its backward (fastact/_spans_avx2.h) compute in double, with no
table: M(a) = P(a)/Q(a), P of degree 4 and Q of degree 5 on [0, 14.5] with P(0) = 1/2 - 2^-42 (so that
subnormal x round as x Phi(x) does, away from a tie); the backward's D(-a) = e^(-a^2/2) (a - r) R(a), R =
(M(a) - a/sqrt(2 pi)) / (a - r) = P/Q of degrees 4 and 4 on [0, 21] (r = 0.7518, D's root); e^(-s/2) on
[-ln 2, ln 2] by a polynomial of degree 6 with constant term 1 (s = a^2 + 2 k ln 2).  The rational fits
are Sanathanan-Koerner rounds with Lawson's weights (rational_fit), the polynomial Lawson's alone; the
printed errors are relative, with the kernel's double Horner evaluation (and one division) emulated:

    python benchmarks/fit_tables.py gelu_pd
"""
import argparse

import mpmath as mp
import numpy as np

mp.mp.prec = 80
DEG, NODES = 6, 300
f32 = np.float32
ROWS = ("centre", "c0", "a0", "c1", "p2", "p3", "p4", "p5", "p6")


def bounds(j):
    e, q = -4 + j // 4, j % 4
    lo, hi = 2.0**e * (1 + q / 4), 2.0**e * (1 + (q + 1) / 4)
    return (0.0 if j == 0 else lo), hi


def slot(j):
    return (((127 - 4 + j // 4) & 7) << 2) | (j % 4)


def rounded_fit(ts, g, wt, scale, powers, order):
    """Weighted least squares of g by sum a_k t^k (k in powers), rounding a_k to float in `order`."""
    fixed = {}
    for k in order:
        free = [m for m in powers if m not in fixed]
        basis = np.stack([(ts / scale) ** m for m in free], axis=1)
        rest = g - sum(fixed[m] * ts**m for m in fixed) if fixed else g
        sol = np.linalg.lstsq(basis * wt[:, None], rest * wt, rcond=None)[0]
        fixed[k] = float(f32(sol[free.index(k)] / scale**k))
    return fixed


def fit_interval(j, f):
    """The row of interval j for f (an mpmath function): [centre, c0, a0, c1, p2, ..., p6]."""
    lo, hi = bounds(j)
    cheb = np.cos(np.pi * (2 * np.arange(NODES) + 1) / (2 * NODES))
    c = 0.0 if j == 0 else (lo + hi) / 2
    ts = (lo + hi) / 2 - c + (hi - lo) / 2 * cheb
    w = max(abs(lo - c), abs(hi - c))
    ys = [f(mp.mpf(c) + mp.mpf(t)) for t in ts]
    c0 = float(f32(float(f(mp.mpf(c)))))
    g = np.array([float(y - mp.mpf(c0)) for y in ys])
    a = rounded_fit(ts, g, 1.0 / np.array([float(y) for y in ys]), w, range(DEG + 1), [1, 0] + list(range(2, DEG + 1)))
    return [c, c0, a[0], a[1]] + [a[k] for k in range(2, DEG + 1)]


def fit_cubic(h):
    """p3..p6 of the first interval's row for h(x) = x^3 Q(x) on [0, 5/64]: Q = p3 + p4 x + p5 x^2 + p6 x^3."""
    hi = bounds(0)[1]
    xs = hi / 2 + hi / 2 * np.cos(np.pi * (2 * np.arange(NODES) + 1) / (2 * NODES))
    g = np.array([float(h(mp.mpf(x)) / mp.mpf(x) ** 3) for x in xs])
    q = rounded_fit(xs, g, np.ones_like(xs), hi, range(DEG - 2), range(DEG - 2))
    return [q[k] for k in range(DEG - 2)]


def fit_tanh(j):
    if j > 0:
        return fit_interval(j, mp.tanh)
    # x + x^3 Q(x): c1 = 1, Q from tanh(x) - x
    return [0.0, 0.0, 0.0, 1.0, 0.0] + fit_cubic(lambda x: mp.tanh(x) - x)


def tanh_shrink(a):
    return a - mp.tanh(a)


def fit_tanh_shrink(j):
    if j > 0:
        return fit_interval(j, tanh_shrink)
    # x^3 Q(x) (c1 = 0)
    return [0.0, 0.0, 0.0, 0.0, 0.0] + fit_cubic(tanh_shrink)


def fma32(a, b, c):
    return f32(np.float64(a) * np.float64(b) + np.float64(c))


def evaluate(x, row):
    """The kernel's evaluation in float32 arithmetic (FMA emulated in double), unrounded: c0 + tail."""
    centre, c0, a0, c1, *p = [f32(v) for v in row]
    t = f32(x - centre)
    acc = p[-1]
    for k in p[-2::-1]:
        acc = fma32(acc, t, k)
    return mp.mpf(float(c0)) + mp.mpf(float(fma32(c1, t, fma32(f32(np.float64(t) * t), acc, a0))))


def hexf(v):
    """v (a float32 value) as a C float literal: 0x1.8p-3f"""
    if v == 0:
        return "0.0f"
    mant, exp = float(v).hex().split("p")
    return mant.rstrip("0").rstrip(".") + "p" + exp + "f"


def gelu_q(a):
    return mp.erfc(a / mp.sqrt(2)) / 2


def gelu_d(a):
    return mp.erfc(a / mp.sqrt(2)) / 2 - a * mp.exp(-a * a / 2) / mp.sqrt(2 * mp.pi)


def silu_d(a):
    return (1 - a / (1 + mp.exp(-a))) / (1 + mp.exp(a))


def silu_s(a):
    return 1 / (1 + mp.exp(a))


# name: (V, k1, k2, V's root or None, whether c1 needs its low part, C table name, k0 for a table
# without a root).  Only gelu_d's c1 needs a low part: its slope at the root is 2^-26.3 (relative) from
# the nearest float, silu_d's 2^-26.7.  silu_s's intervals are all 0.625 wide (k2 = 0), but the first,
# [0, 0.3125) (k0 = 1/2): an exponential falls at the same relative rate everywhere.
ATABS = {"gelu_q": (gelu_q, 3.0, 0.5, None, False, "FA_GELU_Q_ATAB", 0.0),
         "gelu_d": (gelu_d, 3.0, float(f32(0.38)), 0.7517915, True, "FA_GELU_D_ATAB", None),
         "silu_d": (silu_d, 4.0, float(f32(-1 / 9)), 1.2784645, False, "FA_SILU_D_ATAB", None),
         "silu_s": (silu_s, float(f32(1.6)), 0.0, None, False, "FA_SILU_S_ATAB", 0.5)}


def atab_slot(a, k):
    """The kernel's slot for the float a: truncation of fma(a, fma(a, k2, k1), k0) in float32."""
    k0, k1, k2 = k
    return int(fma32(a, fma32(a, k2, k1), k0))


def atab_bounds(j, k):
    """Interval j in exact arithmetic: a (k1 + a k2) + k0 from j to j + 1 (from 0 for the first)."""
    k0, k1, k2 = k
    inv = (lambda v: v / k1) if k2 == 0 else (lambda v: 2 * v / (k1 + np.sqrt(k1 * k1 + 4 * k2 * v)))
    return inv(max(j - k0, 0.0)), inv(j + 1 - k0)


def fit_atab_interval(f, lo, hi, c, slope_lo, use_a0):
    """[centre, c0, a0, c1, c1lo, p2..p6] on [lo, hi] (widened by 2^-16 of itself for the slot's
    rounding) around c: value and slope at c pinned (a0 = 0 and c1lo = 0 where unused), P by the rounded
    weighted fit."""
    m = (hi - lo) * 2**-16
    lo, hi = max(0.0, lo - m), hi + m
    ts = (lo + hi) / 2 - c + (hi - lo) / 2 * np.cos(np.pi * (2 * np.arange(NODES) + 1) / (2 * NODES))
    c_mp = mp.mpf(c)
    v, d1 = f(c_mp), mp.diff(f, c_mp)
    c0 = float(f32(float(v)))
    a0 = float(f32(float(v - c0))) if use_a0 else 0.0
    c1 = float(f32(float(d1)))
    c1lo = float(f32(float(d1 - c1))) if slope_lo else 0.0
    ys = [f(c_mp + mp.mpf(t)) for t in ts]
    rest = np.array([float(y - c0 - a0 - (mp.mpf(c1) + c1lo) * mp.mpf(t)) for y, t in zip(ys, ts)])
    wt = 1.0 / np.abs(np.array([float(y) for y in ys]))
    p = rounded_fit(ts, rest, wt, max(abs(lo - c), abs(hi - c)), range(2, DEG + 1), range(2, DEG + 1))
    return [c, c0, a0, c1, c1lo] + [p[k] for k in range(2, DEG + 1)]


def atab_value(x, row):
    """The kernel's V(x) before its last rounding: c0 + c1 t exactly, the inner part in float32."""
    c, c0, a0, c1, c1lo, *p = [f32(v) for v in row]
    t = f32(x - c)
    acc = p[-1]
    for k in p[-2::-1]:
        acc = fma32(acc, t, k)
    inner = fma32(f32(t * t), acc, a0)
    return mp.mpf(float(c0)) + (mp.mpf(float(c1)) + mp.mpf(float(c1lo))) * mp.mpf(float(t)) + mp.mpf(float(inner))


def exact_centre(f, c):
    """The float nearest c where f is within 2^-33 (relative) of a float, so that the kernel can leave
    out c0's low part a0 (tables without a root: there the root's interval needs it)."""
    bits = int(np.array(c, dtype=f32).view(np.uint32))
    for step in range(1, 1 << 16):
        m = (step // 2) * (1 if step % 2 else -1)          # 0, 1, -1, 2, -2, ... ULPs away
        x = float(np.array(bits + m, dtype=np.uint32).view(f32))
        v = f(mp.mpf(x))
        if abs(v - float(f32(float(v)))) <= abs(v) * mp.mpf(2) ** -33:
            return x
    raise ValueError(f"no exact centre near {c}")


def main_atab(name):
    f, k1, k2, root, slope_lo, tab, k0 = ATABS[name]
    if root is not None:
        root = float(mp.findroot(f, root))
        v = root * (k1 + root * k2)
        k0 = float(f32((np.floor(v) + 0.5 - v) % 1.0))
    k = (k0, k1, k2)
    rows, worst = [], 0.0
    for j in range(32):
        lo, hi = atab_bounds(j, k)
        c = float(f32(root)) if root is not None and lo <= root < hi else float(f32((lo + hi) / 2))
        if root is None:
            c = 0.0 if j == 0 else exact_centre(f, c)
        rows.append(fit_atab_interval(f, lo, hi, c, slope_lo, root is not None))
    for j in range(32):
        lo, hi = atab_bounds(j, k)
        err = 0.0
        for x in np.unique(np.linspace(lo, hi, 200).astype(np.float32)):
            s = atab_slot(x, k)
            if s < 32:
                ref = f(mp.mpf(float(x)))
                err = max(err, float(abs(atab_value(x, rows[s]) - ref) / abs(ref)))
        worst = max(worst, err)
        print(f"/* [{lo:.6g}, {hi:.6g}): 2^{np.log2(err):.1f} */")
    end = atab_bounds(31, k)[1]
    bound = np.ceil(end * 16 - 1) / 16               # the last multiple of 1/16 below the end
    print(f"/* worst 2^{np.log2(worst):.1f}; the last interval ends at {end:.6g} */")
    print(f"static const fa_atab {tab} = {{{hexf(k0)}, {hexf(k1)}, {hexf(k2)}, {hexf(bound)}, "
          f"{int(root is not None)}, {int(slope_lo)}, {{")
    names = ("centre", "c0", "a0", "c1", "c1lo") + tuple(f"p{m}" for m in range(2, DEG + 1))
    for r, rname in enumerate(names):
        items = [hexf(rows[j][r]) for j in range(32)]
        lines = [", ".join(items[i:i + 6]) for i in range(0, 32, 6)]
        print(f"    /* {rname} */ {{" + ",\n        ".join(lines) + "},")
    print("}};")


def gelu_g(a):
    return a * mp.exp(a * a / 2) * mp.erfc(a / mp.sqrt(2)) / 2


def main_gelu_tail(lo=5.375, hi=16.0, deg=5):
    w0, w1 = 1 / hi**2, 1 / lo**2
    ws = (w0 + w1) / 2 + (w1 - w0) / 2 * np.cos(np.pi * (2 * np.arange(NODES) + 1) / (2 * NODES))
    ys = [gelu_g(1 / mp.sqrt(mp.mpf(w))) for w in ws]
    c0m = 1 / mp.sqrt(2 * mp.pi)
    c0 = float(f32(float(c0m)))
    c0lo = float(f32(float(c0m - c0)))
    rest = np.array([float((y - c0m) / mp.mpf(w)) for y, w in zip(ys, ws)])   # P(w) = (G - c0) / w
    wt = np.array([float(mp.mpf(w) / y) for y, w in zip(ys, ws)])             # G's relative error
    p = rounded_fit(ws, rest, wt, w1, range(deg + 1), range(deg + 1))
    worst = 0.0
    for a in np.linspace(lo, hi, 3000).astype(f32):
        w = f32(1 / np.float64(f32(a * a)))
        acc = f32(p[deg])
        for k in range(deg - 1, -1, -1):
            acc = fma32(acc, w, p[k])
        v = mp.mpf(c0) + mp.mpf(float(fma32(w, acc, c0lo)))
        ref = gelu_g(mp.mpf(float(a)))
        worst = max(worst, float(abs(v - ref) / ref))
    print(f"/* G's relative error: 2^{np.log2(worst):.1f} */")
    print("static const float FA_GELU_G[8] = {" + ", ".join(hexf(v) for v in [c0, c0lo] + [p[k] for k in range(deg + 1)]) + "};")


def cheb_mono(f, lo, hi, centre, deg, rounded=True):
    """Chebyshev interpolant of f on [lo, hi] of degree deg (160-bit), as monomials in v - centre
    (rounded to double, or the 160-bit values)."""
    with mp.workprec(160):
        lo, hi, centre = mp.mpf(lo), mp.mpf(hi), mp.mpf(centre)
        m = deg + 1
        nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / m) for k in range(m)]
        vals = [f((hi - lo) / 2 * u + (hi + lo) / 2) for u in nodes]
        c = [2 * mp.fsum(vals[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / m) for k in range(m)) / m
             for j in range(m)]
        c[0] /= 2
        cheb = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]         # T_j(u) as monomials in u
        for j in range(2, deg + 1):
            a = [mp.mpf(0)] + [2 * v for v in cheb[j - 1]]
            b = cheb[j - 2] + [mp.mpf(0)] * (len(a) - len(cheb[j - 2]))
            cheb.append([x - y for x, y in zip(a, b)])
        pu = [mp.mpf(0)] * m
        for j in range(m):
            for i, v in enumerate(cheb[j]):
                pu[i] += c[j] * v
        alpha, beta = 2 / (hi - lo), (centre - (hi + lo) / 2) * 2 / (hi - lo)     # u = alpha w + beta
        pw = [mp.mpf(0)] * m
        for i in range(m):
            for k in range(i + 1):
                pw[k] += pu[i] * mp.binomial(i, k) * alpha**k * beta**(i - k)
        return [float(v) for v in pw] if rounded else pw


def main_gelu_q64():
    with mp.workprec(160):
        anchors = {"B": 0.671875, "C": 1.0625}
        consts = {k: float(mp.erfc(mp.mpf(v))) for k, v in anchors.items()}

        def tail_f(s):
            if s == 0:
                return mp.log(1 / mp.sqrt(mp.pi)) + mp.mpf(0.5625)
            z = 1 / mp.sqrt(s)
            return mp.log(z * mp.erfc(z)) + z * z + mp.mpf(0.5625)
        fits = {"B": (lambda s: mp.erfc(anchors["B"] + s) - mp.mpf(consts["B"]), 0.5 - 0.671875, 0.84375 - 0.671875, 0.0, 16),
                "C": (lambda s: mp.erfc(anchors["C"] + s) - mp.mpf(consts["C"]), 0.84375 - 1.0625, 1.25 - 1.0625, 0.0,
                      15),
                "D": (tail_f, 0.1225, 0.64, 0.38125, 26),
                "E": (tail_f, 0.0, 0.1225, 0.0, 20)}
        for name, (f, lo, hi, centre, deg) in fits.items():
            coef = cheb_mono(f, lo, hi, centre, deg)
            worst = 0.0
            for v in np.linspace(lo, hi, 2001):
                acc = coef[-1]
                for c in coef[-2::-1]:
                    acc = acc * (v - centre) + c
                worst = max(worst, abs(float(mp.mpf(acc) - f(mp.mpf(float(v))))))
            print(f"/* {name}: [{lo:g}, {hi:g}] around {centre:g}, degree {deg}: 2^{np.log2(worst):.1f} */")
            print(f"static const double FA_GQ_{name}[{deg + 1}] = {{" + ", ".join(repr(c) for c in coef) + "};")
        print(f"#define FA_GQ_CB {consts['B']!r}\n#define FA_GQ_CC {consts['C']!r}")


def fma64(a, b, c):
    """fma in double: a b + c rounded once"""
    return float(mp.mpf(a) * mp.mpf(b) + mp.mpf(c))


def gelu_m(a):
    return mp.exp(a * a / 2) * mp.erfc(a / mp.sqrt(2)) / 2


def m64_slot(e, q):
    """The kernels' slot for binade e (1 + a in [2^e, 2^(e+1))), quarter q: bits 50..53 of 1 + a"""
    return ((3 + e) & 3) * 4 + q


def m64_value(a, row):
    """fa_gelu_m_pd's M(a) as a pair, evaluated as the kernel does (in double, fmas rounded once)"""
    centre, c0, c0lo, c1, c1lo, *p = row
    t = a - centre
    tt = t * t
    even, odd = p[-1], p[-2]                         # P's even and odd halves in t^2 (p14, p13 first)
    for k in range(len(p) - 3, -1, -2):
        even = fma64(even, tt, p[k])
        if k > 0:
            odd = fma64(odd, tt, p[k - 1])
    acc = fma64(odd, t, even)
    m = c1 * t
    m_lo = fma64(c1, t, -m)
    hi = c0 + m
    s_lo = (c0 - hi) + m
    lo = s_lo + (m_lo + fma64(tt, acc, fma64(c1lo, t, c0lo)))
    return mp.mpf(hi) + mp.mpf(lo)


def main_gelu_m64(deg=14, tdeg=10):
    """float64 exact gelu's spans: M(a) = e^(a^2/2) Q(a) on 16 slots for a in [0, 15), the slot from the
    bits of 1 + a (quarter binades: [0, 1/4), ... [13, 15)), each M(centre + t) = c0 + c1 t + t^2 P(t)
    with c0, c1 as pairs, P of degree deg - 2 (the Chebyshev interpolant of degree deg); centre 0 in the
    first slot, the midpoint elsewhere (a - centre exact).  From a = 15 on, a M(a) = G(w), w = 1/a^2,
    G = c0 + c0lo + w P(w) of degree tdeg on [0, 1/225]."""
    rows = [[0.0] * 16 for _ in range(deg + 4)]
    worst = 0.0
    for e in range(4):
        for q in range(4):
            lo, hi = 2.0**e * (1 + q / 4) - 1, 2.0**e * (1 + (q + 1) / 4) - 1
            centre = 0.0 if lo == 0 else (lo + hi) / 2
            w = (hi - lo) * 2**-40
            coef = cheb_mono_mp(gelu_m, max(0.0, lo - w), hi + w, centre, deg)
            c0, c1 = float(coef[0]), float(coef[1])
            row = [centre, c0, float(coef[0] - c0), c1, float(coef[1] - c1)] + [float(v) for v in coef[2:]]
            err = 0.0
            for a in np.linspace(lo, hi, 300, endpoint=False):
                ref = gelu_m(mp.mpf(float(a)))
                err = max(err, float(abs(m64_value(float(a), row) / ref - 1)))
            worst = max(worst, err)
            print(f"/* [{lo:g}, {hi:g}): 2^{np.log2(err):.1f} */")
            for r, v in enumerate(row):
                rows[r][m64_slot(e, q)] = v
    print(f"/* worst 2^{np.log2(worst):.1f} */")
    names = ["centre", "c0", "c0lo", "c1", "c1lo"] + [f"p{k}" for k in range(2, deg + 1)]
    print(f"static const double FA_GELU_M64[{deg + 4}][16] = {{")
    for name, vals in zip(names, rows):
        items = [float(v).hex() for v in vals]
        print(f"    /* {name} */ {{" + ",\n        ".join(", ".join(items[i:i + 4]) for i in range(0, 16, 4)) + "},")
    print("};")

    def g(v):
        if v == 0:
            return 1 / mp.sqrt(2 * mp.pi)
        a = 1 / mp.sqrt(v)
        return a * gelu_m(a)
    coef = cheb_mono_mp(g, 0.0, 1.0 / 225, 0.0, tdeg)
    c0 = float(coef[0])
    tail = [c0, float(coef[0] - c0)] + [float(v) for v in coef[1:]]
    err = 0.0
    for a in np.linspace(15.0, 40.0, 2000):
        v = 1.0 / (a * a)
        val = mp.mpf(c0) + mp.mpf(fma64(v, horner64(tail[2:], v), tail[1]))
        err = max(err, float(abs(val / g(mp.mpf(v)) - 1)))
    print(f"/* G, a from 15: 2^{np.log2(err):.1f} (w rounded as in the kernel) */")
    print(f"static const double FA_GELU_G64[{tdeg + 2}] = {{" + ", ".join(float(v).hex() for v in tail) + "};")


def rational_fit(f, hi, m, n, p0=None, nodes=1200, rounds=150):
    """A near-minimax P(a)/Q(a) of relative error on [0, hi], P of degree m, Q of degree n with Q(0) = 1
    (and P(0) = p0 if given), as double monomials in a: Sanathanan-Koerner rounds (least squares of P - f Q
    weighted by 1/(f Q) with the last round's Q) with Lawson's weights from the tenth on; the round with
    the smallest error is kept."""
    a = hi / 2 * (1 - np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes))
    fa = np.array([float(f(mp.mpf(float(v)))) for v in a])
    s = a / hi
    first = 0 if p0 is None else 1
    q_prev, w, best = np.ones(nodes), np.ones(nodes), None
    for k in range(rounds):
        basis = np.stack([s**i for i in range(first, m + 1)] + [-fa * s**j for j in range(1, n + 1)], axis=1)
        scale = np.sqrt(w) / (fa * q_prev)
        rhs = fa - (p0 or 0.0)
        c = np.linalg.lstsq(basis * scale[:, None], rhs * scale, rcond=None)[0]
        P = np.concatenate([[p0] if first else [], c[:m + 1 - first]])
        Q = np.concatenate([[1.0], c[m + 1 - first:]])
        pv, qv = np.polyval(P[::-1], s), np.polyval(Q[::-1], s)
        err = pv / (qv * fa) - 1
        if best is None or np.abs(err).max() < best[0]:
            best = (np.abs(err).max(), P, Q)
        q_prev = qv
        if k >= 10:
            w = w * np.abs(err) ** 0.7
            w /= w.sum()
    _, P, Q = best
    return [float(v / hi**i) for i, v in enumerate(P)], [float(v / hi**j) for j, v in enumerate(Q)]


def horner64(coef, v):
    """coef[0] + coef[1] v + ... by Horner with fmas, as the kernels evaluate it in double"""
    acc = coef[-1]
    for c in coef[-2::-1]:
        acc = fma64(acc, v, c)
    return acc


def exp_half_fit(deg=6, nodes=600, rounds=100):
    """e^(-s/2) = 1 + c1 s + ... + c_deg s^deg on [-ln 2, ln 2], relative near-minimax (Lawson)"""
    h = float(mp.log(2))
    s = h * np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)
    e = np.array([float(mp.exp(-mp.mpf(float(v)) / 2)) for v in s])
    basis = np.stack([s**i for i in range(1, deg + 1)], axis=1) / e[:, None]
    w, best = np.ones(nodes), None
    for _ in range(rounds):
        c = np.linalg.lstsq(basis * np.sqrt(w)[:, None], (e - 1) / e * np.sqrt(w), rcond=None)[0]
        err = basis @ c - (e - 1) / e
        if best is None or np.abs(err).max() < best[0]:
            best = (np.abs(err).max(), c)
        w = w * np.abs(err) ** 0.7
        w /= w.sum()
    return [1.0] + [float(v) for v in best[1]]


def gelu_r(a, r):
    """(M(a) - a/sqrt(2 pi)) / (a - r): gelu's derivative D(-a) = E (a - r) R(a), R smooth and nonzero"""
    v = gelu_m(a) - a / mp.sqrt(2 * mp.pi)
    return mp.diff(lambda t: gelu_m(t) - t / mp.sqrt(2 * mp.pi), r) if abs(a - r) < mp.mpf(2)**-40 else v / (a - r)


def main_gelu_pd(m_hi=14.5, r_hi=21.0):
    """float32 exact gelu and its backward on the AVX2 build, computed in double (fastact/_spans_avx2.h)"""
    mp.mp.prec = 160
    r = mp.findroot(lambda a: gelu_m(a) - a / mp.sqrt(2 * mp.pi), 0.75)
    root_hi = float(r)
    root_lo = float(r - root_hi)
    ec = exp_half_fit()
    h = float(mp.log(2))
    e_err = max(float(abs(mp.mpf(horner64(ec, v)) / mp.exp(-mp.mpf(v) / 2) - 1)) for v in np.linspace(-h, h, 4001))
    mp_, mq = rational_fit(gelu_m, m_hi, 4, 5, p0=0.5 - 2.0**-42)
    rp, rq = rational_fit(lambda a: gelu_r(a, r), r_hi, 4, 4)

    def ratio_err(p, q, f, hi):
        return max(float(abs(mp.mpf(horner64(p, v)) / mp.mpf(horner64(q, v)) / f(mp.mpf(v)) - 1))
                   for v in np.linspace(0, hi, 3001))
    m_err = ratio_err(mp_, mq, gelu_m, m_hi)
    r_err = ratio_err(rp, rq, lambda a: gelu_r(a, r), r_hi)

    def arr(name, v):
        return f"static const double {name}[{len(v)}] = {{" + ", ".join(float(c).hex() for c in v) + "};"
    print(f"/* e^(-s/2) on [-ln 2, ln 2]: 2^{np.log2(e_err):.1f} */")
    print(arr("FA2_EXP_HALF", ec))
    print(f"/* M on [0, {m_hi:g}]: 2^{np.log2(m_err):.1f} */")
    print(arr("FA2_GELU_MP", mp_))
    print(arr("FA2_GELU_MQ", mq))
    print(f"/* R on [0, {r_hi:g}]: 2^{np.log2(r_err):.1f} */")
    print(arr("FA2_GELU_RP", rp))
    print(arr("FA2_GELU_RQ", rq))
    print(f"r: {root_hi.hex()} {root_lo.hex()}")


def cheb_mono_mp(f, lo, hi, centre, deg):
    """cheb_mono's coefficients at 160 bits (not rounded to double)"""
    return cheb_mono(f, lo, hi, centre, deg, rounded=False)


def main(name):
    if name in ATABS:
        return main_atab(name)
    if name == "gelu_tail":
        return main_gelu_tail()
    if name == "gelu_q64":
        return main_gelu_q64()
    if name == "gelu_m64":
        return main_gelu_m64()
    if name == "gelu_pd":
        return main_gelu_pd()
    fit, f, tab = {"tanh": (fit_tanh, mp.tanh, "FA_TANH_TAB"),
                   "tanh_shrink": (fit_tanh_shrink, tanh_shrink, "FA_TANH_SHRINK_TAB")}[name]
    rows = ROWS if name == "tanh" else ROWS[1:]
    table = [[0.0] * 32 for _ in rows]
    worst = 0.0
    for j in range(32):
        row = fit(j)
        for r, v in enumerate(row[len(ROWS) - len(rows):]):
            table[r][slot(j)] = v
        lo, hi = bounds(j)
        err = 0.0
        for x in np.linspace(lo, hi, 400, endpoint=False).astype(np.float32)[1:]:
            ref = f(mp.mpf(float(x)))
            ulp = mp.mpf(2) ** (mp.floor(mp.log(ref, 2)) - 23)
            err = max(err, float(abs(mp.mpf(float(f32(float(evaluate(x, row))))) - ref) / ulp))
        worst = max(worst, err)
        print(f"/* [{lo:g}, {hi:g}): {err:.3g} */")
    print(f"/* worst {worst:.3g} */")
    print(f"static const float {tab}[{len(rows)}][32] = {{")
    for rname, vals in zip(rows, table):
        items = [hexf(v) for v in vals]
        lines = [", ".join(items[i:i + 6]) for i in range(0, 32, 6)]
        print(f"    /* {rname} */ {{" + ",\n        ".join(lines) + "},")
    print("};")


NAMES = ("tanh", "tanh_shrink", *ATABS, "gelu_tail", "gelu_q64", "gelu_m64", "gelu_pd")


def cli(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", default="tanh", choices=NAMES,
                    help="the table to fit (default: %(default)s)")
    main(ap.parse_args(argv).name)


if __name__ == "__main__":
    cli()
