"""SPEC section 1: dtypes, shapes, array-likes and ``out=`` for every function."""
import itertools

import numpy as np
import pytest

import fastact
from fastact._table import ACTIVATIONS

NAMES = [row.name for row in ACTIVATIONS]
SAVED = {row.name: row.saved for row in ACTIVATIONS}


def fwd(name):
    return getattr(fastact, name)


def bwd(name):
    return getattr(fastact, name + "_backward")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype, result", [
    (np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float16),
    (np.int8, np.float64), (np.int64, np.float64), (np.uint16, np.float64), (np.bool_, np.float64),
])
def test_result_dtype(name, dtype, result):
    x = np.array([[-2, -1, 0], [1, 2, 3]]).astype(dtype)
    y = fwd(name)(x)
    assert y.dtype == result and y.shape == x.shape
    dx = bwd(name)(x, x)
    assert dx.dtype == result


@pytest.mark.parametrize("name", NAMES)
def test_float16_computed_in_float32(name):
    x = np.linspace(-8, 8, 1001).astype(np.float16)
    y = fwd(name)(x)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, fwd(name)(x.astype(np.float32)).astype(np.float16))
    g = np.linspace(-1, 1, 1001).astype(np.float16)
    np.testing.assert_array_equal(bwd(name)(g, x),
                                  bwd(name)(g.astype(np.float32), x.astype(np.float32)).astype(np.float16))


def test_float16_results_beyond_its_range_are_inf_without_a_warning():
    # computed in float32 and rounded to float16: e^12, a clip at 1e30, a sum of gradients beyond 65504
    # are inf there, as NumPy's float16 arithmetic gives, with no overflow warning (SPEC)
    import warnings
    x = np.array([[12.0, -1.0, 60000.0, 3.0]], np.float16)
    g = np.full(x.shape, 60000, np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(fastact.exponential(x)[0, 0])
        assert np.isinf(fastact.relu(np.array([np.inf], np.float16), max_value=1e30)[0])
        assert np.isinf(fastact.log_softmax_backward(g, fastact.log_softmax(x))).any()
        dx, dalpha = fastact.prelu_backward(np.full((40, 4), 60000, np.float16),
                                            np.full((40, 4), -60000, np.float16), np.float16(3.0))
        assert dalpha.dtype == np.float16 and np.isinf(dalpha)
        for name in NAMES:
            y = fwd(name)(x)
            bwd(name)(g, y if SAVED[name] == "y" else x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_relu_max_value_beyond_the_dtype_still_clips_at_zero(dtype):
    # Keras clips to [0, max_value] whenever max_value is given, also where it rounds to inf in the
    # dtype (1e300 in float32): x between the threshold and 0 gives 0, not x (as max_value=None does)
    from fastact._testing import reference
    # max_value=inf is a given bound too (Keras's ReLU takes it): the same
    x = np.array([-20, -5, -1e-3, -0.0, 0, 3, 20, np.inf, -np.inf, np.nan], dtype)
    for big, slope in itertools.product((1e300 if dtype != np.float16 else 1e30, np.inf), (0.0, 0.1)):
        y = fastact.relu(x, slope, big, -10.0)
        np.testing.assert_array_equal(y, np.asarray(reference("relu", x, slope, big, -10.0)).astype(dtype))
        assert (y[1:3] == 0).all()
        np.testing.assert_array_equal(fastact.relu(x, slope, None, -10.0)[1:3], x[1:3])
        g = np.ones_like(x)
        np.testing.assert_array_equal(fastact.relu_backward(g, x, slope, big, -10.0),
                                      np.asarray(reference("relu_backward", g, x, slope, big, -10.0)).astype(dtype))


@pytest.mark.parametrize("name", NAMES)
def test_bfloat16_when_available(name):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = np.linspace(-8, 8, 101).astype(ml_dtypes.bfloat16)
    y = fwd(name)(x)
    assert y.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(y.astype(np.float32),
                                  fwd(name)(x.astype(np.float32)).astype(ml_dtypes.bfloat16).astype(np.float32))


@pytest.mark.parametrize("name", NAMES)
def test_byte_swapped_input(name):
    x = np.linspace(-5, 5, 50)
    y = fwd(name)(x.astype(">f8"))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, fwd(name)(x))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (7,), (2, 3, 4, 5)])
