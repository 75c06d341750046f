"""The bridge: TensorFlow ops whose forward and backward call fastact through ``tf.numpy_function``,
wrapped in ``tf.custom_gradient``, with a pure-TF twin for the places Python cannot run.

* Static shapes: ``numpy_function`` forgets them; every result gets its input's shape back.
* Dtypes: the kernels take float16/bfloat16/float32/float64 as they come (mixed_float16 stays float16).
* Outputs are allocated 64-byte aligned: TensorFlow adopts such a NumPy buffer as the result tensor,
  while it copies a merely 16-byte aligned one (13 ms of an 88 MB activation, measured).
* XLA (``jit_compile=True``) and SavedModel tracing (``model.export``, ``tf.saved_model.save``) cannot
  hold a Python callback: there the ops build the equivalent TF graph instead, so an exported model runs
  where fastact is not installed.  TensorFlow says when it is tracing for either.
"""
import re

import keras
import numpy as np
import tensorflow as tf

import fastact
from fastact._core import _FLOAT32_MAX, check_wide, pack_params
from fastact._table import ACTIVATIONS, AXIS_FUNCTIONS

SAVED = {row.name: row.saved for row in ACTIVATIONS + AXIS_FUNCTIONS}
_ELEMENTWISE = {row.name: row for row in ACTIVATIONS}

# Layers that want to watch activations (DeadUnitMonitor) register a callback here; called with the
# NumPy output of the forward pass, keyed by the op's ``tap`` name.
_taps = {}


def _in_pfor_body():
    """A graph being built under pfor's "loop_body" scope (a second one in the same graph is
    "loop_body_1"), or a function traced inside one (tf.vectorized_map(tf.function(f), x))."""
    from tensorflow.python.framework import ops
    graph = ops.get_default_graph()
    while graph is not None:
        if any(_PFOR_SCOPE.fullmatch(part) for part in graph.get_name_scope().split("/")):
            return True
        graph = getattr(graph, "outer_graph", None)
    return False


_PFOR_SCOPE = re.compile(r"loop_body(_\d+)?")


def pure_tf():
    """True where the graph being built cannot call back into Python (XLA, SavedModel export), or
    should not: inside tf.vectorized_map (tf.GradientTape.jacobian's too), which runs a
    numpy_function one element at a time in a while loop and loses its custom gradient there (the
    gradients were zeros); pfor builds its loop body under the name scope "loop_body"."""
    if not tf.executing_eagerly() and _in_pfor_body():
        return True
    try:
        from tensorflow.python.saved_model import save_context
        if save_context.in_save_context():
            return True
    except ImportError:  # pragma: no cover - internal module moved
        pass
    if tf.executing_eagerly():
        return False
    try:
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import control_flow_util
        return bool(control_flow_util.GraphOrParentsInXlaContext(ops.get_default_graph()))
    except ImportError:  # pragma: no cover
        return False


def _empty(shape, dtype):
    """An uninitialised array, 64-byte aligned (see the module docstring)."""
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buf = np.empty(nbytes + 64, np.uint8)
    start = -buf.ctypes.data % 64
    return buf[start:start + nbytes].view(dtype).reshape(shape)


def _numpy(fn, inputs, dtype, shape, name):
    out = tf.numpy_function(fn, inputs, dtype, stateful=False, name=name)
    out.set_shape(shape)
    return out


def _tapped(fn, tap):
    if tap is None:
        return fn

    def forward(*arrays):
        y = fn(*arrays)
        callback = _taps.get(tap)
        if callback is not None:
            callback(y)
        return y
    return forward


# ---- elementwise activations ----------------------------------------------------------------------

def _tf_relu(x, negative_slope, max_value, threshold):
    # Keras's own ops (its gradients at the kinks are the kernels'), a bound beyond the dtype as inf
    # (Keras cannot cast it; the clip to [0, inf] is the kernels' rule), and NaN carried through
    if max_value is not None and max_value > float(x.dtype.max):
        max_value = float("inf")
    if max_value is not None and abs(max_value) > _FLOAT32_MAX and max_value != float("inf"):
        # float64 with a bound beyond float32's range, which Keras would take through float32 (inf):
        # its composite, with the bound in float64
        dt = x.dtype
        pos = tf.where(x > tf.constant(threshold, dt), x, tf.zeros_like(x)) if threshold != 0 else tf.nn.relu(x)
        y = tf.clip_by_value(pos, tf.constant(0, dt), tf.constant(max_value, dt))
        if negative_slope != 0:
            y -= tf.constant(negative_slope, dt) * tf.nn.relu(tf.constant(threshold, dt) - x)
    else:
        y = keras.activations.relu(x, negative_slope=negative_slope, max_value=max_value, threshold=threshold)
    return tf.where(tf.math.is_nan(x), x, y)


