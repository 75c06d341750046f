"""Fast kernels against the pure-NumPy reference: function x dtype x layout x threads x SIMD level."""
import numpy as np
import pytest

import fastact
from fastact._table import ACTIVATIONS
from fastact._testing import (assert_backward_matches, assert_matches_reference, assert_special_match, backward_bound,
                              default_params, layouts, reference, ulp_errors)

NAMES = [row.name for row in ACTIVATIONS]
ROWS = {row.name: row for row in ACTIVATIONS}
PARAMS = {  # extra parameter sets beyond the defaults
    "relu": [(0.0, None, 0.0), (0.1, None, 0.0), (0.0, 6.0, 0.0), (0.2, 3.0, 0.5), (0.3, None, -1.0),
             (0.05, 2.0, -0.5)],
    "leaky_relu": [(0.01,), (0.3,), (0.0,), (-0.5,), (1.0,), (2.5,)],   # (AVX2: max below 1, min above)
    "elu": [(1.0,), (0.5,), (2.5,), (0.0,)],
    "celu": [(1.0,), (0.3,), (3.0,), (-1.5,)],
    "gelu": [(False,), (True,)],
    "soft_shrink": [(0.5,), (0.0,), (2.0,)],
    "hard_shrink": [(0.5,), (0.0,), (2.0,)],
    "squareplus": [(4.0,), (0.0,), (0.5,)],
    "threshold": [(0.0, 0.0), (0.5, -1.0), (-2.0, 3.0)],
}


def special_values(dtype):
    f = np.finfo(dtype)
    return np.array([0.0, -0.0, 1.0, -1.0, np.nan, -np.nan, np.inf, -np.inf, f.max, -f.max, f.tiny,
                     -f.tiny, f.smallest_subnormal, -f.smallest_subnormal, 0.5, 1e-3, -1e-3, 3.0, 6.0,
                     6.000001, 8.9, 9.02, 17.33, -17.33, 30.0, -30.0, 88.0, -88.0, 87.3, -87.4, 104.0,
                     -104.0, 200.0, -200.0, 709.0, -709.0, 746.0, -746.0, 1e30, -1e30], dtype=dtype)


def sample(dtype, rng, n=5000):
    x = np.concatenate([rng.standard_normal(n) * 4, rng.standard_normal(n) * 40,
                        special_values(np.float64)])
    with np.errstate(over="ignore"):  # float64 specials beyond float32's range become +-inf
        return x.astype(dtype)


