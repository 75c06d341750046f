"""CPU dispatch: the one place that chooses which compiled copy of the kernels runs.

The kernels are compiled for baseline x86-64, AVX2+FMA and AVX-512 (setup.py); at import the best level
both built and supported by this CPU is used.  ``FASTACT_SIMD=baseline|avx2|avx512`` caps the level
(for testing, or to rule out a CPU-specific problem).
"""
import importlib
import importlib.util
import os
import warnings

from fastact import _cpu_features

LEVELS = ("baseline", "avx2", "avx512")


def _built(level):
    """Whether the kernel module of `level` is in this build: found, not imported (a module compiled for
    AVX-512 may run AVX-512 instructions as it loads, which kill the process on a CPU without them)"""
    return importlib.util.find_spec(f"fastact._kernels_{level}") is not None


def _importable(level):
    try:
        importlib.import_module(f"fastact._kernels_{level}")
    except ImportError:
        return False
    return True


def available_levels():
    """Levels that are both compiled into this build and supported by this CPU, lowest first."""
    cpu = set(_cpu_features.supported_levels())
    return [lv for lv in LEVELS if lv in cpu and _importable(lv)]


def _initial_level():
    levels = available_levels()
    if not levels:
        raise ImportError("fastact: no kernel module could be imported; is the package built?")
    wanted = os.environ.get("FASTACT_SIMD", "").strip().lower()
    if not wanted:
        return levels[-1]
    if wanted not in LEVELS:
        raise ValueError(f"FASTACT_SIMD must be one of {', '.join(LEVELS)}; got {wanted!r}")
    if wanted not in levels:
        warnings.warn(f"FASTACT_SIMD={wanted!r} is not available on this CPU/build "
                      f"(available: {', '.join(levels)}); using {levels[-1]!r}", RuntimeWarning)
        return levels[-1]
    return wanted


kernels = None  # the kernel module in use; fastact._core reads it on every call


def set_level(level):
    """Switch the kernel module (used by the tests to run every level); returns the previous level."""
    global kernels
    if level not in available_levels():
        raise ValueError(f"SIMD level must be one of {available_levels()}, got {level!r}")
    previous = None if kernels is None else kernels.SIMD_LEVEL
    kernels = importlib.import_module(f"fastact._kernels_{level}")
    return previous


def current_level():
    return kernels.SIMD_LEVEL


set_level(_initial_level())
