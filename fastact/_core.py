"""NumPy-facing argument handling, done once for every function, and the call into the kernels.

Dtype rules, array-likes, ``out=`` checks, layouts (C, Fortran, strided, negative strides, 0-d, empty),
overlap between ``out`` and the inputs, and the thread count.  The kernels only ever see 1-D C-contiguous
float32 or float64 buffers: contiguous arrays (C or Fortran order) are passed as flat views; anything else
is gathered into a contiguous copy first and scattered back into ``out`` afterwards.
"""
import math
import numbers

import numpy as np

from fastact import _buffers, _dispatch, _threads

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_SUPPORTED = "float16, bfloat16, float32, float64, or bool/integer (computed as float64)"
_dtype_cache = {}


def dtypes_for(dtype, name):
    """(result dtype, compute dtype) for an input of ``dtype``; TypeError naming ``name`` if unsupported."""
    try:
        return _dtype_cache[dtype]
    except KeyError:
        pass
    if not dtype.isnative:  # byte-swapped input: native result, converted on the way in
        result = dtypes_for(dtype.newbyteorder("="), name)
    elif dtype == _F32 or dtype == _F64:
        result = (dtype, dtype)
    elif dtype.kind == "f" and dtype.itemsize == 2 or dtype.name == "bfloat16":
        result = (dtype, _F32)
    elif dtype.kind in "biu":
        result = (_F64, _F64)
    else:
        raise TypeError(f"{name} has dtype {dtype}, which fastact does not support; "
                        f"use {_SUPPORTED}")
    _dtype_cache[dtype] = result
    return result


def as_array(x, name):
    """``np.asarray(x)``, with conversion failures reported against the argument's name."""
    if type(x) is np.ndarray:
        return x
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} could not be converted to a numeric array: {exc}") from None


_packed_cache = {}
_NONZERO_MIN = float(np.finfo(np.float32).tiny)
_DOUBLE_MIN = float(np.finfo(np.float64).tiny)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_NO_PARAMS = ((0.0, 0.0, 0.0), None)


def pack_params(row, values):
    """Validate a row's scalar parameters and return (the three kernel slots (None -> NaN), wide): wide
    is None, or the message for a call computed in float32, which cannot take a parameter beyond
    float32's range (see check_wide).
    Validated plain-float parameter sets are cached (a call with the defaults costs a dict lookup).
    The key holds the values' types too: 1 == True == 1.0 hash alike, and a flag must not accept 1, nor
    a real parameter True, because an equal value of the right type was validated before."""
    try:
        return _packed_cache[row.name, values, tuple(map(type, values))]
    except (KeyError, TypeError):  # TypeError: an unhashable value such as an array
        pass
    packed = _validate_params(row, values)
    if len(_packed_cache) < 1024 and all(type(v) in (float, int, bool, type(None)) for v in values):
        _packed_cache[row.name, values, tuple(map(type, values))] = packed
    return packed


def check_wide(wide, compute_dtype):
    """ValueError ``wide`` (pack_params's) for a computation in float32 (float32, float16, bfloat16)."""
    if wide is not None and compute_dtype != _F64:
        raise ValueError(wide)


