"""Accuracy against the extended-precision reference (SPEC: float32 <= 1 ULP, float64 <= 1 ULP).

The full sweep over all 2^32 float32 inputs is benchmarks' job; here a strided subset of every bit
pattern (about a million inputs, every sign and exponent) catches regressions in seconds.
"""
import numpy as np
import pytest

import fastact
from fastact._table import ACTIVATIONS
from fastact._testing import assert_backward_matches, assert_matches_reference, default_params, reference

NAMES = [row.name for row in ACTIVATIONS]
ROWS = {row.name: row for row in ACTIVATIONS}


def all_float32_strided(step=4093, offset=0):
    bits = np.arange(offset, 2**32, step, dtype=np.uint64).astype(np.uint32)
    return bits.view(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_float32_bit_pattern_sweep(name, simd_level):
    row = ROWS[name]
    x = all_float32_strided()
    params = default_params(row)
    assert_matches_reference(getattr(fastact, name)(x, *params), reference(name, x, *params),
                             np.float32, row.float32_ulp)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_float32_dense_around_hard_spots(name):
    # where the polynomial, the reduction boundaries and the saturation points are
    centres = [0.0, 0.34657, 0.5026, 1.0, 9.0109, 17.32868, -16.98, -87.33, -103.97]
    x = np.concatenate([np.float32(c) + np.arange(-20000, 20000, dtype=np.float32) * np.float32(1e-5)
                        for c in centres]).astype(np.float32)
    x = np.concatenate([x, -x])
    assert_matches_reference(getattr(fastact, name)(x), reference(name, x), np.float32, 1.0)


def _float64_spots(rng, n):
    """Wide float64 inputs, dense where earlier kernels were beyond 1 ULP: -0.4..-0.1 (a factor times
    expm1), 0.5..0.62 (tanh_shrink's series end), |x| 1.2..2.7 and 0.2..0.5 (gelu's erfc regions), tiny x
    (squareplus), and every exponent."""
    return np.concatenate([rng.standard_normal(n) * s for s in (1e-8, 1e-5, 0.1, 1, 4, 5, 30, 300)]
                          + [-rng.uniform(0.1, 0.4, n), rng.uniform(0.5, 0.62, n), -rng.uniform(1.2, 2.7, n),
                             rng.uniform(0.2, 0.5, n), np.exp(rng.uniform(-740, 6.6, n)) * rng.choice([-1, 1], n)])


@pytest.mark.parametrize("name, params", [
    ("sigmoid", ()), ("tanh", ()), ("elu", (0.3,)), ("elu", (1e-20,)), ("elu", (-2.5,)), ("selu", ()), ("celu", (0.3,)), ("celu", (-1.5,)),
    ("celu", (1e-10,)), ("squareplus", (4.0,)), ("squareplus", (0.3,)), ("squareplus", (1e-10,)),
    ("squareplus", (1e10,)), ("squareplus", (5e-324,)), ("tanh_shrink", ()), ("gelu", (False,)),
    ("gelu", (True,))])
def test_float64_forward_within_one_ulp(name, params, simd_level):
    # a factor times a double-double expm1 or sigmoid, a square root, x - tanh(x) and x Phi(x), each
    # rounded once: before, alpha times the rounded expm1 (elu 1.37 ULP, selu 1.44, celu 1.57), s = sqrt(x^2
    # + b) rounded (squareplus 2.7), tanh's pair from 0.5 on (tanh_shrink 1.07), F - 0.5625 and x - x Q
    # rounded twice (gelu 1.41)
    # (gelu's float64 reference is mpmath, element by element; sigmoid's and tanh's are cheap)
    n = {"gelu": 2_000, "sigmoid": 200_000, "tanh": 200_000}.get(name, 20_000)
    x = _float64_spots(np.random.default_rng(31), n)
    assert_matches_reference(getattr(fastact, name)(x, *params), reference(name, x, *params), np.float64, 1.0)


@pytest.mark.parametrize("b", [5e-324, 1e-310, 1e-300, 2.033259223984116e-147, 1e-140, 1e-130, 0.3, 4.0, 1e300,
                               1.7e308])
def test_float64_squareplus_where_x_squared_plus_b_leaves_the_range(b, simd_level):
    # x^2 + b beyond DBL_MAX (|x| from 2^500 or b from 2^1000: computed scaled by 2^-600) or both below
    # DBL_MIN (|x| below 2^-500 and b below 2^-1000: scaled by 2^600), and around those switches;
    # the longdouble reference has the range for all of them.  b from 1e-157 to 2^-422 with |x| from
    # 2^500: b 2^-600 is subnormal where b / 4|x| is not (b = 1e-140, x = -1e155: 2.1e12 ULP)
    rng = np.random.default_rng(7)
    mag = np.concatenate([np.exp(rng.uniform(-745, 709, 20000)), 2.0 ** np.arange(-1074, 1024, 0.5),
                          [2.0 ** 500 * (1 - 2 ** -53), 2.0 ** 500, 2.0 ** -500 * (1 - 2 ** -53), 2.0 ** -500]])
    x = np.concatenate([mag, -mag])
    y = fastact.squareplus(x, b)
    assert_matches_reference(y, reference("squareplus", x, b), np.float64, 1.0)


def test_float64_elu_backward_with_a_small_alpha(simd_level):
    # g alpha e^x with alpha = 1e-20: alpha e^x was subnormal where the product is not (x = -666, g =
    # -53: 7.3 ULP); g e^x is taken first for |alpha| < 1
    x = -np.linspace(600.0, 720.0, 20001)
    for g0 in (-53.0, 1e10, 3.7):
        g = np.full(x.shape, g0)
        dx = fastact.elu_backward(g, x, 1e-20)
        assert_backward_matches(ROWS["elu"], dx, reference("elu_backward", g, x, 1e-20), g, x, np.float64)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "softplus", "log_sigmoid"])
