"""Pure-NumPy reference of every activation: the definition the fast kernels are tested against.

Transcendental functions are evaluated in ``np.longdouble`` (64-bit significand on x86-64) and returned in
it, so a float64 result can be checked to a fraction of an ULP.  The piecewise-linear ReLU family is
evaluated in the input's own float dtype with the same operations Keras uses, so results must match
exactly.  Clarity over speed; no fastact code is used here.
"""
import warnings

import numpy as np

_LD = np.longdouble


def _ld(a):
    return np.asarray(a, dtype=_LD)


def sigmoid(x):
    x = _ld(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_backward(grad, y):
    y = _ld(y)
    return _ld(grad) * y * (1 - y)


def tanh(x):
    return np.tanh(_ld(x))


def tanh_backward(grad, y):
    y = _ld(y)
    return _ld(grad) * ((1 - y) * (1 + y))  # 1 - y*y would cancel catastrophically near |y| = 1


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3 ``ReLU.static_call`` semantics, in x's dtype."""
    x = np.asarray(x)
    dt = x.dtype.type
    slope, thr = dt(negative_slope), dt(threshold)
    if max_value is None:
        pos = x
    else:
        pos = np.clip(x, dt(0), dt(max_value))
    neg = np.zeros_like(x) if slope == 0 else slope * (x - thr)
    return np.where(np.isnan(x), x, np.where(x > thr, pos, neg))


def relu_backward(grad, x, negative_slope=0.0, max_value=None, threshold=0.0):
    grad, x = np.asarray(grad), np.asarray(x)
    dt = grad.dtype.type
    slope, thr = dt(negative_slope), dt(threshold)
    x = x.astype(grad.dtype)
    # Keras's gradient, kinks included: the leaky op where Keras calls it (a slope, no max_value,
    # threshold 0: a g at 0); else its composite's (parts strict inside, relu6's 0 < x < 6 for
    # max_value 6 and threshold 0, a clip passing g at both its bounds, no leak at the threshold)
    passes = x > thr
    leaks = x < thr
    if max_value is None:
        if slope != 0 and thr == 0:
            leaks = x <= 0
    elif thr == 0 and max_value == 6:
        passes &= x < 6
    else:
        # (the bound as the kernels hold it: in float32 for float16, inf beyond the compute dtype)
        held = np.float32 if np.dtype(dt).itemsize < 4 else dt
        passes &= (x >= 0) & (x <= (held(max_value) if abs(max_value) <= float(np.finfo(held).max) else np.inf))
    neg = np.zeros_like(grad) if slope == 0 else slope * grad
    dx = np.where(passes, grad, np.where(leaks, neg, dt(0)))
    return np.where(np.isnan(x), x, dx)


def leaky_relu(x, alpha=0.01):
    x = np.asarray(x)
    a = x.dtype.type(alpha)
    neg = np.zeros_like(x) if a == 0 else a * x
    return np.where((x >= 0) | np.isnan(x), x, neg)


def leaky_relu_backward(grad, x, alpha=0.01):
    grad, x = np.asarray(grad), np.asarray(x)
    a = grad.dtype.type(alpha)
    x = x.astype(grad.dtype)
    neg = np.zeros_like(grad) if a == 0 else a * grad
    return np.where(np.isnan(x), x, np.where(x > 0, grad, neg))


def prelu(x, alpha):
    """y = x if x > 0 else alpha * x (alpha broadcast, cast to x's dtype; alpha == 0 gives 0, not NaN,
    at x = -inf, as leaky_relu)."""
    x = np.asarray(x)
    a = np.broadcast_to(np.asarray(alpha).astype(x.dtype), x.shape)
    neg = np.where(a == 0, x.dtype.type(0), a * x)
    return np.where((x > 0) | np.isnan(x), x, neg)


def prelu_backward(grad, x, alpha):
    """(dx, dalpha): dalpha sums grad * x over x <= 0 along alpha's broadcast axes, in longdouble."""
    grad, x = np.asarray(grad), np.asarray(x).astype(np.asarray(grad).dtype)
    alpha = np.asarray(alpha)
    a = np.broadcast_to(alpha.astype(grad.dtype), x.shape)
    # (Keras's PReLU, relu(x) - alpha relu(-x): 0 at x = 0)
    dx = np.where(np.isnan(x), x, np.where(x > 0, grad, np.where((a == 0) | (x == 0), grad.dtype.type(0), a * grad)))
    contrib = np.where(x > 0, 0, grad.astype(_LD) * x.astype(_LD))
    padded = (1,) * (x.ndim - alpha.ndim) + alpha.shape
    axes = tuple(i for i, p in enumerate(padded) if p == 1)
    dalpha = contrib.sum(axis=axes, keepdims=True).reshape(alpha.shape)
    return dx, dalpha


def _maxout_groups(x, num_units, axis):
    x = np.asarray(x)
    ax = axis % x.ndim
    k = x.shape[ax] // num_units
    return x.reshape(x.shape[:ax] + (k, num_units) + x.shape[ax + 1:]), ax


def maxout(x, num_units, axis=-1):
    """tfa.layers.Maxout: reshape the axis into (k, num_units) and take the max over k (NaN wins)."""
    g, ax = _maxout_groups(x, num_units, axis)
    return np.max(g, axis=ax)


def maxout_backward(grad, x, num_units, axis=-1):
    """Gradient to the first maximum of each group (np.argmax: first occurrence, NaN counts as max)."""
    g, ax = _maxout_groups(x, num_units, axis)
    grad = np.asarray(grad)
    first = np.expand_dims(np.argmax(g, axis=ax), ax)
    onehot = np.arange(g.shape[ax]).reshape((-1,) + (1,) * (g.ndim - ax - 1)) == first
    return np.where(onehot, np.expand_dims(grad, ax), grad.dtype.type(0)).reshape(np.shape(x))


def positive_counts(x, unit_axes):
    """How often each unit (indexed by unit_axes) is > 0 over all other axes."""
    x = np.asarray(x)
    unit_axes = tuple(a % x.ndim for a in unit_axes)
    return np.sum(x > 0, axis=tuple(i for i in range(x.ndim) if i not in unit_axes))


# ==== Keras 3's other elementwise activations ====================================================
# The transcendental ones in longdouble from their definitions (stable forms where a naive one would
# lose the digits being checked); the piecewise-linear ones with Keras's operations in x's dtype.
# Limits at +-inf are written out where the formula would give inf * 0.


def _where_nan(x, r):
    return np.where(np.isnan(x), x, r)


def _erfc_of_x(x, precise):
    """erfc(-x / sqrt2) (twice the normal CDF) in longdouble: mpmath at 100 bits from x itself where the
    caller checks float64 results (``precise``; x / sqrt2 rounded to longdouble first put 2^-64 of z into
    erfc's exponent -z^2, up to 0.9 float64 ULP near x = -35), else SciPy's double erfc, whose ~1e-16
    relative error is far below a float32 ULP."""
    x = np.asarray(x, _LD)
    if not precise:
        from scipy.special import erfc
        return erfc(-(x / _SQRT2).astype(np.float64)).astype(_LD)
    import mpmath
    flat = np.clip(x, -170, 43).ravel()    # erfc is 0 / 2 below longdouble's range outside
    out = np.empty(flat.shape, _LD)
    # (NumPy warns "overflow" when a string holds a value below longdouble's range; it becomes 0)
    with mpmath.workprec(100), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        root2 = mpmath.sqrt(2)
        for i, v in enumerate(flat):
            # float64 inputs are exact as a float; a longdouble one through its repr
            m = mpmath.mpf(float(v)) if float(v) == v else mpmath.mpf(str(v))
            out[i] = _LD(mpmath.nstr(mpmath.erfc(-m / root2), 30)) if np.isfinite(v) else (
                _LD(2) if v > 0 else (_LD(0) if v < 0 else v))
    return out.reshape(x.shape)


def _gelu_tanh_sigmoid(x):
    """sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), for float64 x, by mpmath at 100 bits: in longdouble
    2u's rounding (2^-64 of up to 745) reached e^(2u) as ~0.5 float64 ULP, as much as the kernel's own
    error near x = -18."""
    import mpmath
    flat = np.clip(np.asarray(x, _LD), -60, 60).ravel()    # sigmoid(2u) is 0 / 1 far beyond
    out = np.empty(flat.shape, _LD)
    with mpmath.workprec(100), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        k0, k1 = mpmath.sqrt(2 / mpmath.pi), mpmath.mpf(1) * 44715 / 1000000
        for i, v in enumerate(flat):
            m = mpmath.mpf(float(v)) if float(v) == v else mpmath.mpf(str(v))
            out[i] = _LD(mpmath.nstr(1 / (1 + mpmath.exp(-2 * k0 * (m + k1 * m ** 3))), 30))
    return out.reshape(np.shape(x))


def _param(x, value):
    """A scalar parameter as the kernels see it: rounded to the array's float dtype first."""
    dt = np.asarray(x).dtype
    return _LD(dt.type(value) if dt.kind == "f" else value)


def elu(x, alpha=1.0):
    a = _param(x, alpha)
    x = _ld(x)
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


def elu_backward(grad, x, alpha=1.0):
    a = _param(x, alpha)
    x = _ld(x)
    return _where_nan(x, _ld(grad) * np.where(x > 0, 1, a * np.exp(np.minimum(x, 0))))


_SELU_SCALE = _LD("1.0507009873554804934193349852946")
_SELU_ALPHA = _LD("1.6732632423543772848170429916717")


def selu(x):
    x = _ld(x)
    return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def selu_backward(grad, x):
    x = _ld(x)
    # (g scale from x = 0 on, -0 included: Keras's, TensorFlow's SeluGrad)
    return _where_nan(x, _ld(grad) * _SELU_SCALE * np.where(x >= 0, 1, _SELU_ALPHA * np.exp(np.minimum(x, 0))))


def celu(x, alpha=1.0):
    x, a = _ld(x), _param(x, alpha)
    with np.errstate(over="ignore"):
        return np.where(x > 0, x, a * np.expm1(np.where(x > 0, 0, x) / a))


def celu_backward(grad, x, alpha=1.0):
    x, a = _ld(x), _param(x, alpha)
    with np.errstate(over="ignore", invalid="ignore"):
        return _where_nan(x, np.where(x > 0, _ld(grad), _ld(grad) * np.exp(np.where(x > 0, 0, x) / a)))


_PI = _LD("3.14159265358979323846264338327950288")   # np.pi is a double
_SQRT2 = np.sqrt(_LD(2))
_SQRT_2_PI = np.sqrt(_LD(2) / _PI)


def gelu(x, approximate=False):
    precise = np.asarray(x).dtype == np.float64
    x = _ld(x)
    fin = np.isfinite(x)
    xf = np.where(fin, x, 0)
    if approximate:
        if precise:
            r = xf * _gelu_tanh_sigmoid(xf)
        else:
            u = _SQRT_2_PI * (xf + _LD("0.044715") * xf ** 3)
            r = xf * np.where(u >= 0, 1 / (1 + np.exp(-2 * np.abs(u))),
                              np.exp(-2 * np.abs(u)) / (1 + np.exp(-2 * np.abs(u))))
    else:
        r = xf * _erfc_of_x(xf, precise) / 2
    return np.where(fin, r, np.where(x > 0, x, np.where(np.isnan(x), x, -_LD(0))))


def gelu_backward(grad, x, approximate=False):
    precise = np.asarray(x).dtype == np.float64
    x, grad = _ld(x), _ld(grad)
    fin = np.isfinite(x)
    xf = np.where(fin, x, 0)
    if approximate:
        u = _SQRT_2_PI * (xf + _LD("0.044715") * xf ** 3)
        e = np.exp(-2 * np.abs(u))
        s = np.where(u >= 0, 1 / (1 + e), e / (1 + e))
        sn = np.where(u >= 0, e / (1 + e), 1 / (1 + e))
        d = s + xf * s * sn * 2 * _SQRT_2_PI * (1 + 3 * _LD("0.044715") * xf ** 2)
    else:
        d = _erfc_of_x(xf, precise) / 2 + xf * np.exp(-xf * xf / 2) / np.sqrt(2 * _PI)
    return _where_nan(x, grad * np.where(fin, d, np.where(x > 0, 1, 0)))


def _sig_pair(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)), np.where(x >= 0, z / (1 + z), 1 / (1 + z))


