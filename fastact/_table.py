"""The activation table: one row per elementwise activation.

This file is read twice: by ``setup.py`` (stdlib only, no NumPy) to generate one forward and one backward
parallel loop per row from ``_kernels.pyx.tp``, and at import by ``fastact._api`` to generate the public
functions.  A row's index is its kernel id, so the order here is part of the build.

Adding an activation = its scalar math in ``_scalar.pxd`` (``NAME_fwd``/``NAME_bwd``), its reference in
``_reference.py`` (``NAME``/``NAME_backward``), and a row here.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple

# Kernels take up to this many scalar parameters (unused slots are passed as 0).
N_PARAM_SLOTS = 3


@dataclass(frozen=True)
class Param:
    """A scalar parameter of an activation.

    ``None`` (when ``allow_none``) reaches the kernel as +inf, i.e. "no bound".
    """
    name: str
    default: Optional[float]
    allow_none: bool = False
    minimum: Optional[float] = None
    doc: str = ""


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str             # forward, for docstrings and the README table
    derivative: str          # the backward convention, in terms of grad g and the saved tensor
    saved: str               # "x" (the input) or "y" (the output): what backward takes
    serial_below: int        # arrays with fewer elements run on one thread (chosen with benchmarks/cutoff.py)
    params: Tuple[Param, ...] = field(default=())
    float32_ulp: float = 0.0  # accuracy bound promised and tested for float32 (0 = exact)
    float64_ulp: float = 0.0
    summary: str = ""
    # a hand-vectorised float32 forward fa_NAME_f32_span exists in _spans.h (used by the AVX-512 build)
    float32_span: bool = False


ACTIVATIONS = (
    Activation(
        name="sigmoid",
        float32_span=True,
        summary="Logistic sigmoid, computed in the overflow-free form.",
        formula="1 / (1 + exp(-x))",
        derivative="g * y * (1 - y)",
        saved="y",
        serial_below=8192,
        float32_ulp=1.0,
        float64_ulp=1.0,
    ),
    Activation(
        name="tanh",
        float32_span=True,
        summary="Hyperbolic tangent.",
        formula="tanh(x)",
        derivative="g * (1 - y**2)",
        saved="y",
        serial_below=8192,
        float32_ulp=1.0,
        float64_ulp=1.0,
    ),
    Activation(
        name="relu",
        summary="Rectified linear unit with Keras's options (leak below the threshold, clip above max_value).",
        formula="x > threshold: min(x, max_value), clipped at 0 when max_value is set;"
                " x <= threshold: negative_slope * (x - threshold)",
        derivative="g where threshold < x (and 0 < x < max_value when max_value is set);"
                   " negative_slope * g where x <= threshold; 0 elsewhere",
        saved="x",
        serial_below=32768,
        params=(
            Param("negative_slope", 0.0, doc="slope below the threshold"),
            Param("max_value", None, allow_none=True, minimum=0.0, doc="upper clip; None for no clip"),
            Param("threshold", 0.0, doc="values at or below it are leaked/zeroed"),
        ),
    ),
    Activation(
        name="leaky_relu",
        summary="Leaky ReLU.",
        formula="x if x >= 0 else alpha * x",
        derivative="g if x > 0 else alpha * g",
        saved="x",
        serial_below=32768,
        params=(Param("alpha", 0.01, doc="slope for negative inputs"),),
    ),
)

assert all(len(a.params) <= N_PARAM_SLOTS for a in ACTIVATIONS)