def tol(row, dtype):
    return {np.float32: row.float32_ulp, np.float64: row.float64_ulp}[np.dtype(dtype).type]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_reference(name, dtype, simd_level, rng):
    row = ROWS[name]
    x = sample(dtype, rng)
    for params in PARAMS.get(name, [default_params(row)]):
        y = getattr(fastact, name)(x, *params)
        assert_matches_reference(y, reference(name, x, *params), dtype, tol(row, dtype))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_matches_reference(name, dtype, simd_level, rng):
    row = ROWS[name]
    x = sample(dtype, rng)
    g = rng.standard_normal(x.shape).astype(dtype)
    for params in PARAMS.get(name, [default_params(row)]):
        saved = getattr(fastact, name)(x, *params) if row.saved == "y" else x
        dx = getattr(fastact, name + "_backward")(g, saved, *params)
        exact = reference(name + "_backward", g, saved, *params)
        # backward = the formula on the given saved tensor, computed in double: float32 is rounded once
        # (<= 1 ULP); float64 rounds two or three products (<= 2 ULP); the piecewise-linear rows are exact.
        assert_backward_matches(row, dx, exact, g, saved, dtype)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_both_ways_over_the_whole_exponent_range(name, dtype, simd_level, rng):
    # x spread log-uniformly from the smallest normal to the largest float, either sign (make demo's
    # sample): the float64 gelu backward span once gave 1e-300 at x = -2e48, where the derivative is 0
    f = np.finfo(dtype)
    x = (np.exp(rng.uniform(np.log(f.tiny), np.log(f.max) * 0.99, 20000)) * rng.choice([-1, 1], 20000)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    row = ROWS[name]
    for params in PARAMS.get(name, [default_params(row)]):
        with np.errstate(all="ignore"):
            y = getattr(fastact, name)(x, *params)
            assert_matches_reference(y, reference(name, x, *params), dtype, tol(row, dtype))
            saved = y if row.saved == "y" else x
            dx = getattr(fastact, name + "_backward")(g, saved, *params)
            exact = reference(name + "_backward", g, saved, *params)
            assert_backward_matches(row, dx, exact, g, saved, dtype)
            # (and below the normal range an absolute error below it, which the scaled measure of the
            # derivatives that cross zero does not see)
            sub = ulp_errors(dx, exact, dtype)[1]
            assert not sub.size or float(sub.max()) < f.tiny, f"{name}{params}: {float(sub.max()):.3g}"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layouts_give_identical_results(name, dtype, rng):
    base = (rng.standard_normal((33, 70)) * 5).astype(dtype)
    expected = getattr(fastact, name)(np.ascontiguousarray(base))
    g = rng.standard_normal(base.shape).astype(dtype)
    expected_dx = getattr(fastact, name + "_backward")(g, base)
    for label, x in layouts(base):
        y = getattr(fastact, name)(x)
        assert y.shape == base.shape
        np.testing.assert_array_equal(y, expected, err_msg=label)
        for glabel, gl in layouts(g):
            dx = getattr(fastact, name + "_backward")(gl, x)
            np.testing.assert_array_equal(dx, expected_dx, err_msg=f"{label}/{glabel}")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_threads", [1, 2, 3, 4, 7])
def test_bitwise_identical_for_any_thread_count(name, n_threads, rng):
    x = (rng.standard_normal(300_007) * 6).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
    np.testing.assert_array_equal(f(x, n_threads=n_threads), f(x, n_threads=1))
    np.testing.assert_array_equal(b(g, x, n_threads=n_threads), b(g, x, n_threads=1))


@pytest.mark.parametrize("name", NAMES)
def test_simd_levels_agree_within_accuracy(name, rng):
    from fastact import _dispatch
    row = ROWS[name]
    x = sample(np.float32, rng)
    results = {}
    for level in _dispatch.available_levels():
        previous = _dispatch.set_level(level)
        try:
            results[level] = getattr(fastact, name)(x)
        finally:
            _dispatch.set_level(previous)
    for level, y in results.items():
        assert_matches_reference(y, reference(name, x), np.float32, row.float32_ulp)


SPAN_NAMES = [row.name for row in ACTIVATIONS if row.float32_span]


@pytest.mark.parametrize("name", SPAN_NAMES)
def test_span_kernels_do_not_depend_on_position(name, simd_level, rng):
    # The hand-vectorised float32 kernels (_spans.h, AVX-512 level) split every call into an aligned head,
    # 16-lane blocks, a tail, and 2048-element spans across threads: a value's result must not depend on
    # where it lands, for any start offset, length, or in-place call.
    f = getattr(fastact, name)
    buf = sample(np.float32, rng, n=2500)
    full = f(buf)
    for start in range(17):
        for n in (0, 1, 5, 15, 16, 17, 31, 33, 2047, 2049, 4100):
            x = buf[start:start + n]
            np.testing.assert_array_equal(f(x), full[start:start + n], err_msg=f"start {start}, n {n}")
            y = x.copy()
            f(y, out=y)
            np.testing.assert_array_equal(y, full[start:start + n], err_msg=f"in place, start {start}")
            out = np.empty(n + 5, np.float32)[(start + 3) % 5:][:n]   # out misaligned against x
            np.testing.assert_array_equal(f(x, out=out), full[start:start + n])


@pytest.mark.parametrize("name", NAMES)
def test_a_result_does_not_depend_on_its_neighbours(name, simd_level, rng):
    # Kernels may send a block of 16 with one far or non-finite lane down a general path and every other
    # block down a fast one (silu, sigmoid and glu skip their clamps when every |x| < 64): the other lanes
    # of such a block must come out as they do from a block of ordinary values.
    row = ROWS[name]
    x = (rng.standard_normal(4096) * 4).astype(np.float32)
    g = rng.standard_normal(x.size).astype(np.float32)
    odd = np.zeros(x.size, bool)
    odd[np.arange(0, x.size, 16) + rng.integers(0, 16, x.size // 16)] = True
    far = np.resize(np.array([1e3, -1e3, np.nan, np.inf, -np.inf, 100.0, -100.0, 70.0, -70.0], np.float32),
                    int(odd.sum()))
    x_far = x.copy()
    x_far[odd] = far
    for params in PARAMS.get(name, [default_params(row)]):
        f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(f(x_far, *params)[~odd], f(x, *params)[~odd], err_msg=str(params))
            saved, saved_far = (f(x, *params), f(x_far, *params)) if row.saved == "y" else (x, x_far)
            np.testing.assert_array_equal(b(g, saved_far, *params)[~odd], b(g, saved, *params)[~odd],
                                          err_msg=str(params))


@pytest.mark.parametrize("name, backward", [("gelu", False), ("silu", False), ("gelu", True), ("silu", True)])
def test_far_lanes_come_back_to_their_places(name, backward, simd_level, rng):
    # gelu's, silu's and the two derivatives' spans gather the lanes beyond their tables into a buffer,
    # compute them 16 at a time once it holds 256 (and at a span's end) and store them back (the
    # forwards first settle the lanes whose result is x): over any alignment, length and thread count
    # each result must be the one a call on that element alone gives.  A run of 4000 far lanes (a
    # third of them on the settled side) fills the buffer many times within one span, in chunks where
    # most blocks have far lanes (gathered without a branch); the last 40000 elements have one far lane
    # every 131, which fills it in chunks that branch around the gathering.  Far: beyond -19.625 for
    # silu's forward (spread to -120 and past, where it gives -0), beyond -11.5625 for the others (not
    # as far as -14.5, where gelu's forward gives -0).
    start, spread = (-20, 30) if name == "silu" and not backward else (-12, 0.8)

    def far(size):
        return (start - spread * np.abs(rng.standard_normal(size))).astype(np.float32)

    x = (rng.standard_normal(60011) * 6).astype(np.float32)
    x[5000:9000] = far(4000)
    x[5001:9000:3] *= -1
    x[20011:] = rng.standard_normal(40000).astype(np.float32)
    x[20011::131] = far(x[20011::131].size)
    x[rng.integers(0, x.size, 300)] = np.float32(np.nan)
    g = rng.standard_normal(x.size).astype(np.float32)
    g[rng.integers(0, x.size, 50)] = np.float32(np.inf)

    def call(lo, hi, n_threads=None):
        if backward:
            return getattr(fastact, name + "_backward")(g[lo:hi], x[lo:hi], n_threads=n_threads)
        return getattr(fastact, name)(x[lo:hi], n_threads=n_threads)

    with np.errstate(all="ignore"):
        alone = np.concatenate([call(i, i + 1) for i in range(x.size)])
        for lo in (0, 1, 7, 15):
            for n_threads in (1, 2):
                np.testing.assert_array_equal(call(lo, None, n_threads), alone[lo:], err_msg=f"{lo} {n_threads}")


PLAIN_NAMES = [row.name for row in ACTIVATIONS if row.plain]


@pytest.mark.parametrize("name", PLAIN_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_form_gives_the_general_results(name, dtype, simd_level, rng):
    # The loops run a row's plain form (relu's max(x, 0)) only for its plain parameters; the general
    # form with parameters that mean the same below the dtype's largest float (relu: max_value there
    # instead of None) must give the same bits, signed zeros and NaN included.
    row = ROWS[name]
    x = sample(dtype, rng)
    x = x[~(np.abs(x) >= np.finfo(dtype).max)]
    g = rng.standard_normal(x.shape).astype(dtype)
    g[::7] = -0.0
    plain = tuple(None if v == np.inf else v for v in row.plain)     # (+inf in a slot is None)
    same = {"relu": (0.0, float(np.finfo(dtype).max), 0.0)}[name]
    f, b = getattr(fastact, name), getattr(fastact, name + "_backward")
    for y, z in ((f(x, *plain), f(x, *same)), (b(g, x, *plain), b(g, x, *same))):
        np.testing.assert_array_equal(y, z)
        np.testing.assert_array_equal(np.signbit(y), np.signbit(z))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_result_is_the_same_alone_and_in_an_array(name, dtype, simd_level, rng):
    # GCC vectorises the portable loops into a vector body and a scalar (or narrower) remainder: the same
    # value must give the same bits in either (a contraction into an FMA in one and not the other, or a
    # select compiled differently, would show here), with every parameter set the tests use (celu's
    # negative alpha makes x / alpha positive).  x holds ordinary values and specials; each element of a
    # stretch is also computed alone and at the start of a short call.
    x = sample(dtype, rng, n=150)
    g = (rng.standard_normal(x.size) * 3).astype(dtype)
    fwd, bwd = getattr(fastact, name), getattr(fastact, name + "_backward")
    row = ROWS[name]
    for params in PARAMS.get(name, [default_params(row)]):
        y = fwd(x, *params)
        saved = y if row.saved == "y" else x
        dx = bwd(g, saved, *params)
        for i in range(0, x.size, 7):
            for n in (1, 3, 9):
                got = fwd(x[i:i + n], *params)
                np.testing.assert_array_equal(got.view(np.uint8), y[i:i + n].view(np.uint8),
                                              err_msg=f"{name}{params} forward at {i}, call of {n}")
                got = bwd(g[i:i + n], saved[i:i + n], *params)
                np.testing.assert_array_equal(got.view(np.uint8), dx[i:i + n].view(np.uint8),
                                              err_msg=f"{name}{params} backward at {i}, call of {n}")


BACKWARD_SPAN_NAMES = [row.name for row in ACTIVATIONS if row.float32_backward_span]


@pytest.mark.parametrize("name, params", [(n, ()) for n in BACKWARD_SPAN_NAMES] + [("gelu", (True,))])
def test_backward_span_kernels_do_not_depend_on_position(name, params, simd_level, rng):
    # As above for the backward spans, whose 16-lane blocks send NaN, +-inf and far-negative lanes
    # through a scalar path: a block with such a lane must give its other lanes the same results.
    def b(g, x, out=None):
        return getattr(fastact, name + "_backward")(g, x, *params, out=out)
    x = sample(np.float32, rng, n=1200)
    x[rng.integers(0, x.size, 40)] = rng.choice(special_values(np.float32), 40)
    g = (rng.standard_normal(x.size) * 3).astype(np.float32)
    full = b(g, x)
    for start in range(17):
        for n in (0, 1, 15, 16, 17, 33, 2047, 2049):
            gs, xs = g[start:start + n], x[start:start + n]
            np.testing.assert_array_equal(b(gs, xs), full[start:start + n], err_msg=f"start {start}, n {n}")
            out = xs.copy()
            np.testing.assert_array_equal(b(gs, out, out=out), full[start:start + n], err_msg="in place")


# The backward passes whose derivative crosses zero: (function, its parameters, root, the grid around
# it, the lower end of the tail grid).  silu' = sigmoid(x) (1 + x sigmoid(-x)) vanishes at x0 = -1.2785
# (1 + x0 + e^x0 = 0), gelu' = Phi(x) + x phi(x) at gelu's minimum, -0.75179, and the tanh form's
# derivative at its minimum, -0.75246 (1 + e^w + x w' = 0, w = 2u).  The AVX-512 spans switch to an
# expansion in x - x0 near them.
ROOTS = [("silu", (), -1.2784645427610738, (-1.6, -0.9), -150),
         ("gelu", (False,), -0.7517915246935645, (-1.0, -0.5), -40),
         ("gelu", (True,), -0.7524614220710163, (-1.0, -0.5), -40)]


@pytest.mark.parametrize("name, params, root, around, tail", ROOTS)
def test_backward_where_the_derivative_crosses_zero(name, params, root, around, tail, simd_level):
    # float32 stays within 1 ULP of the exact value itself there: every float within 2^-12 of the root,
    # a grid around it and over the tails, and g of every size to the edges of float32's range
    r = np.float32(root)
    near = np.arange(-4096, 4097, dtype=np.int64)
    x = np.concatenate([(r.view(np.int32) + near).astype(np.int32).view(np.float32),
                        np.linspace(*around, 20001, dtype=np.float32),
                        np.linspace(tail, 20, 6001, dtype=np.float32),
                        special_values(np.float32)])
    for gv in (1.0, -0.3, 1e-30, 3e-38, 7e20, 2.0**70, 3e38, np.inf, np.nan):
        # (an infinite g times a derivative below double's range, e^x or e^(-x^2/2) beyond e^-745, is
        # inf * 0 in the double formula, not the longdouble reference's -inf)
        xs = x[x > (-700 if name == "silu" else -38 if not params[0] else -20)] if gv == np.inf else x
        g = np.full(xs.shape, gv, np.float32)
        with np.errstate(all="ignore"):   # (the reference's products overflow float32 for the largest g)
            dx = getattr(fastact, name + "_backward")(g, xs, *params)
            assert_backward_matches(ROWS[name], dx, reference(name + "_backward", g, xs, *params), g, xs,
                                    np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hard_silu_backward_beside_its_root(dtype, simd_level):
    # g (2x + 3)/6 crosses zero at x = -1.5, where 2x + 3 is exact (Sterbenz): relatively accurate in
    # both dtypes.  The float64 path once took x/3 + 1/2, whose terms cancel there with 1/3's rounding in
    # them: half off at x = -1.5 + 2^-52 (and its longdouble reference 2^-12 off)
    r = np.array(-1.5, dtype)
    itype = np.int32 if dtype == np.float32 else np.int64
    near = (r.view(itype) + np.arange(-2048, 2049, dtype=itype)).view(dtype)
    x = np.concatenate([near, np.linspace(-1.6, -1.4, 4001, dtype=dtype)])
    for gv in (1.0, -0.3, 1e-30, 3e38):
        g = np.full(x.shape, gv, dtype)
        dx = fastact.hard_silu_backward(g, x)
        exact = reference("hard_silu_backward", g, x)
        bound = backward_bound(ROWS["hard_silu"], dtype) if dtype == np.float64 else 0.5 + 1e-6
        assert_matches_reference(dx, exact, dtype, bound)
        assert np.all((dx == 0) == (x == -1.5))


@pytest.mark.parametrize("name", ["elu", "celu"])
@pytest.mark.parametrize("alpha", [1.2e-38, -1.2e-38, 3e-20, 0.7, 3e38, -3e38])
def test_backward_with_extreme_alpha(name, alpha, simd_level, rng):
    # alpha from float32's smallest normal to its largest, either sign: x over the whole negative side
    # (celu's x/alpha in [-190, 190], where g e^(x/alpha) can still be a normal float), g of every size.
    # The AVX-512 spans scale alpha (a remainder x - v alpha must not be subnormal); celu's derivative
    # once came out 1.4 ULP off for alpha = 1.2e-38.
    a = np.float32(alpha)
    v = np.concatenate([np.linspace(-190, 190, 40001), rng.uniform(-30, 0, 20000)])
    with np.errstate(all="ignore"):     # (x / alpha beyond float32's range becomes -inf: kept)
        x = (v * (abs(float(a)) if name == "celu" else 1.0)).astype(np.float32)
        x = np.concatenate([x, special_values(np.float32)])
        for gv in (1.0, -0.3, 1e-30, 7e20, 3e38):
            g = (np.full(x.shape, gv) * rng.uniform(0.5, 1.1, x.shape)).astype(np.float32)   # finite
            dx = getattr(fastact, name + "_backward")(g, x, a)
            assert_backward_matches(ROWS[name], dx, reference(name + "_backward", g, x, a), g, x, np.float32)


# g's sizes where a fast path changes: near float32's largest (below and above the 2^118, 2^122 and 2^126
# limits of the AVX-512 spans' vector formulas), where g times a low part or a residual would be
# subnormal, and subnormal g itself
EXTREME_G = [3.4e38, 2.0**126 * 0.999, 2.0**122 * 1.5, 2.0**118 * 1.5, 2.0**100, 1.5 * 2.0**-126, 2.0**-126,
             2.0**-110, 3e-39, 1e-44,
             # just below and above the bounds under which fa_zero_below settles a far tail's lanes as
             # zeros (gelu' 2^32, softplus' 2^22, gelu-tanh' 2^45, silu' 2^58, selu' 2^99, elu' 2^100)
             2.0**32 * 0.999, 2.0**32 * 1.001, 2.0**22 * 0.999, 2.0**45 * 0.999, 2.0**58 * 0.999, 2.0**99 * 0.999]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_kink_gradients_at_zero(dtype, simd_level):
    # Keras's (TensorFlow's) gradients at x = 0 and -0: selu's g scale (SeluGrad: the output 0 is not
    # below 0; it was g scale alpha), elu's g alpha (alpha e^0), leaky_relu's g alpha, relu's 0, PReLU's 0
    x = np.array([0.0, -0.0] * 40_000, dtype)
    for n in (2, x.size):
        xs, g = x[:n], np.full(n, 3.0, dtype)
        scale = np.float64(1.0507009873554805)
        np.testing.assert_array_equal(fastact.selu_backward(g, xs), (3.0 * scale).astype(dtype))
        np.testing.assert_array_equal(fastact.elu_backward(g, xs, alpha=0.5), dtype(1.5))
        np.testing.assert_array_equal(fastact.leaky_relu_backward(g, xs, alpha=0.5), dtype(1.5))
        np.testing.assert_array_equal(fastact.relu_backward(g, xs), dtype(0))
        np.testing.assert_array_equal(fastact.prelu_backward(g, xs, np.array(0.5, dtype))[0], dtype(0))


@pytest.mark.parametrize("name", NAMES)
def test_backward_with_g_of_every_size(name, simd_level):
    # x over both far tails, g of every size and sign: the AVX-512 silu and gelu spans once overflowed
    # for g just below 2^126 at x near their tail limits (their derivative, unscaled, is up to ~300),
    # and softplus' and log_sigmoid's once rounded g sigmoid(x) 1.46 ULP off for g = 1.2e-38 (a
    # residual of the quotient fell below FLT_MIN)
    row = ROWS[name]
    x = np.concatenate([np.linspace(-200, 200, 8001), np.linspace(-20, 20, 8001), special_values(np.float64)])
    with np.errstate(over="ignore"):
        x = x.astype(np.float32)
    params = default_params(row)
    with np.errstate(all="ignore"):
        saved = getattr(fastact, name)(x, *params) if row.saved == "y" else x
        for gv in EXTREME_G:
            for sign in (1.0, -1.0):
                g = np.full(x.shape, sign * gv, np.float32)
                dx = getattr(fastact, name + "_backward")(g, saved, *params)
                exact = reference(name + "_backward", g, saved, *params)
                assert_backward_matches(row, dx, exact, g, saved, np.float32)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_with_infinite_g(name, dtype, simd_level):
    # g = +-inf gives +-inf where the derivative is not 0 and NaN where it is (inf * 0: x = -inf for
    # elu, selu, celu, mish, softplus), as the reference does.  The float64 gelu span once gave NaN for
    # half of all x (g times a low part of the other sign than the high part's: inf - inf), and the
    # exp-form derivatives, whose exp is held above its underflow, gave +-inf at x = -inf.  |x| stays
    # below 100 but for +-inf: far beyond, derivatives such as e^x underflow even in the longdouble
    # reference, which then has NaN (inf * 0) where the kernels' held exp keeps the true sign.  Not
    # checked either: x where the derivative is below double's range (gelu from -38 down), which the
    # kernels' double arithmetic has as 0 (NaN) and the longdouble reference does not.  Nor, below the
    # AVX-512 level, x = -inf for the exp-form derivatives (elu, selu, celu; float64 softplus, and
    # log_sigmoid at +inf): their portable loops hold the exp above its underflow and give +-inf there,
    # not inf * 0; a select for it cost those loops 5-14% (AVX2, 1e5 elements).
    row = ROWS[name]
    f = np.finfo(dtype)
    x = np.concatenate([-np.logspace(-40, 2, 300), [0.0, -0.0], np.logspace(-40, 2, 300),
                        [np.inf, -np.inf, np.nan, f.tiny, -f.tiny, f.smallest_subnormal, -f.smallest_subnormal]])
    with np.errstate(under="ignore"):
        x = x.astype(dtype)
    for params in PARAMS.get(name, [default_params(row)]):
        with np.errstate(all="ignore"):
            saved = getattr(fastact, name)(x, *params) if row.saved == "y" else x
            d = np.asarray(reference(name + "_backward", np.ones_like(x), saved, *params), np.longdouble)
            checked = ~((d != 0) & (np.abs(d) < np.finfo(np.float64).smallest_subnormal))
            if simd_level != "avx512" and name in ("elu", "selu", "celu", "softplus", "log_sigmoid"):
                checked &= np.isfinite(x)
            for sign in (1.0, -1.0):
                g = np.full(x.shape, sign * np.inf, dtype)
                dx = getattr(fastact, name + "_backward")(g, saved, *params)[checked]
                exact = np.asarray(reference(name + "_backward", g, saved, *params))[checked]
                assert_special_match(dx, exact)
                finite = np.isfinite(exact)
                np.testing.assert_array_equal(dx[finite], exact[finite].astype(dtype))


@pytest.mark.parametrize("name", ["softplus", "log_sigmoid"])
def test_float64_softplus_backward_with_infinite_g_far_out(name, simd_level):
    # float64 softplus' (log_sigmoid' mirrored) from x = -660 down, where e^x comes as a pair times
    # powers of two: an infinite g gave NaN or inf from one x to the next below the AVX-512 level (g
    # times the pair's low part: inf * 0, inf - inf); now +-inf at every level, the derivative being > 0
    x = -np.concatenate([np.linspace(600, 800, 2001), np.linspace(800, 1400, 601), [1e4, 1e6, 1e300]])
    x = -x if name == "log_sigmoid" else x
    for sign in (1.0, -1.0):
        dx = getattr(fastact, name + "_backward")(np.full(x.shape, sign * np.inf), x)
        np.testing.assert_array_equal(dx, np.full(x.shape, sign * np.inf))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_with_zero_and_nan_g(name, dtype, simd_level):
    # g = +-0 and NaN at every special x and every parameter set: the reference's NaN and zeros.  The
    # spans leave zero g out of their tiny-g branches (gradients hold many zeros).  Not for celu with a
    # negative alpha beyond |x| = 700, where e^(x/alpha) overflows: the reference has 0 inf = NaN there,
    # the kernels 0 (the derivative is finite but for x = -inf, whose NaN only the float64 span gives)
    row = ROWS[name]
    with np.errstate(over="ignore"):
        base = np.concatenate([special_values(np.float64), np.linspace(-200, 200, 401)]).astype(dtype)
    for params in PARAMS.get(name, [default_params(row)]):
        x = base[np.abs(base) <= 700] if name == "celu" and params[0] < 0 else base
        with np.errstate(all="ignore"):
            saved = getattr(fastact, name)(x, *params) if row.saved == "y" else x
            for gv in (0.0, -0.0, np.nan):
                g = np.full(x.shape, gv, dtype)
                dx = getattr(fastact, name + "_backward")(g, saved, *params)
                exact = np.asarray(reference(name + "_backward", g, saved, *params))
                assert_special_match(dx, exact)
                finite = np.isfinite(exact)
                np.testing.assert_array_equal(dx[finite], exact[finite].astype(dtype))


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_from_any_saved_y(name, dtype, simd_level, rng):
    # The saved y is the forward's output, within [0, 1] or [-1, 1], but the backward takes any y with
    # the formula's result (a y from elsewhere, or a tensor saved by mistake): the AVX2 sigmoid' span
    # once gave NaN where g y (1 - y) overflows (y in [-1, 0), |g| near the largest float).  float64's y
    # stops at the square root of the largest double: beyond, y (1 - y) overflows before a g below 1
    # brings it down (float32's are computed in double)
    row = ROWS[name]
    f = np.finfo(dtype)
    big = f.max if dtype == np.float32 else np.sqrt(f.max)
    y = np.concatenate([rng.uniform(-1, 1, 500), rng.uniform(-4, 4, 500), rng.standard_normal(500) * 1e3,
                        [-1.0, -0.5, 1.0, 2.0, -2.0, big, -big, np.sqrt(big), -np.sqrt(big), f.tiny,
                         np.inf, -np.inf, np.nan]]).astype(dtype)
    for gv in (1.0, -0.3, f.max, -f.max, f.max / 4, 1e-30, f.smallest_subnormal):
        g = np.full(y.shape, gv, dtype)
        g[::2] = -g[::2]
        with np.errstate(all="ignore"):
            dx = getattr(fastact, name + "_backward")(g, y)
            exact = reference(name + "_backward", g, y)
        assert_backward_matches(row, dx, exact, g, y, dtype)


# Inputs where a span settles lanes without their formula or sends a block down a rarer path: beyond the
# common ranges (|x| 64 for sigmoid and the v sigmoid(x) kernels, gelu's -14.5 and 5.5, silu's -120,
# the backward spans' -16, -150, -176 and 32), just either side of those bounds, and far beyond
SATURATED = [1e4, -1e4, 1e30, -1e30, np.inf, -np.inf, np.nan, 64.0, 63.99, -63.99, -64.0, -64.01, -104.0,
             -103.9, -120.0, -119.99, -120.01, -14.5, -14.49, -14.51, 5.5, -5.5, -16.0, -16.01, -15.99, -150.0,
             -150.01, 32.0, 31.99, 19.625, -19.625, -176.0, -176.01, -700.0, -746.0, 700.0, 1e38, -1e38]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_lanes_among_ordinary_ones(name, dtype, simd_level, rng):
    # A fifth of normal(0, 4) data replaced by SATURATED values at random places, so that most blocks mix
    # them with ordinary lanes: each result as the reference's, and the same bits whatever a lane's
    # neighbours (the data sorted, which groups the saturated lanes into blocks of their own, gives the
    # same results).  The AVX-512 spans settle such lanes (+-1, x, g, +-0) where they used to compute
    # them with a general path or lane by lane (sigmoid's forward took 2.8 times its usual time with a
    # tenth of the lanes at +-1e4, softplus' backward 9 times with them at -inf).
    row = ROWS[name]
    n = 6000
    x = rng.standard_normal(n) * 4
    at = rng.random(n) < 0.2
    x[at] = rng.choice(SATURATED, int(at.sum()))
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    g[rng.random(n) < 0.05] = 0.0
    order = np.argsort(x, kind="stable")
    back = np.argsort(order, kind="stable")
    bits = np.uint32 if np.dtype(dtype) == np.float32 else np.uint64
    for params in PARAMS.get(name, [default_params(row)]):
        xs = x[np.abs(x) <= 700] if name == "celu" and params[0] < 0 else x      # (see above)
        keep = np.abs(x) <= 700 if name == "celu" and params[0] < 0 else np.ones(n, bool)
        with np.errstate(all="ignore"):
            y = getattr(fastact, name)(xs, *params)
            assert_matches_reference(y, reference(name, xs, *params), dtype, tol(row, dtype))
            saved = y if row.saved == "y" else xs
            gs = g[keep]
            dx = getattr(fastact, name + "_backward")(gs, saved, *params)
            assert_backward_matches(row, dx, reference(name + "_backward", gs, saved, *params), gs, saved, dtype)
            if keep.all():
                for got, call in ((y, lambda: getattr(fastact, name)(x[order], *params)),
                                  (dx, lambda: getattr(fastact, name + "_backward")(g[order], saved[order],
                                                                                     *params))):
                    again = call()[back]
                    same = np.isnan(got) | (got.view(bits) == again.view(bits))
                    assert same.all() and np.array_equal(np.isnan(got), np.isnan(again)), \
                        f"{name}{params}: results depend on the neighbours at x = {x[~same][:5]}"


# float64 g where the spans' rescaling changes: near the largest double (beyond 2^1018 g times an
# unscaled factor overflows), where g times a low part would be subnormal, subnormal g itself
EXTREME_G64 = [1.7e308, 2.0**1023 * 1.5, 2.0**1018 * 1.1, 1e300, 2.0**100, 1.5 * 2.0**-1022, 2.0**-1022, 1e-300,
               1e-310, 5e-324]


@pytest.mark.parametrize("name", NAMES)
def test_float64_backward_with_g_of_every_size(name, simd_level):
    # the float64 spans redo the lanes where g times their unscaled factor overflows or is subnormal
    # (fa_pd_scaled_redo); x over both far tails
    row = ROWS[name]
    x = np.concatenate([np.linspace(-800, 800, 4001), np.linspace(-40, 40, 4001), special_values(np.float64)])
    params = default_params(row)
    with np.errstate(all="ignore"):
        saved = getattr(fastact, name)(x, *params) if row.saved == "y" else x
        for gv in EXTREME_G64:
            for sign in (1.0, -1.0):
                g = np.full(x.shape, sign * gv)
                dx = getattr(fastact, name + "_backward")(g, saved, *params)
                exact = reference(name + "_backward", g, saved, *params)
                assert_backward_matches(row, dx, exact, g, saved, np.float64)


def test_hard_silu_backward_is_rounded_once_for_g_of_every_size(simd_level, rng):
    # g (2x + 3)/6 is rounded once at every level (float32: as hi + lo floats where FMA exists, in double
    # elsewhere), also where g is so small that g times the low part would be subnormal: a version
    # without the 2^64 lift of such a g was 0.998 ULP off at g = -2.8e-38
    x = np.concatenate([np.linspace(-3, 3, 60001), rng.uniform(-3, 3, 20000)]).astype(np.float32)
    for scale in (1.0, 1e-30, 3e-36, 1e-38, 3e37):
        g = (rng.standard_normal(x.size) * scale).astype(np.float32)
        dx = fastact.hard_silu_backward(g, x)
        ulps, sub = ulp_errors(dx, reference("hard_silu_backward", g, x), np.float32)
        assert float(ulps.max()) <= 0.5 + 1e-6, f"g ~ {scale:g}: {float(ulps.max()):.4f} ULP"
        assert not sub.size or float(sub.max()) < np.finfo(np.float32).tiny
    # an infinite or NaN g: g times the derivative, +-inf (NaN where it is 0, at x = -1.5); the float
    # path once gave NaN for every infinite g (inf times a zero low part)
    for gv in (np.inf, -np.inf, np.nan):
        g = np.full(x.shape, gv, np.float32)
        with np.errstate(invalid="ignore"):
            assert_special_match(fastact.hard_silu_backward(g, x), reference("hard_silu_backward", g, x))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_gives_zeros_the_references_sign(name, dtype, simd_level):
    # f(-0) and f(+0) as IEEE arithmetic on the reference formula gives them (elu(-0) = alpha expm1(-0) =
    # -0, silu(-0) = -0, sigmoid(-0) = 0.5), also in the blocks of 16 and the double-double paths, which
    # once turned -0 into +0 (elu, selu and celu in float32; silu and softsign in float64).
    row = ROWS[name]
    x = np.array([-0.0, 0.0] * 20, dtype)
    for params in PARAMS.get(name, [default_params(row)]):
        y = getattr(fastact, name)(x, *params)
        exact = np.asarray(reference(name, x, *params)).astype(dtype)
        np.testing.assert_array_equal(y, exact, err_msg=str(params))
        np.testing.assert_array_equal(np.signbit(y), np.signbit(exact), err_msg=str(params))


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_keeps_the_sign_of_zero(approximate, simd_level):
    # x Phi(x) has x's sign: gelu(-0) = -0 in both forms, at every level (the AVX-512 spans once gave +0)
    y = fastact.gelu(np.array([-0.0, 0.0, -1e-40], np.float32), approximate)
    np.testing.assert_array_equal(np.signbit(y), [True, False, True])