def _validate_params(row, values):
    slots = [0.0, 0.0, 0.0]
    wide = None
    for i, (param, value) in enumerate(zip(row.params, values)):
        if value is None and param.allow_none:
            slots[i] = math.nan
            continue
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if param.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{param.name} of {row.name} must be True or False, got {value!r} "
                                f"({type(value).__name__})")
            slots[i] = 1.0 if value else 0.0
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            kinds = "a real number or None" if param.allow_none else "a real number"
            raise TypeError(f"{param.name} of {row.name} must be {kinds}, got {value!r} "
                            f"({type(value).__name__})")
        # -0.0 is 0.0: they hash alike, and a cached set must not depend on which of them came first
        try:
            value = float(value) + 0.0
        except OverflowError:       # an integer beyond double's range
            raise ValueError(f"{param.name} of {row.name} must be finite, got {param.name}={value!r}") from None
        if param.allow_none and value == math.inf:     # a bound at inf (Keras's ReLU takes it)
            slots[i] = value
            continue
        if value == -math.inf and param.minimum is not None:
            raise ValueError(f"{param.name} of {row.name} cannot be less than {param.minimum}, "
                             f"got {param.name}={value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{param.name} of {row.name} must be finite, got {value!r}")
        if abs(value) > _FLOAT32_MAX and not param.allow_none and wide is None:
            wide = (f"{param.name} of {row.name} is beyond float32's range (magnitude above "
                    f"{_FLOAT32_MAX:g}), where this call computes: got {param.name}={value!r}; "
                    f"pass float64 input for such a parameter")
        if param.nonzero and abs(value) < _DOUBLE_MIN:   # (celu divides by it)
            raise ValueError(f"{param.name} of {row.name} cannot be 0 or smaller in magnitude than "
                             f"{_DOUBLE_MIN:g} (float64's smallest normal), got {param.name}={value!r}")
        if param.nonzero and abs(value) < _NONZERO_MIN and wide is None:   # (0 once rounded to float32)
            wide = (f"{param.name} of {row.name} cannot be smaller in magnitude than {_NONZERO_MIN:g} "
                    f"(float32's smallest normal) where this call computes in float32: got "
                    f"{param.name}={value!r}; pass float64 input for such a parameter")
        if param.minimum is not None and value < param.minimum:
            raise ValueError(f"{param.name} of {row.name} cannot be less than {param.minimum}, "
                             f"got {param.name}={value!r}")
        slots[i] = value
    return tuple(slots), wide


def _check_out(out, shape, dtype):
    if not isinstance(out, np.ndarray) or isinstance(out, np.matrix):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}"
                        + (" (a matrix stays 2-d: pass np.asarray(out))" if isinstance(out, np.matrix) else ""))
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, but the result has dtype {dtype}")
    if out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, but the result has shape {shape}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")


def _result_array(out, like, result_dtype, c_order=False):
    """(out, order, new_order): the caller's ``out``, checked, or a new array of ``like``'s shape (or the
    shape ``like`` is) in ``result_dtype``; ``order`` is the order out can be flattened in as a view ("C",
    "F"; None for neither, or for F with ``c_order``: the kernel needs C order), ``new_order`` the one a
    new buffer takes: a Fortran-ordered input's, unless C order is required."""
    shape = like if isinstance(like, tuple) else like.shape
    new_order = "F" if (not c_order and like.flags.f_contiguous and not like.flags.c_contiguous) else "C"
    if out is None:
        return _buffers.empty(shape, result_dtype, order=new_order), new_order, new_order
    _check_out(out, shape, result_dtype)
    order = "C" if out.flags.c_contiguous else None if c_order else "F" if out.flags.f_contiguous else None
    return out, order, new_order


def _prepare_out(out, like, result_dtype, compute_dtype, n_threads, c_order=False):
    """Return (out, work, order, scatter): ``work`` is the flat C-contiguous compute-dtype buffer the
    kernel writes; a view of ``out`` when possible, else a temporary (``scatter``) copied back after.
    New buffers are first-touched for a kernel on ``n_threads`` (kernels.first_touch).
    ``c_order``: the kernel needs C order (row-wise kernels), whatever the layouts."""
    first_touch = out is None
    out, order, new_order = _result_array(out, like, result_dtype, c_order)
    if order is not None and result_dtype == compute_dtype and out.flags.aligned:
        work = out.reshape(-1, order=order)
        if first_touch:
            _dispatch.kernels.first_touch(work, n_threads)
        return out, work, order, False
    work = _dispatch.kernels.first_touch(_buffers.empty(out.size, compute_dtype), n_threads)
    return out, work, order or new_order, True


_half_kinds = {}


def _half_kind(dtype):
    """0 for native float16, 1 for native bfloat16 (the kernels' widen/narrow), None for other dtypes."""
    try:
        return _half_kinds[dtype]
    except KeyError:
        pass
    kind = None
    if dtype.isnative and dtype.itemsize == 2:
        kind = 0 if dtype.kind == "f" else 1 if dtype.name == "bfloat16" else None
    _half_kinds[dtype] = kind
    return kind


