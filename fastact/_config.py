"""``fastact.show_config()``: what this build is and what it will use."""
import sys

import numpy as np

from fastact import _buffers, _dispatch, _openmp_helpers, _threads
from fastact._version import __version__


def config():
    """The build and runtime configuration as a dict (what show_config prints)."""
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "openmp": bool(_openmp_helpers.openmp_enabled()),
        "num_threads": _threads.get_num_threads(),
        "simd_level": _dispatch.current_level(),
        "simd_levels_available": _dispatch.available_levels(),
        "buffer_pool": _buffers.get_buffer_pool(),
    }


def _mib(nbytes):
    return f"{nbytes / (1 << 20):g} MiB"


def show_config(file=None):
    """Print fastact's version, OpenMP on/off, thread count, the SIMD level in use and the buffer pool."""
    c = config()
    pool = c["buffer_pool"]
    lines = [
        f"fastact {c['version']}  (Python {c['python']}, NumPy {c['numpy']})",
        f"  OpenMP:       {'enabled' if c['openmp'] else 'DISABLED (serial build)'}",
        f"  threads:      {c['num_threads']}",
        f"  SIMD level:   {c['simd_level']}  (available: {', '.join(c['simd_levels_available'])};"
        f" cap with FASTACT_SIMD)",
        f"  buffer pool:  up to {_mib(pool['max_bytes'])} of freed arrays >= {_mib(pool['min_bytes'])}"
        f" kept for reuse (holding {_mib(pool['held_bytes'])}; set_buffer_pool or FASTACT_BUFFER_POOL in MiB)",
    ]
    print("\n".join(lines), file=file or sys.stdout)