def silu(x):
    x = _ld(x)
    with np.errstate(invalid="ignore"):
        r = x * sigmoid(x)
    return np.where(np.isneginf(x), -_LD(0), r)


def silu_backward(grad, x):
    x = _ld(x)
    s, sn = _sig_pair(x)
    with np.errstate(invalid="ignore"):
        d = s * (1 + x * sn)
    return _where_nan(x, _ld(grad) * np.where(np.isinf(x), np.where(x > 0, 1, 0), d))


def softplus(x):
    x = _ld(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def softplus_backward(grad, x):
    return _ld(grad) * sigmoid(x)


def log_sigmoid(x):
    x = _ld(x)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid_backward(grad, x):
    return _ld(grad) * _sig_pair(_ld(x))[1]


def softsign(x):
    x = _ld(x)
    return np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x)))


def softsign_backward(grad, x):
    x = _ld(x)
    return _ld(grad) / (1 + np.abs(x)) ** 2


def mish(x):
    # x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2)
    x = _ld(x)
    z = np.exp(np.minimum(x, 40))
    n = z * (z + 2)
    with np.errstate(invalid="ignore"):
        r = np.where(x > 40, x, x * n / (n + 2))
    return np.where(np.isneginf(x), -_LD(0), r)


def mish_backward(grad, x):
    x = _ld(x)
    z = np.exp(np.minimum(x, 40))
    n = z * (z + 2)
    t = n + 2
    with np.errstate(invalid="ignore"):
        d = n / t + x * (z / (1 + z)) * (4 * (n + 1) / (t * t))
    d = np.where(x > 40, 1, np.where(np.isneginf(x), 0, d))
    return _where_nan(x, _ld(grad) * d)


