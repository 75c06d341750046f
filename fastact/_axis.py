"""The functions along an axis: softmax, log_softmax and sparsemax (each over whole rows), glu (over two
halves), forward and backward, at the NumPy level.

The kernels see C-contiguous rows: the axis (or axes: softmax, log_softmax and sparsemax take a tuple,
as ``keras.ops.softmax`` does) is moved last, which is a free view when it already is last and x is
C-contiguous (the usual ``axis=-1``), and a gathering copy otherwise; the result is scattered back into
``out``'s layout.  One axis other than the last takes the column kernel instead (``axis_cols``): x
viewed as (P, L, M), blocks of columns copied into rows of a per-thread scratch and back, with no
transposed copy of the whole array.  Rows run in parallel, each on one thread, so results are identical
for every thread count and layout.  The backward passes take the forward output ``y`` (glu: the input
``x``).
"""
import math
import numbers

import numpy as np

from fastact import _buffers, _core, _dispatch, _threads
from fastact._table import AXIS_FUNCTIONS

# Below this many elements a call runs on one thread.  Measured (softmax float32, rows of 256, AVX-512,
# this 2-core machine): 1 vs 2 threads 2.9 vs 3.0 us at 2048 elements, 4.6 vs 3.8 at 4096, 14.3 vs
# 8.8 at 16384: a row costs more per element than an elementwise kernel, so threads pay off sooner.
SERIAL_BELOW = 4096
# glu is a few operations per element: its threads pay off later (elements of x; float32, 2 threads,
# rows of 1024 and 64: forward 1 vs 2 threads 5.0 vs 4.4 us at 32768, 8.9 vs 6.3 at 65536; backward 5.0
# vs 5.9 at 16384, 9.0 vs 7.1 at 32768; the first size where two threads win by 25%, as
# benchmarks/cutoff.py picks the elementwise kernels')
GLU_SERIAL_BELOW = 65536
GLU_BACKWARD_SERIAL_BELOW = 32768
# The column kernel (one axis, not the last) takes axes from COL_MIN_LENGTH to where its per-thread
# scratch, 2 AXIS_COL_BLOCK rows of the axis, would exceed COL_SCRATCH_MAX elements; other axes take the
# transposing path.  Measured (softmax float32, 1e6 elements, 2 threads,
# AVX-512): axes of 1000, 64, 32 took 0.45x, 0.56x, 0.44x the transposing path's time, 24 0.8x, 16 1.2x
# (there the rows' own cost dominates, and the column blocks run short).
COL_MIN_LENGTH = 24
COL_SCRATCH_MAX = 1 << 22

_OPS = {"softmax": 0, "log_softmax": 1, "sparsemax": 2}
_BACKWARD = 3


def _check_axis(axis, name):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis of {name} must be an integer{' or a tuple of integers' if name != 'glu' else ''},"
                        f" got {axis!r} ({type(axis).__name__})")
    return int(axis)


def _axes(axis, ndim, name):
    """``axis`` (an int or a tuple of ints) as sorted non-negative axes; errors name the function."""
    if ndim == 0:
        raise ValueError(f"x must have at least one dimension for {name}, got a 0-d array")
    given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not given:
        raise ValueError(f"axis of {name} must name at least one axis, got {axis!r}")
    axes = []
    for a in given:
        a = _check_axis(a, name)
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for x with {ndim} dimension(s) in {name}")
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis of {name} repeats an axis: {axis!r}")
    return tuple(sorted(axes))


def _gatherable(a):
    """An ndarray that plain_rows takes once copied C-contiguous: native float32/float64, at least 1-D."""
    return (type(a) is np.ndarray and a.ndim >= 1 and a.dtype.type in (np.float32, np.float64)
            and a.dtype.isnative)


def _gatherable_inputs(first, second, forward):
    """first (and for a backward second, of first's dtype and shape) as _gatherable asks."""
    return _gatherable(first) and (forward or (
        _gatherable(second) and second.dtype == first.dtype and second.shape == first.shape))


def _rows_of_copies(op, first, second, axis, n_threads):
    """plain_rows over C-contiguous copies of first (and second, unless None) with ``axis`` swapped last
    (-1: as they are), the result swapped back: the general path's copies without its checks.  None
    where plain_rows declines."""
    def rows(a):
        return np.ascontiguousarray(a if axis == -1 else a.swapaxes(axis, -1))
    y = _dispatch.kernels.plain_rows(op, rows(first), None if second is None else rows(second), None,
                                     SERIAL_BELOW, n_threads)
    return y if y is None or axis == -1 else np.ascontiguousarray(y.swapaxes(axis, -1))


