"""Thread count: the one place that decides how many OpenMP threads a call uses.

Order of precedence: the call's ``n_threads`` > ``set_num_threads`` > the default, which is
``omp_get_max_threads()`` (so ``OMP_NUM_THREADS`` and threadpoolctl limits are honoured) capped at the
CPUs this process may run on unless ``OMP_NUM_THREADS`` asks for more (as scikit-learn does).
"""
import numbers
import os

from fastact import _openmp_helpers

_user_default = None  # set by set_num_threads


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# Read once: the OpenMP runtime reads OMP_NUM_THREADS once, at its start, too.
_OMP_ENV_SET = "OMP_NUM_THREADS" in os.environ
_CPUS = _cpu_count()


MAX_THREADS = 2**31 - 1     # a C int: the kernels' thread counts

# The most threads a call runs on (a larger n_threads or default runs on this many; results are the
# same bits for every count): GNU OpenMP allocates and starts every thread asked for, and 2^31 - 1 of
# them ended the process ("Out of memory allocating 481036338272 bytes"), 32768 too ("Thread creation
# failed"), 65536 segfaulted.  1 in a child forked after this process ran parallel calls: GNU
# OpenMP's threads do not survive fork, and the child's first parallel call waited for them forever.
THREAD_LIMIT = max(64, 4 * _CPUS)
_limit = THREAD_LIMIT
_parallel_ran = False


def _after_fork_in_child():
    global _limit
    if _parallel_ran:
        _limit = 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def limited(n_threads):
    """A call's thread count as it runs: at most the limit above (every count a kernel runs on passes
    here: threads_for and the plain calls' _plain_threads)."""
    global _parallel_ran
    if n_threads > _limit:
        n_threads = _limit
    if n_threads > 1:
        _parallel_ran = True
    return n_threads


def check_integer(value, name, minimum, maximum=None):
    """Validate an integer argument: >= minimum (and <= maximum), and bool is not one (callers take None
    themselves)."""
    if type(value) is int and value >= minimum and (maximum is None or value <= maximum):   # the common
        return value                                                                          # case
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum} or None, got {value!r} "
                        f"({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return int(value)


def check_n_threads(n_threads, name="n_threads"):
    """Validate a thread count: an integer from 1 to MAX_THREADS (a larger one overflowed the kernels'
    C int with an OverflowError)."""
    return check_integer(n_threads, name, 1, MAX_THREADS)


def set_num_threads(n_threads):
    """Set the default thread count for every later call (``None`` restores the automatic default)."""
    global _user_default
    _user_default = None if n_threads is None else check_n_threads(n_threads)


def get_num_threads():
    """The number of threads a large call uses when it is not given ``n_threads``."""
    if _user_default is not None:
        n = _user_default
    else:
        n = _openmp_helpers.max_threads()     # >= 1
        # (no min()/max() calls: this runs on every call above the serial cut-off)
        if not _OMP_ENV_SET and n > _CPUS:
            n = _CPUS
    return n if n <= _limit else _limit


def threads_for(n_threads, n_elements, serial_below):
    """Threads for one call over ``n_elements``: 1 below the kernel's measured serial cut-off."""
    if n_threads is not None:
        n_threads = check_n_threads(n_threads)
    if n_elements < serial_below:
        return 1
    return limited(get_num_threads() if n_threads is None else n_threads)