def exponential(x):
    with np.errstate(over="ignore"):
        return np.exp(_ld(x))


def exponential_backward(grad, y):
    return _ld(grad) * _ld(y)


def linear(x):
    return np.asarray(x)


def linear_backward(grad, x):
    return np.asarray(grad)


def _tanh_series_coefficients(n):
    """x - tanh(x) = sum_k c_k x^(2k+1), k = 1..n: c_k = -2^(2k+2) (2^(2k+2) - 1) B_(2k+2) / (2k+2)!
    (exact rationals; Bernoulli numbers by the Akiyama-Tanigawa algorithm)."""
    from fractions import Fraction
    from math import factorial
    m = 2 * n + 3
    a, bern = [Fraction(0)] * (m + 1), []
    for i in range(m + 1):
        a[i] = Fraction(1, i + 1)
        for j in range(i, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        bern.append(a[0])                      # B_i (with B_1 = +1/2, unused)
    return [-Fraction(2 ** (2 * k + 2) * (2 ** (2 * k + 2) - 1)) * bern[2 * k + 2] / factorial(2 * k + 2)
            for k in range(1, n + 1)]


_TANH_SHRINK_C = [_LD(c.numerator) / _LD(c.denominator) for c in _tanh_series_coefficients(30)]


def tanh_shrink(x):
    # below 0.5 the series (30 terms: < 2^-90), where x - tanh(x) would cancel in longdouble too
    x = _ld(x)
    x2 = x * x
    p = np.zeros_like(x)
    for c in reversed(_TANH_SHRINK_C):
        p = p * x2 + c
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(np.abs(x) < _LD(0.5), x * x2 * p, x - np.tanh(x))


def tanh_shrink_backward(grad, x):
    return _ld(grad) * np.tanh(_ld(x)) ** 2


def squareplus(x, b=4.0):
    b = _param(x, b)
    x = _ld(x)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s = np.where(b == 0, np.abs(x), np.sqrt(x * x + b))
        r = np.where(x >= 0, (x + s) / 2, b / (2 * (s - x)))
    # b = 0: (x + |x|) / 2, Keras's formula, which gives +0 for -0 (np.maximum(x, 0) would give -0)
    return np.where(np.isinf(x), np.where(x > 0, x, 0), np.where(b == 0, (x + np.abs(x)) / 2, r))


def squareplus_backward(grad, x, b=4.0):
    b = _param(x, b)
    x = _ld(x)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        s = np.sqrt(x * x + b)
        r = np.where(x >= 0, (1 + x / s) / 2, b / (2 * s * (s - x)))
    r = np.where(np.isinf(x) | (b == 0), np.where(x >= 0, 1, 0), r)
    return _where_nan(x, _ld(grad) * r)


def relu6(x):
    x = np.asarray(x)
    dt = x.dtype.type
    return np.where(x < 0, dt(0), np.where(x > 6, dt(6), x))


def relu6_backward(grad, x):
    grad, x = np.asarray(grad), np.asarray(x)
    return _where_nan(x, np.where((x > 0) & (x < 6), grad, grad.dtype.type(0)))


def hard_sigmoid(x):
    x = np.asarray(x)
    dt = x.dtype.type
    return relu6(x + dt(3)) / dt(6)


def hard_sigmoid_backward(grad, x):
    grad, x = np.asarray(grad), np.asarray(x)
    dt = grad.dtype.type
    t = x + dt(3)
    return _where_nan(x, np.where((t > 0) & (t < 6), grad / dt(6), dt(0)))


def hard_silu(x):
    x = np.asarray(x)
    return x * hard_sigmoid(x)


def hard_silu_backward(grad, x):
    grad, x = np.asarray(grad), np.asarray(x)
    t = x + x.dtype.type(3)
    # (2x + 3)/6: exact beside x = -1.5, where x/3 + 1/2 cancels (longdouble's rounding of x/3 was 2^-12 of
    # the result at x = -1.5 + 2^-52)
    r = np.where((t > 0) & (t < 6), (2 * _ld(x) + 3) / 6, np.where(t >= 6, 1, 0))
    return _where_nan(x, _ld(grad) * r)


def hard_tanh(x):
    x = np.asarray(x)
    dt = x.dtype.type
    return np.where(x < -1, dt(-1), np.where(x > 1, dt(1), x))


def hard_tanh_backward(grad, x):
    grad, x = np.asarray(grad), np.asarray(x)
    return _where_nan(x, np.where((x >= -1) & (x <= 1), grad, grad.dtype.type(0)))


def soft_shrink(x, threshold=0.5):
    x = np.asarray(x)
    t = x.dtype.type(threshold)
    return _where_nan(x, np.where(x > t, x - t, np.where(x < -t, x + t, x.dtype.type(0))))


def soft_shrink_backward(grad, x, threshold=0.5):
    grad, x = np.asarray(grad), np.asarray(x)
    t = grad.dtype.type(threshold)
    return _where_nan(x, np.where((x > t) | (x < -t), grad, grad.dtype.type(0)))


def hard_shrink(x, threshold=0.5):
    x = np.asarray(x)
    t = x.dtype.type(threshold)
    return _where_nan(x, np.where((x > t) | (x < -t), x, x.dtype.type(0)))


def hard_shrink_backward(grad, x, threshold=0.5):
    return soft_shrink_backward(grad, x, threshold)


def sparse_plus(x):
    x = _ld(x)
    return np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x))