def _rows_call(name, op, axis, out, n_threads, first, first_name, second=None, second_name=None):
    """The row kernel ``op`` along ``axis`` over ``first`` (x; grad for a backward, with ``second``, y),
    each with its argument's name; the result has the first input's shape and dtype.  (The inputs come
    as separate arguments, not a list of pairs, and the general path is a function of its own: old and
    new interleaved in one process, a (4, 8) float32 softmax took 1.77 -> 1.44 us, its backward 1.74 ->
    1.37, one row of 1000 2.16 -> 1.88.)"""
    if type(axis) is int and (axis == -1 or (type(first) is np.ndarray and axis == first.ndim - 1)):
        # the plain call, checked and run in C (kernels.plain_rows): one row of 1000 float32 in 1.35 us,
        # against 7.7 us through the general path, whose ~12 us of checks and conversions also showed
        # on 10^5 elements
        if n_threads is not None:
            n_threads = _threads.check_n_threads(n_threads)
        y = _dispatch.kernels.plain_rows(op, first, second, out, SERIAL_BELOW, n_threads)
        if y is not None:
            return y
        if out is None and _gatherable_inputs(first, second, second_name is None) and (
                not first.flags.c_contiguous or (second_name is not None and not second.flags.c_contiguous)):
            # a strided view (a slice, a transpose) of float32/float64: gathered into a C-contiguous copy,
            # as the general path would, but without its checks (a (2, 8) slice's softmax: 10.3 -> 3.0 us)
            y = _rows_of_copies(op, first, second, -1, n_threads)
            if y is not None:
                return y
    elif (type(axis) is int and out is None and _gatherable_inputs(first, second, second_name is None)
          and -first.ndim <= axis < first.ndim - 1 and first.shape[axis] < COL_MIN_LENGTH):
        # one short axis other than the last: the general path moves it last into a copy too (the
        # column kernel takes the longer ones), but through ~10 us of checks and conversions; swapped
        # last here, the rows run in C and the result is swapped back, the same bits ((4, 250) float32
        # along axis 0: 13.3 -> 5.3 us, its backward 17.9 -> 6.9; (16, 1000): 27.2 -> 18.1)
        if n_threads is not None:
            n_threads = _threads.check_n_threads(n_threads)
        y = _rows_of_copies(op, first, second, axis, n_threads)
        if y is not None:
            return y
    return _rows_general(name, op, axis, out, n_threads, first, first_name, second, second_name)


