"""``fastact.show_config()``: what this build is and what it will use."""
import sys

import numpy as np

from fastact import _dispatch, _openmp_helpers, _threads
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
    }


def show_config(file=None):
    """Print fastact's version, OpenMP on/off, thread count and the SIMD level in use."""
    c = config()
    lines = [
        f"fastact {c['version']}  (Python {c['python']}, NumPy {c['numpy']})",
        f"  OpenMP:       {'enabled' if c['openmp'] else 'DISABLED (serial build)'}",
        f"  threads:      {c['num_threads']}",
        f"  SIMD level:   {c['simd_level']}  (available: {', '.join(c['simd_levels_available'])};"
        f" cap with FASTACT_SIMD)",
    ]
    print("\n".join(lines), file=file or sys.stdout)