def _tf_leaky_relu(x, alpha):
    # x at x = +-0 (its sign kept) with alpha as the gradient there, as Keras's leaky op and the kernels
    a = tf.constant(alpha, x.dtype)
    neg = tf.zeros_like(x) if alpha == 0 else a * x
    at_zero = tf.stop_gradient(x) - (tf.stop_gradient(a * x) - a * x)
    return tf.where((x > 0) | tf.math.is_nan(x), x, tf.where(x < 0, neg, at_zero))


def _last(x, axes):
    """(x with ``axes`` moved last, the permutation undoing it) for the row functions."""
    rank = x.shape.rank
    axes = [a % rank for a in (axes if isinstance(axes, (tuple, list)) else [axes])]
    perm = [i for i in range(rank) if i not in axes] + axes
    if perm == list(range(rank)):
        return x, None
    return tf.transpose(x, perm), [perm.index(i) for i in range(rank)]


def _tf_sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo): tau from the sorted values' partial sum at the support's end.
    (Keras 3.15's own sums all partial sums in the support, which is wrong when it holds more than one
    value.)  Rows holding NaN or +inf give NaN, as fastact's."""
    xt, undo = _last(x, axis)
    shape = tf.shape(xt)
    rows = tf.reshape(xt, [-1, shape[-1]])
    z = rows - tf.reduce_max(rows, axis=-1, keepdims=True)
    zs = tf.sort(z, direction="DESCENDING", axis=-1)
    csum = tf.cumsum(zs, axis=-1)
    k = tf.cast(tf.range(1, tf.shape(zs)[-1] + 1), x.dtype)
    ks = tf.maximum(tf.reduce_sum(tf.cast(1 + k * zs > csum, tf.int32), axis=-1, keepdims=True), 1)
    tau = (tf.gather(csum, ks - 1, axis=1, batch_dims=1) - 1) / tf.cast(ks, x.dtype)
    bad = tf.reduce_any(tf.math.is_nan(rows) | (rows == np.inf), axis=-1, keepdims=True)
    y = tf.where(bad, tf.cast(np.nan, x.dtype), tf.maximum(z - tau, 0))
    y = tf.reshape(y, shape)
    return y if undo is None else tf.transpose(y, undo)


def _tf_rowwise(fn):
    """keras.ops.softmax/log_softmax over one axis or several (merged into one, as fastact does)."""
    def run(x, axis=-1):
        if not isinstance(axis, (tuple, list)):
            return fn(x, axis=axis)
        xt, undo = _last(x, axis)
        shape = tf.shape(xt)
        merged = tf.concat([shape[:xt.shape.rank - len(axis)], [-1]], axis=0)
        y = tf.reshape(fn(tf.reshape(xt, merged), axis=-1), shape)
        return y if undo is None else tf.transpose(y, undo)
    return run


def _tf_glu(x, axis=-1):
    """a sigmoid(b), [a, b] = x's halves along ``axis``: tf.split takes an axis whose size is known only
    at run time (keras.ops.glu's check of its size failed on None: model.export() of glu on (None, None)
    inputs)."""
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.math.sigmoid(b)


PURE_TF = {
    "sigmoid": lambda x: tf.math.sigmoid(x),
    "tanh": lambda x: tf.math.tanh(x),
    "relu": _tf_relu,
    "leaky_relu": _tf_leaky_relu,
    "softmax": _tf_rowwise(keras.ops.softmax),
    "log_softmax": _tf_rowwise(keras.ops.log_softmax),
    "sparsemax": _tf_sparsemax,
    "glu": _tf_glu,
}
# The other rows: Keras's own TensorFlow formulation of the same function (its signature matches).
for _row in ACTIVATIONS:
    if _row.name not in PURE_TF:
        PURE_TF[_row.name] = getattr(keras.activations, _row.name)


def _lifted(t):
    """numpy_function cannot pass a 0-d bfloat16 tensor ("object __array__ method not producing an
    array"; PReLU's alpha on (batch,) inputs is one): such a tensor goes as shape (1,)."""
    return t.shape.rank == 0 and t.dtype == tf.bfloat16