def _rows_general(name, op, axis, out, n_threads, first, first_name, second, second_name):
    """_rows_call's general path: any input the functions take, any axis or axes, any ``out``.  (Its ~30
    locals in _rows_call's own frame cost every plain call ~0.1 us.)"""
    inputs = [(first, first_name)] if second_name is None else [(first, first_name), (second, second_name)]
    arrays = [_core.as_array(a, n) for a, n in inputs]
    result_dtype, compute_dtype = _core.dtypes_for(arrays[0].dtype, first_name)
    for a, (_, n) in zip(arrays[1:], inputs[1:]):
        _core.dtypes_for(a.dtype, n)
        if a.shape != arrays[0].shape:
            raise ValueError(f"{first_name} and {n} must have the same shape, got {first_name}.shape="
                             f"{arrays[0].shape} and {n}.shape={a.shape}")
    shape, ndim = arrays[0].shape, arrays[0].ndim
    axes = _axes(axis, ndim, name)
    last = tuple(range(ndim - len(axes), ndim))
    nt = _threads.threads_for(n_threads, arrays[0].size, SERIAL_BELOW)
    user_out = out is not None
    if user_out:
        _core._check_out(out, shape, result_dtype)
    kernels = _dispatch.kernels
    # one axis other than the last, of a length the column kernel takes: the arrays as they are, C-ordered,
    # as (P, L, M); otherwise the axes moved last
    cols = len(axes) == 1 and axes != last and (
        COL_MIN_LENGTH <= shape[axes[0]] and 2 * kernels.AXIS_COL_BLOCK * shape[axes[0]] <= COL_SCRATCH_MAX)
    if cols:
        moved, L = arrays, shape[axes[0]]
    else:
        moved = [a if axes == last else np.moveaxis(a, axes, last) for a in arrays]
        L = math.prod(moved[0].shape[ndim - len(axes):])
    direct = ((cols or axes == last) and result_dtype == compute_dtype
              and (out is None or (out.flags.c_contiguous and out.flags.aligned)))
    new_out = out is None
    if new_out:
        out = _buffers.empty(shape, result_dtype)
    work = out.reshape(-1) if direct else _buffers.empty(out.size, compute_dtype)
    if new_out or not direct:
        kernels.first_touch(work, nt)
    if work.size:
        flat = [_core._flat_input(a, compute_dtype, "C", work, user_out, n_threads=nt) for a in moved]
        x, grad = (flat[0], flat[0]) if op < _BACKWARD else (flat[1], flat[0])
        if cols:
            P, M = math.prod(shape[:axes[0]]), math.prod(shape[axes[0] + 1:])
            scratch = np.empty(max(nt, 1) * 2 * kernels.AXIS_COL_BLOCK * L, compute_dtype)
            kernels.axis_cols(op, x, grad, work, P, L, M, scratch, nt)
        else:
            kernels.axis_rows(op, x, grad, work, work.size // L, L, nt)
    if not direct:
        _core.store(out, work.reshape(shape) if cols else np.moveaxis(work.reshape(moved[0].shape), last, axes), nt)
    return out


_AXIS_DOC = """axis : int or tuple of ints, default -1
        The axis (or axes, taken together) along which the values form one {what}."""
_FORWARD_PARAMS = """Parameters
    ----------
    x : array_like
        Input (logits), at least 1-D.
    {axis}
    {common}
    Returns
    -------
    ndarray"""
_BACKWARD_PARAMS = """Parameters
    ----------
    grad : array_like
        Gradient with respect to the output y.
    y : array_like
        The output of ``{name}``; grad's shape.
    {axis}
    {common}
    Returns
    -------
    ndarray
        dx, grad's shape and dtype."""
_COMMON = """out : ndarray, optional
        Where to write the result: {shape}'s shape and the result dtype, any layout; may be {inplace}.
    n_threads : int, optional
        OpenMP threads for this call (rows run in parallel; default ``fastact.get_num_threads()``).
"""


def softmax(x, axis=-1, out=None, n_threads=None):
    """Softmax along ``axis``: exp(x - max) / sum(exp(x - max)), max and sum over the axis.

    Accurate to {f32:g} ULP (float32) and {f64:g} ULP (float64) whatever the row length: the sum is kept
    in double (double-double for float64) without the maximum's term, which is exactly 1.  A row
    holding NaN or +inf gives NaN throughout, as in PyTorch and TensorFlow.

    {forward_params}
        y, x's shape; each row sums to 1.  float16/bfloat16 are computed in float32, bool and integer
        inputs give float64.  Identical for every thread count.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.softmax(np.array([[1.0, 2.0, 1.0]]))
    array([[0.21194156, 0.57611688, 0.21194156]])
    """
    return _rows_call("softmax", _OPS["softmax"], axis, out, n_threads, x, "x")


def log_softmax(x, axis=-1, out=None, n_threads=None):
    """Log-softmax along ``axis``: (x - max) - log(sum(exp(x - max))).

    Computed as (x - m) - log1p(t), t the sum without the maximum's term, so values near 0 keep their
    digits.  Accuracy: float32 {f32:g} ULP, float64 {f64:g} ULP.  A row holding NaN or +inf gives NaN
    throughout.

    {forward_params}
        y, x's shape.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    return _rows_call("log_softmax", _OPS["log_softmax"], axis, out, n_threads, x, "x")


def sparsemax(x, axis=-1, out=None, n_threads=None):
    """Sparsemax along ``axis`` (Martins & Astudillo, 2016): max(x - tau, 0), with the threshold tau
    chosen so that each row sums to 1; the projection of x onto the probability simplex.

    tau is found exactly (Michelot's iteration from tau = max - 1, sums in double-double), so rows sum to
    1 to rounding; accuracy float32 {f32:g} ULP, float64 {f64:g} ULP.  Note: Keras 3.15's
    ``keras.activations.sparsemax`` computes tau from the sum of all partial sums in the support instead
    of the last one, which is wrong whenever more than one value is non-zero (it gives [0, 0, 0] for
    [1, 1.2, 0], whose sparsemax is [0.4, 0.6, 0]); fastact follows the paper.  A row holding NaN or +inf gives NaN throughout.

    Parameters
    ----------
    x : array_like
        Input, at least 1-D.
    {axis}
    {common}
    Returns
    -------
    ndarray
        y, x's shape; non-negative, each row sums to 1.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.sparsemax(np.array([1.0, 1.2, 0.0]))
    array([0.4, 0.6, 0. ])
    """
    return _rows_call("sparsemax", _OPS["sparsemax"], axis, out, n_threads, x, "x")


def softmax_backward(grad, y, axis=-1, out=None, n_threads=None):
    """Gradient of ``softmax``: dx = y * (grad - sum(grad * y)), the sum along ``axis``.

    Accuracy: float32 {b32:g} ULP, float64 {b64:g} ULP, relative to the larger of |dx| and
    |y| (|grad| + |sum(grad * y)|).

    {backward_params}

    Examples
    --------
    >>> import numpy as np, fastact
    >>> y = fastact.softmax(np.array([1.0, 2.0]))
    >>> dx = fastact.softmax_backward(np.array([1.0, 0.0]), y)
    """
    return _rows_call("softmax", _OPS["softmax"] + _BACKWARD, axis, out, n_threads, grad, "grad", y, "y")


def log_softmax_backward(grad, y, axis=-1, out=None, n_threads=None):
    """Gradient of ``log_softmax``: dx = grad - exp(y) * sum(grad), the sum along ``axis``.

    Accuracy: float32 {b32:g} ULP, float64 {b64:g} ULP, relative to the larger of |dx| and
    |grad| + exp(y) |sum(grad)|.

    {backward_params}

    Examples
    --------
    >>> import numpy as np, fastact
    >>> y = fastact.log_softmax(np.array([1.0, 2.0]))
    >>> dx = fastact.log_softmax_backward(np.array([1.0, 0.0]), y)
    """
    return _rows_call("log_softmax", _OPS["log_softmax"] + _BACKWARD, axis, out, n_threads, grad, "grad", y,
                      "y")


def sparsemax_backward(grad, y, axis=-1, out=None, n_threads=None):
    """Gradient of ``sparsemax``: on the support (y > 0) dx = grad - mean of grad over the support,
    0 elsewhere.  Accuracy: float32 {b32:g} ULP, float64 {b64:g} ULP, relative to the larger of |dx| and
    |grad| + |the mean|.

    {backward_params}

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.sparsemax_backward(np.array([1.0, 3.0, 5.0]), np.array([0.4, 0.6, 0.0]))
    array([-1.,  1.,  0.])
    """
    return _rows_call("sparsemax", _OPS["sparsemax"] + _BACKWARD, axis, out, n_threads, grad, "grad", y, "y")


def _fill_docs():
    """Docstrings' shared parts, and the accuracy bounds from the table (fastact/_table.py)."""
    rows = {row.name: row for row in AXIS_FUNCTIONS}
    for f in (softmax, log_softmax, sparsemax, glu, softmax_backward, log_softmax_backward,
              sparsemax_backward, glu_backward):
        row = rows[f.__name__.replace("_backward", "")]
        inplace = "``grad`` or ``y``" if f.__name__.endswith("_backward") else "``x`` itself"
        backward = f.__name__.endswith("_backward")
        f.__doc__ = (f.__doc__.replace("{forward_params}", _FORWARD_PARAMS)
                     .replace("{backward_params}", _BACKWARD_PARAMS.replace("{name}", row.name))
                     .replace("{axis}", _AXIS_DOC.format(what="row"))
                     .replace("{common}", _COMMON.format(inplace=inplace, shape="grad" if backward else "x"))
                     .format(f32=row.float32_ulp, f64=row.float64_ulp, b32=row.backward_ulp[0],
                             b64=row.backward_ulp[1]))


def _glu_layout(shape, axis):
    if len(shape) == 0:
        raise ValueError("x must have at least one dimension for glu, got a 0-d array")
    axis = _check_axis(axis, "glu")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of bounds for x with {len(shape)} dimension(s) in glu")
    if shape[axis] % 2:
        raise ValueError(f"x.shape[{axis}] = {shape[axis]} must be even for glu (x is split in two halves "
                         f"along axis {axis})")
    ax = axis % len(shape)
    half = shape[ax] // 2
    return math.prod(shape[:ax]), half * math.prod(shape[ax + 1:]), shape[:ax] + (half,) + shape[ax + 1:]


def _glu_plain(x, grad, axis, out, n_threads):
    """glu's forward (grad None) or backward along the last axis when the call is the plain one, checked
    and run in C (kernels.plain_glu: native float32/float64 C-contiguous aligned ndarrays of one dtype,
    out absent or such an array of the result's shape sharing no memory with the inputs), with the
    general path's kernel but without its conversions and layout checks.  glu on 1000 float32 elements:
    4.4 us through the general path, 2.2 with these checks in Python, 1.1 in C (the last two interleaved
    in one process).  Returns None where the general path must take the call."""
    if type(axis) is int and (axis == -1 or type(x) is np.ndarray and axis == x.ndim - 1):
        return _dispatch.kernels.plain_glu(x, grad, out, GLU_SERIAL_BELOW if grad is None else
                                           GLU_BACKWARD_SERIAL_BELOW, n_threads)
    return None


def glu(x, axis=-1, out=None, n_threads=None):
    """Gated linear unit: a * sigmoid(b), where a and b are the two halves of x along ``axis``.

    Accuracy: float32 {f32:g} ULP, float64 {f64:g} ULP.

    Parameters
    ----------
    x : array_like
        Input; ``x.shape[axis]`` must be even.
    axis : int, default -1
        The axis along which x is split.
    out : ndarray, optional
        Where to write the result (x's shape with half of ``x.shape[axis]``); must not overlap x.
    n_threads : int, optional
        OpenMP threads for this call.

    Returns
    -------
    ndarray
        x's shape with ``x.shape[axis] // 2``; dtype as for the elementwise functions.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.glu(np.array([[2.0, 0.0]]))      # 2 * sigmoid(0)
    array([[1.]])
    """
    y = _glu_plain(x, None, axis, out, n_threads)
    if y is not None:
        return y
    xa = _core.as_array(x, "x")
    result_dtype, compute_dtype = _core.dtypes_for(xa.dtype, "x")
    P, M, out_shape = _glu_layout(xa.shape, axis)
    return _grouped(xa, None, out, out_shape, result_dtype, compute_dtype, P, M, n_threads)


def glu_backward(grad, x, axis=-1, out=None, n_threads=None):
    """Gradient of ``glu``: dx joins grad * sigmoid(b) (for a) and grad * a * sigmoid(b) * sigmoid(-b)
    (for b) along ``axis``.  ``grad`` has glu's output shape.

    Accuracy: float32 {b32:g} ULP, float64 {b64:g} ULP, relative to the larger of |dx| and the terms.

    Parameters
    ----------
    grad : array_like
        Gradient with respect to glu's output.
    x : array_like
        The input of ``glu``.
    axis : int, default -1
        The axis along which x was split.
    out : ndarray, optional
        Where to write dx (x's shape, grad's dtype); must not overlap the inputs.
    n_threads : int, optional
        OpenMP threads for this call.

    Returns
    -------
    ndarray
        dx, x's shape, grad's dtype.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.glu_backward(np.array([[1.0]]), np.array([[2.0, 0.0]]))
    array([[0.5, 0.5]])
    """
    if grad is None:      # (_glu_plain reads None as a forward)
        raise TypeError("grad of glu_backward must be an array, got None")
    dx = _glu_plain(x, grad, axis, out, n_threads)
    if dx is not None:
        return dx
    ga = _core.as_array(grad, "grad")
    xa = _core.as_array(x, "x")
    result_dtype, compute_dtype = _core.dtypes_for(ga.dtype, "grad")
    _core.dtypes_for(xa.dtype, "x")
    P, M, out_shape = _glu_layout(xa.shape, axis)
    if ga.shape != out_shape:
        raise ValueError(f"grad must have glu's output shape {out_shape}, got grad.shape={ga.shape}")
    return _grouped(xa, ga, out, xa.shape, result_dtype, compute_dtype, P, M, n_threads)


def _grouped(xa, ga, out, out_shape, result_dtype, compute_dtype, P, M, n_threads):
    nt = _threads.threads_for(n_threads, xa.size, GLU_SERIAL_BELOW if ga is None else GLU_BACKWARD_SERIAL_BELOW)
    user_out = out is not None
    out, work, order, scatter = _core._prepare_out(out, out_shape, result_dtype, compute_dtype, nt, c_order=True)
    if work.size:
        xin = _core._flat_input(xa, compute_dtype, "C", work, user_out, alias_ok=False, n_threads=nt)
        gin = xin if ga is None else _core._flat_input(ga, compute_dtype, "C", work, user_out, alias_ok=False,
                                                       n_threads=nt)
        _dispatch.kernels.glu(xin, gin, work, ga is not None, P, M, nt)
    return _core._finish(out, work, order, scatter, nt)


_fill_docs()
