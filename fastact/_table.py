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

    ``None`` (when ``allow_none``: a bound) reaches the kernel as NaN, i.e. "no bound": not +inf, which
    is a given bound (relu's max_value=inf clips at 0, as Keras's clip to [0, inf] does), and which a
    given bound beyond the array's dtype also becomes (1e300 on float32).  Every other real parameter
    must be finite, and within float32's range for a call computed in float32 (float16 and bfloat16
    included): there 1e300 would be inf, and inf * 0 NaN (elu's alpha at x = 0).
    """
    name: str
    default: Optional[float]
    allow_none: bool = False
    minimum: Optional[float] = None
    doc: str = ""
    kind: str = "real"       # "real", or "bool" (a flag: True/False reach the kernel as 1/0)
    nonzero: bool = False    # 0 is rejected (a divisor)


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
    # a hand-vectorised float32 forward fa_NAME_f32_span exists in _spans.h (used by the AVX-512 build,
    # and by the AVX2 one where _spans_avx2.h has it; for a row whose first parameter is a flag, the form
    # with the flag off; for a row with a plain form, that form, run where a call's parameters are plain;
    # the piecewise-linear rows' spans are AVX2's alone: see _spans.h); it takes the row's first parameter
    # where that is a real number (float32_span_takes_param)
    float32_span: bool = False
    # and a backward fa_NAME_backward_f32_span(grad, saved, out, n) (the same form)
    float32_backward_span: bool = False
    # for a row with a flag: the name of the flag-on form's spans (gelu's tanh form: "gelu_tanh"), forward
    # and, where the row has a backward span, backward (fa_gelu_tanh_backward_f32_span)
    float32_span_flag_on: str = ""
    # a hand-vectorised float64 forward fa_NAME_f64_span / backward fa_NAME_backward_f64_span exists in
    # _spans_f64.h (AVX-512 build); a row with parameters gets its first one in the forward too (celu's alpha;
    # for a row whose first parameter is a flag, the spans are the form with the flag off: exact gelu)
    float64_span: bool = False
    float64_backward_span: bool = False
    # backward accuracy (float32, float64) in ULP; None: exact for exact rows, else (1, 2): the derivative
    # formula on the saved tensor, in double, rounded once (float32) or after a few roundings (float64)
    backward_ulp: Optional[Tuple[float, float]] = None
    aliases: Tuple[str, ...] = ()   # other public names of the same function (Keras's swish, hard_swish)
    # the derivative crosses zero, where float64 cannot resolve it relatively: its float64 backward bound
    # is in ULP of |g| * max(1, |x|), the size of the terms that cancel (float32 stays relative)
    backward_cancels: bool = False
    # the float32 backward span is a few instructions per element, so it runs at the memory's speed and
    # prefetches only for calls beyond the last-level cache, as the float32_span_streams forwards (AVX2, C,
    # 2 threads, 1e6 elements warm in a 32 MB L3, AMD Zen 3: sigmoid' 125-140 us without the prefetches,
    # 135-156 with them, tanh' 130-148 against 159-163, hard_silu' 184-213 against 197-217; with 64 MB
    # written between calls, as other work would, the prefetches gain 0-7% instead (tanh', hard_silu';
    # sigmoid' the same); at 1.6e7 the same within the runs' noise, and these calls still prefetch).  At
    # the AVX-512 level such a span prefetches from 1 MB per thread as the others, but 1024 elements ahead
    # (_spans.h's FA_AHEAD_STREAM, which lists these rows: 2 threads, 1e6 elements, AMD Zen 5, speed.py
    # runs: tanh' 0.91-1.01x PyTorch -> 0.94-1.09x, sigmoid' 0.88-1.14x -> 0.99-1.33x)
    backward_streams: bool = False
    # parameter values (one per slot, None for a None parameter) at which NAME_plain_fwd(x) and
    # NAME_plain_bwd(g, saved) in _scalar.pxd give the row's results with fewer instructions: the
    # generated loops run them when a call's parameters are exactly these (relu's defaults: max(x, 0)
    # without the threshold, leak and clip tests; one thread, 1e5 float32 elements in L2: forward 9.0 ->
    # 7.9 us, backward 13.5 -> 11.4)
    plain: Tuple[Optional[float], ...] = ()

    def plain_condition(self):
        """The Cython test, on the kernels' parameter slots a, b, c, that a call has the ``plain`` values."""
        return " and ".join(f"{slot} != {slot}" if value is None else f"{slot} == {float(value)!r}"
                            for slot, value in zip("abc", self.plain))

    @property
    def float32_span_takes_param(self):
        """Whether fa_NAME_f32_span(x, out, n, p, pf) takes the first parameter (a real one; not a flag, and
        not for a row whose span is its plain form)."""
        return bool(self.params) and self.params[0].kind == "real" and not self.plain

    @property
    def float32_span_streams(self):
        """Whether the float32 forward span is a few instructions per element (the exact, piecewise-linear
        rows'), so that it runs at the memory's speed and prefetches only for calls beyond the last-level
        cache (_kernels.pyx.tp's STREAM_PREFETCH_FROM)."""
        return self.float32_span and self.float32_ulp == 0.0


ACTIVATIONS = (
    Activation(
        name="sigmoid",
        float64_span=True,
        float32_span=True,
        float32_backward_span=True,
        backward_ulp=(1.0, 3.0),   # float64: (1 - y)(1 + y) or y(1 - y), times g: up to four roundings
        summary="Logistic sigmoid, computed in the overflow-free form.",
        formula="1 / (1 + exp(-x))",
        derivative="g * y * (1 - y)",
        saved="y",
        serial_below=8192,
        backward_streams=True,
        float32_ulp=1.0,
        float64_ulp=1.0,
    ),
    Activation(
        name="tanh",
        float32_span=True,
        float32_backward_span=True,
        backward_ulp=(1.0, 3.0),   # float64: (1 - y)(1 + y) or y(1 - y), times g: up to four roundings
        summary="Hyperbolic tangent.",
        formula="tanh(x)",
        derivative="g * (1 - y**2)",
        saved="y",
        serial_below=8192,
        backward_streams=True,
        float32_ulp=1.0,
        float64_ulp=1.0,
    ),
    Activation(
        name="relu",
        summary="Rectified linear unit with Keras's options (leak below the threshold, clip above max_value).",
        formula="x > threshold: min(x, max_value), clipped at 0 when max_value is set;"
                " x <= threshold: negative_slope * (x - threshold)",
        derivative="g where threshold < x (and 0 <= x <= max_value when max_value is set, 0 < x < 6 for"
                   " max_value 6 at threshold 0); negative_slope * g where x < threshold (x <= 0 with no"
                   " max_value at threshold 0); 0 elsewhere: Keras's gradient, kinks included",
        saved="x",
        float32_span=True,
        serial_below=32768,
        plain=(0.0, None, 0.0),
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
        float32_span=True,
        serial_below=32768,
        params=(Param("alpha", 0.01, doc="slope for negative inputs"),),
    ),
)

ACTIVATIONS += (
    Activation(
        name="elu",
        float64_backward_span=True,
        float32_backward_span=True,
        summary="Exponential linear unit (Keras's elu).",
        formula="x if x > 0 else alpha * expm1(x)",
        derivative="g if x > 0 else g * alpha * exp(x)",
        saved="x", serial_below=8192, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 3.0),
        params=(Param("alpha", 1.0, doc="scale of the negative side"),),
    ),
    Activation(
        name="selu",
        float64_backward_span=True,
        float32_backward_span=True,
        summary="Scaled ELU with the self-normalising constants (Klambauer et al. 2017).",
        formula="scale * (x if x > 0 else alpha * expm1(x)), scale = 1.0507..., alpha = 1.6732...",
        derivative="g * scale * (1 if x >= 0 else alpha * exp(x))",
        saved="x", serial_below=8192, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 3.0),
    ),
    Activation(
        name="celu",
        float64_span=True,
        float64_backward_span=True,
        float32_backward_span=True,
        summary="Continuously differentiable ELU.",
        formula="x if x > 0 else alpha * expm1(x / alpha)",
        derivative="g if x > 0 else g * exp(x / alpha)",
        saved="x", serial_below=8192, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 3.0),
        params=(Param("alpha", 1.0, nonzero=True, doc="scale (not 0)"),),
    ),
    Activation(
        name="gelu",
        float32_span=True,
        float64_span=True,
        float64_backward_span=True,
        float32_backward_span=True,
        float32_span_flag_on="gelu_tanh",
        backward_cancels=True,
        summary="Gaussian error linear unit; exact (erfc) form, or the tanh approximation.",
        formula="x * Phi(x) = x/2 * erfc(-x/sqrt(2)); approximate: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))",
        derivative="g * (Phi(x) + x * phi(x)); approximate: the tanh form's derivative",
        saved="x", serial_below=2048, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 3.0),
        params=(Param("approximate", False, kind="bool", doc="use the tanh approximation"),),
    ),
    Activation(
        name="silu",
        float64_backward_span=True,
        float64_span=True,
        float32_span=True,
        float32_backward_span=True,
        backward_cancels=True,
        aliases=("swish",),
        summary="Sigmoid-weighted linear unit (swish).",
        formula="x * sigmoid(x)",
        derivative="g * sigmoid(x) * (1 + x * sigmoid(-x))",
        saved="x", serial_below=8192, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 3.0),
    ),
    Activation(
        name="softplus",
        float64_backward_span=True,
        float32_backward_span=True,
        summary="Softplus, computed without overflow.",
        formula="log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))",
        derivative="g * sigmoid(x)",
        saved="x", serial_below=2048, float32_ulp=1.0, float64_ulp=1.0,
    ),
    Activation(
        name="softsign",
        float32_span=True,
        summary="Softsign.",
        formula="x / (1 + |x|)",
        derivative="g / (1 + |x|)^2",
        saved="x", serial_below=32768, float32_ulp=1.0, float64_ulp=1.0,
    ),
    Activation(
        name="mish",
        backward_cancels=True,
        summary="Mish (Misra 2019), in a form without cancellation.",
        formula="x * tanh(softplus(x)) = x * n / (n + 2), n = e^x (e^x + 2)",
        derivative="g * (tanh(sp) + x * sigmoid(x) * sech(sp)^2), sp = softplus(x)",
        saved="x", serial_below=8192, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 3.0),
    ),
    Activation(
        name="relu6",
        summary="ReLU clipped at 6.",
        formula="min(max(x, 0), 6)",
        derivative="g where 0 < x < 6, else 0",
        saved="x", serial_below=32768,
        float32_span=True,
    ),
    Activation(
        name="hard_sigmoid",
        summary="Hard sigmoid as in Keras 3: relu6(x + 3) / 6.",
        formula="relu6(x + 3) / 6",
        derivative="g / 6 where 0 < x + 3 < 6, else 0",
        saved="x", serial_below=32768,
        float32_span=True,
    ),
    Activation(
        name="hard_silu",
        aliases=("hard_swish",),
        summary="Hard SiLU (hard swish) as in Keras 3: x * hard_sigmoid(x).",
        formula="x * relu6(x + 3) / 6",
        derivative="g * (2x + 3) / 6 where 0 < x + 3 < 6; g above; 0 below",
        saved="x", serial_below=32768, backward_ulp=(1.0, 2.0), float32_backward_span=True,
        backward_streams=True, float32_span=True,
    ),
    Activation(
        name="hard_tanh",
        summary="Hard tanh: x clipped to [-1, 1].",
        formula="min(max(x, -1), 1)",
        derivative="g where -1 <= x <= 1 (tf.clip_by_value's gradient), else 0",
        saved="x", serial_below=32768,
        float32_span=True,
    ),
    Activation(
        name="soft_shrink",
        summary="Soft shrinkage.",
        formula="x - threshold if x > threshold; x + threshold if x < -threshold; else 0",
        derivative="g where |x| > threshold, else 0",
        saved="x", serial_below=32768,
        float32_span=True,
        params=(Param("threshold", 0.5, minimum=0.0, doc="half-width of the zero band"),),
    ),
    Activation(
        name="hard_shrink",
        summary="Hard shrinkage.",
        formula="x if |x| > threshold else 0",
        derivative="g where |x| > threshold, else 0",
        saved="x", serial_below=32768,
        float32_span=True,
        params=(Param("threshold", 0.5, minimum=0.0, doc="half-width of the zero band"),),
    ),
    Activation(
        name="tanh_shrink",
        float32_span=True,
        summary="x - tanh(x), accurate near 0 (series there).",
        formula="x - tanh(x)",
        derivative="g * tanh(x)^2",
        saved="x", serial_below=2048, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 4.0),
    ),
    Activation(
        name="squareplus",
        summary="Squareplus (Barron 2021), without cancellation for negative x.",
        formula="(x + sqrt(x^2 + b)) / 2",
        derivative="g * (1 + x / sqrt(x^2 + b)) / 2",
        saved="x", serial_below=32768, float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 5.0),
        params=(Param("b", 4.0, minimum=0.0, doc="smoothness near 0 (b = 0 gives relu)"),),
    ),
    Activation(
        name="sparse_plus",
        summary="SparsePlus: 0 below -1, (x + 1)^2 / 4 on (-1, 1), x above.",
        formula="0 if x <= -1; (x + 1)^2 / 4 if x < 1; x",
        derivative="g * (0 if x <= -1; (x + 1) / 2 if x < 1; 1)",
        saved="x", serial_below=32768, float32_ulp=1.0, float64_ulp=1.0,
    ),
    Activation(
        name="sparse_sigmoid",
        summary="Sparse sigmoid: 0 below -1, (x + 1) / 2 on (-1, 1), 1 above.",
        formula="0 if x <= -1; 1 if x >= 1; 0.5 * (x + 1)",
        derivative="g / 2 where -1 < x < 1, else 0",
        saved="x", serial_below=32768,
        float32_span=True,
    ),
    Activation(
        name="threshold",
        summary="x where it exceeds the threshold, default_value elsewhere (Keras requires both).",
        formula="x if x > threshold else default_value",
        derivative="g where x > threshold, else 0",
        saved="x", serial_below=32768,
        params=(Param("threshold", 0.0, doc="values at or below it are replaced"),
                Param("default_value", 0.0, doc="the replacement")),
    ),
    Activation(
        name="exponential",
        float32_span=True,
        summary="exp(x).",
        formula="exp(x)",
        derivative="g * y",
        saved="y", serial_below=8192, float32_ulp=1.0, float64_ulp=1.0,
    ),
    Activation(
        name="linear",
        summary="The identity (Keras's linear).",
        formula="x",
        derivative="g",
        saved="x", serial_below=32768,
    ),
    Activation(
        name="log_sigmoid",
        float64_backward_span=True,
        float32_backward_span=True,
        summary="log(sigmoid(x)), computed without overflow.",
        formula="min(x, 0) - log1p(exp(-|x|))",
        derivative="g * sigmoid(-x)",
        saved="x", serial_below=2048, float32_ulp=1.0, float64_ulp=1.0,
    ),
)