def _lift(tensors):
    return [tf.reshape(t, [1]) if _lifted(t) else t for t in tensors]


def _lifted_shape(t, shape):
    """The shape of numpy_function's result for ``t`` (of result shape ``shape`` unless lifted)."""
    return tf.TensorShape([1]) if _lifted(t) else shape


# The ops that make the kernels' callbacks are not converted by AutoGraph (tf.map_fn applies it): it
# converted the callbacks too, whose calls of fastact's generated functions it could not read (a
# warning at every run of them)
_not_converted = tf.autograph.experimental.do_not_convert


def _tf_gradient(tf_impl, ins, dy):
    """The gradient of ``tf_impl`` at ``ins`` times ``dy``, by TensorFlow (a zero where unconnected)."""
    with tf.GradientTape() as tape:
        tape.watch(ins)
        ref = tf_impl(*ins)
    return tape.gradient(ref, list(ins), output_gradients=dy, unconnected_gradients=tf.UnconnectedGradients.ZERO)


def _forward_watched(tensors):
    """True where a ``tf.autodiff.ForwardAccumulator`` watches any of ``tensors``: forward-mode
    derivatives do not go through a numpy_function (the JVP was None eagerly, zeros in a graph, also
    for a Hessian-vector product taken as forward over backward), so the twin computes there."""
    try:
        from tensorflow.python import pywrap_tfe
        # (one entry per active accumulator, empty where it watches none of them)
        return any(pywrap_tfe.TFE_Py_PackJVPs(list(tensors))[0])
    except Exception:  # pragma: no cover - internal API moved: assume none watches
        return False


def _recorded(tensors):
    """True where a gradient tape records operations on ``tensors``."""
    try:
        from tensorflow.python.eager import record
        return bool(record.should_record_backprop(tensors))
    except Exception:  # pragma: no cover - internal module moved, or an argument it cannot take: assume it does
        return True


def _differentiable(fast, tf_impl, dy, ins):
    """``fast()`` (the kernels' gradient of ``tf_impl`` at ``ins`` times ``dy``), whose own gradient is
    the twin's second derivative: numpy_function has none, and a nested tape got None (eager, graph)
    for every variable reached through it."""
    @tf.custom_gradient
    def first(dy, *ins):
        def second(*upstream):
            upstream = [tf.zeros_like(t) if u is None else u for u, t in zip(upstream, ins)]
            with tf.GradientTape() as tape:
                tape.watch([dy, *ins])
                inner = _tf_gradient(tf_impl, ins, dy)
            return tape.gradient(inner, [dy, *ins], output_gradients=upstream,
                                 unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return fast(), second
    return first(dy, *ins)


def _bridged(name, inputs, tf_impl, forward, backward, out_shape, tap=None, backward_takes_output=False):
    """``tf_impl(*inputs)``, computed by ``forward(*arrays)`` through ``tf.numpy_function``, with the
    gradient ``backward(grad, *saved)`` -> one array per input, where ``saved`` is the inputs, or the
    output when ``backward_takes_output``.  Where Python cannot run (XLA, SavedModel tracing) the op is
    ``tf_impl`` itself, and so is its gradient."""
    if pure_tf() or _forward_watched(inputs):
        return tf_impl(*inputs)

    @tf.custom_gradient
    def op(*ins):
        y = _numpy(_tapped(forward, tap), _lift(ins), ins[0].dtype, _lifted_shape(ins[0], out_shape),
                   f"fastact_{name}")
        y = tf.reshape(y, []) if _lifted(ins[0]) else y

        def grad(dy):
            dy = tf.convert_to_tensor(dy)   # (an IndexedSlices where the output was gathered along axis 0)
            if pure_tf() or _forward_watched([dy, *ins]):  # inside an XLA or save trace, or forward mode
                return _tf_gradient(tf_impl, ins, dy)
            if not tf.executing_eagerly() or _recorded([dy, *ins]):
                # this gradient may be differentiated in turn (a gradient penalty, a Hessian-vector
                # product), which the kernels' numpy_function cannot be: in a graph it may always be
                # (tf.gradients of it: no tape to ask; the wrapper costs nothing at run time), eagerly
                # where a tape is watching
                return _differentiable(lambda: fast_grad(dy), tf_impl, dy, ins)
            return fast_grad(dy)

        def fast_grad(dy):
            saved = [y] if backward_takes_output else list(ins)
            grads = tf.numpy_function(backward, _lift([dy] + saved), [t.dtype for t in ins], stateful=False,
                                      name=f"fastact_{name}_backward")
            grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]  # one output comes bare
            for k, (g, t) in enumerate(zip(grads, ins)):
                g.set_shape(_lifted_shape(t, t.shape))
                grads[k] = tf.reshape(g, []) if _lifted(t) else g
            return grads
        return y, grad

    return op(*inputs)


