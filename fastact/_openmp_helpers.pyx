# cython: language_level=3
# fastact/_openmp_helpers.pyx -- the only module that talks to the OpenMP runtime directly.
# Builds without OpenMP compile the #else branches: one thread, and openmp_enabled() says so.

from cython.parallel cimport prange
from libc.string cimport memcpy

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FASTACT_OPENMP 1
    #else
    #define FASTACT_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    #endif
    """
    bint FASTACT_OPENMP
    int omp_get_max_threads() nogil


def openmp_enabled():
    """True when the extension modules were compiled with OpenMP."""
    return FASTACT_OPENMP


def max_threads():
    """omp_get_max_threads() of the calling thread: OMP_NUM_THREADS and threadpoolctl limits show here."""
    return omp_get_max_threads()


def parallel_copy(src, dst, int n_threads):
    """dst[...] = src on n_threads OpenMP threads, one memcpy each over a contiguous part of whole 64-byte
    lines: the memory-bandwidth reference of benchmarks/speed.py (a memory-bound kernel moves what a copy
    moves, and on the same threads).  src and dst: C-contiguous buffers of the same size in bytes."""
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1; got {n_threads}")
    cdef const unsigned char[::1] s = memoryview(src).cast("B")
    cdef unsigned char[::1] d = memoryview(dst).cast("B")
    cdef Py_ssize_t n = s.shape[0]
    if d.shape[0] != n:
        raise ValueError(f"dst has {d.shape[0]} bytes, src {n}: they must be the same size")
    cdef Py_ssize_t part = ((n + n_threads - 1) // n_threads + 63) // 64 * 64, p, a, e
    if n == 0:
        return
    for p in prange(n_threads, schedule="static", num_threads=n_threads, use_threads_if=n_threads > 1,
                    nogil=True):
        a = p * part
        e = min(a + part, n)
        if a < e:
            memcpy(&d[a], &s[a], e - a)
