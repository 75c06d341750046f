"""PReLU: every alpha layout against the reference, dalpha in float64, determinism, layouts, errors."""
import warnings

import numpy as np
import pytest

import fastact
from fastact import _reference as R

# (x shape, alpha shape): scalar, per channel NHWC, NCHW (C,1,1), Keras input_shape[1:] with and
# without shared axes, an arbitrary broadcast, small trailing Q (vector form with repeats), 1-D.
CASES = [
    ((64, 8, 8, 16), ()), ((64, 8, 8, 16), (16,)), ((16, 12, 9, 9), (12, 1, 1)),
    ((8, 10, 10, 6), (10, 10, 6)), ((8, 10, 10, 6), (1, 1, 6)), ((8, 10, 10, 6), (10, 1, 6)),
    ((6, 5, 7, 3), (5, 1, 3)), ((40, 30, 3), (30, 1)), ((1000,), (1000,)), ((3000,), (1,)),
    ((2, 3, 4, 5), (1, 3, 1, 1)), ((128, 5000), (5000,)), ((7, 300, 100), (300, 1)),
    # short rows, walked in periods of whole rows: several blocks of rows, a period cut short
    ((2000, 100), (100,)), ((30000, 3), (3,)), ((9, 7), (7,)),
]


def data(shape, alpha_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    alpha = rng.uniform(0.05, 0.5, alpha_shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    return x, alpha, g


@pytest.mark.parametrize("shape, alpha_shape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_match_reference(shape, alpha_shape, dtype, simd_level):
    x, alpha, g = data(shape, alpha_shape, dtype)
    y = fastact.prelu(x, alpha)
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, R.prelu(x, alpha))
    dx, dalpha = fastact.prelu_backward(g, x, alpha)
    rdx, rdalpha = R.prelu_backward(g, x, alpha)
    np.testing.assert_array_equal(dx, rdx)
    assert dalpha.shape == alpha.shape and dalpha.dtype == alpha.dtype
    scale = np.abs(g.astype(np.float64) * x).sum() / max(alpha.size, 1)
    tol = 1e-12 if dtype == np.float64 else 2e-7   # float32: accumulated in double, rounded once
    np.testing.assert_allclose(dalpha.astype(np.float64), rdalpha.astype(np.float64),
                               rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("shape", [(500, 64), (3000, 100), (20000, 3), (5, 700), (40, 5000)])
def test_dalpha_float64_against_exact_sum(shape):
    # vector form: periods of whole short rows (64, 100, 3), a row per period (700), column chunks (5000)
    x, alpha, g = data(shape, shape[1:], np.float64, seed=3)
    _, dalpha = fastact.prelu_backward(g, x, alpha)
    exact = np.where(x > 0, 0, g.astype(np.longdouble) * x).sum(axis=0)
    np.testing.assert_allclose(dalpha, exact.astype(np.float64), rtol=1e-13, atol=1e-13 * np.abs(exact).max())


@pytest.mark.parametrize("shape, alpha_shape", [((200, 64), (64,)), ((3, 64, 40, 40), (64, 1, 1)),
                                                ((20000,), ()), ((16, 6000), (6000,))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bitwise_identical_for_any_thread_count(shape, alpha_shape, dtype):
    x, alpha, g = data(shape, alpha_shape, dtype, seed=5)
    ref = fastact.prelu_backward(g, x, alpha, n_threads=1)
    for nt in (2, 3, 4, 8):
        dx, dalpha = fastact.prelu_backward(g, x, alpha, n_threads=nt)
        np.testing.assert_array_equal(dx, ref[0])
        assert dalpha.tobytes() == ref[1].tobytes()
        np.testing.assert_array_equal(fastact.prelu(x, alpha, n_threads=nt), fastact.prelu(x, alpha))


def test_special_values_and_alpha_dtypes():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -2.0, 3.0])
    y = fastact.prelu(x, 0.5)
    np.testing.assert_array_equal(y, [np.nan, np.inf, -np.inf, 0, 0, -1.0, 3.0])
    assert fastact.prelu(np.float32([-2.0]), 0.25).dtype == np.float32
    dx, dalpha = fastact.prelu_backward(np.ones(7), x, 0.5)
    assert np.isnan(dx[0]) and np.isnan(dalpha)  # NaN in x propagates to both
    assert isinstance(dalpha, np.ndarray) and dalpha.shape == () and dalpha.dtype == np.float64
    _, da32 = fastact.prelu_backward(np.ones(3), np.array([-1.0, 2, -3]), np.float32(0.1))
    assert da32.dtype == np.float32 and da32 == -4.0
    # a float64 slope beyond float32's range in a float32 call: inf, as an inf slope, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in (3, 100_000):
            x32 = np.full(n, -1.0, np.float32)
            np.testing.assert_array_equal(fastact.prelu(x32, 1e300), fastact.prelu(x32, np.inf))
            np.testing.assert_array_equal(fastact.prelu_backward(np.ones_like(x32), x32, np.array([1e300]))[0],
                                          np.float32(np.inf))


def test_layouts_out_and_in_place():
    x, alpha, g = data((10, 12, 14), (12, 1), np.float32)
    expected = fastact.prelu(x, alpha)
    for view in (np.asfortranarray(x), x[::-1][::-1].copy(), np.ascontiguousarray(x.T).T):
        np.testing.assert_array_equal(fastact.prelu(view, alpha), expected)
    out = np.empty_like(x, order="F")
    assert fastact.prelu(x, alpha, out=out) is out
    np.testing.assert_array_equal(out, expected)
    x2 = x.copy()
    fastact.prelu(x2, alpha, out=x2)
    np.testing.assert_array_equal(x2, expected)
    dx_expected, da_expected = fastact.prelu_backward(g, x, alpha)
    g2 = g.copy()
    dx, da = fastact.prelu_backward(g2, x, alpha, out=g2)
    assert dx is g2
    np.testing.assert_array_equal(dx, dx_expected)
    np.testing.assert_array_equal(da, da_expected)


def test_empty_and_zero_size():
    y = fastact.prelu(np.empty((0, 4), np.float32), np.ones(4, np.float32))
    assert y.shape == (0, 4)
    dx, da = fastact.prelu_backward(np.empty((0, 4)), np.empty((0, 4)), np.ones(4))
    assert dx.shape == (0, 4) and da.shape == (4,) and not da.any()


def test_errors():
    x = np.ones((4, 5))
    with pytest.raises(ValueError, match=r"alpha with shape \(4,\) does not broadcast to x's shape \(4, 5\)"):
        fastact.prelu(x, np.ones(4))
    with pytest.raises(ValueError, match=r"alpha with shape \(2, 4, 5\) has more dimensions"):
        fastact.prelu(x, np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match="alpha with shape"):
        fastact.prelu(np.ones((1, 5)), np.ones((4, 5)))  # would enlarge x
    with pytest.raises(TypeError, match="alpha has dtype complex128"):
        fastact.prelu(x, 1j)
    with pytest.raises(TypeError, match="x has dtype <U1"):
        fastact.prelu(["a"], 0.1)
    with pytest.raises(ValueError, match=r"grad and x must have the same shape"):
        fastact.prelu_backward(np.ones((4, 4)), x, 0.1)
    with pytest.raises(ValueError, match=r"out has shape \(5, 4\)"):
        fastact.prelu(x, 0.1, out=np.empty((5, 4)))
    with pytest.raises(ValueError, match=r"n_threads must be >= 1, got 0"):
        fastact.prelu(x, 0.1, n_threads=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_over_alpha_reads_the_slopes_as_given(dtype):
    # out's first row is alpha itself: every row must use the slopes as given, not as the first row's
    # results overwrote them (plain calls leave this case to the general path, which copies the slopes)
    x, _, g = data((5, 40), (40,), dtype, seed=9)
    given = np.linspace(0.05, 0.5, 40).astype(dtype)
    buf = np.zeros((5, 40), dtype)
    buf[0] = given
    np.testing.assert_array_equal(fastact.prelu(x, buf[0], out=buf), R.prelu(x, given))
    buf[0] = given
    dx, dalpha = fastact.prelu_backward(g, x, buf[0], out=buf)
    rdx, rdalpha = R.prelu_backward(g, x, given)
    np.testing.assert_array_equal(dx, rdx)
    np.testing.assert_allclose(dalpha, rdalpha, rtol=1e-6)


def test_alpha_gradients_beyond_range_or_nan_come_without_warnings():
    # dalpha's sums, or their cast to alpha's dtype, overflow to inf or are NaN: no NumPy warning (SPEC),
    # in either layout (the (2, 64) row form warned "overflow encountered in cast", the (64, 2) one not)
    cases = [
        (np.full((2, 64), 10, np.float32), np.full((2, 64), -3e38, np.float32), np.full((2, 1), .25, np.float32)),
        (np.full((64, 2), 10, np.float32), np.full((64, 2), -3e38, np.float32), np.full(2, .25, np.float32)),
        (np.array([[1.0, -1, 1], [1, 1, 1]]), np.full((2, 3), -np.inf), np.full((2, 1), .25)),
        (np.full((4, 100), 1e300), np.full((4, 100), -1e300), np.full((4, 1), 0.5)),
    ]
    for g, x, alpha in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _, dalpha = fastact.prelu_backward(g, x, alpha)
            _, dalpha_general = fastact.prelu_backward(g[:, ::-1], x[:, ::-1], alpha)   # (the Python path)
        assert dalpha.shape == alpha.shape and not np.isfinite(dalpha).all()
        np.testing.assert_array_equal(dalpha, dalpha_general)
