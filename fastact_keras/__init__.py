"""fastact_keras: Keras 3 (TensorFlow backend) layers whose forward and backward run fastact's kernels.

Drop-in for ``keras.layers.ReLU``, ``LeakyReLU``, ``ELU``, ``PReLU``, ``Softmax``, ``Activation`` and
``tfa.layers.Maxout``;
``fastact_keras.activations.<name>`` for ``Dense(..., activation=...)``; ``DeadUnitMonitor``.
"""
try:
    import tensorflow as _tf  # noqa: F401
    import keras as _keras
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("fastact_keras needs TensorFlow and Keras 3: pip install 'fastact[keras]' "
                      f"({exc})") from None
if not _keras.__version__.startswith("3."):  # pragma: no cover
    raise ImportError(f"fastact_keras needs Keras 3, found Keras {_keras.__version__}: "
                      "pip install 'fastact[keras]'")

from fastact_keras import activations
from fastact_keras._layers import ELU, Activation, LeakyReLU, Maxout, PReLU, ReLU, Softmax
from fastact_keras._monitor import DeadUnitMonitor

__all__ = ["activations", "Activation", "ELU", "LeakyReLU", "Maxout", "PReLU", "ReLU", "Softmax", "DeadUnitMonitor"]