def _convert(src, dst, n_threads):
    """dst[...] = src for 1-D contiguous arrays, one of them float32 and the other float16 or bfloat16
    (the kernels' conversions, _convert.h: NumPy's cast of float16 is 10-100 times slower), else by
    NumPy, where a float64 beyond float32's range gives inf with no warning (SPEC) and so does a
    float16 beyond 65504."""
    if src.dtype == _F32 and dst.flags.aligned and _half_kind(dst.dtype) is not None:
        _dispatch.kernels.narrow(src, dst.view(np.uint16), _half_kind(dst.dtype), n_threads)
    elif dst.dtype == _F32 and src.flags.aligned and _half_kind(src.dtype) is not None:
        _dispatch.kernels.widen(src.view(np.uint16), dst, _half_kind(src.dtype), n_threads)
    else:
        with np.errstate(over="ignore"):
            np.copyto(dst, src, casting="unsafe")


def _flat_input(a, compute_dtype, order, work, user_out, alias_ok=True, n_threads=1):
    """A flat C-contiguous compute-dtype view (or copy) of ``a`` in ``order``; when the caller gave
    ``out``, never overlapping it in a way the kernel cannot take: exact aliasing (in place) is fine for
    elementwise kernels (``alias_ok``), partial overlap never is."""
    flat = np.ravel(a, order=order)
    if flat.dtype != compute_dtype or not flat.flags.aligned:
        converted = _buffers.empty(flat.size, compute_dtype)   # (always a new, aligned, native array)
        _convert(flat, converted, n_threads)
        return converted
    if user_out and _overlaps(flat, work, alias_ok):
        return flat.copy()
    return flat


def _overlaps(flat, target, alias_ok=True):
    """Whether the flat array ``flat`` shares memory with the flat array ``target`` in a way a kernel
    cannot take: other than element for element (the same start and element size) where ``alias_ok``,
    at all otherwise."""
    return np.may_share_memory(flat, target) and not (
        alias_ok and flat.itemsize == target.itemsize
        and flat.__array_interface__["data"][0] == target.__array_interface__["data"][0])


def store(out, values, n_threads=1):
    """out[...] = values: for a float16 out from float32 values, beyond 65504 is inf, with no overflow
    warning (SPEC)."""
    for order in "CF":
        if out.flags[order + "_CONTIGUOUS"] and values.flags[order + "_CONTIGUOUS"]:
            _convert(values.reshape(-1, order=order), out.reshape(-1, order=order), n_threads)
            return
    with np.errstate(over="ignore"):
        out[...] = values


def _finish(out, work, order, scatter, n_threads=1):
    if scatter:
        store(out, work.reshape(out.shape, order=order), n_threads)
    return out


# Elements per conversion chunk: an elementwise call whose inputs or result need converting to or from
# the compute dtype (integers, a float64 saved for a float32 grad, byte-swapped or unaligned arrays, a
# float16 grad with a float32 saved) converts them this many at a time into small compute-dtype buffers
# rather than whole arrays at once (a float16 array took five times its own size in temporaries: one of
# 4 GiB needed 20 GiB more).  Where every array is float16 (or every one bfloat16), the kernels convert
# block by block themselves (forward_half, backward_half).
_CHUNK = 1 << 18


def _run(kid, slots, inputs, work, n_threads):
    """The forward (one input) or backward (grad and saved) kernel ``kid`` into ``work``."""
    if len(inputs) == 1:
        _dispatch.kernels.forward(kid, inputs[0], work, slots[0], slots[1], slots[2], n_threads)
    else:
        _dispatch.kernels.backward(kid, inputs[0], inputs[1], work, slots[0], slots[1], slots[2], n_threads)