def test_shapes(name, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    y = fwd(name)(x)
    assert isinstance(y, np.ndarray) and y.shape == shape and y.dtype == np.float64
    dx = bwd(name)(np.ones(shape), x)
    assert dx.shape == shape
    if x.size:
        np.testing.assert_array_equal(y.ravel(), fwd(name)(x.ravel()))


@pytest.mark.parametrize("name", NAMES)
def test_array_likes(name):
    assert fwd(name)([[-1.0, 2.0]]).shape == (1, 2)
    assert fwd(name)(3).shape == ()
    assert fwd(name)(2.5).dtype == np.float64
    np.testing.assert_array_equal(fwd(name)((1, -1)), fwd(name)(np.array([1.0, -1.0])))
    np.testing.assert_array_equal(bwd(name)([1.0, 1.0], [0.5, -0.5]),
                                  bwd(name)(np.array([1.0, 1.0]), np.array([0.5, -0.5])))


@pytest.mark.parametrize("name", NAMES)
def test_fortran_order_is_kept(name):
    x = np.asfortranarray(np.random.default_rng(0).standard_normal((40, 30)))
    y = fwd(name)(x)
    assert y.flags.f_contiguous
    np.testing.assert_array_equal(y, fwd(name)(np.ascontiguousarray(x)))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("out_layout", ["C", "F", "strided", "reversed"])
def test_out_any_strides(name, out_layout):
    x = np.random.default_rng(1).standard_normal((20, 31)).astype(np.float32)
    expected = fwd(name)(x)
    if out_layout == "C":
        out = np.empty_like(x)
    elif out_layout == "F":
        out = np.empty_like(x, order="F")
    elif out_layout == "strided":
        out = np.empty((40, 62), np.float32)[::2, ::2]
    else:
        out = np.empty_like(x)[::-1, ::-1]
    result = fwd(name)(x, out=out)
    assert result is out
    np.testing.assert_array_equal(out, expected)
    g = np.ones_like(x)
    assert bwd(name)(g, x, out=out) is out
    np.testing.assert_array_equal(out, bwd(name)(g, x))


@pytest.mark.parametrize("name", NAMES)
def test_in_place(name):
    x = np.random.default_rng(2).standard_normal((50, 17)) * 4
    expected = fwd(name)(x)
    x2 = x.copy()
    assert fwd(name)(x2, out=x2) is x2
    np.testing.assert_array_equal(x2, expected)
    # in place on a non-contiguous view
    big = np.zeros((100, 34))
    view = big[::2, ::2]
    view[...] = x
    fwd(name)(view, out=view)
    np.testing.assert_array_equal(view, expected)
    assert not big[1::2].any()  # nothing outside the view was touched


@pytest.mark.parametrize("name", NAMES)
def test_backward_out_aliasing_grad_and_saved(name):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1000) * 3
    saved = fwd(name)(x) if SAVED[name] == "y" else x
    g = rng.standard_normal(1000)
    expected = bwd(name)(g, saved)
    g2 = g.copy()
    assert bwd(name)(g2, saved, out=g2) is g2
    np.testing.assert_array_equal(g2, expected)
    s2 = saved.copy()
    assert bwd(name)(g, s2, out=s2) is s2
    np.testing.assert_array_equal(s2, expected)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shift", [1, 5, -3])
def test_partial_overlap_is_correct(name, shift):
    buf = np.random.default_rng(4).standard_normal(200_000) * 3
    n = 150_000
    x = buf[10:10 + n]
    expected = fwd(name)(x.copy())
    out = buf[10 + shift:10 + shift + n]
    fwd(name)(x, out=out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", NAMES)
def test_inputs_not_modified(name):
    x = np.random.default_rng(5).standard_normal(1000)
    x.flags.writeable = False
    g = np.ones(1000)
    g.flags.writeable = False
    fwd(name)(x)
    bwd(name)(g, x)
    np.testing.assert_array_equal(g, 1.0)


def test_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300], np.float64)
    for dtype in (np.float32, np.float64):
        xs = x.astype(dtype) if dtype == np.float64 else np.array([np.nan, np.inf, -np.inf, 0, -0.0, 3e38, -3e38], dtype)
        with np.errstate(all="raise"):
            s = fastact.sigmoid(xs)
            t = fastact.tanh(xs)
            r = fastact.relu(xs)
            lr = fastact.leaky_relu(xs)
        np.testing.assert_array_equal(s, np.array([np.nan, 1, 0, 0.5, 0.5, 1, 0], dtype))
        np.testing.assert_array_equal(t, np.array([np.nan, 1, -1, 0, -0.0, 1, -1], dtype))
        assert np.signbit(t[4])  # tanh(-0) = -0
        np.testing.assert_array_equal(r, np.array([np.nan, np.inf, 0, 0, 0, xs[5], 0], dtype))
        np.testing.assert_array_equal(lr[:3], np.array([np.nan, np.inf, -np.inf], dtype))
    # Keras options keep NaN and the limits
    r = fastact.relu(np.array([np.nan, np.inf, -np.inf]), negative_slope=0.1, max_value=6.0, threshold=1.0)
    np.testing.assert_array_equal(r, [np.nan, 6.0, -np.inf])
    assert fastact.relu(np.array([-np.inf]), max_value=6.0)[0] == 0.0


