"""Speed of every fastact kernel, forward and backward, against NumPy/SciPy, numexpr, PyTorch and TensorFlow.

    python benchmarks/speed.py                 # float32, sizes 1e3..1.6e7, 7 rounds (about a minute)
    python benchmarks/speed.py --quick         # sizes 1e3,1e5,1e6, 3 rounds
    python benchmarks/speed.py --dtypes float32,float64 --out --threads 4 --kernels sigmoid,relu
    python benchmarks/speed.py --scaling       # 1.6e7 elements on 1, 2, ... os.cpu_count() threads
    python benchmarks/speed.py --scaling --thread-counts 1,2,4,8,16 --kernels sigmoid,gelu

Each peer is used only if it imports (TensorFlow is skipped silently when it does not).  numexpr gets the
expression a NumPy user would hand it (``NUMEXPR_OPS``; it has no erf, so no exact gelu) on its own
thread pool, set to the run's thread count.  ``copy`` copies x into a preallocated array: from 128 KB on
(relu's serial cut-off in float32) on the run's thread count, one memcpy per OpenMP thread over a
contiguous part (``fastact._openmp_helpers.parallel_copy``), below it with ``np.copyto`` on one thread.
Not an activation, but the memory-bandwidth reference that a memory-bound kernel cannot beat by much
(compare it with the ``--out`` variant: an allocating call also faults in its new pages).

Timing is interleaved: for one (kernel, size) every candidate is warmed up once, then the candidates take
turns for ``--repeats`` rounds, each round timing a batch of calls that lasts at least ~20 ms (one call
for large arrays).  The table shows the median per-call time; the JSON file (``--json``) keeps the
minimum, the median and every sample, with the machine and library metadata.

Kernels: every table row (fastact/_table.py), then ``gelu/tanh`` (gelu with approximate=True, against
PyTorch's approximate="tanh" and TensorFlow's approximate=True), then the functions along an axis (rows of
1000, and ``softmax/50000``, ``log_softmax/50000``), then prelu and maxout on channels-last (size / 100,
100) arrays (one slope per channel; 50 units, against PyTorch's ``_prelu_kernel`` and a reshape + amax).

Data: x = 4 * standard normal (``--scale`` sets the 4), grad = standard normal (seeded); backward gets y =
fastact's forward output where the function saves y, and x otherwise.  There are two such sets, and every
candidate's calls alternate between them: timed on one array over and over, a kernel with a branch on
its data (gelu's: whether a block has lanes beyond its table) ran 1.3 times faster on AMD Zen 5 than on
data it had not seen, the predictor having learnt the branch; calls in a model see new data each time.
``--input-sets 1`` times every call on the same arrays instead, the way ``timeit f(x)`` does: where the
arrays of one call fit in the caches (about 1e5 elements here), so do those of the next, and the kernels
that spend more instructions per element than their peers (fastact's compensated forms) lose some of
the lead that memory traffic hid.
The scale matters where a kernel has a cheap form for common inputs and a costly one for rare ones:
gelu's and its derivative's tables end at |x| = 5.5 and 6 (17% and 13% of normal(0, 4) data lies
beyond, 4e-8 and 2e-9 of normal(0, 1)).  Each peer's result is compared with fastact's once per case
(the error goes to the JSON); torch's must agree to 1e-5 relative in float32, else a warning is printed.

Progress goes to stderr, the markdown table to stdout.  The plot (``--plot``, default
benchmarks/results/speed.png; ``--no-plot``; skipped with a note when matplotlib is missing) shows
throughput against size, one panel per activation, for the allocating variant and the first dtype.

``--scaling`` replaces the comparison: every fastact kernel, forward and backward, float32, allocating, at
one size (``--sizes``, default 1.6e7) with n_threads = 1, 2, ... ``--max-threads`` (or the list
``--thread-counts``), and PyTorch's function at the same thread counts where it imports, all interleaved
like the candidates above.  Its table has one column of Gelem/s per thread count, and a second table the
ratios against PyTorch; the JSON keeps it under "scaling", with its own metadata, next to what a normal
run stored in the same file.

Importable: ``run()``, ``metadata()``, ``markdown_table()``, ``plot()``, ``scaling()`` and
``scaling_table()``.
"""
import argparse
import contextlib
import datetime
import gc
import itertools
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

# NumPy's OpenBLAS keeps threads of its own that spin after any BLAS call and take cores from the timed
# kernels (7% of the samples were slowed on a 2-core machine); nothing timed here uses BLAS.  Only
# effective before NumPy is first imported, that is, when this file runs as a script.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fastact  # noqa: E402
from fastact import _axis  # noqa: E402
from fastact._config import config as fastact_config  # noqa: E402
from fastact._openmp_helpers import parallel_copy  # noqa: E402
from fastact._table import ACTIVATIONS, AXIS_FUNCTIONS  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000, 16_000_000)
QUICK_SIZES = (1_000, 100_000, 1_000_000)
DEFAULT_REPEATS = 7
DEFAULT_SCALE = 4.0         # x = DEFAULT_SCALE * standard normal: the tails of every function get exercised
INPUT_SETS = 2             # input sets the timed calls take in turn (see the module docstring)
QUICK_REPEATS = 3
TARGET_BATCH_S = 0.02
DIRECTIONS = ("forward", "backward")
# A peer must agree with fastact to this relative tolerance, or a warning is printed.
RTOL = {"float32": 1e-5, "float64": 1e-12}
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "speed.json"
DEFAULT_PLOT = DEFAULT_JSON.with_suffix(".png")
SCALING_SIZE = 16_000_000   # far past every kernel's serial cut-off, and its arrays far outgrow the caches
ALPHA = 0.01  # leaky_relu slope, fastact's default




@dataclass(frozen=True)
class AxisBench:
    """A function along an axis, timed on C-contiguous (size // row_length, row_length) arrays along the
    last axis; sizes that are not a multiple of row_length are skipped.  ``name`` labels it in the
    tables: the function's name for rows of 1000, NAME/50000 for rows of 50000."""
    name: str
    function: str
    saved: str
    row_length: int
    serial_below: int = _axis.SERIAL_BELOW


AXIS_BENCH = tuple([AxisBench(f.name, f.name, f.saved, 1000) for f in AXIS_FUNCTIONS]
                   + [AxisBench(f"{n}/50000", n, "y", 50_000) for n in ("softmax", "log_softmax")])


@dataclass(frozen=True)
class FormBench:
    """An elementwise function called with fixed keyword arguments (gelu's tanh form), timed like its
    row; ``name`` labels it in the tables and keys its peers' operations."""
    name: str
    function: str
    kwargs: Tuple[Tuple[str, object], ...]
    saved: str
    serial_below: int


