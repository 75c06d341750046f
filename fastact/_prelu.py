"""PReLU at the NumPy level: ``alpha`` broadcast onto x under NumPy rules, a fused one-pass backward.

The backward writes dx and reduces d(alpha) in the same pass over memory, with no input-sized
temporary: the kernel accumulates in double over fixed-size work items (so the sum is bitwise the same
for every thread count), and the small per-item partial sums are added up here in a fixed order.
"""
import math

import numpy as np

from fastact import _core, _dispatch, _threads

SERIAL_BELOW = 32768  # as the ReLU family: memory-bound (benchmarks/cutoff.py)


_layouts = {}  # (x.shape, alpha.shape) -> the kernel layout: a dict lookup per call in a training loop


def _layout(shape, alpha_shape):
    key = (shape, alpha_shape)
    layout = _layouts.get(key)
    if layout is None:
        P, K, Q, v0, v1, padded = _core.unit_layout(shape, alpha_shape, "alpha")
        vector, rows, L, repeat = _core.rows_form(P, K, Q)
        span_index = tuple(slice(None) if v0 <= i < v1 else 0 for i in range(len(padded)))
        # alpha already laid out as the span (e.g. (C,) for channels-last, (C, 1, 1) for NCHW)?
        dense = math.prod(alpha_shape) == K
        layout = (vector, rows, L, K, repeat, v0, v1, padded, span_index, dense, (P, K, Q))
        if len(_layouts) < 256:
            _layouts[key] = layout
    return layout


def _plan(xa, alpha, compute_dtype):
    """The kernel's view of alpha: (alpha_vec, vector, rows, L, K, v0, v1, padded, (P, K, Q))."""
    vector, rows, L, K, repeat, v0, v1, padded, span_index, dense, pkq = _layout(xa.shape, alpha.shape)
    # (slopes are data, as x: a float64 slope beyond float32's range is inf in a float32 call, as an
    # inf slope is, without NumPy's overflow warning)
    with np.errstate(over="ignore"):
        if dense:
            alpha_k = np.ascontiguousarray(alpha, dtype=compute_dtype).reshape(-1)
        else:
            span = alpha.reshape(padded)[span_index]
            alpha_k = np.ascontiguousarray(np.broadcast_to(span, xa.shape[v0:v1]), dtype=compute_dtype)
            alpha_k = alpha_k.reshape(-1)
    alpha_vec = np.repeat(alpha_k, repeat) if repeat > 1 else alpha_k
    return alpha_vec, vector, rows, L, K, v0, v1, padded, pkq


def _apart_from(alpha_vec, work):
    """The slopes, copied if the output the kernel writes shares their memory (an ``out`` over alpha:
    later rows would read slopes the first rows overwrote)."""
    return alpha_vec.copy() if np.may_share_memory(alpha_vec, work) else alpha_vec


def _alpha(alpha):
    al = _core.as_array(alpha, "alpha")
    _core.dtypes_for(al.dtype, "alpha")
    return al


def prelu(x, alpha, out=None, n_threads=None):
    """Parametric ReLU: y = x if x > 0 else alpha * x, with ``alpha`` broadcast onto x.

    Parameters
    ----------
    x : array_like
        Input (dtype rules as for every fastact function).
    alpha : array_like
        Slopes, any shape that broadcasts to ``x.shape`` without enlarging it: a scalar, per channel
        ``(C,)`` for channels-last or ``(C, 1, 1)`` for NCHW, Keras's ``input_shape[1:]`` with shared
        axes set to 1, ...  Cast to x's computation dtype.
    out : ndarray, optional
        Result buffer (x's shape and result dtype, any strides; may be x).
    n_threads : int, optional
        OpenMP threads for this call.

    Returns
    -------
    ndarray
        y, exact.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> x = np.random.default_rng(0).standard_normal((8, 16, 16, 3)).astype(np.float32)
    >>> y = fastact.prelu(x, np.array([0.1, 0.2, 0.3], np.float32))   # one slope per channel (NHWC)
    """
    # the plain call, checked and run in C (kernels.plain_prelu): (4, 250) float32 with 250 slopes, 3.4 us
    # through the general path, 0.98 there (backward 9.2, 1.34; np.maximum(x, 0, out=o) 0.89); None back
    # where the general path must take the call (and raise the errors)
    y = _dispatch.kernels.plain_prelu(x, alpha, None, out, SERIAL_BELOW, n_threads)
    if y is not None:
        return y
    al = _alpha(alpha)
    xa = _core.as_array(x, "x")
    result_dtype, compute_dtype = _core.dtypes_for(xa.dtype, "x")
    alpha_vec, vector, rows, L, K, _, _, _, _ = _plan(xa, al, compute_dtype)
    nt = _threads.threads_for(n_threads, xa.size, SERIAL_BELOW)
    user_out = out is not None
    out, work, order, scatter = _core._prepare_out(out, xa, result_dtype, compute_dtype, nt, c_order=True)
    alpha_vec = _apart_from(alpha_vec, work)
    if work.size:
        xin = _core._flat_input(xa, compute_dtype, "C", work, user_out, n_threads=nt)
        _dispatch.kernels.prelu_forward(xin, alpha_vec, work, rows, L, K, vector, nt)
    return _core._finish(out, work, order, scatter, nt)


