"""Maxout: tfa grouping on every axis, ties, NaN, indices, layouts, errors."""
import numpy as np
import pytest

import fastact
from fastact import _reference as R

CASES = [((6, 8), 2, -1), ((6, 8), 4, -1), ((6, 8), 8, 1), ((6, 8), 1, -1), ((4, 6, 5), 3, 1),
         ((4, 6, 5), 2, 0), ((2, 3, 4, 10), 5, -1), ((2, 12, 7, 7), 4, 1), ((3000, 4), 2, 0),
         ((2, 2048, 3), 512, 1), ((40,), 5, 0)]


@pytest.mark.parametrize("shape, units, axis", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_reference(shape, units, axis, dtype, simd_level):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    y = fastact.maxout(x, units, axis)
    ref = R.maxout(x, units, axis)
    assert y.shape == ref.shape and y.dtype == dtype
    np.testing.assert_array_equal(y, ref)
    g = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_array_equal(fastact.maxout_backward(g, x, units, axis), R.maxout_backward(g, x, units, axis))


def test_ties_go_to_the_first_maximum_and_nan_propagates():
    x = np.array([[1.0, 2.0, 1.0, 2.0, 0.0, 2.0],     # groups (units=2): {1,1,0} {2,2,2}
                  [np.nan, 0.0, 5.0, np.nan, 5.0, 1.0]])
    y = fastact.maxout(x, 2)
    np.testing.assert_array_equal(y, [[1.0, 2.0], [np.nan, np.nan]])
    dx = fastact.maxout_backward(np.ones((2, 2)), x, 2)
    np.testing.assert_array_equal(dx, [[1, 1, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0]])
    np.testing.assert_array_equal(dx, R.maxout_backward(np.ones((2, 2)), x, 2))


def test_threads_layouts_and_out():
    x = np.random.default_rng(3).standard_normal((300, 64, 6)).astype(np.float32)
    y1 = fastact.maxout(x, 16, axis=1, n_threads=1)
    for nt in (2, 3, 5):
        np.testing.assert_array_equal(fastact.maxout(x, 16, axis=1, n_threads=nt), y1)
    np.testing.assert_array_equal(fastact.maxout(np.asfortranarray(x), 16, axis=1), y1)
    np.testing.assert_array_equal(fastact.maxout(x[::-1], 16, axis=1), y1[::-1])
    out = np.empty((300, 16, 6), np.float32, order="F")
    assert fastact.maxout(x, 16, axis=1, out=out) is out
    np.testing.assert_array_equal(out, y1)
    assert fastact.maxout(np.empty((0, 8)), 4).shape == (0, 4)
    assert fastact.maxout([[1, 2, 3, 4]], 2).dtype == np.float64


def test_errors():
    x = np.ones((3, 10))
    with pytest.raises(ValueError, match=r"x.shape\[-1\] = 10 is not a multiple of num_units = 3"):
        fastact.maxout(x, 3)
    with pytest.raises(ValueError, match=r"num_units must be >= 1, got num_units=0"):
        fastact.maxout(x, 0)
    with pytest.raises(TypeError, match=r"num_units must be an integer, got 2.0"):
        fastact.maxout(x, 2.0)
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds"):
        fastact.maxout(x, 2, axis=2)
    with pytest.raises(ValueError, match="0-d"):
        fastact.maxout(np.float64(1.0), 1)
    with pytest.raises(ValueError, match=r"grad must have maxout's output shape \(3, 5\)"):
        fastact.maxout_backward(np.ones((3, 10)), x, 5)
    with pytest.raises(TypeError, match="x has dtype complex128"):
        fastact.maxout(np.ones(4, complex), 2)
    # an empty axis: no group has a maximum (it raised "inconsistent maxout layout: n=0, ..." from the
    # kernels, and the backward returned an empty dx); an empty batch is fine
    for n in (10, 100_000):
        with pytest.raises(ValueError, match=r"x.shape\[-1\] is 0: maxout needs at least one element"):
            fastact.maxout(np.ones((n, 0), np.float32), 2)
        with pytest.raises(ValueError, match=r"x.shape\[-1\] is 0: maxout needs at least one element"):
            fastact.maxout_backward(np.ones((n, 2), np.float32), np.ones((n, 0), np.float32), 2)
    assert fastact.maxout(np.ones((0, 6)), 3).shape == (0, 3)


def test_out_overlapping_the_input_is_correct():
    x = np.random.default_rng(4).standard_normal((64, 8))
    expected = fastact.maxout(x.copy(), 4)
    out = x[:, :4]                      # shares x's memory (a strided view of it)
    assert fastact.maxout(x, 4, out=out) is out
    np.testing.assert_array_equal(out, expected)
    buf = np.random.default_rng(5).standard_normal(64 * 8)
    x2 = buf.reshape(64, 8)
    exp2 = fastact.maxout(x2.copy(), 4)
    out2 = buf[:256].reshape(64, 4)     # contiguous, overlapping the first half of x2
    fastact.maxout(x2, 4, out=out2)
    np.testing.assert_array_equal(out2, exp2)
    g = np.ones((64, 4))
    dx_expected = fastact.maxout_backward(g, x2.copy(), 4)
    fastact.maxout_backward(g, x2, 4, out=x2)   # dx written over x itself
    np.testing.assert_array_equal(x2, dx_expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, units, axis", [((4, 250), 125, -1), ((5, 6, 7), 3, 1), ((6, 8), 2, 0), ((12,), 4, 0)])
def test_plain_calls_give_the_general_paths_bits(shape, units, axis, dtype):
    # maxout on a C-contiguous native float array skips the general path's conversions
    # (any axis); a Fortran-order or strided copy of the same values goes the general way: the same
    # bits, NaN and ties included, forward and backward; the errors are the general path's
    rng = np.random.default_rng(6)
    x = np.round(rng.standard_normal(shape) * 2).astype(dtype)      # rounding makes ties
    x.flat[::11] = np.nan
    y = fastact.maxout(x, units, axis)
    g = rng.standard_normal(y.shape).astype(dtype)
    general = np.asfortranarray(x)
    np.testing.assert_array_equal(y, fastact.maxout(general, units, axis))
    np.testing.assert_array_equal(fastact.maxout_backward(g, x, units, axis),
                                  fastact.maxout_backward(np.asfortranarray(g), general, units, axis))
    other = np.float32 if dtype == np.float64 else np.float64
    mixed = fastact.maxout_backward(g.astype(other), x, units, axis)     # grad's dtype: the general path
    assert mixed.dtype == other
    for bad in (0, -2, 1.5, True):
        with pytest.raises((TypeError, ValueError), match="n_threads"):
            fastact.maxout(x, units, axis, n_threads=bad)
    with pytest.raises(ValueError, match="grad must have maxout's output shape"):
        fastact.maxout_backward(np.ones(x.shape, dtype), x, units, axis)     # (x.shape != y.shape in every case)