def _elementwise(kid, slots, arrays, out, result_dtype, compute_dtype, n_threads):
    """Kernel ``kid`` on the elementwise ``arrays`` (x, or grad and saved) into ``out`` (None: a new array
    in ``result_dtype``); returns ``out``.  Float16 and bfloat16 calls, and calls of more than _CHUNK
    elements with anything to convert, go through _converting."""
    like = arrays[0]
    if (_half_kind(result_dtype) is not None and all(a.dtype == result_dtype for a in arrays)) or (
            like.size > _CHUNK and (result_dtype != compute_dtype
                                    or any(a.dtype != compute_dtype or not a.flags.aligned for a in arrays))):
        done = _converting(kid, slots, arrays, out, result_dtype, compute_dtype, n_threads)
        if done is not None:
            return done
    user_out = out is not None
    out, work, order, scatter = _prepare_out(out, like, result_dtype, compute_dtype, n_threads)
    if work.size:
        _run(kid, slots, [_flat_input(a, compute_dtype, order, work, user_out, n_threads=n_threads) for a in arrays],
             work, n_threads)
    return _finish(out, work, order, scatter, n_threads)


def _converting(kid, slots, arrays, out, result_dtype, compute_dtype, n_threads):
    """_elementwise's form without whole-array conversions, for an ``out`` (new, or the caller's) that is C
    or Fortran contiguous (None otherwise: the caller goes the whole-array way): all float16 (or all
    bfloat16) by the kernels' block-by-block conversions, the rest a _CHUNK at a time.  Each block or
    chunk of the inputs is read before that part of ``out`` is written, so an input that is ``out``
    itself, element for element, is fine; one that overlaps it otherwise is copied whole first (in its
    own dtype)."""
    new = out is None
    out, order, _ = _result_array(out, arrays[0], result_dtype)
    if order is None:
        return None
    if new:
        _dispatch.kernels.first_touch(out, n_threads)
    flat_out = out.reshape(-1, order=order)
    flats = []
    for a in arrays:
        flat = np.ravel(a, order=order)
        flats.append(flat.copy() if _overlaps(flat, flat_out) else flat)
    kind = _half_kind(result_dtype)
    if kind is not None and flat_out.flags.aligned and all(f.dtype == result_dtype and f.flags.aligned for f in flats):
        bits = [f.view(np.uint16) for f in flats] + [flat_out.view(np.uint16)]
        if len(flats) == 1:
            _dispatch.kernels.forward_half(kid, *bits, kind, slots[0], slots[1], slots[2], n_threads)
        else:
            _dispatch.kernels.backward_half(kid, *bits, kind, slots[0], slots[1], slots[2], n_threads)
        return out
    n = flat_out.size
    step = max(1, min(n, _CHUNK))
    buffers = [None if f.dtype == compute_dtype and f.flags.aligned else _buffers.empty(step, compute_dtype)
               for f in flats]
    work = None if result_dtype == compute_dtype and flat_out.flags.aligned else _buffers.empty(step, compute_dtype)
    for start in range(0, n, step):
        stop = min(n, start + step)
        inputs = []
        for flat, buf in zip(flats, buffers):
            if buf is not None:
                _convert(flat[start:stop], buf[:stop - start], n_threads)
            inputs.append(flat[start:stop] if buf is None else buf[:stop - start])
        if work is None:
            _run(kid, slots, inputs, flat_out[start:stop], n_threads)
        else:
            _run(kid, slots, inputs, work[:stop - start], n_threads)
            _convert(work[:stop - start], flat_out[start:stop], n_threads)
    return out


def forward(kid, row, x, params, out, n_threads):
    """y = row(x) with every SPEC section-1 rule; ``params`` are the row's raw parameter values."""
    slots, wide = pack_params(row, params) if row.params else _NO_PARAMS
    if n_threads is not None:
        n_threads = _threads.check_n_threads(n_threads)
    if wide is None:
        y = _dispatch.kernels.plain_call(kid, x, None, out, slots[0], slots[1], slots[2], row.serial_below,
                                         n_threads)
        if y is not None:      # the plain call, done in C (see plain_call)
            return y
    xa = as_array(x, "x")
    result_dtype, compute_dtype = dtypes_for(xa.dtype, "x")
    check_wide(wide, compute_dtype)
    nt = _threads.threads_for(n_threads, xa.size, row.serial_below)
    return _elementwise(kid, slots, (xa,), out, result_dtype, compute_dtype, nt)


