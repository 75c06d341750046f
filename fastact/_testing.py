"""Helpers shared by the test suite and the benchmarks: ULP measurement against the reference and a
generator of array layouts.  Not part of the public API."""
import numpy as np

from fastact import _reference
from fastact._table import ACTIVATIONS

ROWS = {row.name: row for row in ACTIVATIONS}


def default_params(row):
    return tuple(p.default for p in row.params)


def backward_bound(row, dtype):
    """The backward accuracy (ULP) promised for ``row`` in ``dtype`` (0: exact)."""
    f64 = np.dtype(dtype) == np.float64
    if row.backward_ulp is not None:
        return row.backward_ulp[f64]
    return 0 if row.float32_ulp == 0 else (2.0 if f64 else 1.0)


def ulp_errors(actual, exact, dtype):
    """Error of ``actual`` against ``exact`` (longdouble) in ULPs of ``dtype``, where |exact| >= tiny.

    Returns (ulps, subnormal_abs_error): the second array holds |actual - exact| where |exact| < tiny,
    which SPEC requires to be < tiny.  NaN/inf agreement is checked separately (``assert_special_match``).
    """
    finfo = np.finfo(dtype)
    exact = np.asarray(exact, np.longdouble)
    actual = np.asarray(actual).astype(np.longdouble)
    finite = np.isfinite(exact) & np.isfinite(actual)
    exact, actual = exact[finite], actual[finite]
    mag = np.abs(exact)
    normal = mag >= finfo.tiny
    _, e = np.frexp(mag[normal])
    ulp = np.ldexp(np.longdouble(1), e.astype(np.int64) - finfo.nmant - 1)
    return np.abs(actual[normal] - exact[normal]) / ulp, np.abs(actual[~normal] - exact[~normal])


def assert_backward_matches(row, dx, exact, grad, saved, dtype):
    """dx against the reference within the row's backward bound; relative to |g| * max(1, |x|) where
    a float64 derivative cancels (``row.backward_cancels``)."""
    bound = backward_bound(row, dtype)
    if not (row.backward_cancels and np.dtype(dtype) == np.float64):
        assert_matches_reference(dx, exact, dtype, bound)
        return
    assert_special_match(dx, exact)
    worst = scaled_ulp_error(dx, exact, grad, saved)
    assert worst <= bound, f"max error {worst:.3f} ULP of |g| max(1, |x|) > {bound}"


def scaled_ulp_error(dx, exact, grad, saved):
    """Largest float64 error of dx in ULP of max(|exact|, |g| max(1, |x|)): the measure for backward
    passes whose derivative crosses zero (``row.backward_cancels``)."""
    scale = np.abs(np.asarray(grad, np.longdouble)) * np.maximum(1, np.abs(np.asarray(saved, np.longdouble)))
    err = scaled_errors(dx, exact, scale, np.float64)
    return float(err.max()) if err.size else 0.0


def assert_special_match(actual, expected):
    """NaN exactly where expected is NaN, infinities exactly where expected has them, and equal.  (An
    overflow of the reference's dtype counts: where the longdouble value is beyond the result dtype's
    range, the result must be that infinity.)"""
    actual, expected = np.asarray(actual), np.asarray(expected)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg="NaN positions differ")
    rounded = expected.astype(actual.dtype) if actual.dtype.kind == "f" else expected
    inf = np.isinf(rounded)
    np.testing.assert_array_equal(np.isinf(actual), inf, err_msg="inf positions differ")
    np.testing.assert_array_equal(actual[inf], rounded[inf], err_msg="inf differ")