assert all(len(a.params) <= N_PARAM_SLOTS for a in ACTIVATIONS)


@dataclass(frozen=True)
class AxisFunction:
    """A function along an axis (fastact/_axis.py): softmax, log_softmax and sparsemax take whole rows,
    glu two halves.  The bounds are promised and tested; the backward ones (and every float64 one of a
    backward) are in ULP of the larger of |dx| and the magnitude of the terms it is the difference of
    (``fastact._testing.axis_backward_scale``), since dx can cancel to 0 from terms of any size."""
    name: str
    formula: str
    derivative: str
    saved: str
    float32_ulp: float
    float64_ulp: float
    backward_ulp: Tuple[float, float]
    params: Tuple[Param, ...] = (Param("axis", -1, doc="the axis (softmax, log_softmax, sparsemax: or "
                                                      "axes) along which the function works"),)
    summary: str = ""


AXIS_FUNCTIONS = (
    AxisFunction("softmax", formula="exp(x - max) / sum(exp(x - max))", derivative="y * (g - sum(g * y))",
                 saved="y", float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 2.0),
                 summary="Softmax along an axis (or axes)."),
    AxisFunction("log_softmax", formula="(x - max) - log(sum(exp(x - max)))", derivative="g - exp(y) * sum(g)",
                 saved="y", float32_ulp=1.0, float64_ulp=1.0, backward_ulp=(1.0, 2.0),
                 summary="Log-softmax along an axis (or axes)."),
    AxisFunction("sparsemax", formula="max(x - tau, 0), tau such that the row sums to 1",
                 derivative="g - mean(g over y > 0) where y > 0, else 0", saved="y", float32_ulp=1.0,
                 float64_ulp=1.0, backward_ulp=(1.0, 1.0),
                 summary="Sparsemax (Martins & Astudillo, 2016) along an axis (or axes)."),
    AxisFunction("glu", formula="a * sigmoid(b), [a, b] = x split in halves along axis",
                 derivative="[g * sigmoid(b), g * a * sigmoid(b) * sigmoid(-b)]", saved="x", float32_ulp=1.0,
                 float64_ulp=1.0, backward_ulp=(1.0, 4.0), summary="Gated linear unit along an axis."),
)
