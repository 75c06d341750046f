"""Keras 3 layers on fastact's kernels.

``ReLU``, ``LeakyReLU``, ``ELU`` and ``PReLU`` subclass Keras's own layers and replace only ``call``: the
constructor, its defaults and validation messages, ``build``, ``get_config`` keys, masking and
``compute_output_shape`` are Keras's, so they are drop-ins by construction.  ``Maxout`` reproduces
tfa.layers.Maxout (which left with TensorFlow Addons); ``Activation`` takes any fastact activation by name.
"""
import inspect

import keras

from fastact._maxout import check_args as _maxout_args
from fastact._table import ACTIVATIONS, AXIS_FUNCTIONS
from fastact_keras import _ops, activations

_register = keras.saving.register_keras_serializable(package="fastact")


@_register
class ReLU(keras.layers.ReLU):
    """``keras.layers.ReLU`` (same arguments, defaults, errors and config) computed by fastact."""

    def call(self, inputs):
        return _ops.activation("relu", inputs, (self.negative_slope, self.max_value, self.threshold),
                               tap=id(self))


@_register
class LeakyReLU(keras.layers.LeakyReLU):
    """``keras.layers.LeakyReLU`` (``negative_slope=0.3``) computed by fastact."""

    def call(self, inputs):
        return _ops.activation("leaky_relu", inputs, (self.negative_slope,), tap=id(self))


@_register
class ELU(keras.layers.ELU):
    """``keras.layers.ELU`` (``alpha=1.0``) computed by fastact."""

    def call(self, inputs):
        return _ops.activation("elu", inputs, (self.alpha,), tap=id(self))


@_register
class Softmax(keras.layers.Softmax):
    """``keras.layers.Softmax`` (``axis``: an int or a list of ints; the call's ``mask``) computed by
    ``fastact.softmax``, gradient ``fastact.softmax_backward``.  Masked positions are set to -1e9 (-3e4 in
    float16) before the softmax and to 0 after it, as Keras does."""

    def call(self, inputs, mask=None):
        if mask is None:
            outputs = _ops.activation("softmax", inputs, (self._axes(),), tap=id(self))
            if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1 and hasattr(outputs, "_keras_logits"):
                del outputs._keras_logits     # (Keras's layer: over several axes, not a loss's logits)
            return outputs
        # Keras's masking: its check, its fill value, True or > 0.5 kept
        if len(mask.shape) > len(inputs.shape) or any(
                m is not None and i is not None and m not in (1, i)
                for m, i in zip(mask.shape[::-1], inputs.shape[::-1])):
            raise ValueError("The `mask` must be broadcastable to `inputs`: each mask dimension must be 1 or "
                             f"match the input's. Received: inputs.shape={inputs.shape}, mask.shape={mask.shape}")
        fill = -3e4 if keras.backend.standardize_dtype(inputs.dtype) == "float16" else -1e9
        if keras.backend.standardize_dtype(mask.dtype) != "bool":
            mask = keras.ops.greater(mask, keras.ops.cast(0.5, mask.dtype))
        outputs = _ops.activation("softmax", keras.ops.where(mask, inputs, fill), (self._axes(),), tap=id(self))
        return keras.ops.where(mask, outputs, keras.ops.zeros_like(outputs))

    def _axes(self):
        return tuple(self.axis) if isinstance(self.axis, (list, tuple)) else self.axis


@_register
class PReLU(keras.layers.PReLU):
    """``keras.layers.PReLU`` (``alpha_initializer="Zeros"``, regularizer, constraint, ``shared_axes``);
    forward ``fastact.prelu``, gradients for the input and for alpha from ``fastact.prelu_backward``."""

    def call(self, inputs):
        return _ops.prelu(inputs, self.alpha, tap=id(self))


@_register
class Maxout(keras.layers.Layer):
    """Maxout as tfa.layers.Maxout: ``num_units`` outputs along ``axis``, output j the maximum of the
    inputs i * num_units + j.  ``inputs.shape[axis]`` must be a multiple of ``num_units``.

    Args:
        num_units: Int, the number of units (outputs along ``axis``).
        axis: Int, the axis along which to pool.  Defaults to -1.
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.num_units, self.axis = _maxout_args(num_units, axis)
        self.supports_masking = False

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"axis {self.axis} is out of bounds for inputs with {len(input_shape)} "
                             f"dimension(s) (shape {tuple(input_shape)})")
        channels = input_shape[self.axis]
        if channels is not None and channels % self.num_units:
            raise ValueError(f"number of features({channels}) is not a multiple of "
                             f"num_units({self.num_units})")

    def call(self, inputs):
        return _ops.maxout(inputs, self.num_units, self.axis, tap=id(self))

    def compute_output_shape(self, input_shape):
        return tuple(_ops.maxout_shape(input_shape, self.num_units, self.axis))

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}


@_register
class Activation(keras.layers.Layer):
    """A fastact activation by name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ...) or a
    function from ``fastact_keras.activations``; like ``keras.layers.Activation``.

    Args:
        activation: The activation's name, or the function.
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        # the function's own (Keras) defaults, e.g. leaky_relu's negative_slope=0.2; where Keras has
        # none (threshold's), fastact's
        row = {r.name: r for r in ACTIVATIONS + AXIS_FUNCTIONS}[self.activation.__name__]
        self._params = tuple(p.default if p.default is not inspect.Parameter.empty else q.default
                             for p, q in zip(list(inspect.signature(self.activation).parameters.values())[1:],
                                             row.params))

    def call(self, inputs):
        return _ops.activation(self.activation.__name__, inputs, self._params, tap=id(self))

    def compute_output_shape(self, input_shape):
        if self.activation.__name__ == "glu":      # half of the split axis
            return tuple(_ops.glu_shape(input_shape, *self._params))
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": self.activation.__name__}