@dataclass(frozen=True)
class UnitBench:
    """PReLU and Maxout, timed on C-contiguous channels-last (size // CHANNELS, CHANNELS) arrays: prelu
    with one slope per channel (alpha of shape (CHANNELS,), between 0.1 and 0.3), maxout into
    CHANNELS // 2 units along the last axis (pairs of channels, as tfa.layers.Maxout groups them)."""
    name: str
    saved: str = "x"
    serial_below: int = 32768


CHANNELS = 100      # a divisor of every default size
UNIT_BENCH = (UnitBench("prelu"), UnitBench("maxout"))

_ROWS = {row.name: row for row in ACTIVATIONS}
FORM_BENCH = (FormBench("gelu/tanh", "gelu", (("approximate", True),), "x", _ROWS["gelu"].serial_below),)


def _function(row):
    """fastact's function timed for a row (an Activation, a FormBench or an AxisBench)."""
    return getattr(row, "function", row.name)


def _fastact_fn(row, direction):
    """fastact's callable for a row and direction, with the row's fixed keyword arguments bound."""
    fn = getattr(fastact, _function(row) if direction == "forward" else f"{_function(row)}_backward")
    kwargs = dict(getattr(row, "kwargs", ()))
    if row.name == "maxout":
        kwargs["num_units"] = CHANNELS // 2
    return partial(fn, **kwargs) if kwargs else fn


def _peer_key(row, direction):
    """The key of a row's operation in a Peer's ``ops``: a FormBench has its own, the others their
    function's."""
    return (row.name if isinstance(row, FormBench) else _function(row), direction)


# --------------------------------------------------------------------------------------------- peers

@dataclass
class Peer:
    """A library compared against fastact.

    ``ops`` maps (kernel, direction) to (allocating, preallocated) callables; each takes the inputs
    (x, or grad and the saved tensor) already passed through ``convert``, and the preallocated one also
    the output buffer; it is None where the library has no out= form.
    """
    name: str
    versions: Dict[str, str]     # of the libraries it stands for
    convert: Callable            # NumPy array -> the library's array, done once outside the timing
    to_numpy: Callable
    ops: Dict[Tuple[str, str], Tuple[Callable, Optional[Callable]]]
    set_threads: Optional[Callable[[int], Optional[int]]] = None   # returns the previous count, if any
    # Warn when it disagrees with fastact beyond RTOL.  Off for peers computing g * (1 - y*y) naively:
    # near |y| = 1 that loses up to ~1e-4 relative in float32 to cancellation, so they would always warn.
    strict: bool = False


def _numpy_peer():
    import scipy
    from scipy.special import expit

    # The out= forms of the backward formulas are the in-place ufunc chains a NumPy user would write.
    def sigmoid_bwd_out(g, y, o):
        np.subtract(1, y, out=o)
        o *= y
        o *= g
        return o

    def tanh_bwd_out(g, y, o):
        np.multiply(y, y, out=o)
        np.subtract(1, o, out=o)
        o *= g
        return o

    ops = {
        ("sigmoid", "forward"): (expit, lambda x, o: expit(x, out=o)),
        ("tanh", "forward"): (np.tanh, lambda x, o: np.tanh(x, out=o)),
        ("relu", "forward"): (lambda x: np.maximum(x, 0), lambda x, o: np.maximum(x, 0, out=o)),
        ("leaky_relu", "forward"): (lambda x: np.where(x >= 0, x, ALPHA * x), None),  # np.where: no out=
        ("sigmoid", "backward"): (lambda g, y: g * y * (1 - y), sigmoid_bwd_out),
        ("tanh", "backward"): (lambda g, y: g * (1 - y * y), tanh_bwd_out),
        ("relu", "backward"): (lambda g, x: np.where(x > 0, g, 0), None),
        ("leaky_relu", "backward"): (lambda g, x: np.where(x > 0, g, ALPHA * g), None),
    }
    return Peer("numpy", {"numpy": np.__version__, "scipy": scipy.__version__},
                lambda a: a, lambda a: a, ops)


# numexpr: the expression a NumPy user would hand it (it has exp, expm1, log1p, tanh, abs and where; no
# erf), over the named inputs; constants that are not integers come in as 0-d arrays of the input's
# dtype (numexpr takes a float literal as a double and would compute float32 inputs in float64)
NUMEXPR_OPS = {
    ("sigmoid", "forward"): ("1 / (1 + exp(-x))", ("x",)),
    ("tanh", "forward"): ("tanh(x)", ("x",)),
    ("relu", "forward"): ("where(x > 0, x, 0)", ("x",)),
    ("leaky_relu", "forward"): ("where(x >= 0, x, alpha * x)", ("x",)),
    ("elu", "forward"): ("where(x > 0, x, expm1(x))", ("x",)),
    ("silu", "forward"): ("x / (1 + exp(-x))", ("x",)),
    ("gelu/tanh", "forward"): ("half * x * (1 + tanh(k0 * (x + k1 * x * x * x)))", ("x",)),
    ("softplus", "forward"): ("where(x > 0, x, 0) + log1p(exp(-abs(x)))", ("x",)),
    ("softsign", "forward"): ("x / (1 + abs(x))", ("x",)),
    ("mish", "forward"): ("x * tanh(log1p(exp(x)))", ("x",)),
    ("exponential", "forward"): ("exp(x)", ("x",)),
    ("sigmoid", "backward"): ("g * y * (1 - y)", ("g", "y")),
    ("tanh", "backward"): ("g * (1 - y * y)", ("g", "y")),
    ("relu", "backward"): ("where(x > 0, g, 0)", ("g", "x")),
    ("leaky_relu", "backward"): ("where(x > 0, g, alpha * g)", ("g", "x")),
    ("elu", "backward"): ("where(x > 0, g, g * exp(x))", ("g", "x")),
    ("softsign", "backward"): ("g / ((1 + abs(x)) * (1 + abs(x)))", ("g", "x")),
    ("exponential", "backward"): ("g * y", ("g", "y")),
}
NUMEXPR_CONSTANTS = {"alpha": ALPHA, "half": 0.5, "k0": 0.7978845608028654, "k1": 0.044715}


def _numexpr_peer():
    import numexpr as ne

    def op(expr, names):
        def bind(*arrays):
            local = {name: a for name, a in zip(names, arrays)}
            local.update((k, np.array(v, arrays[0].dtype)) for k, v in NUMEXPR_CONSTANTS.items() if k in expr)
            return local
        return (lambda *a: ne.evaluate(expr, local_dict=bind(*a)),
                lambda *a: ne.evaluate(expr, local_dict=bind(*a[:-1]), out=a[-1]))

    ops = {key: op(expr, names) for key, (expr, names) in NUMEXPR_OPS.items()}
    return Peer("numexpr", {"numexpr": ne.__version__}, lambda a: a, lambda a: a, ops, ne.set_num_threads)


