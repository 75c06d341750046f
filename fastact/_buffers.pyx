# cython: language_level=3
"""fastact/_buffers.pyx -- new arrays of REUSE_FROM bytes and more on memory kept from fastact's own freed
arrays (a bounded pool), so that a loop of allocating calls does not fault in fresh pages every call.

Why: a new 64 MB output costs its page faults, the kernel zeroing every page before fastact writes it,
as long again as the call (relu on 1.6e7 float32 elements, 2 threads: 5.4 ms allocating, 2.4 with out=;
NumPy's np.maximum(x, 0) 8.4).  glibc keeps freed memory below ~32 MiB in its heap and reuses it, so
smaller outputs do not pay that; from 32 MiB on it returns every freed array to the kernel (munmap) and
the next one faults again.  TensorFlow's allocator keeps its memory (its allocating relu: 2.9 ms).

The pool: an array made here has a _Lease as its base; when the array (and every view of it) is gone, the
lease gives its buffer back, and the next request of the same rounded size takes it.  At most
``max_bytes`` are held (oldest given up first): 256 MiB unless FASTACT_BUFFER_POOL (MiB) or
``fastact.set_buffer_pool`` says otherwise; 0 turns the reuse off.  Everything here runs under the GIL
with nothing in between that could release it, so threads cannot take one buffer twice.
"""
cimport numpy as cnp
import numbers
import os

import numpy as np

from fastact._threads import check_integer

cnp.import_array()

REUSE_FROM = 32 << 20           # bytes: glibc's largest reused size (its mmap threshold's ceiling)
GRAIN = 2 << 20                 # buffer sizes are whole 2 MiB (huge) pages, so near sizes share buffers
DEFAULT_MAX_BYTES = 256 << 20
MAX_BYTES = 2**63 - 1           # a Py_ssize_t
ENV = "FASTACT_BUFFER_POOL"

cdef list _held = []            # uint8 buffers nobody uses, oldest first
cdef Py_ssize_t _held_bytes = 0
cdef Py_ssize_t _max_bytes = DEFAULT_MAX_BYTES


cdef class _Lease:
    """The base object of an array on a pooled buffer: its end gives the buffer back."""
    cdef cnp.ndarray buf

    def __dealloc__(self):
        if self.buf is not None:
            _give_back(self.buf)


cdef void _give_back(cnp.ndarray buf) noexcept:
    global _held_bytes
    cdef Py_ssize_t size = cnp.PyArray_NBYTES(buf)
    if _held is None or size > _max_bytes:     # (None: the module is being torn down)
        return
    _held.append(buf)
    _held_bytes += size
    _trim()


cdef void _trim() noexcept:
    """Give up the oldest held buffers until at most _max_bytes are held."""
    global _held_bytes
    while _held_bytes > _max_bytes:
        _held_bytes -= cnp.PyArray_NBYTES(<cnp.ndarray>_held[0])
        del _held[0]


cdef object _take(Py_ssize_t size):
    """A held buffer of exactly ``size`` bytes (the latest given back), or None."""
    global _held_bytes
    cdef Py_ssize_t k
    for k in range(len(_held) - 1, -1, -1):
        if cnp.PyArray_NBYTES(<cnp.ndarray>_held[k]) == size:
            _held_bytes -= size
            return _held.pop(k)
    return None


cdef object new_array(int nd, cnp.npy_intp *dims, int typenum, bint fortran, Py_ssize_t offset):
    """A new C- (or, ``fortran``, Fortran-) ordered array of builtin type ``typenum``; from REUSE_FROM
    bytes on, on a pooled buffer.  ``offset`` >= 0: its data starts at that address mod 64 (the span
    kernels align their stores; an output at its input's offset keeps their loads on whole lines)."""
    cdef Py_ssize_t nbytes = cnp.PyArray_DescrFromType(typenum).itemsize, start
    cdef cnp.npy_intp size
    cdef int k
    for k in range(nd):
        nbytes *= dims[k]
    cdef bint pooled = nbytes >= REUSE_FROM and _max_bytes > 0
    if not pooled and offset < 0:
        return cnp.PyArray_EMPTY(nd, dims, typenum, fortran)
    size = nbytes + (64 if offset >= 0 else 0)
    buf = None
    if pooled:
        size = (size + GRAIN - 1) // GRAIN * GRAIN
        buf = _take(size)
    if buf is None:
        buf = cnp.PyArray_EMPTY(1, &size, cnp.NPY_UINT8, 0)
    start = <Py_ssize_t>cnp.PyArray_DATA(<cnp.ndarray>buf)
    if offset >= 0:
        start += (offset - start) & 63
    arr = cnp.PyArray_New(cnp.ndarray, nd, dims, typenum, NULL, <void *>start, 0,
                          cnp.NPY_ARRAY_FARRAY if fortran else cnp.NPY_ARRAY_CARRAY, None)
    if pooled:
        lease = _Lease()
        lease.buf = buf
        buf = lease
    cnp.set_array_base(arr, buf)
    return arr


def empty(shape, dtype, order="C"):
    """np.empty(shape, dtype, order=order) (order "C" or "F"), on a pooled buffer from REUSE_FROM bytes
    on (for builtin native dtypes)."""
    descr = np.dtype(dtype)
    cdef tuple dims = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    cdef cnp.npy_intp c_dims[32]
    cdef int k, nd = len(dims)
    if nd > 32 or not descr.isbuiltin or not descr.isnative:
        return np.empty(dims, descr, order=order)
    for k in range(nd):
        c_dims[k] = dims[k]
    return new_array(nd, c_dims, descr.num, order == "F", -1)


def _from_env():
    value = os.environ.get(ENV, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        mib = int(value)
    except ValueError:
        mib = -1
    if not 0 <= mib <= MAX_BYTES >> 20:
        raise ValueError(f"{ENV} must be a whole number of MiB from 0 (no reuse) to {MAX_BYTES >> 20}; "
                         f"got {value!r}")
    return mib << 20


def set_buffer_pool(max_bytes):
    """The most memory (bytes) fastact keeps from its own freed arrays of 32 MiB or more, to make its
    next new arrays on them (a loop of allocating calls on big arrays then pays no page faults).
    0 turns the reuse off and frees what is held; None restores the default (256 MiB, or
    FASTACT_BUFFER_POOL in MiB)."""
    global _max_bytes
    _max_bytes = _from_env() if max_bytes is None else check_integer(max_bytes, "max_bytes", 0, MAX_BYTES)
    _trim()


def get_buffer_pool():
    """The pool's state: ``max_bytes`` (the limit), ``held_bytes`` and ``held_buffers`` (freed memory
    kept now) and ``min_bytes`` (the smallest array made on the pool)."""
    return {"max_bytes": _max_bytes, "held_bytes": _held_bytes, "held_buffers": len(_held),
            "min_bytes": REUSE_FROM}


_max_bytes = _from_env()