def sparse_plus_backward(grad, x):
    x = _ld(x)
    return _where_nan(x, _ld(grad) * np.where(x <= -1, 0, np.where(x < 1, (x + 1) / 2, 1)))


def sparse_sigmoid(x):
    x = np.asarray(x)
    dt = x.dtype.type
    return np.where(x <= -1, dt(0), np.where(x >= 1, dt(1), dt(0.5) * (x + dt(1))))


def sparse_sigmoid_backward(grad, x):
    grad, x = np.asarray(grad), np.asarray(x)
    dt = grad.dtype.type
    return _where_nan(x, np.where((x > -1) & (x < 1), dt(0.5) * grad, dt(0)))


def threshold(x, threshold=0.0, default_value=0.0):
    x = np.asarray(x)
    dt = x.dtype.type
    return np.where((x > dt(threshold)) | np.isnan(x), x, dt(default_value))


def threshold_backward(grad, x, threshold=0.0, default_value=0.0):
    grad, x = np.asarray(grad), np.asarray(x)
    return _where_nan(x, np.where(x > grad.dtype.type(threshold), grad, grad.dtype.type(0)))


# ==== along an axis: softmax, log_softmax, sparsemax, glu =========================================
# In longdouble, on whole arrays with NumPy's reductions.  A row (the values along the axis) holding NaN
# or +inf gives NaN everywhere in that row, as PyTorch, TensorFlow and SciPy do.

