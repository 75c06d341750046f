"""``DeadUnitMonitor``: the fraction of dead units of every ReLU-family fastact layer, at each epoch end."""
import numbers
import warnings

import keras
import tensorflow as tf

import fastact
from fastact._threads import check_integer
from fastact_keras import _layers, _ops

RELU_FAMILY_ACTIVATIONS = ("relu", "leaky_relu")


def relu_family_layers(model):
    """The fastact layers of ``model`` (nested models included) whose units can die."""
    found = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (_layers.ReLU, _layers.LeakyReLU, _layers.PReLU, _layers.Maxout)):
            found.append(layer)
        elif isinstance(layer, _layers.Activation) and layer.activation.__name__ in RELU_FAMILY_ACTIVATIONS:
            found.append(layer)
    return found


class DeadUnitMonitor(keras.callbacks.Callback):
    """At each epoch end, runs the model on ``data`` and writes ``dead_fraction/<layer name>`` into
    ``logs`` for every ReLU-family fastact layer (so History, CSVLogger and TensorBoard record it); warns
    when a layer's fraction is above ``warn_above``.

    A unit is a feature along ``axis`` (the last axis: Dense units, channels-last conv channels); it is
    dead when its output is never > 0 on ``data``.  Counted with ``fastact.DeadUnitCounter`` on the
    layers' own forward outputs, during one eager pass over ``data``.

    Args:
        data: Model inputs: an array (or list/dict of arrays for multi-input models) or a
            ``tf.data.Dataset`` yielding inputs or (inputs, targets) pairs.
        warn_above: Float in [0, 1]; warn when a layer's dead fraction exceeds it.  Defaults to 0.4.
        axis: The unit axis of the monitored outputs.  Defaults to -1.
        batch_size: Batch size for arrays (``None``: the default, 256).  Defaults to 256.
    """

    def __init__(self, data, warn_above=0.4, axis=-1, batch_size=256):
        super().__init__()
        if data is None:
            raise TypeError("data must be model inputs (an array, a list or dict of arrays, or a "
                            "tf.data.Dataset), got None")
        if isinstance(data, tf.data.Dataset) and data.cardinality() == tf.data.INFINITE_CARDINALITY:
            # (each epoch's pass over it never ended)
            raise ValueError("data is an infinite tf.data.Dataset (repeat() without a count): pass a "
                             "finite one, e.g. data.take(steps)")
        if isinstance(warn_above, bool) or not isinstance(warn_above, numbers.Real):
            raise TypeError(f"warn_above must be a number in [0, 1], got {warn_above!r} "
                            f"({type(warn_above).__name__})")
        if not 0.0 <= float(warn_above) <= 1.0:
            raise ValueError(f"warn_above must be in [0, 1], got warn_above={warn_above}")
        # (None, as Keras takes it: the default; a tf.data.Dataset brings its own batches)
        batch_size = 256 if batch_size is None else check_integer(batch_size, "batch_size", 1)
        fastact.DeadUnitCounter(axis)       # (its checks of axis, here rather than at the epoch's end)
        self.data = data
        self.warn_above = float(warn_above)
        self.axis = axis
        self.batch_size = batch_size
        self.history = {}

    def _batches(self):
        if isinstance(self.data, tf.data.Dataset):
            for item in self.data:
                yield item[0] if isinstance(item, tuple) else item
            return
        n = len(next(iter(self.data.values())) if isinstance(self.data, dict) else
                self.data[0] if isinstance(self.data, (list, tuple)) else self.data)
        for start in range(0, n, self.batch_size):
            sl = slice(start, start + self.batch_size)
            if isinstance(self.data, dict):
                yield {k: v[sl] for k, v in self.data.items()}
            elif isinstance(self.data, (list, tuple)):
                yield [v[sl] for v in self.data]
            else:
                yield self.data[sl]

    def dead_fractions(self):
        """{layer name: dead fraction} for the model, on ``data`` (also usable outside ``fit``)."""
        layers = relu_family_layers(self.model)
        counters = {id(layer): fastact.DeadUnitCounter(axis=self.axis) for layer in layers}
        for key, counter in counters.items():
            _ops._taps[key] = counter.update
        try:
            for batch in self._batches():
                self.model(batch, training=False)   # eager: the fastact kernels run and feed the counters
        finally:
            for key in counters:
                _ops._taps.pop(key, None)
        return {layer.name: counters[id(layer)].dead_fraction for layer in layers
                if counters[id(layer)].counts is not None}

    def on_epoch_end(self, epoch, logs=None):
        fractions = self.dead_fractions()
        for name, fraction in fractions.items():
            self.history.setdefault(name, []).append(fraction)
            if logs is not None:
                logs[f"dead_fraction/{name}"] = fraction
            if fraction > self.warn_above:
                warnings.warn(f"{fraction:.0%} of the units of layer '{name}' are dead "
                              f"(above warn_above={self.warn_above:g})", RuntimeWarning, stacklevel=2)