def _torch_prelu_backward(g, x, alpha):
    import torch
    dx, dw = torch.ops.aten._prelu_kernel_backward(g, x, alpha)
    return dx, dw.sum(0)


class _TorchMaxoutBackward:
    """Autograd's backward of the reshape + amax maxout, the graph built once per input (outside the
    timing, as a training step's forward builds it) and kept for the last two inputs."""

    def __init__(self):
        self.graphs = {}

    def __call__(self, g, x):
        import torch
        key = (x.data_ptr(), tuple(x.shape))
        if key not in self.graphs:
            if len(self.graphs) >= INPUT_SETS:
                self.graphs.pop(next(iter(self.graphs)))
            xr = x.detach().requires_grad_(True)
            self.graphs[key] = (xr, xr.reshape(x.shape[0], 2, CHANNELS // 2).amax(1))
        xr, y = self.graphs[key]
        return torch.autograd.grad(y, xr, g, retain_graph=True)[0]


def _torch_peer():
    import torch
    import torch.nn.functional as F

    # PyTorch 2.13's float64 gelu takes 23 ns per element (one thread, AMD Zen 5) in a process where
    # no large float64 elementwise operation or reduction has run yet, and 3.3 ns once one has (an add
    # or a sum of 1e6 elements does it; small ones, exp, erf or float32 operations don't): PyTorch is
    # timed in the second state, the one a model's process is in.
    warm = torch.from_numpy(np.random.default_rng(0).standard_normal(1_000_000))
    float((warm + warm).sum())
    aten = torch.ops.aten
    ops = {
        ("sigmoid", "forward"): (torch.sigmoid, lambda t, o: torch.sigmoid(t, out=o)),
        ("tanh", "forward"): (torch.tanh, lambda t, o: torch.tanh(t, out=o)),
        ("relu", "forward"): (torch.relu, lambda t, o: aten.relu.out(t, out=o)),
        ("leaky_relu", "forward"): (lambda t: F.leaky_relu(t, ALPHA),
                                    lambda t, o: aten.leaky_relu.out(t, ALPHA, out=o)),
        ("sigmoid", "backward"): (aten.sigmoid_backward,
                                  lambda g, y, o: aten.sigmoid_backward.grad_input(g, y, grad_input=o)),
        ("tanh", "backward"): (aten.tanh_backward,
                               lambda g, y, o: aten.tanh_backward.grad_input(g, y, grad_input=o)),
        ("relu", "backward"): (lambda g, x: aten.threshold_backward(g, x, 0),
                               lambda g, x, o: aten.threshold_backward.grad_input(g, x, 0, grad_input=o)),
        ("leaky_relu", "backward"): (
            lambda g, x: aten.leaky_relu_backward(g, x, ALPHA, False),
            lambda g, x, o: aten.leaky_relu_backward.grad_input(g, x, ALPHA, False, grad_input=o)),
    }
    # Keras's other activations, where PyTorch has the same function (default parameters); backward
    # through the aten kernel autograd itself calls.  No out= forms: allocating only.
    selu_alpha, selu_scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    more = {
        "elu": (F.elu, lambda g, x: aten.elu_backward(g, 1.0, 1, 1, False, x)),
        "selu": (F.selu, lambda g, x: aten.elu_backward(g, selu_alpha, selu_scale, 1, False, x)),
        "celu": (F.celu, lambda g, x: aten.elu_backward(g, 1.0, 1, 1.0, False, x)),
        "gelu": (F.gelu, aten.gelu_backward),
        "gelu/tanh": (lambda t: F.gelu(t, approximate="tanh"),
                      lambda g, x: aten.gelu_backward(g, x, approximate="tanh")),
        "silu": (F.silu, aten.silu_backward),
        "softplus": (F.softplus, lambda g, x: aten.softplus_backward(g, x, 1, 20)),
        "softsign": (F.softsign, None),
        "mish": (F.mish, aten.mish_backward),
        "relu6": (F.relu6, lambda g, x: aten.hardtanh_backward(g, x, 0, 6)),
        "hard_sigmoid": (F.hardsigmoid, aten.hardsigmoid_backward),
        "hard_silu": (F.hardswish, aten.hardswish_backward),
        "hard_tanh": (F.hardtanh, lambda g, x: aten.hardtanh_backward(g, x, -1, 1)),
        "soft_shrink": (F.softshrink, lambda g, x: aten.softshrink_backward(g, x, 0.5)),
        "hard_shrink": (F.hardshrink, lambda g, x: aten.hardshrink_backward(g, x, 0.5)),
        "tanh_shrink": (F.tanhshrink, None),
        "log_sigmoid": (F.logsigmoid, None),
        "exponential": (torch.exp, lambda g, y: g * y),
        "threshold": (lambda t: F.threshold(t, 0.0, 0.0), lambda g, x: aten.threshold_backward(g, x, 0.0)),
        # along the last axis (AXIS_BENCH)
        "softmax": (lambda t: torch.softmax(t, -1), lambda g, y: aten._softmax_backward_data(g, y, -1, y.dtype)),
        "log_softmax": (lambda t: torch.log_softmax(t, -1),
                        lambda g, y: aten._log_softmax_backward_data(g, y, -1, y.dtype)),
        "glu": (lambda t: F.glu(t, -1), lambda g, x: aten.glu_backward(g, x, -1)),
        # UNIT_BENCH: PReLU's kernels (its weight gradient comes input-sized, summed over the rows), Maxout
        # as a reshape and amax, its backward autograd's through them
        "prelu": (aten._prelu_kernel, _torch_prelu_backward),
        "maxout": (lambda t: t.reshape(t.shape[0], 2, CHANNELS // 2).amax(1), _TorchMaxoutBackward()),
    }
    for name, (fwd, bwd) in more.items():
        ops[(name, "forward")] = (fwd, None)
        if bwd is not None:
            ops[(name, "backward")] = (bwd, None)

    def set_threads(n):
        previous = torch.get_num_threads()
        torch.set_num_threads(n)
        return previous

    return Peer("torch", {"torch": torch.__version__}, torch.from_numpy, lambda t: t.numpy(), ops,
                set_threads, strict=True)


def _tensorflow_peer():
    import tensorflow as tf

    try:
        tf.config.set_visible_devices([], "GPU")   # a CPU library is compared with CPU kernels
    except RuntimeError:                            # TF already initialised by the caller: leave it be
        pass
    raw = tf.raw_ops
    ops = {
        ("sigmoid", "forward"): (tf.math.sigmoid, None),
        ("tanh", "forward"): (tf.math.tanh, None),
        ("relu", "forward"): (tf.nn.relu, None),
        ("leaky_relu", "forward"): (lambda x: tf.nn.leaky_relu(x, alpha=ALPHA), None),
        ("sigmoid", "backward"): (lambda g, y: raw.SigmoidGrad(y=y, dy=g), None),
        ("tanh", "backward"): (lambda g, y: raw.TanhGrad(y=y, dy=g), None),
        ("relu", "backward"): (lambda g, x: raw.ReluGrad(gradients=g, features=x), None),
        ("leaky_relu", "backward"): (lambda g, x: raw.LeakyReluGrad(gradients=g, features=x, alpha=ALPHA),
                                     None),
        ("softmax", "forward"): (tf.nn.softmax, None),
        ("log_softmax", "forward"): (tf.nn.log_softmax, None),
    }
    # Keras's other activations where TensorFlow has a kernel of its own (not a composition of ops);
    # backward where its gradient kernel takes what fastact's does (x), not the output
    for name, fwd in {"elu": tf.nn.elu, "selu": tf.nn.selu, "gelu": tf.nn.gelu, "silu": tf.nn.silu,
                      "softplus": tf.math.softplus, "softsign": tf.math.softsign, "relu6": tf.nn.relu6,
                      "exponential": tf.math.exp, "log_sigmoid": tf.math.log_sigmoid,
                      "gelu/tanh": lambda x: tf.nn.gelu(x, approximate=True)}.items():
        ops[(name, "forward")] = (fwd, None)
    ops[("relu6", "backward")] = (lambda g, x: raw.Relu6Grad(gradients=g, features=x), None)
    ops[("softplus", "backward")] = (lambda g, x: raw.SoftplusGrad(gradients=g, features=x), None)
    ops[("softsign", "backward")] = (lambda g, x: raw.SoftsignGrad(gradients=g, features=x), None)
    ops[("exponential", "backward")] = (lambda g, y: g * y, None)

    def set_threads(n):
        # TF's thread pools are fixed once its runtime starts, and cannot be restored afterwards.
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
        except RuntimeError:
            pass
        return None

    return Peer("tensorflow", {"tensorflow": tf.__version__}, tf.constant, lambda t: t.numpy(), ops,
                set_threads)


@lru_cache(maxsize=None)
def available_peers():
    """The peers that import here, in table order."""
    peers = []
    for make in (_numpy_peer, _numexpr_peer, _torch_peer, _tensorflow_peer):
        try:
            peers.append(make())
        except ImportError:
            pass
    return tuple(peers)


# ------------------------------------------------------------------------------------------- timing

def _time_batch(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start


def _calls_per_batch(fn, target_s):
    """How many calls make a batch last about ``target_s`` (at least one)."""
    calls = 1
    elapsed = _time_batch(fn, calls)
    while elapsed < target_s / 10:
        calls *= 2
        elapsed = _time_batch(fn, calls)
    if elapsed < target_s:
        # A stall (the thread preempted) during the one measurement would make every batch too short.
        elapsed = min(elapsed, _time_batch(fn, calls), _time_batch(fn, calls))
    return max(1, math.ceil(calls * target_s / elapsed))


def _max_rel_err(got, ref):
    """Largest |got - ref| / |ref| (where ref is 0, got must be 0 too: any difference is huge)."""
    diff = np.abs(got.astype(np.float64) - ref)
    scale = np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
    return float(np.max(diff / scale)) if diff.size else 0.0


def _bench_case(candidates, repeats, target_s, rtol, label):
    """Time the candidates of one case, interleaved.

    ``candidates[name] = (fn, peer or None)``.  The first candidate is fastact: the warm-up call of every
    peer is checked against its result.
    """
    stats = {}
    ref = None
    for name, (fn, peer) in candidates.items():
        result = fn()                                   # warm-up, and the result to check
        if isinstance(result, (tuple, list)):           # prelu's backward: dx is checked, not dalpha
            result = result[0]
        stats[name] = {"max_rel_err": None}
        if ref is None:
            ref = np.array(result, dtype=np.float64)    # a copy: out= candidates share one buffer
        elif peer is not None:
            err = _max_rel_err(peer.to_numpy(result), ref)
            stats[name]["max_rel_err"] = err
            if peer.strict and not err <= rtol:
                print(f"WARNING: {label}: {name} differs from fastact by {err:.3g} relative"
                      f" (tolerance {rtol:g})", file=sys.stderr)

    calls = {name: _calls_per_batch(fn, target_s) for name, (fn, _) in candidates.items()}
    samples = {name: [] for name in candidates}
    names = list(candidates)
    for r in range(repeats):
        # Rotate who goes first, so no candidate always runs right after the same neighbour.
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(_time_batch(candidates[name][0], calls[name]) / calls[name])

    for name in names:
        stats[name].update(median_s=statistics.median(samples[name]), min_s=min(samples[name]),
                           samples_s=samples[name], calls_per_batch=calls[name])
    return stats


def _candidates(row, direction, variant, sets, buf, threads, peers):
    """name -> (zero-argument callable returning the result, the Peer to check it with or None).  ``sets``:
    the argument tuples of fastact's call, which every candidate takes in turn (peers converted)."""
    fa = _fastact_fn(row, direction)
    inputs = sets[0]
    first = fa(*inputs, n_threads=threads)
    first = first[0] if isinstance(first, tuple) else first       # prelu's backward: (dx, dalpha)
    if buf.size != first.size or buf.shape != first.shape:          # glu, maxout: not the input's shape
        buf = np.empty_like(first)
    if variant == "out":
        cands = {"fastact": (_alternating(lambda *a: fa(*a, out=buf, n_threads=threads), sets), None)}
    else:
        cands = {"fastact": (_alternating(lambda *a: fa(*a, n_threads=threads), sets), None)}

    for peer in peers:
        alloc_fn, out_fn = peer.ops.get(_peer_key(row, direction), (None, None))
        fn = out_fn if variant == "out" else alloc_fn
        if fn is None:
            continue
        args = [tuple(peer.convert(a) for a in inp) for inp in sets]
        if variant == "out":
            peer_buf = peer.convert(buf)
            cands[peer.name] = (_alternating(lambda *a, fn=fn, o=peer_buf: fn(*a, o), args), peer)
        else:
            cands[peer.name] = (_alternating(fn, args), peer)

    # the memory reference moves one array's worth: read x (or grad), write a copy
    dst = buf if buf.shape == inputs[0].shape else np.empty_like(inputs[0])
    cands["copy"] = (_alternating(_copy_into(dst, threads), sets), None)
    return cands


COPY_THREADS_FROM = 1 << 17     # bytes: relu's serial cut-off in float32 (32768 elements)


def _copy_into(dst, threads):
    """The memory-bandwidth reference: a copy of the call's first array into dst, on ``threads`` threads
    (one memcpy each) from COPY_THREADS_FROM bytes on, as the kernels themselves use one thread on small
    arrays; below that np.copyto, the quickest copy a Python caller has."""
    if threads > 1 and dst.nbytes >= COPY_THREADS_FROM:
        return lambda first, *rest: parallel_copy(first, dst, threads)
    return lambda first, *rest: np.copyto(dst, first)


def _rows(kernels):
    """The table rows of the named activations (all when None), in table order, then FORM_BENCH's,
    AXIS_BENCH's and UNIT_BENCH's."""
    every = ACTIVATIONS + FORM_BENCH + AXIS_BENCH + UNIT_BENCH
    rows = [r for r in every if kernels is None or r.name in kernels]
    if kernels is not None and len(rows) != len(set(kernels)):
        known = ", ".join(r.name for r in every)
        raise ValueError(f"unknown kernel in {list(kernels)}; known: {known}")
    return rows


def _fits(row, size):
    """Whether ``row`` is timed at ``size``: an axis function needs whole rows."""
    length = CHANNELS if isinstance(row, UnitBench) else getattr(row, "row_length", 1)
    return size >= length and size % length == 0


def _data(size, dtype, seed, scale=DEFAULT_SCALE):
    """x (scale times standard normal) and grad (standard normal), generated per (dtype, size) from the
    seed, so they do not depend on the other options."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size, dtype=dtype)
    x *= scale
    grad = rng.standard_normal(size, dtype=dtype)
    return x, grad


def _data_sets(size, dtype, seed, scale=DEFAULT_SCALE, count=INPUT_SETS):
    """``count`` (x, grad) pairs, the first as ``_data`` gives it: the timed calls take them in turn."""
    return [_data(size, dtype, seed + k, scale) for k in range(count)]


def _alternating(call, sets):
    """A zero-argument callable that calls ``call(*args)`` with the argument tuples of ``sets`` in turn."""
    turn = itertools.cycle(sets)
    return lambda: call(*next(turn))


def _inputs(row, direction, x, grad, threads):
    """The arguments of fastact's call (the peers get the same arrays, converted)."""
    if isinstance(row, UnitBench):
        x = x.reshape(-1, CHANNELS)
        if row.name == "prelu":
            alpha = np.linspace(0.1, 0.3, CHANNELS, dtype=x.dtype)
            return (x, alpha) if direction == "forward" else (grad.reshape(x.shape), x, alpha)
        if direction == "forward":
            return (x,)
        return (grad[:x.size // 2].reshape(x.shape[0], CHANNELS // 2), x)
    if isinstance(row, AxisBench):
        x = x.reshape(-1, row.row_length)
        if direction == "forward":
            return (x,)
        y = getattr(fastact, row.function)(x, n_threads=threads)
        return (grad[:y.size].reshape(y.shape), y if row.saved == "y" else x)
    if direction == "forward":
        return (x,)
    if row.saved == "y":
        return (grad, getattr(fastact, row.name)(x, n_threads=threads))
    return (grad, x)


@contextlib.contextmanager
def _gc_paused():
    """As timeit does: a collection inside a batch would be charged to one candidate."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(kernels=None, sizes=None, dtypes=("float32",), threads=None, repeats=None, out_variant=False,
        quick=False, seed=0, target_s=TARGET_BATCH_S, progress=True, scale=DEFAULT_SCALE, input_sets=INPUT_SETS):
    """Benchmark fastact against the available peers; returns one dict per case.

    kernels: activation names (default: every row of the table), each timed forward and backward.
    sizes/repeats: default DEFAULT_SIZES and DEFAULT_REPEATS, or QUICK_SIZES and QUICK_REPEATS when
    ``quick``; explicit values win.  threads: fastact's ``n_threads=`` and torch's thread count
    (default fastact.get_num_threads()).  out_variant: also time with a preallocated output.  scale: x is
    scale times standard normal.  input_sets: how many (x, grad) sets the calls take in turn (1: the same
    arrays every call).

    A case is {"kernel", "direction", "dtype", "size", "variant": "alloc"|"out", "candidates": {name:
    {"median_s", "min_s", "samples_s", "calls_per_batch", "max_rel_err"}}}; times are per call, in
    seconds; max_rel_err is against fastact (None where not checked).
    """
    rows = _rows(kernels)
    dtypes = [np.dtype(d).name for d in dtypes]
    if not set(dtypes) <= set(RTOL):
        raise ValueError(f"dtypes must be among {', '.join(RTOL)}; got {dtypes}")
    sizes = tuple(sizes or (QUICK_SIZES if quick else DEFAULT_SIZES))
    repeats = repeats or (QUICK_REPEATS if quick else DEFAULT_REPEATS)
    threads = threads or fastact.get_num_threads()
    variants = ("alloc", "out") if out_variant else ("alloc",)
    peers = available_peers()
    if input_sets < 1:
        raise ValueError(f"input_sets must be at least 1; got {input_sets}")

    total = len(dtypes) * sum(_fits(r, n) for n in sizes for r in rows) * len(DIRECTIONS) * len(variants)
    results = []
    previous_threads = {p.name: p.set_threads(threads) for p in peers if p.set_threads}
    try:
        with _gc_paused():
            for dtype in dtypes:
                for size in sizes:
                    data = _data_sets(size, dtype, seed, scale, input_sets)
                    buf = np.empty_like(data[0][0])
                    for row in (r for r in rows if _fits(r, size)):
                        for direction in DIRECTIONS:
                            sets = [_inputs(row, direction, x, grad, threads) for x, grad in data]
                            for variant in variants:
                                label = f"{row.name} {direction} {dtype} n={size} {variant}"
                                cands = _candidates(row, direction, variant, sets, buf, threads, peers)
                                stats = _bench_case(cands, repeats, target_s, RTOL[dtype], label)
                                results.append({"kernel": row.name, "direction": direction,
                                                "dtype": dtype, "size": size,
                                                "variant": variant, "candidates": stats})
                                if progress:
                                    print(f"[{len(results)}/{total}] {label}: " + _progress_summary(stats),
                                          file=sys.stderr, flush=True)
    finally:
        for peer in peers:
            if previous_threads.get(peer.name) is not None:
                peer.set_threads(previous_threads[peer.name])
    return results


def _progress_summary(stats):
    fa = stats["fastact"]["median_s"]
    parts = [f"fastact {_fmt_us(fa)} us"]
    parts += [f"{name} x{s['median_s'] / fa:.2f}" for name, s in stats.items() if name != "fastact"]
    return ", ".join(parts)


def scaling(kernels=None, size=SCALING_SIZE, max_threads=None, repeats=None, seed=0, target_s=TARGET_BATCH_S,
            progress=True, scale=DEFAULT_SCALE, thread_counts=None, peers=True, input_sets=INPUT_SETS):
    """fastact's throughput against its thread count: every kernel, forward and backward, float32, allocating.

    The thread counts (``thread_counts``, default 1, 2, ... ``max_threads``, itself default
    os.cpu_count()) are the candidates of one case, interleaved as in ``run()``; where PyTorch imports
    (and ``peers``), its function at each of those thread counts too (torch.set_num_threads before every call:
    a microsecond).  repeats defaults to DEFAULT_REPEATS.  Returns {"dtype", "variant", "size",
    "thread_counts", "cases": [{"kernel", "direction", "serial_below", "threads": {"1": {"median_s",
    "min_s", "samples_s", "calls_per_batch", "max_rel_err"}, "2": ...}, "torch_threads": {...} or None}]},
    keyed by the thread count as a string, as JSON keys must be.  Below ``serial_below`` elements a kernel
    runs on one thread whatever n_threads says, so its row cannot scale.
    """
    rows = [r for r in _rows(kernels) if _fits(r, size)]
    if thread_counts is None:
        thread_counts = range(1, (max_threads or os.cpu_count() or 1) + 1)
    thread_counts = sorted(set(thread_counts))
    if not thread_counts or thread_counts[0] < 1:
        raise ValueError(f"thread_counts must be positive integers; got {thread_counts}")
    repeats = repeats or DEFAULT_REPEATS
    dtype = "float32"
    data = _data_sets(size, dtype, seed, scale, input_sets)
    torch_peer = next((p for p in available_peers() if p.name == "torch"), None) if peers else None
    previous = torch_peer.set_threads(1) if torch_peer else None

    cases = []
    total = len(rows) * len(DIRECTIONS)
    try:
        with _gc_paused():
            for row in rows:
                for direction in DIRECTIONS:
                    fa = _fastact_fn(row, direction)
                    sets = [_inputs(row, direction, x, grad, thread_counts[-1]) for x, grad in data]
                    cands = {str(t): (_alternating(lambda *a, t=t, fa=fa: fa(*a, n_threads=t), sets), None)
                             for t in thread_counts}
                    op = torch_peer.ops.get(_peer_key(row, direction), (None,))[0] if torch_peer else None
                    if op is not None:
                        args = [tuple(torch_peer.convert(a) for a in inp) for inp in sets]
                        for t in thread_counts:
                            call = lambda *a, t=t, op=op: (torch_peer.set_threads(t), op(*a))[1]
                            cands[f"torch/{t}"] = (_alternating(call, args), torch_peer)
                    label = f"{row.name} {direction} {dtype} n={_fmt_size(size)}"
                    stats = _bench_case(cands, repeats, target_s, RTOL[dtype], label)
                    fa_stats = {str(t): stats[str(t)] for t in thread_counts}
                    torch_stats = ({str(t): stats[f"torch/{t}"] for t in thread_counts}
                                   if op is not None else None)
                    cases.append({"kernel": row.name, "direction": direction, "serial_below": row.serial_below,
                                  "threads": fa_stats, "torch_threads": torch_stats})
                    if progress:
                        rates = ", ".join(f"{t}: {size / s['median_s'] / 1e9:.2f}" for t, s in fa_stats.items())
                        if torch_stats:
                            rates += "; torch " + ", ".join(f"{t}: {size / s['median_s'] / 1e9:.2f}"
                                                       for t, s in torch_stats.items())
                        print(f"[{len(cases)}/{total}] {label}: Gelem/s by threads {rates}",
                              file=sys.stderr, flush=True)
    finally:
        if previous is not None:
            torch_peer.set_threads(previous)
    return {"dtype": dtype, "variant": "alloc", "size": size, "thread_counts": thread_counts, "cases": cases,
            "torch": torch_peer.versions["torch"] if torch_peer else None}


# ------------------------------------------------------------------------------------------- report

def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def metadata(threads=None, scale=DEFAULT_SCALE, input_sets=INPUT_SETS):
    """The machine, thread count, data, fastact build and library versions, for the report and the JSON."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "threads": threads or fastact.get_num_threads(),
        "fastact": fastact_config(),
        "versions": {"python": platform.python_version(), "fastact": fastact.__version__,
                     **{k: v for p in available_peers() for k, v in p.versions.items()}},
        "copy": "x copied into a preallocated array (from 128 KB on by one memcpy per thread, on the same "
                "threads): memory-bandwidth reference",
        "target_batch_s": TARGET_BATCH_S,
        "x_scale": scale,
        "input_sets": input_sets,
    }


def _fmt_us(seconds):
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def _fmt_size(n):
    """1000 -> 1e3, 16000000 -> 1.6e7; other numbers as they are."""
    exp = int(math.floor(math.log10(n))) if n > 0 else 0
    mantissa = n / 10 ** exp
    return f"{mantissa:g}e{exp}" if exp >= 3 and round(mantissa, 3) * 10 ** exp == n else str(n)


def _sets_text(meta):
    n = meta.get("input_sets", 1)
    return ("the same arrays in every call" if n == 1
            else f"{n} such sets, which the calls of every candidate take in turn")


def markdown_table(results, meta):
    """A header describing the machine and libraries, then one table row per case."""
    fa = meta["fastact"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    repeats = {len(c["candidates"]["fastact"]["samples_s"]) for c in results}
    peer_names = [p.name for p in available_peers()] + ["copy"]
    peer_names = [n for n in peer_names if any(n in c["candidates"] for c in results)]
    show_variant = any(c["variant"] == "out" for c in results)

    lines = [
        f"CPU: {meta['cpu']} ({meta['logical_cpus']} logical CPUs) | threads: {meta['threads']}"
        f" | fastact SIMD: {fa['simd_level']} | OpenMP: {'on' if fa['openmp'] else 'off'}",
        f"Versions: {versions}",
        f"Median time per call over {'/'.join(map(str, sorted(repeats)))} interleaved rounds;"
        f" ratio = peer time / fastact time (>1: fastact faster). numpy = NumPy/SciPy, single-threaded;"
        f" numexpr = numexpr.evaluate of the plain formula;"
        f" copy = {meta['copy']}.",
        "Along an axis (softmax, log_softmax, sparsemax, glu): (size / 1000, 1000) arrays along the last"
        " axis; NAME/50000: rows of 50000.  prelu, maxout: channels-last (size / 100, 100) arrays, one slope"
        " per channel, 50 units (torch: aten._prelu_kernel with its weight gradient summed; reshape + amax"
        " and autograd's backward through it).",
        f"Data: x = {meta.get('x_scale', DEFAULT_SCALE):g} x standard normal, grad = standard normal;"
        f" {_sets_text(meta)}.",
        "",
    ]
    head = ["kernel", "direction"] + (["variant"] if show_variant else []) + [
        "dtype", "size", "fastact µs", "fastact Gelem/s"]
    for name in peer_names:
        head += [f"{name} µs", f"{name} ratio"]
    lines.append("| " + " | ".join(head) + " |")
    n_text = head.index("size")     # text columns left-aligned, numbers right-aligned
    lines.append("|" + "|".join(["---"] * n_text + ["---:"] * (len(head) - n_text)) + "|")

    order = {r.name: i for i, r in enumerate(_rows(None))}
    key = lambda c: (order[c["kernel"]], DIRECTIONS.index(c["direction"]), c["dtype"], c["size"],
                     c["variant"])
    for case in sorted(results, key=key):
        cands = case["candidates"]
        t = cands["fastact"]["median_s"]
        cells = [case["kernel"], case["direction"]] + ([case["variant"]] if show_variant else []) + [
            case["dtype"], _fmt_size(case["size"]), _fmt_us(t), f"{case['size'] / t / 1e9:.2f}"]
        for name in peer_names:
            if name in cands:
                cells += [_fmt_us(cands[name]["median_s"]), f"{cands[name]['median_s'] / t:.2f}"]
            else:
                cells += ["—", "—"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scaling_table(data, meta):
    """A header describing the machine and the case, then one row of Gelem/s per kernel and direction;
    where PyTorch was timed too, a second table of ratios (torch time / fastact time) per thread count."""
    fa = meta["fastact"]
    counts = data["thread_counts"]
    repeats = {len(s["samples_s"]) for c in data["cases"] for s in c["threads"].values()}
    serial = [f"{c['kernel']} {c['direction']}" for c in data["cases"] if data["size"] < c["serial_below"]]
    lines = [
        f"CPU: {meta['cpu']} ({meta['logical_cpus']} logical CPUs) | fastact SIMD: {fa['simd_level']}"
        f" | OpenMP: {'on' if fa['openmp'] else 'off'}",
        f"fastact {meta['versions']['fastact']}, {data['dtype']}, allocating output, size"
        f" {_fmt_size(data['size'])}: Gelem/s = size / median time per call over"
        f" {'/'.join(map(str, sorted(repeats)))} interleaved rounds; speed-up = time on 1 thread / time on"
        f" {counts[-1]}; x = {meta.get('x_scale', DEFAULT_SCALE):g} x standard normal"
        f" ({_sets_text(meta)}).",
    ]
    if serial:
        lines.append(f"Below its serial cut-off, so on one thread whatever n_threads says:"
                     f" {', '.join(serial)}.")
    lines.append("")
    thread_heads = [f"{t} thread{'s' if t > 1 else ''}" for t in counts]
    head = ["kernel", "direction"] + thread_heads + ["speed-up (max threads vs 1)"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|---|" + "---:|" * (len(head) - 2))
    for case in data["cases"]:
        times = [case["threads"][str(t)]["median_s"] for t in counts]
        cells = [case["kernel"], case["direction"]] + [f"{data['size'] / t / 1e9:.2f}" for t in times] + [
            f"{times[0] / times[-1]:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")

    against = [c for c in data["cases"] if c.get("torch_threads")]
    if against:
        lines += ["", f"Against PyTorch {data.get('torch')} at the same thread count (torch.set_num_threads):"
                      f" ratio = torch time / fastact time, medians of the same interleaved rounds; last column:"
                      f" PyTorch's Gelem/s on {counts[-1]} thread{'s' if counts[-1] > 1 else ''}.", ""]
        head = ["kernel", "direction"] + thread_heads + [f"torch Gelem/s ({counts[-1]})"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|---|" + "---:|" * (len(head) - 2))
        for case in against:
            ratios = [case["torch_threads"][str(t)]["median_s"] / case["threads"][str(t)]["median_s"]
                      for t in counts]
            top = data["size"] / case["torch_threads"][str(counts[-1])]["median_s"] / 1e9
            cells = [case["kernel"], case["direction"]] + [f"{r:.2f}" for r in ratios] + [f"{top:.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results, meta, path):
    """Throughput against size, one panel per activation, into the PNG file ``path``.

    Only the allocating variant of the first dtype is drawn: the other combinations would double the
    lines of every panel.  Returns the path, or None when matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        print("note: matplotlib is not installed, no plot drawn", file=sys.stderr)
        return None
    matplotlib.use("Agg")   # a file, not a window: works without a display
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    dtype = results[0]["dtype"]
    cases = [c for c in results if c["variant"] == "alloc" and c["dtype"] == dtype]
    kernels = [r.name for r in _rows(None) if any(c["kernel"] == r.name for c in cases)]
    # Colours by candidate, shared by all panels, in the order run() timed them (fastact first).
    names = list(dict.fromkeys(n for c in cases for n in c["candidates"] if n != "copy"))
    colours = {name: f"C{i}" for i, name in enumerate(names)}
    styles = {"forward": "-", "backward": "--"}

    ncols = min(2, len(kernels))
    nrows = math.ceil(len(kernels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 4 * nrows + 1), sharex=True, sharey=True,
                             squeeze=False)
    for ax, kernel in zip(axes.flat, kernels):
        for direction in DIRECTIONS:
            ordered = sorted((c for c in cases if c["kernel"] == kernel and c["direction"] == direction),
                             key=lambda c: c["size"])
            for name in names:
                points = [(c["size"], c["size"] / c["candidates"][name]["median_s"] / 1e9)
                          for c in ordered if name in c["candidates"]]
                if points:
                    ax.plot(*zip(*points), ls=styles[direction], marker=".", color=colours[name])
            # The copy is the same copy of one array in both directions: drawn once, from the forward
            # cases, as the memory-bandwidth reference.
            if direction == "forward":
                points = [(c["size"], c["size"] / c["candidates"]["copy"]["median_s"] / 1e9)
                          for c in ordered if "copy" in c["candidates"]]
                if points:
                    ax.plot(*zip(*points), ls=":", marker=".", color="grey")
        ax.set(xscale="log", yscale="log", title=kernel)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes.flat[len(kernels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("size (elements)")
    for ax in axes[:, 0]:
        ax.set_ylabel("throughput (Gelem/s)")

    # One legend for the figure: colour = candidate, line style = direction.
    handles = [Line2D([], [], color=colours[name], label=name) for name in names]
    handles += [Line2D([], [], color="black", ls=styles[d], label=d) for d in DIRECTIONS]
    handles.append(Line2D([], [], color="grey", ls=":", label="copy (memory limit)"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    fig.suptitle(f"Throughput (size / median time per call), {dtype}, allocating output\nthreads:"
                 f" {meta['threads']} | fastact SIMD: {meta['fastact']['simd_level']} | {meta['cpu']}")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_json(path, meta, results=None, scaling=None):
    """Write a normal run as {"meta", "results"}, a --scaling run as {"scaling": {"meta", ...}}.

    The other mode's part of a file already at ``path`` is kept, so that both can share the default file
    without one run erasing the other's data; each part carries the metadata of the run that made it.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):     # no file yet, or not JSON: nothing to keep
        data = {}
    if results is not None:
        data.update(meta=meta, results=results)
    if scaling is not None:
        data["scaling"] = {"meta": meta, **scaling}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


# ---------------------------------------------------------------------------------------------- CLI

# argparse types, shared with the other scripts here (units.py, accuracy.py, cutoff.py import them): on a
# bad value argparse prints "argument --FLAG: <message>" and the usage, and exits with status 2.

def _whole(minimum=1):
    """argparse type: a whole number >= ``minimum``, as an integer or in float notation ("1e6", "1.6e7";
    not "1.5")."""
    def whole_number(text):
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value == int(value)):
                raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
            value = int(value)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}; got {text!r}")
        return value
    return whole_number


def _csv(convert=str, known=None, allow_empty=False):
    """argparse type: a comma-separated list, each item converted by ``convert`` and, with ``known``, one
    of those names; an empty list only where ``allow_empty``."""
    def comma_separated_list(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items and not allow_empty:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list; got {text!r}")
        values = []
        for item in items:
            if known is not None and item not in known:
                raise argparse.ArgumentTypeError(f"{item!r} is not one of {', '.join(known)}")
            try:
                values.append(convert(item))
            except ValueError:
                raise argparse.ArgumentTypeError(f"invalid item {item!r} in {text!r}") from None
        return values
    return comma_separated_list


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", type=_csv(str), default=None,
                        help="activations to time, comma-separated (default: all); each forward and backward")
    parser.add_argument("--sizes", type=_csv(_whole(1)), default=None,
                        help="element counts, e.g. 1e3,1.6e7 (default: 1e3,1e4,1e5,1e6,1.6e7;"
                             " with --scaling one size, default 1.6e7)")
    parser.add_argument("--dtypes", type=_csv(str), default=["float32"],
                        help="float32 and/or float64 (default: float32)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for fastact and torch (default: fastact.get_num_threads())")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"interleaved rounds (default {DEFAULT_REPEATS}; {QUICK_REPEATS} with --quick)")
    parser.add_argument("--out", action="store_true",
                        help="also time with a preallocated output (out=), where the library has one")
    parser.add_argument("--quick", action="store_true",
                        help="sizes 1e3,1e5,1e6 and 3 rounds; with --scaling, 3 rounds only"
                             " (explicit --sizes/--repeats win)")
    parser.add_argument("--json", default=str(DEFAULT_JSON),
                        help="where to write every timing and the metadata (default: %(default)s)")
    drawing = parser.add_mutually_exclusive_group()
    drawing.add_argument("--plot", default=None,
                         help=f"PNG of throughput against size (default: {DEFAULT_PLOT}; needs matplotlib)")
    drawing.add_argument("--no-plot", action="store_true", help="draw no plot")
    parser.add_argument("--scaling", action="store_true",
                        help="instead of the comparison, time fastact alone at one size on 1, 2, ..."
                             " --max-threads threads")
    parser.add_argument("--max-threads", type=int, default=None,
                        help="with --scaling: the largest thread count (default: os.cpu_count())")
    parser.add_argument("--thread-counts", type=_csv(int), default=None,
                        help="with --scaling: the thread counts, e.g. 1,2,4,8,16 (instead of 1..--max-threads)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"x = SCALE times standard normal (default {DEFAULT_SCALE:g})")
    parser.add_argument("--input-sets", type=int, default=INPUT_SETS,
                        help=f"input sets every candidate's calls take in turn (default {INPUT_SETS}; 1: the"
                             " same arrays every call, caches hot)")
    args = parser.parse_args(argv)
    if not (math.isfinite(args.scale) and args.scale > 0):
        parser.error(f"--scale must be a positive finite number; got {args.scale}")
    if args.input_sets < 1:
        parser.error(f"--input-sets must be at least 1; got {args.input_sets}")

    for dtype in args.dtypes:
        if dtype not in RTOL:
            parser.error(f"--dtypes: {dtype!r} is not one of {', '.join(RTOL)}")
    known = {r.name for r in _rows(None)}
    for name in args.kernels or ():
        if name not in known:
            parser.error(f"--kernels: {name!r} is not one of {', '.join(sorted(known))}")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.scaling:
        # Options of the comparison that --scaling would otherwise silently ignore.
        for given, option in ((args.threads is not None, "--threads (use --max-threads)"),
                              (args.out, "--out"), (args.dtypes != ["float32"], "--dtypes"),
                              (args.plot is not None, "--plot"),
                              (len(args.sizes or ()) > 1, "--sizes with several sizes")):
            if given:
                parser.error(f"--scaling times float32 allocating calls at one size: {option} does not apply")
        if args.max_threads is not None and args.max_threads < 1:
            parser.error("--max-threads must be at least 1")
        if args.thread_counts is not None:
            if args.max_threads is not None:
                parser.error("--thread-counts and --max-threads exclude each other")
            if not args.thread_counts or min(args.thread_counts) < 1:
                parser.error(f"--thread-counts must be positive integers; got {args.thread_counts}")
    elif args.max_threads is not None or args.thread_counts is not None:
        parser.error("--max-threads and --thread-counts go with --scaling")
    # a run with no case would only write an empty JSON over the default file
    sizes = (args.sizes or [SCALING_SIZE])[:1] if args.scaling else (
        args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    if not any(_fits(row, n) for row in _rows(args.kernels) for n in sizes):
        parser.error(f"--sizes {','.join(map(str, sizes))}: no kernel to time at these sizes (an axis function"
                     f" needs whole rows, prelu and maxout multiples of {CHANNELS} elements)")

    if args.scaling:
        counts = sorted(set(args.thread_counts or range(1, (args.max_threads or os.cpu_count() or 1) + 1)))
        repeats = args.repeats or (QUICK_REPEATS if args.quick else DEFAULT_REPEATS)
        data = scaling(kernels=args.kernels, size=args.sizes[0] if args.sizes else SCALING_SIZE,
                       thread_counts=counts, repeats=repeats, scale=args.scale, input_sets=args.input_sets)
        meta = metadata(counts[-1], args.scale, args.input_sets)
        print(scaling_table(data, meta))
        write_json(args.json, meta, scaling=data)
    else:
        threads = args.threads or fastact.get_num_threads()
        results = run(kernels=args.kernels, sizes=args.sizes, dtypes=args.dtypes, threads=threads,
                      repeats=args.repeats, out_variant=args.out, quick=args.quick, scale=args.scale,
                      input_sets=args.input_sets)
        meta = metadata(threads, args.scale, args.input_sets)
        print(markdown_table(results, meta))
        write_json(args.json, meta, results=results)
        if not args.no_plot:
            drawn = plot(results, meta, args.plot or DEFAULT_PLOT)
            if drawn:
                print(f"wrote {drawn}", file=sys.stderr)
    print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
