"""softmax, log_softmax, sparsemax and glu: against the longdouble reference over shapes, axes, dtypes,
SIMD levels, special values, layouts, ``out=``, thread counts; their errors."""
import numpy as np
import pytest

import fastact
from fastact._table import AXIS_FUNCTIONS
from fastact._testing import (assert_special_match, axis_backward_scale, layouts, reference, scaled_errors,
                              ulp_errors)

ROWS = {row.name: row for row in AXIS_FUNCTIONS}
NAMES = [row.name for row in AXIS_FUNCTIONS]
ROW_WISE = ["softmax", "log_softmax", "sparsemax"]
# (shape, axis): rows shorter and longer than a lane group (32) and than a scratch block (2048), axes
# in every position, tuples of axes
CASES = [((7,), -1), ((5, 13), -1), ((5, 13), 0), ((3, 4, 18), 1), ((2, 3, 4, 6), (1, 3)),
         ((6, 1000), -1), ((3, 5000), -1), ((2, 3, 5), (0, 2)), ((40, 1), -1), ((4, 64), -1), ((48, 10), -1),
         ((33, 63), -1)]


def _fwd_args(name, shape, axis):
    if name == "glu":   # glu splits one axis, which must be even
        axis = axis if isinstance(axis, int) else axis[0]
        shape = shape[:axis % len(shape)] + (2 * shape[axis],) + shape[axis % len(shape) + 1:]
    return shape, axis


def _check_forward(name, x, y, axis, dtype):
    exact = reference(name, x, axis)
    assert y.dtype == dtype and y.shape == exact.shape
    assert_special_match(y, exact)
    ulps, sub = ulp_errors(y, exact, dtype)
    worst = float(ulps.max()) if ulps.size else 0.0
    assert worst <= ROWS[name].float32_ulp if dtype == np.float32 else worst <= ROWS[name].float64_ulp, \
        f"{name}: {worst:.3f} ULP"
    if sub.size:
        assert float(sub.max()) < np.finfo(dtype).tiny


def _check_backward(name, g, saved, dx, axis, dtype):
    exact = reference(name + "_backward", g, saved, axis)
    assert dx.dtype == dtype and dx.shape == exact.shape
    assert_special_match(dx, exact)
    err = scaled_errors(dx, exact, axis_backward_scale(name, g, saved, axis), dtype)
    bound = ROWS[name].backward_ulp[dtype == np.float64]
    assert (float(err.max()) if err.size else 0.0) <= bound, f"{name} backward: {err.max():.3f} ULP"