@keras.saving.register_keras_serializable(package="fastact")
class ActivationOp(keras.Operation):
    """A fastact activation applied to a symbolic Keras input (``h = fastact_keras.activations.gelu(h)``
    while building a Functional model), a node of the model as a ``keras.activations`` call makes one:
    it runs ``activation`` on the model's tensors, and saves by name and parameters."""

    def __init__(self, activation, params=(), **kwargs):
        super().__init__(**kwargs)
        self.activation, self.params = activation, tuple(params)

    def call(self, x):
        return activation(self.activation, x, self.params)

    def compute_output_spec(self, x):
        shape = list(x.shape)
        if self.activation == "glu":
            axis = (self.params or (-1,))[0] % len(shape)
            shape[axis] = None if shape[axis] is None else shape[axis] // 2
        dtype = x.dtype if keras.backend.is_float_dtype(x.dtype) else keras.config.floatx()
        return keras.KerasTensor(tuple(shape), dtype=dtype)

    def get_config(self):
        return {"activation": self.activation, "params": list(self.params), "name": self.name}


@_not_converted
def activation(name, x, params=(), tap=None):
    """fastact.NAME on a tensor, with fastact.NAME_backward as its gradient."""
    if isinstance(x, keras.KerasTensor):
        return ActivationOp(name, params)(x)
    if isinstance(x, tf.RaggedTensor):
        if name not in _ELEMENTWISE:
            raise TypeError(f"x is a RaggedTensor, which fastact's {name} does not take (the elementwise "
                            f"functions do)")
        return tf.ragged.map_flat_values(lambda v: activation(name, v, params, tap), x)
    params = tuple(_number(v) for v in params)
    x = tf.convert_to_tensor(x)
    x = _as_float(x)
    if name == "glu":
        return glu(x, *params, tap=tap)
    if name in _ELEMENTWISE and params:
        row = _ELEMENTWISE[name]
        # a flag by its truth, as Keras takes it (TensorFlow's `if approximate:`; fastact itself asks
        # for True or False): gelu(x, approximate=1) is the tanh form
        params = tuple(bool(v) if p.kind == "bool" else v for p, v in zip(row.params, params))
        # fastact's own checks, at the call rather than inside the graph: the pure-TF twin takes the
        # same parameters and would otherwise take a NaN or out-of-range one without a word
        try:
            check_wide(pack_params(row, params)[1], x.dtype.as_numpy_dtype)
        except (TypeError, ValueError) as exc:
            raise type(exc)(_keras_names(name, str(exc))) from None
    fwd, bwd = getattr(fastact, name), getattr(fastact, name + "_backward")
    y = _bridged(
        name, [x], lambda v: PURE_TF[name](v, *params),
        lambda a: fwd(a, *params, out=_empty(a.shape, a.dtype)),
        lambda g, s: (bwd(g, s, *params, out=_empty(g.shape, g.dtype)),),
        x.shape, tap, backward_takes_output=SAVED[name] == "y")
    if name in ("softmax", "sigmoid"):
        _mark_logits(y, x)
    return y


def _as_float(x):
    """Integers and bool in Keras's float type (fastact would give float64, not the op's declared
    dtype); floats as they are; anything else (complex, strings) a TypeError naming it here, at the
    call, rather than from inside the graph when it runs."""
    if x.dtype.is_floating:
        return x
    if x.dtype.is_integer or x.dtype == tf.bool:
        return tf.cast(x, keras.config.floatx())
    raise TypeError(f"x has dtype {x.dtype.name}, which fastact does not support; use a float, integer or "
                    f"bool tensor")


def _number(value):
    """A parameter given as a scalar tensor or variable, as Keras takes it, as a Python number (a
    symbolic one cannot be: fastact's check then names it)."""
    if isinstance(value, (tf.Tensor, tf.Variable)) and value.shape.rank == 0:
        try:
            return value.numpy().item()
        except (AttributeError, NotImplementedError, TypeError):
            return value
    return value


def _keras_names(name, message):
    """A parameter's message in Keras's name for it (leaky_relu's alpha is Keras's negative_slope)."""
    if name == "leaky_relu":
        message = message.replace("alpha of leaky_relu", "negative_slope of leaky_relu")
        message = message.replace("got alpha=", "got negative_slope=")
    return message