def test_float64_backward_where_exp_is_subnormal(name, simd_level):
    # g e^x with e^x subnormal (x below -708) and g e^x normal: a plain exp lost up to 3.1 ULP (celu at
    # x = -711, g = 19, found by hypothesis; softplus' g sigmoid(x) 3e9 ULP at x = -731, g = 1e10); the
    # kernels take e^x as a normal pair times two powers of two, which the product takes last
    # (fa_exp_dd_fix).  (log_sigmoid's is g sigmoid(-x): x > 700.)
    x = np.concatenate([-np.geomspace(700.0, 1500.0, 4001), [-708.4, -745.1, -1063.0, -1063.1, -np.inf]])
    if name == "log_sigmoid":
        x = -x
    for g0 in (19.0, -3.5, 1e10, 1e300, 1.7e308):
        g = np.full(x.shape, g0)
        with np.errstate(all="ignore"):
            dx = getattr(fastact, name + "_backward")(g, x)
            assert_backward_matches(ROWS[name], dx, reference(name + "_backward", g, x), g, x, np.float64)


def test_float64_celu_backward_beyond_exps_range(simd_level):
    # celu with a negative alpha: e^(x / alpha) grows with -x and overflows from x / alpha = 709.78, but g
    # times it need not (g = 1.75e-300 at x = -1.32, alpha = -0.001: 1.01e273, once inf); g = 0 gives 0
    # there (the derivative is finite), where 0 * inf gave NaN
    x = -np.geomspace(0.5, 1.5, 2001)
    alpha = -0.001
    for g0 in (1.75e-300, 1e-250, -3e-280):
        g = np.full(x.shape, g0)
        with np.errstate(all="ignore"):
            dx = fastact.celu_backward(g, x, alpha=alpha)
            assert_backward_matches(ROWS["celu"], dx, reference("celu_backward", g, x, alpha=alpha), g, x,
                                    np.float64)
    assert np.all(fastact.celu_backward(np.zeros(3), np.array([-0.8, -1.0, -5.0]), alpha=alpha) == 0)


def test_float64_celu_forward_keeps_its_sign_beyond_the_range(simd_level):
    # celu is negative for x < 0 whatever alpha's sign; with alpha from -1e38 down, alpha expm1(x / alpha)
    # overflows, and alpha times the expm1 pair's low part could overflow with the low part's sign:
    # +inf for -inf (alpha = -1e38 at x / alpha = 699 at every level, 701 at the portable ones; alpha
    # = -8.99e307 at x = -inf)
    v = np.concatenate([np.linspace(600.0, 1600.0, 4001), [699.0, 701.0, 1e10, 1e300]])
    for alpha in (-1e38, -3e250, -8.988465674311579e307, -1.7976931348623157e308):
        with np.errstate(all="ignore"):
            x = np.concatenate([alpha * v, [-np.inf]])
            x = x[x < 0]
            y = fastact.celu(x, alpha)
            assert_matches_reference(y, reference("celu", x, alpha), np.float64, 1.0)
        assert np.all(y < 0), alpha