def test_sigmoid_exact_limits_float32():
    x = np.array([17.32868, 17.4, 50, 88.8, -100.0, -104.5, -150, -1e38], np.float32)
    s = fastact.sigmoid(x)
    np.testing.assert_array_equal(s[:4], 1.0)
    np.testing.assert_array_equal(s[5:], 0.0)
    assert 0 < s[4] < np.finfo(np.float32).tiny  # subnormal, not flushed
    assert fastact.tanh(np.float32(9.02)) == 1.0


def _half_dtypes():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    return [np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)]


@pytest.mark.parametrize("brain", [False, True], ids=["float16", "bfloat16"])
def test_half_conversions_round_as_numpy_does(simd_level, brain):
    # the kernels' own float16/bfloat16 <-> float32 conversions (NumPy's float16 casts are scalar code,
    # 10-100 times slower): every 16-bit pattern widened exactly, and float32 values narrowed as NumPy
    # (ml_dtypes for bfloat16) rounds them: a sample of all bit patterns, and each 16-bit value, its
    # float32 neighbours and the midpoints between consecutive values (the ties)
    from fastact import _dispatch
    dtype = _half_dtypes()[brain]
    kernels = _dispatch.kernels
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    wide = np.empty(bits.size, np.float32)
    kernels.widen(bits, wide, brain, 2)
    expected = bits.view(dtype).astype(np.float32)
    nan = np.isnan(expected)
    np.testing.assert_array_equal(wide[~nan].view(np.uint32), expected[~nan].view(np.uint32))
    assert np.isnan(wide[nan]).all()
    # a NaN's bits do not depend on its place (AVX-512's vector body and the scalar tail alike)
    for at in (0, 16):
        place = np.zeros((bits[nan].size, 17), np.uint16)
        place[:, at] = bits[nan]
        got = np.empty(place.shape, np.float32)
        for row, out in zip(place, got):
            kernels.widen(row, out, brain, 1)
        np.testing.assert_array_equal(got[:, at].view(np.uint32), wide[nan].view(np.uint32))
    finite = np.sort(expected[np.isfinite(expected)]).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        values = np.concatenate([
            np.arange(0, 1 << 32, 65537, dtype=np.uint64).astype(np.uint32).view(np.float32),
            np.random.default_rng(7).integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
            expected, np.nextafter(expected, np.float32(np.inf)), np.nextafter(expected, np.float32(-np.inf)),
            ((finite[:-1] + finite[1:]) / 2).astype(np.float32)]).astype(np.float32)
        narrowed = np.empty(values.size, np.uint16)
        kernels.narrow(values, narrowed, brain, 2)
        reference = values.astype(dtype)
    nan = np.isnan(values)
    np.testing.assert_array_equal(narrowed[~nan], reference[~nan].view(np.uint16))
    assert np.isnan(narrowed[nan].view(dtype).astype(np.float32)).all()


