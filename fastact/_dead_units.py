"""Dead-unit counting: which units ever fired (> 0) over the batches seen — the source document's advice
to "monitor the fraction of dead units", as a NumPy-level accumulator."""
import numbers
import threading

import numpy as np

from fastact import _core, _dispatch, _threads

SERIAL_BELOW = 32768


class DeadUnitCounter:
    """Accumulates, batch by batch, how often each unit was > 0; a unit never > 0 is dead.

    Parameters
    ----------
    axis : int or tuple of int, default -1
        The axis (or adjacent axes) that index the units: -1 for Dense outputs ``(batch, units)`` and
        channels-last convolutions, 1 for NCHW.  Every other axis is a sample axis.
    n_threads : int, optional
        OpenMP threads for ``update``.

    ``update`` may be called from several threads at once (the counting runs without the GIL; adding
    into the totals is locked).

    Works on ReLU-family activations (relu, leaky_relu, prelu with alpha > 0, maxout outputs) and on
    pre-activations alike: each is > 0 exactly when the unit is active.  ``update`` reads float32/float64
    contiguous input in place (no copy), in parallel; other inputs are converted first.

    Examples
    --------
    >>> import numpy as np, fastact
    >>> counter = fastact.DeadUnitCounter(axis=-1)
    >>> _ = counter.update(np.array([[0.0, 1.0, 0.0], [0.0, 2.0, -1.0]]))
    >>> counter.dead_fraction, counter.dead.tolist()
    (0.6666666666666666, [True, False, True])
    """

    def __init__(self, axis=-1, n_threads=None):
        axes = (axis,) if isinstance(axis, numbers.Integral) and not isinstance(axis, bool) else axis
        if not isinstance(axes, tuple) or not axes or not all(
                isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
            raise TypeError(f"axis must be an integer or a tuple of integers, got {axis!r}")
        if n_threads is not None:
            _threads.check_n_threads(n_threads)
        self.axis = axis
        self._axes = tuple(int(a) for a in axes)
        self.n_threads = n_threads
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget everything seen so far (the unit shape too)."""
        with self._lock:
            self.counts = None      # int64 array of the unit shape: samples on which each unit was > 0
            self.n_samples = 0      # samples (positions on the non-unit axes) seen per unit

    def _unit_shape(self, shape):
        nd = len(shape)
        named = [a % nd if -nd <= a < nd else _bad_axis(a, shape) for a in self._axes]
        if len(set(named)) != len(named):     # (as NumPy's reductions: a repeated axis is an error)
            raise ValueError(f"axis {self.axis} repeats an axis of x (shape {shape})")
        axes = sorted(named)
        if axes != list(range(axes[0], axes[-1] + 1)):
            raise ValueError(f"axis {self.axis} must name adjacent axes, got {tuple(axes)}")
        return axes, tuple(shape[a] for a in axes)

    def _other_units(self, unit_shape):
        raise ValueError(f"x has units of shape {unit_shape} on axis {self.axis}, but earlier batches had "
                         f"{self.counts.shape}")

    def update(self, x):
        """Add one batch of activations; returns self."""
        xa = _core.as_array(x, "x")
        _, compute_dtype = _core.dtypes_for(xa.dtype, "x")
        if xa.ndim == 0:
            raise ValueError("x must have at least one dimension (the unit axis), got a 0-d array")
        axes, unit_shape = self._unit_shape(xa.shape)
        with self._lock:
            if self.counts is not None and self.counts.shape != unit_shape:
                self._other_units(unit_shape)
            if self.counts is None:
                self.counts = np.zeros(unit_shape, np.int64)
        param_shape = tuple(s if i in axes else 1 for i, s in enumerate(xa.shape))
        P, K, Q, _, _, _ = _core.unit_layout(xa.shape, param_shape, "units")
        if xa.size == 0:
            return self
        red = _core.UnitReduction(P, K, Q, np.int64)
        nt = _threads.threads_for(self.n_threads, xa.size, SERIAL_BELOW)
        xin = _core._flat_input(xa, compute_dtype, "C", None, False, n_threads=nt)
        _dispatch.kernels.count_positive(xin, red.partial, red.rows, red.L, red.vector, red.block_rows,
                                         red.col_chunk, nt)
        per_unit = red.per_unit().reshape(unit_shape)
        with self._lock:
            if self.counts is None:     # a reset() since the check above: this batch starts anew
                self.counts = np.array(per_unit, np.int64)
            elif self.counts.shape != unit_shape:   # (and another thread's batch of other units after it)
                self._other_units(unit_shape)
            else:
                self.counts += per_unit
            self.n_samples += xa.size // K
        return self

    @property
    def dead(self):
        """Boolean array of the unit shape: True where the unit never fired."""
        if self.counts is None:
            raise ValueError("no data yet: call update(x) first")
        return self.counts == 0

    @property
    def dead_fraction(self):
        """Fraction of units that never fired on the data seen so far."""
        return float(self.dead.mean()) if self.dead.size else 0.0

    def __repr__(self):
        if self.counts is None:
            return f"DeadUnitCounter(axis={self.axis!r}, no data)"
        return (f"DeadUnitCounter(axis={self.axis!r}, units={self.counts.size}, samples={self.n_samples}, "
                f"dead_fraction={self.dead_fraction:.4f})")


def _bad_axis(a, shape):
    raise ValueError(f"axis {a} is out of bounds for x with {len(shape)} dimension(s) (shape {shape})")