@pytest.mark.parametrize("shape, axis", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_matches_reference(name, shape, axis, dtype, simd_level):
    if name == "glu" and not isinstance(axis, int):
        axis = axis[0]
    shape, axis = _fwd_args(name, shape, axis)
    rng = np.random.default_rng(hash((name, shape)) % 2**32)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    y = getattr(fastact, name)(x, axis)
    _check_forward(name, x, y, axis, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    saved = x if ROWS[name].saved == "x" else y
    _check_backward(name, g, saved, getattr(fastact, name + "_backward")(g, saved, axis), axis, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_sharp_rows(name, dtype, simd_level):
    # logits of scale 10 and 100: most terms tiny, results down to and below FLT_MIN (where the AVX-512
    # softmax once lost a low part to a subnormal: 1.35 ULP) - the sample benchmarks/accuracy.py takes
    rng = np.random.default_rng(21)
    for L in (3, 17, 1000):
        for scale in (10.0, 100.0):
            shape, axis = _fwd_args(name, (max(1, 20000 // L), L), -1)
            x = (rng.standard_normal(shape) * scale).astype(dtype)
            _check_forward(name, x, getattr(fastact, name)(x, axis), axis, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ROW_WISE)
def test_special_values(name, dtype):
    big = np.finfo(dtype).max / 4
    rows = [[np.nan, 1.0, 2.0, 0.0],            # NaN anywhere: the row is NaN
            [np.inf, 1.0, 2.0, 0.0],            # +inf: NaN (inf - inf)
            [-np.inf, 1.0, 2.0, -np.inf],       # -inf: a zero weight, log -inf
            [-np.inf] * 4,                      # nothing but -inf: NaN
            [3.0, 3.0, 3.0, 3.0],               # ties
            [big, big, -big, 0.0],              # huge values, no overflow
            [1.0, 1.0 + 1e-6, 1.0 - 1e-6, 1.0],  # nearly equal
            [0.0, -200.0, -800.0, -1e4],        # terms that underflow
            [5e-39, -5e-39, 0.0, 1e-45]]        # subnormal inputs
    x = np.array(rows, dtype=dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        y = getattr(fastact, name)(x)
    _check_forward(name, x, y, -1, dtype)
    ok = ~np.isnan(y).any(axis=1)
    if name != "log_softmax":
        np.testing.assert_allclose(y[ok].sum(axis=1), 1.0, rtol=4 * np.finfo(dtype).eps)
        assert (y[ok] >= 0).all()


def test_softmax_backward_float32_is_rounded_once(simd_level):
    # float32 y (g - sum g y) is rounded once, within 2^-48 of its terms, also where y is subnormal:
    # rows of scale 100 give y down to 1e-45, where the AVX-512 float form once rounded y (d_lo - S_lo)
    # to a subnormal ULP first (0.97 ULP)
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((300, 1000)) * 100).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    y = fastact.softmax(x)
    assert (y[y > 0] < np.finfo(np.float32).tiny).any()
    dx = fastact.softmax_backward(g, y)
    exact = reference("softmax_backward", g, y)
    err = scaled_errors(dx, exact, axis_backward_scale("softmax", g, y), np.float32)
    assert float(err.max()) <= 0.5 + 1e-6, f"{float(err.max()):.4f} ULP"


@pytest.mark.parametrize("xs", [30.0, 300.0])
def test_log_softmax_backward_of_confident_rows(xs, simd_level):
    # log-probabilities far below -87 (a confident row) with the gradient of a loss on one class per row
    # (g 0 elsewhere), a dense g, and a g of 0 beside tiny ones: the AVX-512 span settles most such lanes
    # in the vector (g where e^y sum(g) is below a quarter ULP of g, -e^y sum(g) rounded once where g is
    # 0); each took the lane-by-lane formula, 30x the time of an ordinary row
    rng = np.random.default_rng(int(xs))
    x = (rng.standard_normal((64, 1000)) * xs).astype(np.float32)
    y = fastact.log_softmax(x)
    assert (y < -87).mean() > 0.5
    onehot = np.zeros_like(y)
    onehot[np.arange(64), rng.integers(0, 1000, 64)] = -1 / 64
    tiny = np.where(rng.random(y.shape) < 0.5, 0.0, rng.standard_normal(y.shape) * 1e-38).astype(np.float32)
    tiny_f = np.finfo(np.float32).tiny
    for g in (onehot, rng.standard_normal(y.shape).astype(np.float32), tiny, onehot * 1e20, onehot * 1e-36):
        dx = fastact.log_softmax_backward(g, y)
        exact = np.asarray(reference("log_softmax_backward", g, y))
        assert_special_match(dx, exact)
        # in ULP of the larger term where that is a normal float (the promise, 1: results just above
        # FLT_MIN, whose P's low part is subnormal, reach 0.85 here, as before the change); below, an
        # absolute error under FLT_MIN
        scale = axis_backward_scale("log_softmax", g, y)
        normal = np.maximum(np.abs(exact), scale) >= tiny_f
        err = scaled_errors(dx[normal], exact[normal], scale[normal], np.float32)
        assert float(err.max()) <= 1.0, f"{float(err.max()):.4f} ULP"
        assert float(np.abs(dx[~normal].astype(np.longdouble) - exact[~normal]).max(initial=0)) < tiny_f


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_log_softmax_backward_float32_is_rounded_once(scale, simd_level):
    # g - e^y sum(g), with e^y sum(g) as hi + lo (~2^-29) and the difference by TwoSum: 0.54 ULP or less
    # of the larger term over rows of every sharpness, also where the terms nearly cancel
    rng = np.random.default_rng(11)
    for xs in (0.1, 4.0, 30.0):
        x = (rng.standard_normal((200, 1000)) * xs).astype(np.float32)
        y = fastact.log_softmax(x)
        g = (rng.standard_normal(x.shape) * scale).astype(np.float32)
        for gv in (g, (g - np.exp(y.astype(np.float64)) * g.sum(-1, keepdims=True)).astype(np.float32)):
            dx = fastact.log_softmax_backward(gv, y)
            exact = reference("log_softmax_backward", gv, y)
            err = scaled_errors(dx, exact, axis_backward_scale("log_softmax", gv, y), np.float32)
            assert float(err.max()) <= 0.6, f"{float(err.max()):.4f} ULP"


def test_glu_backward_float32_subnormal_results_are_rounded_once(simd_level):
    # b of scale 100 makes g sigmoid(b) and g a sigmoid(b) sigmoid(-b) subnormal: rounded once from their
    # exact value (the AVX-512 span once scaled a rounded normal into the subnormal range: 0.76 ULP)
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((3000, 6)) * 100).astype(np.float32)
    g = rng.standard_normal((3000, 3)).astype(np.float32)
    dx = fastact.glu_backward(g, x)
    exact = reference("glu_backward", g, x)
    assert (np.abs(dx[dx != 0]) < np.finfo(np.float32).tiny).any()
    err = scaled_errors(dx, exact, axis_backward_scale("glu", g, x), np.float32)
    assert float(err.max()) <= 0.6, f"{float(err.max()):.4f} ULP"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_backward_keeps_the_sign_of_zero(dtype, simd_level):
    # da = g sigmoid(b) has g's sign and db = g a sigmoid(b) sigmoid(-b) that of g a, zeros included
    # (the AVX-512 span's residual steps once turned -0 into +0)
    v = np.array([0.0, -0.0, 1.0, -1.0, 1e-30, -3.0, 50.0, -50.0], dtype)
    a, b, g = np.meshgrid(v, v, v)
    x = np.stack([a.ravel(), b.ravel()], axis=1)
    grad = g.ravel()[:, None].copy()
    dx = fastact.glu_backward(grad, x)
    exact = np.asarray(reference("glu_backward", grad, x)).astype(dtype)
    zero = (dx == 0) & (exact == 0)
    assert zero.sum() > 100
    np.testing.assert_array_equal(np.signbit(dx[zero]), np.signbit(exact[zero]))


@pytest.mark.parametrize("L", [2, 8, 18, 64, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_backward_with_a_non_finite_g_in_the_row(name, dtype, L, simd_level):
    # a row whose g holds +-inf or NaN: the formulas as they stand, as the reference (softmax' y (g - S)
    # is -+inf where g is finite and NaN where it is not; log_softmax' and sparsemax' likewise).  The
    # rows' TwoSum of g - S once made every element of such a row NaN (float64 everywhere, float32
    # softmax' at the AVX-512 level, sparsemax' at every level)
    rng = np.random.default_rng(L)
    shape = (12, L)
    x = (rng.standard_normal((12, 2 * L) if name == "glu" else shape) * 4).astype(dtype)
    saved = x if name == "glu" else getattr(fastact, name)(x)
    for bad in (np.inf, -np.inf, np.nan):
        g = rng.standard_normal(shape).astype(dtype)
        g[::3, ::5] = bad
        g[1::3, -1] = bad
        with np.errstate(invalid="ignore", over="ignore"):
            dx = getattr(fastact, name + "_backward")(g, saved)
            exact = np.asarray(reference(name + "_backward", g, saved))
        assert_special_match(dx, exact)
        finite = np.isfinite(exact) & (np.abs(exact) < np.finfo(dtype).max)
        assert np.isfinite(dx[finite]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_special_values(dtype, simd_level):
    # every pair of extreme values as (a, b): infinities, huge a with negative b (a e^b must not
    # overflow on the way), subnormals, signed zeros; sigmoid(b) > 0 for every finite b, so an infinite a
    # gives a there and NaN only at b = -inf
    f = np.finfo(dtype)
    v = np.array([-np.inf, -1e30, -200, -120, -119, -1, -0.0, 0.0, 1, 1e30, np.inf, np.nan, f.tiny / 100,
                  -f.tiny / 100, f.max, -f.max, 88.7, -88.7], dtype)
    a, b = np.meshgrid(v, v)
    x = np.stack([a.ravel(), b.ravel()], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        _check_forward("glu", x, fastact.glu(x), -1, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_backward_special_values(dtype, simd_level):
    # every triple of extreme values as (a, b, g): infinities and NaN, |b| about the spans' limits (32,
    # 64, 120), a and g about 2^60, 2^64 and 2^-100 (where the float32 spans take lanes one by one) and
    # subnormal; each block of the triples mixes ordinary lanes with odd ones.  For float32, |b| = 800
    # and 20000 too, where double's (and then longdouble's) sigmoid(-|b|) underflows: an infinite g or a
    # still gives +-inf there, as for every finite b (float64: test_glu_backward_infinite_factor)
    f = np.finfo(dtype)
    v = [-np.inf, -1e30, -200, -120, -65, -64, -33, -1, -0.0, 0.0, 0.7, 32.5, 64.5, 121, 1e30, np.inf, np.nan,
         2.0**-101, -2.0**-99, f.tiny / 100, 2.0**60, -2.0**63, 2.0**64, -2.0**65, f.max]
    v = np.array(v + ([-800, 800, -20000] if dtype == np.float32 else []), dtype)
    a, b, g = np.meshgrid(v, v, v)
    x = np.stack([a.ravel(), b.ravel()], axis=1)
    grad = g.ravel()[:, None].copy()
    with np.errstate(over="ignore", invalid="ignore"):
        _check_backward("glu", grad, x, fastact.glu_backward(grad, x), -1, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_backward_infinite_factor(dtype, simd_level):
    # sigmoid(b) and sigmoid(-b) are > 0 for every finite b, also beyond where double's (|b| > 745) and
    # longdouble's (11355) underflow, as in glu's forward: an infinite g gives g in da for b > -inf, and
    # an infinite g or a gives g a in db for a finite b (NaN with a zero other factor), not inf * 0
    b = np.array([-np.inf, -1e30, -20000, -800, -750, -1, 0, 1, 750, 800, 20000, 1e30, np.inf, np.nan], dtype)
    for a_value, g_value in [(np.inf, 1), (-np.inf, -2), (3, np.inf), (-3, -np.inf), (np.inf, np.inf),
                             (0, np.inf), (np.inf, 0), (2.0**-140, -np.inf)]:
        x = np.stack([np.full_like(b, a_value), b], axis=1)
        g = np.full((b.size, 1), g_value, dtype)
        dx = fastact.glu_backward(g, x)
        with np.errstate(invalid="ignore", over="ignore"):
            ga = np.float64(g_value) * np.float64(a_value)
        finite_b, above = np.isfinite(b), b > -np.inf
        expect_da = np.where(above, g_value, np.nan) if np.isinf(g_value) else None
        expect_db = np.where(finite_b, ga, np.nan)
        assert_special_match(dx[:, 1], expect_db.astype(dtype))
        if expect_da is not None:
            assert_special_match(dx[:, 0], expect_da.astype(dtype))
        exact = np.asarray(reference("glu_backward", g, x))
        assert_special_match(dx, exact)


def test_glu_backward_far_tail_with_an_infinite_a(simd_level):
    # da = g sigmoid(b) does not depend on a: float64 from b = -700 down gave 0 for an infinite or NaN a
    # (1.9e-26 for a finite one at b = -750, g = 1e300); db is g a there, as nearer 0
    b = np.array([-750.0, -720.0, -740.0, 710.0])
    for a in (np.inf, -np.inf, np.nan, 5.0):
        x = np.stack([np.full_like(b, a), b], axis=1)
        g = np.full((b.size, 1), 1e300)
        dx = fastact.glu_backward(g, x)
        np.testing.assert_array_equal(dx[:, 0], fastact.glu_backward(g, np.stack([np.full_like(b, 5.0), b], 1))[:, 0])
        assert dx[0, 0] == pytest.approx(1e300 / (1.0 + np.exp(750.0)), rel=1e-15)
        if not np.isfinite(a):
            np.testing.assert_array_equal(dx[:, 1], np.full(b.size, 1e300 * a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_where_sigmoid_is_below_double_range(dtype, simd_level):
    # from |b| = 708 on e^-|b| is subnormal in double (0 from 745), but a e^b and g a e^-|b| need not be
    # (a = 1e300, b = -750: 1.9e-26): a, g spread over the exponent range, |b| from 690 to 2500, mixed in
    # blocks with ordinary lanes
    rng = np.random.default_rng(708)
    f = np.finfo(dtype)
    n = 4096
    top = np.log10(f.max) - 1
    a = rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-top, top, n)
    b = rng.choice([-1, 1], n) * np.where(rng.random(n) < 0.8, rng.uniform(690, 780, n), rng.uniform(780, 2500, n))
    b[::7] = rng.standard_normal(b[::7].size)
    g = rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-top, top, n)
    x = np.stack([a, b], axis=1).astype(dtype)
    grad = g[:, None].astype(dtype)
    with np.errstate(over="ignore", under="ignore"):
        _check_forward("glu", x, fastact.glu(x), -1, dtype)
        _check_backward("glu", grad, x, fastact.glu_backward(grad, x), -1, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_with_a_of_every_size(dtype, simd_level):
    # a e^b for b from -200 to -100 is still a normal float when a is large (3e38 e^-130 = 1e-18): the
    # float32 AVX-512 span once returned a * 0 for every b below -120.  For a near FLT_MIN it once
    # rounded a sigmoid(b) 1.46 ULP off (a residual of its quotient fell below FLT_MIN).
    b = np.concatenate([np.linspace(-200, -100, 2001), np.linspace(-20, 20, 4001)]).astype(dtype)
    for a_value in (3e38, -3e38, 1e30, 1e20, 1.0, 2.0**-100, 1.5 * 2.0**-126, -2.0**-126, 3e-39):
        x = np.stack([np.full(b.shape, a_value, dtype), b], axis=1)
        _check_forward("glu", x, fastact.glu(x), -1, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(20001, 2), (1003, 4), (517, 8), (333, 16), (2500, 10), (3, 4097, 6),
                                   (129, 32), (701, 62), (65, 96), (33, 256), (9, 1000)])
def test_glu_along_a_short_axis_in_many_work_items(shape, dtype, simd_level):
    # halves shorter than 64 or made of whole blocks (16 floats, 8 doubles) run CHUNK elements' worth of
    # groups per call (AVX-512: halves of 1, 2, 4 and 8 (float32) or 1, 2 and 4 (float64) de-interleaved
    # from x by permutes, a block of outputs at a time, the last block partial; others block by block,
    # the last of each group masked unless it is whole); longer ones a span call per group: each
    # matches the reference both ways, the specials included, and gives the same bits on one thread as
    # on two
    rng = np.random.default_rng(23)
    x = (4 * rng.standard_normal(shape)).astype(dtype)
    x.flat[::97] = np.inf
    x.flat[5::101] = -150.0
    x.flat[7::103] = np.nan
    g = rng.standard_normal(shape[:-1] + (shape[-1] // 2,)).astype(dtype)
    g.flat[3::89] = 1e30
    with np.errstate(over="ignore", invalid="ignore"):
        y = fastact.glu(x, n_threads=2)
        _check_forward("glu", x, y, -1, dtype)
        dx = fastact.glu_backward(g, x, n_threads=2)
        _check_backward("glu", g, x, dx, -1, dtype)
        assert np.array_equal(y.view(np.uint8), fastact.glu(x, n_threads=1).view(np.uint8))
        assert np.array_equal(dx.view(np.uint8), fastact.glu_backward(g, x, n_threads=1).view(np.uint8))


@pytest.mark.parametrize("L", [2, 3, 17, 40, 1000])
def test_float64_rows_spread_beyond_the_range(L, simd_level):
    # x - max overflowing to -inf (a finite x more than DBL_MAX below the maximum): its term is 0, as
    # x = -inf's; its TwoSum low part was NaN and made the whole row NaN (softmax([1e308, -1e308]))
    x = np.resize(np.array([1e308, -1e308, 1.7e308, -1.7e308, 0.0]), (3, L))
    for name in ("softmax", "log_softmax"):
        exact = np.asarray(reference(name, x))
        for axis, xs in ((-1, x), (0, np.ascontiguousarray(x.T))):
            y = getattr(fastact, name)(xs, axis=axis)
            y = y if axis == -1 else y.T
            assert_special_match(y, exact)
            fin = np.isfinite(exact)
            np.testing.assert_allclose(y[fin], exact[fin].astype(np.float64), rtol=4e-16)


@pytest.mark.parametrize("L", [15, 16, 17, 64, 65, 100])
def test_softmax_backward_float32_where_g_minus_s_overflows(L, simd_level):
    # g - S beyond float's range where y (g - S) is finite: the double formula (AVX-512's TwoSum gave NaN
    # for rows of 16 and more, and along a column)
    y = np.full((2, L), 1.0 / L, np.float32)
    g = np.full((2, L), 2e38, np.float32)
    g[:, 0] = -3e38
    exact = np.asarray(reference("softmax_backward", g, y))
    for dx in (fastact.softmax_backward(g, y),
               fastact.softmax_backward(np.ascontiguousarray(g.T), np.ascontiguousarray(y.T), axis=0).T):
        assert np.isfinite(dx).all()
        np.testing.assert_allclose(dx, exact.astype(np.float32), rtol=2e-7)


@pytest.mark.parametrize("L", [3, 40, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_log_softmax_backward_of_a_saved_y_that_is_no_log_probability(dtype, L, simd_level):
    # y NaN (log_softmax of a row holding inf or NaN), +inf, or finite above 0: g - e^y S as it stands,
    # as the reference, for S > 0, S = 0 and S = -0 (g all zero), along either axis.  Every path held y
    # at 20: NaN gave -1.46e9 at the AVX-512 level and in the portable path (finite, where the forward's
    # NaN should carry through), and +inf the same
    finite_max = {np.float16: 60.0, np.float32: 60.0, np.float64: 800.0}[dtype]
    for row in ([np.nan, 0, 0], [np.nan] * 3, [1, np.inf, 2], [np.inf, -1, -1], [25.0, -1, -3],
                [finite_max, -np.inf, -1]):
        y = np.resize(np.array(row, dtype), (3, L))
        g = np.ones_like(y)
        g[1] = 0.0
        g[2] = -0.0
        with np.errstate(invalid="ignore", over="ignore"):
            exact = np.asarray(reference("log_softmax_backward", g, y))
            dx = fastact.log_softmax_backward(g, y)
            dx0 = fastact.log_softmax_backward(np.ascontiguousarray(g.T), np.ascontiguousarray(y.T), axis=0).T
        assert_special_match(dx, exact)
        assert np.array_equal(dx, dx0, equal_nan=True)
        fin = np.isfinite(exact) & np.isfinite(dx)
        np.testing.assert_allclose(dx[fin], exact[fin].astype(dtype), rtol=4e-3 if dtype == np.float16 else 1e-6)
    if dtype == np.float64:
        # e^y finite but e^y S beyond DBL_MAX: -inf, not TwoSum's inf - inf
        y = np.full((2, L), -50.0)
        y[:, 0] = 700.0
        g = np.zeros((2, L))
        g[:, -1] = 1e5
        dx = fastact.log_softmax_backward(g, y)
        assert (dx[:, 0] == -np.inf).all()
        assert_special_match(dx, np.asarray(reference("log_softmax_backward", g, y)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ROW_WISE)
def test_special_values_anywhere_in_long_rows(name, dtype, simd_level):
    # the max pass runs unrolled blocks then a masked tail: a NaN or +inf must be seen in either
    rng = np.random.default_rng(17)
    L = 103
    rows = []
    for j in (0, 15, 16, 31, 32, 63, 95, 96, 102):
        for v in (np.nan, np.inf, -np.inf):
            r = rng.standard_normal(L)
            r[j] = v
            rows.append(r)
    rows.append(np.full(L, -np.inf))
    x = np.array(rows, dtype)
    with np.errstate(invalid="ignore"):
        _check_forward(name, x, getattr(fastact, name)(x), -1, dtype)


def test_long_rows_keep_accuracy(simd_level):
    # a long row of equal values but one: its sum is ~1e6 terms; the small term, or the large one, keeps
    # relative accuracy (at the AVX2 level the float sum of the exps' low parts, up to 9% of each term,
    # grew with the row: softmax 50 ULP off at 1e5 elements, 82 at 1e6, log_softmax 8.2)
    for at, value in ((17, -30.0), (0, 3.0)):
        x = np.zeros(1_000_003, np.float32)
        x[at] = value
        for name in ("softmax", "log_softmax"):
            _check_forward(name, x, getattr(fastact, name)(x), -1, np.float32)
            _check_forward(name, x[:100_000], getattr(fastact, name)(x[:100_000]), -1, np.float32)
    # log_softmax of a dominant value: -log1p(tiny) keeps its digits (log of the full sum would give 0)
    y = fastact.log_softmax(np.array([0.0, -60.0, -70.0]))
    np.testing.assert_allclose(y[0], -(np.exp(-60.0) + np.exp(-70.0)), rtol=1e-15)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_float64_backward_sum_that_cancels_to_its_low_part(name, simd_level):
    # the row's sum of g (g y) as a double-double whose high part cancelled to 0 with a low part left
    # (1 + 1e17 - 1e17): log_softmax took it for a zero sum (dx = g, wrong, and depending on the order)
    g = np.array([1.0, 1e17, -1e17, 0.0])
    y = np.log(np.full(4, 0.25)) if name == "log_softmax" else np.full(4, 0.25)
    expected = g - 0.25 * 1.0 if name == "log_softmax" else 0.25 * (g - 0.25)
    for order in ([0, 1, 2, 3], [1, 2, 0, 3], [3, 1, 2, 0]):
        dx = getattr(fastact, name + "_backward")(g[order], y[order])
        np.testing.assert_allclose(dx, expected[order], rtol=1e-15)


def test_sparsemax_is_the_simplex_projection():
    rng = np.random.default_rng(8)
    for scale in (0.01, 1.0, 100.0):
        x = rng.standard_normal((200, 37)) * scale
        y = fastact.sparsemax(x)
        np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-14)
        # one threshold per row: y = x - tau on the support, x <= tau off it
        tau = np.where(y > 0, x - y, np.nan)
        lo, hi = np.nanmin(tau, axis=1), np.nanmax(tau, axis=1)
        np.testing.assert_allclose(lo, hi, atol=1e-12 * scale)
        assert (np.where(y > 0, -np.inf, x) <= hi[:, None] + 1e-12 * scale).all()
    # many Michelot passes: values spaced so that each pass drops few of them
    x = -np.cumsum(np.geomspace(1e-6, 0.5, 300))
    _check_forward("sparsemax", x, fastact.sparsemax(x), -1, np.float64)


def test_sparsemax_differs_from_keras_where_keras_is_wrong():
    # keras.activations.sparsemax (3.15) divides the sum of all partial sums in the support by k: for
    # [1, 1.2, 0] it gives [0, 0, 0], which does not sum to 1; the paper's answer is [0.4, 0.6, 0]
    np.testing.assert_allclose(fastact.sparsemax([1.0, 1.2, 0.0]), [0.4, 0.6, 0.0], rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_layouts_threads_and_out(name):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((40, 64, 6)) * 3).astype(np.float32)
    axis = 1
    ref = getattr(fastact, name)(x, axis, n_threads=1)
    for nt in (2, 3, 5):
        np.testing.assert_array_equal(getattr(fastact, name)(x, axis, n_threads=nt), ref)
    for label, arr in layouts(x):
        np.testing.assert_array_equal(getattr(fastact, name)(arr, axis), ref, err_msg=label)
    out = np.empty(ref.shape, np.float32, order="F")
    assert getattr(fastact, name)(x, axis, out=out) is out
    np.testing.assert_array_equal(out, ref)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    saved = x if ROWS[name].saved == "x" else ref
    dx = getattr(fastact, name + "_backward")(g, saved, axis, n_threads=1)
    for nt in (2, 3):
        np.testing.assert_array_equal(getattr(fastact, name + "_backward")(g, saved, axis, n_threads=nt), dx)
    for label, arr in layouts(g):
        np.testing.assert_array_equal(getattr(fastact, name + "_backward")(arr, saved, axis), dx, err_msg=label)


@pytest.mark.parametrize("name", ROW_WISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_last_axis_of_any_layout_gives_the_contiguous_results(name, dtype, simd_level):
    # the last axis as -1 or by its number, x (and grad and y) in every layout: strided views go to the
    # plain C path through a contiguous copy, the rest through the general path; the same bits either way
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((3, 37, 24)) * 3).astype(dtype)
    f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
    ref = f(x)
    g = rng.standard_normal(x.shape).astype(dtype)
    dx = b(g, ref)
    for axis in (-1, 2):
        for label, arr in layouts(x):
            np.testing.assert_array_equal(f(arr, axis), ref, err_msg=f"{label} {axis}")
        for label, arr in layouts(g):
            np.testing.assert_array_equal(b(arr, ref, axis), dx, err_msg=f"grad {label} {axis}")
        for label, arr in layouts(ref):
            np.testing.assert_array_equal(b(g, arr, axis), dx, err_msg=f"y {label} {axis}")
    for label, arr in layouts(x[0]):                  # 2-D views, rows of 24
        np.testing.assert_array_equal(f(arr), ref[0], err_msg=label)


def _placed(v, start):
    """v (1-D) copied into a new array starting `start` floats past the allocation's start, as one row"""
    held = np.empty(v.size + 32, v.dtype)[start:start + v.size]
    held[:] = v
    return held[None, :]


@pytest.mark.parametrize("name", NAMES)
def test_rows_do_not_depend_on_where_they_sit(name, simd_level):
    # float32 rows at every offset from a 64-byte boundary, out and grad at others: the AVX-512 spans
    # start their 16-lane blocks at a boundary, after a head, and a value's result must not change
    rng = np.random.default_rng(11)
    f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
    for L in (2, 4, 16, 18, 34, 1000, 4090, 4100):
        row = (rng.standard_normal(L) * 10).astype(np.float32)
        y = f(_placed(row, 0))
        saved = row if ROWS[name].saved == "x" else y[0]
        g = rng.standard_normal(y.size).astype(np.float32)
        dx = b(_placed(g, 0), _placed(saved, 0))
        for start in range(1, 17):
            x = _placed(row, start)
            np.testing.assert_array_equal(f(x), y, err_msg=f"L {L}, start {start}")
            out = _placed(np.zeros(y.size, np.float32), (start * 7) % 17)
            np.testing.assert_array_equal(f(x, out=out), y, err_msg=f"out, L {L}, start {start}")
            np.testing.assert_array_equal(b(_placed(g, (start * 5) % 17), _placed(saved, start)), dx,
                                          err_msg=f"backward, L {L}, start {start}")


@pytest.mark.parametrize("name", ROW_WISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_inner_axis_gives_the_rows_results(name, dtype, simd_level, monkeypatch):
    # An axis other than the last runs in blocks of columns copied into rows (axis_cols): every value
    # must be the one the last-axis rows give, for column counts around the block size, any thread
    # count, in place, and through the transposing path that long axes take instead
    rng = np.random.default_rng(7)
    f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
    for shape, axis in [((37, 5), 0), ((3, 50, 17), 1), ((2, 40, 1), 1), ((1000, 3), 0), ((2, 300, 33), 1),
                        ((4, 24, 2, 8), 1), ((30, 7, 16), 0)]:
        x = (rng.standard_normal(shape) * 6).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        def rows(fn, *arrays):
            moved = [np.ascontiguousarray(np.moveaxis(a, axis, -1)) for a in arrays]
            return np.moveaxis(fn(*moved, axis=-1), -1, axis)
        y = rows(f, x)
        dx = rows(b, g, y)
        for nt in (1, 2, 3):
            np.testing.assert_array_equal(f(x, axis=axis, n_threads=nt), y, err_msg=f"{shape} {nt}")
            np.testing.assert_array_equal(b(g, y, axis=axis, n_threads=nt), dx, err_msg=f"{shape} {nt}")
        inplace = x.copy()
        assert f(inplace, axis=axis, out=inplace) is inplace
        np.testing.assert_array_equal(inplace, y)
        assert shape[axis] >= fastact._axis.COL_MIN_LENGTH
        monkeypatch.setattr(fastact._axis, "COL_SCRATCH_MAX", 0)        # the transposing path
        np.testing.assert_array_equal(f(x, axis=axis), y)
        np.testing.assert_array_equal(b(g, y, axis=axis), dx)
        monkeypatch.undo()


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_short_rows_sixteen_at_a_time_give_the_rows_results(name, simd_level):
    # float32 softmax rows shorter than 64, and log_softmax rows shorter than 128, go sixteen at a time
    # at the AVX-512 level, one per lane (fa_rows16_f32), and rows up to 64 eight at a time at the AVX2
    # level (fa2_rows8_f32; a group with a special row row by row): each value must be the one the row
    # alone gives, special rows and ties included
    f = getattr(fastact, name)
    rng = np.random.default_rng(9)
    for L in list(range(1, 20)) + [31, 32, 33, 47, 63, 64, 100, 127, 128]:
        for rows in (16, 17, 40):
            x = (rng.standard_normal((rows, L)) * rng.choice([0.1, 3, 30, 300])).astype(np.float32)
            if L > 2:
                x[1, 1], x[3, :], x[5, 0], x[7, 2], x[9, :] = np.nan, -np.inf, np.inf, -np.inf, x[9, 0]
                x[11, :2] = x[11].max() + 1
            alone = np.stack([f(row[None, :])[0] for row in x])
            for nt in (1, 2, 3):
                np.testing.assert_array_equal(f(x, n_threads=nt), alone, err_msg=f"L {L}, rows {rows}")
            y = x.copy()
            f(y, out=y)
            np.testing.assert_array_equal(y, alone)


@pytest.mark.parametrize("name", ROW_WISE)
def test_in_place(name, simd_level):
    # float32 too: at the AVX-512 level softmax stages its terms in y while it still reads x, and
    # rows over 4080 keep the low parts of their terms in a heap scratch
    for shape, dtype in [((30, 50), np.float32), ((3, 5000), np.float32), ((30, 50), np.float64)]:
        x = (np.random.default_rng(3).standard_normal(shape) * 5).astype(dtype)
        expected = getattr(fastact, name)(x)
        y = x.copy()
        assert getattr(fastact, name)(y, out=y) is y
        np.testing.assert_array_equal(y, expected)
    x = np.random.default_rng(4).standard_normal((30, 50))
    expected = getattr(fastact, name)(x)
    g = np.random.default_rng(5).standard_normal(x.shape)
    dx = getattr(fastact, name + "_backward")(g, expected)
    for target in ("grad", "y"):
        gg, yy = g.copy(), expected.copy()
        out = gg if target == "grad" else yy
        getattr(fastact, name + "_backward")(gg, yy, out=out)
        np.testing.assert_array_equal(out, dx)
    # out overlapping x without being x: computed from a copy
    buf = np.random.default_rng(6).standard_normal(30 * 50 + 7)
    xs = buf[:1500].reshape(30, 50)
    expected = getattr(fastact, name)(xs.copy())
    out = buf[7:].reshape(30, 50)
    getattr(fastact, name)(xs, out=out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", NAMES)
def test_dtypes_and_empty(name):
    x = np.array([[0.5, -1.0, 2.0, 0.25]])
    y64 = getattr(fastact, name)(x)
    assert getattr(fastact, name)(x.astype(np.float16)).dtype == np.float16
    np.testing.assert_allclose(getattr(fastact, name)(x.astype(np.float16)), y64, rtol=2e-3, atol=1e-3)
    assert getattr(fastact, name)(np.array([[1, 2, 3, 4]])).dtype == np.float64
    assert getattr(fastact, name)([[0.5, -1.0, 2.0, 0.25]]).dtype == np.float64
    for shape in [(0, 4), (3, 0), (0,)]:
        e = getattr(fastact, name)(np.empty(shape, np.float32))
        assert e.dtype == np.float32 and e.size == 0
    with pytest.raises(TypeError, match="x has dtype complex128"):
        getattr(fastact, name)(np.ones((2, 4), complex))


def test_errors():
    x = np.ones((3, 4))
    for name in ROW_WISE:
        f = getattr(fastact, name)
        with pytest.raises(TypeError, match=f"axis of {name} must be an integer or a tuple of integers, got 1.0"):
            f(x, 1.0)
        with pytest.raises(ValueError, match=f"axis 2 is out of bounds for x with 2 dimension\\(s\\) in {name}"):
            f(x, 2)
        with pytest.raises(ValueError, match=f"axis of {name} repeats an axis: \\(1, -1\\)"):
            f(x, (1, -1))
        with pytest.raises(ValueError, match=f"axis of {name} must name at least one axis"):
            f(x, ())
        with pytest.raises(ValueError, match=f"at least one dimension for {name}, got a 0-d array"):
            f(np.float64(1.0))
        with pytest.raises(ValueError, match="grad and y must have the same shape"):
            getattr(fastact, name + "_backward")(np.ones((3, 4)), np.ones((4, 3)))
        with pytest.raises(TypeError, match="y has dtype complex128"):
            getattr(fastact, name + "_backward")(np.ones(3), np.ones(3, complex))
        with pytest.raises(ValueError, match=r"out has shape \(4, 3\), but the result has shape \(3, 4\)"):
            f(x, out=np.empty((4, 3)))
        with pytest.raises(TypeError, match="out has dtype float32, but the result has dtype float64"):
            f(x, out=np.empty((3, 4), np.float32))
        with pytest.raises(TypeError, match="n_threads"):
            f(x, n_threads="2")
    with pytest.raises(ValueError, match=r"x.shape\[0\] = 3 must be even for glu"):
        fastact.glu(x, 0)
    with pytest.raises(TypeError, match="axis of glu must be an integer, got \\(0,\\)"):
        fastact.glu(x, (0,))
    with pytest.raises(ValueError, match=r"grad must have glu's output shape \(3, 2\), got grad.shape=\(3, 4\)"):
        fastact.glu_backward(x, x)
    with pytest.raises(ValueError, match="at least one dimension for glu"):
        fastact.glu(np.float64(1.0))



@pytest.mark.parametrize("name", NAMES)
def test_every_axis_row_is_complete(name):
    # a row of AXIS_FUNCTIONS needs both public functions, both references and a Keras function
    from fastact import _reference
    for fn in (name, name + "_backward"):
        assert callable(getattr(fastact, fn)) and fn in fastact.__all__
        assert callable(getattr(_reference, fn))
    assert ROWS[name].saved in ("x", "y")
    assert ROWS[name].float32_ulp <= 1.0     # the float32 goal of every function


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2,), (3, 10), (2, 4, 6), (1, 1000), (9000, 2)])
def test_glu_plain_call_gives_the_general_results(shape, dtype, rng):
    # a plain glu call (C-contiguous native arrays, last axis, out absent or a C-contiguous array apart
    # from the inputs) skips the general path's conversions; the general path (here: out in Fortran
    # order, or overlapping grad) gives the same bits
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    x.flat[::7] = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 200.0, -200.0], dtype)[np.arange(x.size)[::7] % 7]
    g = rng.standard_normal(shape[:-1] + (shape[-1] // 2,)).astype(dtype)
    with np.errstate(all="ignore"):
        y = fastact.glu(x)
        for out in (np.empty_like(y), np.empty_like(y, order="F")):
            assert fastact.glu(x, out=out) is out
            np.testing.assert_array_equal(y.view(np.uint8), np.ascontiguousarray(out).view(np.uint8))
        np.testing.assert_array_equal(y, fastact.glu(x, n_threads=2))
        dx = fastact.glu_backward(g, x)
        for out in (np.empty_like(dx), np.empty_like(dx, order="F")):
            assert fastact.glu_backward(g, x, out=out) is out
            np.testing.assert_array_equal(dx.view(np.uint8), np.ascontiguousarray(out).view(np.uint8))
        if len(shape) == 2:         # out over grad's memory (and more): the general path, which copies grad
            buf = np.empty(dx.size, dtype)
            gb = buf[:g.size].reshape(g.shape)
            gb[...] = g
            out = buf.reshape(dx.shape)
            assert fastact.glu_backward(gb, x, out=out) is out
            np.testing.assert_array_equal(dx.view(np.uint8), out.view(np.uint8))
    with pytest.raises(ValueError, match="must be even"):
        fastact.glu(np.ones(shape[:-1] + (3,), dtype))
    with pytest.raises(ValueError, match="grad must have glu's output shape"):
        fastact.glu_backward(np.ones(shape, dtype), x)


@pytest.mark.parametrize("name, g, y", [
    ("softmax", [1.4e300, 0.0], [1.0, 0.0]),
    ("log_softmax", [1e300, 1e300], list(np.log([0.5, 0.5]))),
    ("sparsemax", [1.5e300, 1.5e300], [0.5, 0.5]),
])
def test_float64_backward_with_a_huge_finite_g(name, g, y, simd_level):
    # at the baseline level (no FMA) the residuals' Dekker split overflowed from |g| = 1.34e300
    # (DBL_MAX / (2^27 + 1)): NaN for finite results; factors beyond 2^995 are split scaled now
    dx = getattr(fastact, name + "_backward")(np.array(g), np.array(y))
    assert np.isfinite(dx).all()
    exact = np.asarray(reference(name + "_backward", np.array(g), np.array(y)), np.float64)
    np.testing.assert_allclose(dx, exact, rtol=0, atol=2e300 * 2.0 ** -52)    # (ULPs of the terms)