@pytest.mark.parametrize("n_threads", [1, 2])
def test_conversions_chunk_by_chunk_give_the_whole_arrays_results(monkeypatch, n_threads):
    # elementwise calls that convert (float16, bfloat16, integers, a float64 saved for a float32 grad,
    # byte-swapped arrays) go chunk by chunk past _core._CHUNK elements (a float16 array took five times
    # its size in temporaries): the same results as one whole-array conversion, in every layout, with
    # out= in place, and with an out= that overlaps the input one element along
    from fastact import _core
    rng = np.random.default_rng(3)
    base = (rng.standard_normal((70, 53)) * 6).astype(np.float32)
    g = rng.standard_normal(base.shape).astype(np.float32)
    inputs = {dtype.name: base.astype(dtype) for dtype in _half_dtypes()}
    inputs.update(int64=np.rint(base).astype(np.int64), swapped=base.astype(">f4"))
    cases = []
    for key, x in inputs.items():
        cases += [(key, lambda x=x: fastact.gelu(x, n_threads=n_threads)),
                  (key + " F", lambda x=x: fastact.silu(np.asfortranarray(x), n_threads=n_threads)),
                  (key + " strided", lambda x=x: fastact.elu(x[::2, ::-3], n_threads=n_threads)),
                  (key + " backward", lambda x=x: fastact.gelu_backward(x, x, n_threads=n_threads))]
    cases += [("float64 saved", lambda: fastact.tanh_backward(g, base.astype(np.float64) * 1e38, n_threads=n_threads)),
              ("float32 grad, float16 saved", lambda: fastact.silu_backward(g, base.astype(np.float16),
                                                                               n_threads=n_threads))]
    for out_order in "CF":
        def into_out(order=out_order):
            out = np.empty(base.shape, np.float16, order=order)
            assert fastact.softplus(base.astype(np.float16), out=out, n_threads=n_threads) is out
            return out
        cases.append(("out " + out_order, into_out))

    def in_place():
        x = base.astype(np.float16)
        fastact.sigmoid(x, out=x, n_threads=n_threads)
        return x

    def overlapping(shift):
        buf = np.zeros(base.size + 1, np.float16)
        x, out = (buf[1:], buf[:-1]) if shift > 0 else (buf[:-1], buf[1:])
        x[...] = base.reshape(-1)
        fastact.hard_silu(x, out=out, n_threads=n_threads)
        return out.copy()

    cases += [("in place", in_place), ("out one before x", lambda: overlapping(1)),
              ("out one after x", lambda: overlapping(-1))]
    whole = {key: call() for key, call in cases}
    monkeypatch.setattr(_core, "_CHUNK", 1000)
    for key, call in cases:
        chunked = call()
        assert chunked.dtype == whole[key].dtype and chunked.shape == whole[key].shape, key
        np.testing.assert_array_equal(chunked.astype(np.float64), whole[key].astype(np.float64), err_msg=key)
    # and the overlapping ones as from a copy of x
    np.testing.assert_array_equal(whole["out one before x"], fastact.hard_silu(base.reshape(-1).astype(np.float16)))
    np.testing.assert_array_equal(whole["out one after x"], fastact.hard_silu(base.reshape(-1).astype(np.float16)))
    np.testing.assert_array_equal(whole["float16"], fastact.gelu(inputs["float16"].astype(np.float32)).astype(np.float16))


@pytest.mark.parametrize("n_threads", [1, 2])
def test_half_calls_give_the_float32_results_rounded(n_threads):
    # forward_half and backward_half (each thread's blocks of 16,384 widened, computed and rounded back):
    # the float32 call's results rounded, over several blocks and threads, in place and one element off
    rng = np.random.default_rng(5)
    for dtype in _half_dtypes():
        x = (rng.standard_normal(70_001) * 6).astype(dtype)
        g = rng.standard_normal(x.size).astype(dtype)
        wide_x, wide_g = x.astype(np.float32), g.astype(np.float32)
        for name in ("gelu", "softplus", "hard_silu", "elu"):
            np.testing.assert_array_equal(fwd(name)(x, n_threads=n_threads).astype(np.float32),
                                          fwd(name)(wide_x).astype(dtype).astype(np.float32), err_msg=name)
            np.testing.assert_array_equal(bwd(name)(g, x, n_threads=n_threads).astype(np.float32),
                                          bwd(name)(wide_g, wide_x).astype(dtype).astype(np.float32), err_msg=name)
        y = x.copy()
        fastact.silu(y, out=y, n_threads=n_threads)
        np.testing.assert_array_equal(y.astype(np.float32), fastact.silu(wide_x).astype(dtype).astype(np.float32))
        buf = np.zeros(x.size + 1, dtype)
        buf[1:] = x
        fastact.tanh(buf[1:], out=buf[:-1], n_threads=n_threads)
        np.testing.assert_array_equal(buf[:-1].astype(np.float32), fastact.tanh(wide_x).astype(dtype).astype(np.float32))