def _axes(x, axis):
    return tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


def _to_rows(x, axes):
    """x with ``axes`` moved to the end and merged: one row per line."""
    keep = tuple(np.delete(x.shape, axes))
    return np.moveaxis(x, axes, range(-len(axes), 0)).reshape(keep + (-1,))


def _from_rows(r, shape, axes):
    keep = tuple(np.delete(shape, axes))
    return np.moveaxis(r.reshape(keep + tuple(shape[a] for a in axes)), range(-len(axes), 0), axes)


def _rows(x, axis):
    """(rows of x in longdouble, bad-row mask (NaN or +inf present), axes)."""
    x = _ld(x)
    axes = _axes(x, axis)
    rows = _to_rows(x, axes)
    return rows, np.any(np.isnan(rows) | (rows == np.inf), axis=-1, keepdims=True), axes


def _shifted(rows):
    """(d = row - max, sum of exp(d) without the row's first maximum, whose term is exactly 1)."""
    d = rows - np.max(rows, axis=-1, keepdims=True)
    first = np.zeros(d.shape, bool)
    if d.shape[-1]:
        np.put_along_axis(first, np.argmax(d, axis=-1)[..., None], True, axis=-1)
    return d, np.sum(np.where(first, 0, np.exp(d)), axis=-1, keepdims=True)


