# cython: language_level=3
# fastact/_openmp_helpers.pyx -- the only module that talks to the OpenMP runtime directly.
# Builds without OpenMP compile the #else branches: one thread, and openmp_enabled() says so.

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