def test_float64_celu_backward_where_x_over_alpha_is_held(simd_level):
    # e^(x / alpha) with x / alpha held at +-1500: x / alpha's rounding error (v_lo) belonged to the x
    # that was held and must not reach the exp (the portable kernels kept it while |x / alpha| < 1e300:
    # -inf for +inf at alpha = -2.8e-38, x = -1.96, g = 1; 3.1e-267 for 0 at alpha = 0.87, x = -3.2e99,
    # g = 4.1e301)
    row = ROWS["celu"]
    cases = [(-2.842718574058592e-38, -np.geomspace(1e-40, 1e10, 4001)),
             (-3.4028234663852886e38, -np.geomspace(1e38, 1e200, 4001)),
             (0.8693920841374689, -np.geomspace(1e3, 1e300, 4001)),
             (1e-5, -np.geomspace(1e-3, 1e10, 4001))]
    for alpha, x in cases:
        for g0 in (1.0, -2.5, 1.4e-51, 4.1427970437444116e301):
            g = np.full(x.shape, g0)
            with np.errstate(all="ignore"):
                dx = fastact.celu_backward(g, x, alpha)
                assert_backward_matches(row, dx, reference("celu_backward", g, x, alpha), g, x, np.float64)


@pytest.mark.parametrize("alpha", [1e300, 1e200, 1.7976931348623157e308, 3.5, 4e9, 5e9, 2e-289, 1e-290, 5e-324,
                                   1e-310, -1e250])
def test_float64_elu_backward_with_an_extreme_alpha(alpha, simd_level):
    # g alpha e^x with |g alpha| beyond DBL_MAX and e^x small (alpha = 1e300, x = -800, g = 1e300: inf
    # for 3.7e252), down to where it is 0 only from x = -2165 (alpha = 1e200, x = -1e5, g = 1e200: 3.6e-252
    # from x held at -1500, inf at AVX-512), and a subnormal alpha (the AVX-512 span rounded alpha e^x
    # as a subnormal: 4.44e-16 for 5.11e-16 at alpha = 5e-324, x = -0.55, g = 1.8e308); either side of
    # 2^32 and 2^-960, where the AVX-512 span switches to its wide kernel
    row = ROWS["elu"]
    x = np.concatenate([-np.geomspace(1e-3, 3000.0, 6001), [-0.553677010636943, -800.0, -1e5, -np.inf, -0.0, 2.0]])
    for g0 in (1.0, -3.5, 1e-300, 1e200, 1e300, -1.7976931348623157e308):
        g = np.full(x.shape, g0)
        with np.errstate(all="ignore"):
            dx = fastact.elu_backward(g, x, alpha)
            assert_backward_matches(row, dx, reference("elu_backward", g, x, alpha), g, x, np.float64)


def test_float64_softsign_backward_with_huge_g(simd_level):
    # g / (1 + |x|)^2 for |g| from 1e300 (where the double-double quotient's products would overflow) to
    # float64's largest: g / (d d) there was 2.7 ULP off; now g 2^-64 goes through the same quotient
    x = np.concatenate([np.linspace(-40.0, 40.0, 20001), np.geomspace(1.0, 1e149, 2001)])
    row = ROWS["softsign"]
    for g0 in (1e300, -3e305, 1.7e308):
        g = np.full(x.shape, g0)
        dx = fastact.softsign_backward(g, x)
        assert_backward_matches(row, dx, reference("softsign_backward", g, x), g, x, np.float64)


@pytest.mark.parametrize("name, params", [("elu", {}), ("elu", {"alpha": 0.3}), ("selu", {}), ("celu", {}),
                                          ("celu", {"alpha": 2.5})])
def test_float32_backward_of_the_exp_side_is_rounded_once(name, params, simd_level):
    # g times e^x (e^(x/alpha) for celu) as a hi + lo pair rounded once: 0.55 ULP or less at the AVX-512
    # and portable levels.  The AVX-512 spans take e^x's pair unrenormalised (its low part up to 2^-5 of
    # the high one); celu once dropped that low part times x/alpha's own rounding error: 0.92 ULP at
    # alpha = 2.5.  The AVX2 spans' pair is good to 2^-28 (its low part rounded once, |r| up to ln2/8):
    # 0.62 to 0.73 ULP here, 0.75 at most over every 1021st float with random g and alphas from 1e-3 to 7.3
    x = np.concatenate([-np.linspace(0.0, 105.0, 400_001, dtype=np.float32),
                        -np.geomspace(1e-30, 105.0, 100_001).astype(np.float32)])
    for gv in (1.0, -0.3, 3e-30, 2e30):
        g = np.full(x.shape, gv, np.float32)
        dx = getattr(fastact, name + "_backward")(g, x, **params)
        assert_matches_reference(dx, reference(name + "_backward", g, x, **params), np.float32,
                                 0.8 if simd_level == "avx2" else 0.6)