def softmax(x, axis=-1):
    """exp(x - max) / sum(exp(x - max)) along ``axis`` (an int or a tuple of ints)."""
    rows, bad, axes = _rows(x, axis)
    d, rest = _shifted(rows)
    return _from_rows(np.where(bad, np.nan, np.exp(d) / (1 + rest)), np.shape(x), axes)


def softmax_backward(grad, y, axis=-1):
    """y * (g - sum(g * y))."""
    g, y = _ld(grad), _ld(y)
    axes = _axes(y, axis)
    return y * (g - np.sum(g * y, axis=axes, keepdims=True))


def log_softmax(x, axis=-1):
    """(x - max) - log1p(sum of exp(x - max) over the row without its first maximum)."""
    rows, bad, axes = _rows(x, axis)
    d, rest = _shifted(rows)
    return _from_rows(np.where(bad, np.nan, d - np.log1p(rest)), np.shape(x), axes)


def log_softmax_backward(grad, y, axis=-1):
    """g - exp(y) * sum(g)."""
    g, y = _ld(grad), _ld(y)
    axes = _axes(y, axis)
    return g - np.exp(y) * np.sum(g, axis=axes, keepdims=True)


def sparsemax(x, axis=-1):
    """Martins & Astudillo (2016): max(x - tau, 0) with tau such that the row sums to 1, found by sorting:
    the support is the k largest values with 1 + k z_(k) > z_(1) + ... + z_(k)."""
    rows, bad, axes = _rows(x, axis)
    given = rows
    if rows.shape[-1]:     # shifted by the maximum (sparsemax is shift-invariant): exact near the top
        rows = rows - np.max(np.where(bad, 0, rows), axis=-1, keepdims=True)
    z = -np.sort(-rows, axis=-1)
    csum = np.cumsum(z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=_LD)
    ks = np.maximum(np.sum(1 + k * z > csum, axis=-1, keepdims=True), 1)
    tau = (np.take_along_axis(csum, ks - 1, axis=-1) - 1) / ks
    y = np.maximum(rows - tau, 0)
    # where x - tau cancels (a value just above tau), longdouble's rounding of tau would be a large
    # relative error of y: recompute those values exactly, with fractions
    close = np.argwhere((y > 0) & (y < np.abs(tau) * 2.0 ** -8) & ~bad)
    if close.size:
        from decimal import Decimal, localcontext
        from fractions import Fraction
        exact_tau = {}
        for index in map(tuple, close):
            r = index[:-1]
            if r not in exact_tau:
                support = sorted((Fraction(float(v)) for v in given[r].astype(np.float64)), reverse=True)[:int(ks[r][0])]
                exact_tau[r] = (sum(support) - 1) / len(support)
            v = Fraction(float(given[index])) - exact_tau[r]
            with localcontext() as ctx:
                ctx.prec = 40
                y[index] = _LD(str(Decimal(v.numerator) / Decimal(v.denominator)))
    return _from_rows(np.where(bad, np.nan, y), np.shape(x), axes)


