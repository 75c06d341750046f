"""Maxout at the NumPy level, grouped as tfa.layers.Maxout: output j = max over i of
x[..., i * num_units + j, ...] along ``axis``.  The backward sends each gradient to the first maximum of
its group (NaN counts as the maximum, as in ``np.argmax``).

No argmax is kept between the passes: measured (benchmarks/units.py, 64 channels, k = 2), searching the
maxima again in the backward costs less than storing and reading 8-byte indices, and it keeps the
forward pass a pure reduction."""
import math
import numbers

import numpy as np

from fastact import _core, _dispatch, _threads

SERIAL_BELOW = 32768


def check_args(num_units, axis):
    """(num_units, axis) as ints, whatever the shape (fastact_keras's Maxout checks them at creation);
    TypeError or ValueError naming them."""
    if isinstance(num_units, (bool, np.bool_)) or not isinstance(num_units, numbers.Integral):
        raise TypeError(f"num_units must be an integer, got {num_units!r} ({type(num_units).__name__})")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r} ({type(axis).__name__})")
    if num_units < 1:
        raise ValueError(f"num_units must be >= 1, got num_units={num_units}")
    return int(num_units), int(axis)


def _layout(shape, num_units, axis):
    """Validate (num_units, axis) for ``shape``; return (ax, P, k, M, out_shape)."""
    num_units, axis = check_args(num_units, axis)
    nd = len(shape)
    if not -nd <= axis < nd:
        raise ValueError(f"axis {axis} is out of bounds for x with {nd} dimension(s) (shape {shape})")
    ax = axis % nd
    if shape[ax] % num_units:
        raise ValueError(f"x.shape[{axis}] = {shape[ax]} is not a multiple of num_units = {num_units}")
    if shape[ax] == 0:      # (no group has an element to be its maximum, as np.max of an empty axis)
        raise ValueError(f"x.shape[{axis}] is 0: maxout needs at least one element in each of the "
                         f"num_units = {num_units} groups")
    k = shape[ax] // num_units
    P, Q = math.prod(shape[:ax]), math.prod(shape[ax + 1:])
    return ax, P, k, num_units * Q, shape[:ax] + (num_units,) + shape[ax + 1:]


def maxout(x, num_units, axis=-1, out=None, n_threads=None):
    """Maxout over groups along ``axis`` (tfa.layers.Maxout grouping).

    ``x.shape[axis]`` must be a multiple of ``num_units``; the result has ``num_units`` there.
    NaN propagates.

    Parameters
    ----------
    x : array_like
        The input, at least one dimension.
    num_units : int
        Outputs along ``axis``; output j is the maximum of the inputs i * num_units + j.
    axis : int, default -1
        The axis pooled.
    out : ndarray, optional
        Where to write the result (the result's shape, x's dtype); must not overlap the inputs.
    n_threads : int, optional
        OpenMP threads for this call (default ``fastact.get_num_threads()``); small arrays use one.

    Returns
    -------
    ndarray
        x's shape with ``num_units`` along ``axis``.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.maxout(np.array([[1.0, 5.0, 3.0, 2.0]]), num_units=2)   # max(1, 3), max(5, 2)
    array([[3., 5.]])
    """
    # the plain call, checked and run in C (kernels.plain_maxout): 1000 float32 elements, (4, 250) into
    # 125 units, 8.3 us through the general path, 1.03 there (backward 8.9, 1.10; np.maximum(x, 0,
    # out=o) 0.89); None back where the general path must take the call (and raise the errors)
    y = _dispatch.kernels.plain_maxout(x, None, out, num_units, axis, SERIAL_BELOW, n_threads)
    if y is not None:
        return y
    xa = _core.as_array(x, "x")
    result_dtype, compute_dtype = _core.dtypes_for(xa.dtype, "x")
    if xa.ndim == 0:
        raise ValueError("x must have at least one dimension for maxout, got a 0-d array")
    ax, P, k, M, out_shape = _layout(xa.shape, num_units, axis)
    nt = _threads.threads_for(n_threads, xa.size, SERIAL_BELOW)
    user_out = out is not None
    out, work, order, scatter = _core._prepare_out(out, out_shape, result_dtype, compute_dtype, nt, c_order=True)
    if work.size:
        xin = _core._flat_input(xa, compute_dtype, "C", work, user_out, alias_ok=False, n_threads=nt)  # not elementwise
        _dispatch.kernels.maxout(xin, xin, work, False, P, k, M, nt)
    return _core._finish(out, work, order, scatter, nt)


def maxout_backward(grad, x, num_units, axis=-1, out=None, n_threads=None):
    """Gradient of ``maxout``: dx (x's shape, grad's dtype) holds grad at the first maximum of each
    group and 0 elsewhere.  ``grad`` has maxout's output shape.

    Parameters
    ----------
    grad : array_like
        Gradient with respect to maxout's output.
    x : array_like
        The input of ``maxout``.
    num_units : int
        Outputs along ``axis``; output j is the maximum of the inputs i * num_units + j.
    axis : int, default -1
        The axis pooled.
    out : ndarray, optional
        Where to write the result (x's shape, grad's dtype); must not overlap the inputs.
    n_threads : int, optional
        OpenMP threads for this call (default ``fastact.get_num_threads()``); small arrays use one.

    Returns
    -------
    ndarray
        dx, x's shape, grad's dtype.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.maxout_backward(np.array([[10.0, 20.0]]), np.array([[1.0, 5.0, 3.0, 2.0]]), num_units=2)
    array([[ 0., 20., 10.,  0.]])
    """
    if grad is not None:
        dx = _dispatch.kernels.plain_maxout(x, grad, out, num_units, axis, SERIAL_BELOW, n_threads)
        if dx is not None:
            return dx
    ga = _core.as_array(grad, "grad")
    xa = _core.as_array(x, "x")
    result_dtype, compute_dtype = _core.dtypes_for(ga.dtype, "grad")
    _core.dtypes_for(xa.dtype, "x")
    if xa.ndim == 0:
        raise ValueError("x must have at least one dimension for maxout, got a 0-d array")
    ax, P, k, M, out_shape = _layout(xa.shape, num_units, axis)
    if ga.shape != out_shape:
        raise ValueError(f"grad must have maxout's output shape {out_shape}, got grad.shape={ga.shape}")
    nt = _threads.threads_for(n_threads, xa.size, SERIAL_BELOW)
    user_out = out is not None
    out, work, order, scatter = _core._prepare_out(out, xa, result_dtype, compute_dtype, nt, c_order=True)
    if work.size:
        gin = _core._flat_input(ga, compute_dtype, "C", work, user_out, alias_ok=False, n_threads=nt)
        xin = _core._flat_input(xa, compute_dtype, "C", work, user_out, alias_ok=False, n_threads=nt)
        _dispatch.kernels.maxout(xin, gin, work, True, P, k, M, nt)
    return _core._finish(out, work, order, scatter, nt)