def assert_matches_reference(actual, exact, dtype, max_ulp):
    """``actual`` (dtype) equals the reference within ``max_ulp`` (0: bit-exact incl. NaN positions)."""
    dtype = np.dtype(dtype)
    assert actual.dtype == dtype, (actual.dtype, dtype)
    if max_ulp == 0:
        np.testing.assert_array_equal(actual, np.asarray(exact).astype(dtype))
        return
    assert_special_match(actual, exact)
    ulps, sub = ulp_errors(actual, exact, dtype)
    worst = float(ulps.max()) if ulps.size else 0.0
    assert worst <= max_ulp, f"max error {worst:.3f} ULP > {max_ulp} ULP"
    if sub.size:
        assert float(sub.max()) < np.finfo(dtype).tiny, "absolute error >= tiny below the normal range"


def reference(name, *args, **kwargs):
    # signalling-NaN bit patterns raise "invalid" when NumPy converts them; that is not an error here
    with np.errstate(invalid="ignore", over="ignore"):
        return getattr(_reference, name)(*args, **kwargs)


def layouts(base):
    """(label, array) pairs holding ``base``'s values (a 2-D or higher array) in many memory layouts."""
    base = np.asarray(base)
    out = [("C", np.ascontiguousarray(base)), ("F", np.asfortranarray(base))]
    big = np.zeros(tuple(2 * s + 1 for s in base.shape), base.dtype)
    view = big[tuple(slice(1, None, 2) for _ in base.shape)]
    view[...] = base
    out.append(("strided", view))
    rev = np.ascontiguousarray(base[(slice(None, None, -1),) * base.ndim])[(slice(None, None, -1),) * base.ndim]
    out.append(("negative-strides", rev))
    out.append(("transposed", np.ascontiguousarray(base.T).T))
    ro = base.copy()
    ro.flags.writeable = False
    out.append(("read-only", ro))
    raw = np.zeros(base.nbytes + base.itemsize, np.uint8)[1:1 + base.nbytes]
    unaligned = raw.view(base.dtype).reshape(base.shape)
    unaligned[...] = base
    out.append(("unaligned", unaligned))
    return out


def axis_backward_scale(name, grad, saved, axis=-1):
    """The magnitude of the terms of an axis function's backward (longdouble), per element: the error
    measure where dx = (a difference of terms) nearly cancels, as ``scaled_ulp_error`` is for the
    elementwise ones.  softmax: |y| (|g| + |sum g y|); log_softmax: |g| + exp(y) |sum g|; sparsemax:
    |g| + |mean of g on the support|; glu: |dx| itself (its derivatives do not cancel)."""
    g, s = np.asarray(grad, np.longdouble), np.asarray(saved, np.longdouble)
    if name == "glu":
        return np.abs(_reference.glu_backward(grad, saved, axis))
    axes = _reference._axes(s, axis)
    if name == "softmax":
        return np.abs(s) * (np.abs(g) + np.abs(np.sum(g * s, axis=axes, keepdims=True)))
    if name == "log_softmax":
        return np.abs(g) + np.exp(s) * np.abs(np.sum(g, axis=axes, keepdims=True))
    on = s > 0
    mean = np.sum(np.where(on, g, 0), axis=axes, keepdims=True) / np.maximum(np.sum(on, axis=axes, keepdims=True), 1)
    return np.where(on, np.abs(g) + np.abs(mean), 0)


def scaled_errors(actual, exact, scale, dtype):
    """|actual - exact| in ULP of max(|exact|, scale), ``dtype``'s ULP, over the references that are
    finite in ``dtype`` (beyond its range the result must be the infinity: assert_special_match)."""
    exact = np.asarray(exact, np.longdouble)
    mag = np.maximum(np.abs(exact), np.asarray(scale, np.longdouble))
    with np.errstate(over="ignore"):
        ok = np.isfinite(exact.astype(dtype)) & np.isfinite(mag)
    finfo = np.finfo(dtype)
    ulp = np.ldexp(np.longdouble(1), np.frexp(np.maximum(mag[ok], finfo.tiny))[1].astype(np.int64) - finfo.nmant - 1)
    return np.abs(np.asarray(actual, np.longdouble)[ok] - exact[ok]) / ulp
