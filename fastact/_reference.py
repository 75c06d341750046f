"""Pure-NumPy reference of every activation: the definition the fast kernels are tested against.

Transcendental functions are evaluated in ``np.longdouble`` (64-bit significand on x86-64) and returned in
it, so a float64 result can be checked to a fraction of an ULP.  The piecewise-linear ReLU family is
evaluated in the input's own float dtype with the same operations Keras uses, so results must match
exactly.  Clarity over speed; no fastact code is used here.
"""
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
    passes = x > thr
    if max_value is not None:
        passes &= (x > 0) & (x < dt(max_value))
    neg = np.zeros_like(grad) if slope == 0 else slope * grad
    dx = np.where(passes, grad, np.where(x <= thr, neg, dt(0)))
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
    dx = np.where(np.isnan(x), x, np.where(x > 0, grad, np.where(a == 0, grad.dtype.type(0), a * grad)))
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
