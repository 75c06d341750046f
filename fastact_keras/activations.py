"""fastact activations as Keras activation functions: ``Dense(64, activation=fastact_keras.activations.relu)``.

Same signatures and defaults as ``keras.activations.*``; forward and backward run fastact's kernels.
Registered serializable under the package "fastact", so models using them save and load.
"""
import inspect

import keras

from fastact._table import ACTIVATIONS, AXIS_FUNCTIONS
from fastact_keras import _ops

_register = keras.saving.register_keras_serializable(package="fastact")


@_register
def sigmoid(x):
    """Sigmoid, 1 / (1 + exp(-x)), faithfully rounded; gradient from ``fastact.sigmoid_backward``."""
    return _ops.activation("sigmoid", x)


@_register
def tanh(x):
    """Hyperbolic tangent, faithfully rounded; gradient from ``fastact.tanh_backward``."""
    return _ops.activation("tanh", x)


@_register
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """ReLU with Keras's options (``keras.activations.relu``); gradient from ``fastact.relu_backward``."""
    return _ops.activation("relu", x, (negative_slope, max_value, threshold))


@_register
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU (``keras.activations.leaky_relu``, default slope 0.2); gradient from fastact."""
    return _ops.activation("leaky_relu", x, (negative_slope,))


def _generated(name):
    """``keras.activations.<name>``'s signature and defaults, computed by fastact.NAME (forward) and
    fastact.NAME_backward (gradient).  Arguments Keras requires (threshold's) keep no default here too."""
    keras_fn = getattr(keras.activations, name)
    sig = inspect.signature(keras_fn)
    names = list(sig.parameters)[1:]

    def fn(x, *args, **kwargs):
        bound = sig.bind(x, *args, **kwargs)
        bound.apply_defaults()
        return _ops.activation(name, x, tuple(bound.arguments[p] for p in names))

    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = sig
    fn.__doc__ = (f"``keras.activations.{name}{sig}`` computed by ``fastact.{name}``; gradient from "
                  f"``fastact.{name}_backward``.")
    return _register(fn)


_HAND_WRITTEN = (sigmoid, tanh, relu, leaky_relu)
ALL = {f.__name__: f for f in _HAND_WRITTEN}
for _row in ACTIVATIONS + AXIS_FUNCTIONS:
    if _row.name not in ALL:
        ALL[_row.name] = _generated(_row.name)
    for _alias in getattr(_row, "aliases", ()):  # swish -> silu, hard_swish -> hard_silu, as in Keras
        ALL[_alias] = ALL[_row.name]
globals().update(ALL)


def get(identifier):
    """A function of this module from its name (``"relu"``) or itself."""
    if callable(identifier) and ALL.get(getattr(identifier, "__name__", None)) is identifier:
        return identifier
    if isinstance(identifier, str) and identifier in ALL:
        return ALL[identifier]
    raise ValueError(f"Unknown fastact activation: {identifier!r}; known: {', '.join(ALL)}")