def prelu_backward(grad, x, alpha, out=None, n_threads=None):
    """Gradients of ``prelu``: returns ``(dx, dalpha)``.

    dx = grad if x > 0 else alpha * grad (grad's dtype, written to ``out`` when given);
    dalpha = the sum of grad * x where x <= 0 over the axes alpha is broadcast along, with alpha's shape
    and dtype.  One pass over memory, no input-sized temporary; float32 is accumulated in double and the
    result is bitwise identical for every thread count.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> x = np.random.default_rng(0).standard_normal((32, 64))
    >>> dx, dalpha = fastact.prelu_backward(np.ones_like(x), x, np.full(64, 0.25))
    >>> dalpha.shape
    (64,)
    """
    if grad is not None:
        grads = _dispatch.kernels.plain_prelu(x, alpha, grad, out, SERIAL_BELOW, n_threads)  # as in prelu
        if grads is not None:
            return grads
    al = _alpha(alpha)
    ga = _core.as_array(grad, "grad")
    xa = _core.as_array(x, "x")
    result_dtype, compute_dtype = _core.dtypes_for(ga.dtype, "grad")
    _core.dtypes_for(xa.dtype, "x")
    if ga.shape != xa.shape:
        raise ValueError(f"grad and x must have the same shape, got grad.shape={ga.shape} and "
                         f"x.shape={xa.shape}")
    alpha_vec, vector, rows, L, K, v0, v1, padded, pkq = _plan(xa, al, compute_dtype)
    nt = _threads.threads_for(n_threads, xa.size, SERIAL_BELOW)
    alpha_dtype = _core.dtypes_for(al.dtype, "alpha")[0]
    user_out = out is not None
    out, work, order, scatter = _core._prepare_out(out, ga, result_dtype, compute_dtype, nt, c_order=True)
    alpha_vec = _apart_from(alpha_vec, work)
    if not work.size:
        return _core._finish(out, work, order, scatter, nt), np.zeros(al.shape, alpha_dtype)
    gin = _core._flat_input(ga, compute_dtype, "C", work, user_out, n_threads=nt)
    xin = _core._flat_input(xa, compute_dtype, "C", work, user_out, n_threads=nt)
    red = _core.UnitReduction(*pkq, np.float64)
    _dispatch.kernels.prelu_backward(gin, xin, alpha_vec, work, red.partial, rows, L, K, vector,
                                     red.block_rows, red.col_chunk, nt)
    # the sums per unit, then from the span of axes alpha varies along back to alpha's own shape; an inf or
    # NaN among them, or one beyond alpha's dtype's range (inf), comes with no NumPy warning (SPEC)
    with np.errstate(over="ignore", invalid="ignore"):
        dalpha = red.per_unit()
        span_shape = xa.shape[v0:v1]
        broadcast_axes = tuple(i for i in range(v1 - v0) if padded[v0 + i] == 1)
        dalpha = dalpha.reshape(span_shape).sum(axis=broadcast_axes, keepdims=True)
        dalpha = np.asarray(dalpha, dtype=alpha_dtype).reshape(al.shape)
    return _core._finish(out, work, order, scatter, nt), dalpha