def sparsemax_backward(grad, y, axis=-1):
    """On the support (y > 0): g - mean of g over the support; 0 elsewhere."""
    g, y = _ld(grad), _ld(y)
    axes = _axes(y, axis)
    on = y > 0
    n = np.sum(on, axis=axes, keepdims=True)
    mean = np.sum(np.where(on, g, 0), axis=axes, keepdims=True) / np.maximum(n, 1)
    return np.where(on, g - mean, 0)


def glu(x, axis=-1):
    """a * sigmoid(b), a and b the two halves of x along ``axis``.  sigmoid(b) > 0 for every b > -inf,
    even where longdouble's underflows (b < -11355): an infinite a gives a there, not inf * 0."""
    a, b = np.split(_ld(x), 2, axis=axis)
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(a) & (b > -np.inf), a, a * sigmoid(b))


def glu_backward(grad, x, axis=-1):
    """(g * sigmoid(b), g * a * sigmoid(b) * sigmoid(-b)), joined along ``axis``.  As in glu, sigmoid(b)
    and sigmoid(-b) are > 0 for every finite b, even where longdouble's underflow (|b| > 11355): an
    infinite g gives g in the first half for b > -inf, and an infinite g or a gives g * a (+-inf, NaN
    with a zero) in the second for a finite b, not inf * 0."""
    a, b = np.split(_ld(x), 2, axis=axis)
    g = _ld(grad)
    s, t = sigmoid(b), sigmoid(-b)
    with np.errstate(invalid="ignore"):
        ga = g * a
        da = np.where(np.isinf(g) & (b > -np.inf), g, g * s)
        db = np.where(np.isinf(ga) & np.isfinite(b), ga, ga * s * t)
    return np.concatenate([da, db], axis=axis)