@pytest.mark.parametrize("name, backward", [("gelu", False), ("gelu", True), ("silu", True)])
def test_float32_dense_over_the_interval_tables(name, backward):
    # gelu and the two derivatives take their common path from tables over |x| (32 intervals to 5.5,
    # 6 and 11.6, centred at the derivatives' roots): every 2^-13 from -12 to 12, both sides of
    # each interval's ends included, and the blocks beyond the tables' ends
    x = np.arange(-12 * 2**13, 12 * 2**13 + 1, dtype=np.float32) * np.float32(2.0**-13)
    x = np.concatenate([x, np.nextafter(x, np.float32(np.inf)), np.nextafter(x, np.float32(-np.inf))])
    if not backward:
        assert_matches_reference(fastact.gelu(x), reference("gelu", x), np.float32, 1.0)
        return
    row = ROWS[name]
    for gv in (1.0, -0.3, 2e-38):
        g = np.full(x.shape, gv, np.float32)
        assert_backward_matches(row, getattr(fastact, name + "_backward")(g, x),
                                reference(name + "_backward", g, x), g, x, np.float32)


@pytest.mark.parametrize("b", [5e-324, 1e-310, 1.5e-308, 1e-300, 1e-140, 4.0, 1e284, 1e300, 1.7976931348623157e308])
def test_float64_squareplus_backward_where_x_squared_plus_b_leaves_the_range(b, simd_level):
    # the derivative took sqrt(x^2 + b) as |x| from |x| = 1e150 on, whatever b (1e15 ULP off for b = 1e300
    # at x = -+1e150), overflowed x^2 + b (b = DBL_MAX: 0 for 0.4999963), and lost a subnormal b's
    # quarter (0 for b = 5e-324 where the derivative is 1/2): computed from x and b scaled now
    rng = np.random.default_rng(8)
    mag = np.concatenate([np.exp(rng.uniform(-745, 709, 4000)), 2.0 ** np.arange(-1074, 1024, 1.0),
                          [1e-170, 1e-160, 1e149, 1e150, 1e154, np.sqrt(b)]])
    x = np.concatenate([mag, -mag, [np.inf, -np.inf]])
    g = np.ones_like(x)
    dx = fastact.squareplus_backward(g, x, b)
    assert_backward_matches(ROWS["squareplus"], dx, reference("squareplus_backward", g, x, b), g, x, np.float64)


def test_float64_mish_forward_down_to_its_last_subnormal(simd_level):
    # x e^x is a subnormal down to x = -751.4 (half the least subnormal beyond): mish gave -0 from -746 on
    # (154 subnormal steps off at -746.02); each result within one subnormal step of the exact one now
    x = -np.linspace(744.0, 753.0, 9001)
    y = fastact.mish(x)
    exact = np.asarray(reference("mish", x), np.longdouble)
    assert np.all(np.abs(y.astype(np.longdouble) - exact) <= 2.0 ** -1074)
    below = y[x < -752.0]
    assert below.size and (below == 0).all() and np.signbit(below).all()


def test_float32_mish_backward_at_its_derivatives_root(simd_level):
    # the derivative crosses 0 at x = -1.19243121...: the double sum there cancels (1.5 ULP at the float
    # nearest the root with g = 1.134033203125 at the baseline level, 1.07 at the others), so within 1/32
    # of the root it comes from its Taylor series
    x0 = np.float32(-1.1924312114715576)
    x = x0 + np.arange(-300, 301, dtype=np.float32) * np.spacing(x0)
    x = np.concatenate([x, np.float32([-1.1924312114715576 - 1 / 32, -1.1924312114715576 + 1 / 32, -1.16, -1.22])])
    g = np.random.default_rng(9).uniform(1, 2, x.size).astype(np.float32)
    for gs in (g, np.roll(g, 1), np.full_like(x, 1.134033203125), np.full_like(x, 1.1171875)):
        dx = fastact.mish_backward(gs, x)
        assert_backward_matches(ROWS["mish"], dx, reference("mish_backward", gs, x), gs, x, np.float32)
