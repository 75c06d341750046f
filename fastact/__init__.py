"""fastact: fast, accurate CPU activation functions, forward and backward, for NumPy arrays.

Every function takes any array-like, ``out=`` and ``n_threads=``; see ``fastact.show_config()`` and the
README's API table.
"""
from fastact._version import __version__

try:
    from fastact import _openmp_helpers  # noqa: F401  (the first compiled module the others import)
except ImportError as _exc:
    import importlib.machinery as _machinery
    import os as _os
    if any(_os.path.exists(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "_openmp_helpers" + _s))
           for _s in _machinery.EXTENSION_SUFFIXES):
        raise           # (the module is there but cannot load, e.g. without libgomp: its own error)
    raise ImportError(
        f"fastact's compiled modules are missing from {_os.path.dirname(_os.path.abspath(__file__))}: "
        f"this looks like fastact's source tree, which shadows the installed package when Python starts "
        f"in the checkout: install it (`pip install .`) and run Python from another directory") from _exc
from fastact._threads import get_num_threads, set_num_threads
from fastact._buffers import get_buffer_pool, set_buffer_pool
from fastact._config import show_config
from fastact._api import FUNCTIONS as _FUNCTIONS

globals().update(_FUNCTIONS)  # sigmoid, sigmoid_backward, tanh, ... one pair per table row
from fastact._prelu import prelu, prelu_backward
from fastact._maxout import maxout, maxout_backward
from fastact._axis import (glu, glu_backward, log_softmax, log_softmax_backward, softmax, softmax_backward,
                           sparsemax, sparsemax_backward)
from fastact._dead_units import DeadUnitCounter

__all__ = ["__version__", "show_config", "get_num_threads", "set_num_threads",
           "get_buffer_pool", "set_buffer_pool", *_FUNCTIONS,
           "prelu", "prelu_backward", "maxout", "maxout_backward", "softmax", "softmax_backward",
           "log_softmax", "log_softmax_backward", "sparsemax", "sparsemax_backward", "glu", "glu_backward",
           "DeadUnitCounter"]