def _mark_logits(y, logits):
    """Keras's mark on a softmax or sigmoid output (keras.activations.softmax/sigmoid set it): its
    crossentropy losses then start from the logits (log_softmax of them), not from the probabilities
    clipped at 1e-7.  Without it, a model ending in fastact's softmax had another loss and other
    gradients than the same model with Keras's (sparse categorical crossentropy 11.3 against 174.1)."""
    try:
        y._keras_logits = logits
    except AttributeError:      # (a C-type tensor, as Keras allows)
        pass


# ---- PReLU: alpha is an input, so its gradient comes from prelu_backward ----------------------------

def _tf_prelu(x, alpha):
    # mul_no_nan: +0 where alpha is 0, x = -inf too (the kernels' value), and alpha's gradient x
    # there all the same (a zero alpha, Keras's default initializer, must learn).  No gradient at
    # x = 0, to x or alpha, as Keras's relu(x) - alpha relu(-x).
    neg = tf.math.multiply_no_nan(x, alpha)
    return tf.where((x > 0) | tf.math.is_nan(x), x, tf.where(x < 0, neg, tf.stop_gradient(x)))


@_not_converted
def prelu(x, alpha, tap=None):
    x = _as_float(tf.convert_to_tensor(x))
    alpha = tf.convert_to_tensor(tf.cast(alpha, x.dtype))   # (cast passes a variable of x's dtype through)
    return _bridged(
        "prelu", [x, alpha], _tf_prelu,
        lambda a, al: fastact.prelu(a, al, out=_empty(a.shape, a.dtype)),
        lambda g, a, al: fastact.prelu_backward(g, a, al, out=_empty(g.shape, g.dtype)),
        x.shape, tap)


# ---- Maxout ------------------------------------------------------------------------------------------

def _tf_maxout(x, num_units, axis):
    """tfa.layers.Maxout's grouping (the axis reshaped into (k, num_units)) with the kernels' choice in
    each group: its first NaN, else its first maximum, which alone takes the gradient (reduce_max
    shares it among tied maxima: XLA and exported models trained apart from eager ones)."""
    shape = x.shape.as_list()
    dyn = tf.shape(x)
    shape = [dyn[i] if s is None else s for i, s in enumerate(shape)]
    ax = axis % len(shape)
    k = shape[ax] // num_units
    xr = tf.reshape(x, shape[:ax] + [k, num_units] + shape[ax + 1:])
    nan = tf.math.is_nan(xr)
    first = tf.where(tf.reduce_any(nan, axis=ax), tf.argmax(tf.cast(nan, tf.int32), axis=ax),
                     tf.argmax(tf.where(nan, tf.cast(-np.inf, x.dtype), xr), axis=ax))
    picked = tf.experimental.numpy.take_along_axis(xr, tf.expand_dims(first, ax), axis=ax)
    return tf.squeeze(picked, axis=ax)


def maxout_shape(shape, num_units, axis):
    shape = list(shape)
    shape[axis % len(shape)] = num_units
    return shape


@_not_converted
def maxout(x, num_units, axis, tap=None):
    x = _as_float(tf.convert_to_tensor(x))
    return _bridged(
        "maxout", [x], lambda v: _tf_maxout(v, num_units, axis),
        lambda a: fastact.maxout(a, num_units, axis, out=_empty(maxout_shape(a.shape, num_units, axis), a.dtype)),
        lambda g, a: (fastact.maxout_backward(g, a, num_units, axis, out=_empty(a.shape, a.dtype)),),
        maxout_shape(x.shape, num_units, axis), tap)


# ---- glu: its output has half of x's axis ----------------------------------------------------------

def glu_shape(shape, axis):
    shape = list(shape)
    ax = axis % len(shape)
    shape[ax] = None if shape[ax] is None else shape[ax] // 2
    return shape


@_not_converted
def glu(x, axis=-1, tap=None):
    x = _as_float(tf.convert_to_tensor(x))
    return _bridged(
        "glu", [x], lambda v: PURE_TF["glu"](v, axis),
        lambda a: fastact.glu(a, axis, out=_empty(glu_shape(a.shape, axis), a.dtype)),
        lambda g, a: (fastact.glu_backward(g, a, axis, out=_empty(a.shape, a.dtype)),),
        glu_shape(x.shape, axis), tap)