def backward(kid, row, grad, saved, params, out, n_threads):
    """dx = row'(grad, saved); the result has grad's dtype, ``saved`` is cast to it."""
    if grad is None or saved is None:
        raise TypeError(f"{'grad' if grad is None else row.saved} of {row.name}_backward must be an array, "
                        f"got None")
    slots, wide = pack_params(row, params) if row.params else _NO_PARAMS
    if n_threads is not None:
        n_threads = _threads.check_n_threads(n_threads)
    if wide is None:
        dx = _dispatch.kernels.plain_call(kid, grad, saved, out, slots[0], slots[1], slots[2],
                                          row.serial_below, n_threads)
        if dx is not None:
            return dx
    ga = as_array(grad, "grad")
    sa = as_array(saved, row.saved)
    result_dtype, compute_dtype = dtypes_for(ga.dtype, "grad")
    check_wide(wide, compute_dtype)
    dtypes_for(sa.dtype, row.saved)
    if ga.shape != sa.shape:
        raise ValueError(f"grad and {row.saved} must have the same shape, got grad.shape={ga.shape} "
                         f"and {row.saved}.shape={sa.shape}")
    nt = _threads.threads_for(n_threads, ga.size, row.serial_below)
    return _elementwise(kid, slots, (ga, sa), out, result_dtype, compute_dtype, nt)


def unit_layout(shape, param_shape, name):
    """Reduce "``shape``, with a parameter of ``param_shape`` broadcast onto it" to the (P, K, Q) form of
    the row-wise kernels: the parameter varies along the middle axis, K = the product of the axes from
    its first to its last non-1 axis.  Returns (P, K, Q, v0, v1, padded_param_shape); the span is
    ``shape[v0:v1]``.  A parameter that would enlarge ``shape`` is a ValueError naming ``name``."""
    nd = len(shape)
    if len(param_shape) > nd:
        raise ValueError(f"{name} with shape {tuple(param_shape)} has more dimensions than x "
                         f"with shape {tuple(shape)}")
    padded = (1,) * (nd - len(param_shape)) + tuple(param_shape)
    for s, p in zip(shape, padded):
        if p != 1 and p != s:
            raise ValueError(f"{name} with shape {tuple(param_shape)} does not broadcast to x's shape "
                             f"{tuple(shape)}")
    varying = [i for i, p in enumerate(padded) if p != 1]
    v0, v1 = (varying[0], varying[-1] + 1) if varying else (0, 0)  # scalar: P = K = 1, Q = size
    P, K, Q = math.prod(shape[:v0]), math.prod(shape[v0:v1]), math.prod(shape[v1:])
    return P, K, Q, v0, v1, padded


def rows_form(P, K, Q):
    """How a row-wise kernel walks (P, K, Q): (vector, rows, L, repeat).  Vector form (Q == 1, or Q < 64
    with the parameter repeated Q times so rows stay long enough to vectorise): rows of length L along
    which the parameter varies.  Row form: rows of length Q with one parameter each."""
    if Q == 1:
        return True, P, K, 1
    if Q < 64:
        return True, P, K * Q, Q
    return False, P * K, Q, 1


class UnitReduction:
    """A per-unit reduction over the (P, K, Q) form, split into fixed work items (never by the thread
    count, so sums add up in the same order everywhere): the kernel fills ``partial``, ``per_unit``
    adds the items up in a fixed order and returns one value per unit (length K)."""

    def __init__(self, P, K, Q, dtype):
        self.vector, self.rows, self.L, self.repeat = rows_form(P, K, Q)
        self.K = K
        # the work items' layout (kernels.unit_partials): per (row, chunk) in the row form; in the vector
        # form, column chunks over all rows (col_chunk: the partials are the answer) or blocks of rows
        size, self.block_rows, self.col_chunk = _dispatch.kernels.unit_partials(self.vector, self.rows, self.L)
        self.partial = np.empty(size, dtype)

    def per_unit(self):
        p = self.partial
        if not self.vector:
            return p.reshape(self.rows // self.K, self.K, -1).sum(axis=(0, 2))
        per_column = p if self.col_chunk else p.reshape(-1, self.L).sum(axis=0)
        return per_column.reshape(-1, self.repeat).sum(axis=1)
