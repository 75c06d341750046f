"""The public NumPy-level functions, generated from the activation table (``_table.py``).

Each row gives ``NAME(x, *params, out=None, n_threads=None)`` and
``NAME_backward(grad, saved, *params, out=None, n_threads=None)`` with real signatures (so ``help()`` and
editors show the parameters) and docstrings.  They are generated as source, the way ``dataclasses`` does,
so that a call costs no more than a hand-written wrapper.
"""
from fastact import _core, _dispatch
from fastact._table import ACTIVATIONS

_COMMON_DOC = """
    out : ndarray, optional
        Where to write the result: the result's shape and dtype, any strides; may be {inplace}.
    n_threads : int, optional
        OpenMP threads for this call (default: ``fastact.get_num_threads()``); small arrays use one.

    Returns
    -------
    ndarray
        {what}, with {shape_of}'s shape; float16/bfloat16 are computed in float32, bool and integer
        inputs give float64.  Results are identical for every thread count.
"""


def _accuracy(row):
    if row.float32_ulp == 0:
        return "Exact (piecewise linear)."
    return (f"Accuracy: float32 <= {row.float32_ulp:g} ULP, float64 <= {row.float64_ulp:g} ULP "
            f"(tests/test_accuracy.py).")


def _param_doc(row):
    lines = []
    for p in row.params:
        default = "None" if p.default is None else repr(p.default)
        kind = "bool" if p.kind == "bool" else "float" + (" or None" if p.allow_none else "")
        lines.append(f"    {p.name} : {kind}, default {default}\n"
                     f"        {p.doc[:1].upper() + p.doc[1:]}.")
    return ("\n" + "\n".join(lines)) if lines else ""


def _docs(row):
    params = _param_doc(row)
    fwd = (f"{row.summary}\n\n    y = {row.formula}\n\n    {_accuracy(row)}\n\n"
           f"    Parameters\n    ----------\n    x : array_like\n        Input.{params}"
           + _COMMON_DOC.format(inplace="``x`` itself (in place)", what="y", shape_of="x")
           + f"\n    Examples\n    --------\n    >>> import numpy as np, fastact\n"
             f"    >>> y = fastact.{row.name}(np.linspace(-3, 3, 7, dtype=np.float32))\n")
    bwd = (f"Gradient of ``{row.name}``: dx = {row.derivative}.\n\n"
           f"    Parameters\n    ----------\n    grad : array_like\n        Gradient with respect to the "
           f"output y.\n    {row.saved} : array_like\n        The {'input x' if row.saved == 'x' else 'output y'}"
           f" of the forward pass; same shape as grad.{params}"
           + _COMMON_DOC.format(inplace=f"``grad`` or ``{row.saved}``", what="dx, in grad's dtype",
                                shape_of="grad")
           + f"\n    Examples\n    --------\n    >>> import numpy as np, fastact\n"
             f"    >>> x = np.linspace(-3, 3, 7)\n"
             f"    >>> {'y' if row.saved == 'y' else 'x'} = "
             f"{'fastact.' + row.name + '(x)' if row.saved == 'y' else 'x'}\n"
             f"    >>> dx = fastact.{row.name}_backward(np.ones_like(x), {row.saved})\n")
    return fwd, bwd


def _make(kid, row):
    sig = "".join(f", {p.name}={p.default!r}" for p in row.params)
    args = "(" + "".join(f"{p.name}, " for p in row.params) + ")"
    # A call with every parameter left at its default (the very default object) goes straight to the
    # kernels' plain call with the defaults' slots, validated here once: _core.forward's parameter
    # packing and checks cost ~200 ns (relu on 1000 float32 elements: 0.81 -> 0.63 us).  Anything the
    # plain call does not take (None back: other arrays, or an n_threads it leaves to the general path's
    # check) goes the general way.
    plain = " and ".join([f"{p.name} is _DEFAULTS[{i}]" for i, p in enumerate(row.params)]) or "True"
    call = f"_dispatch.kernels.plain_call({kid}, {{}}, out, _A, _B, _C, {row.serial_below}, n_threads)"
    src = (f"def {row.name}(x{sig}, out=None, n_threads=None):\n"
           f"    if {plain}:\n"
           f"        y = {call.format('x, None')}\n"
           f"        if y is not None:\n"
           f"            return y\n"
           f"    return _forward({kid}, _ROW, x, {args}, out, n_threads)\n"
           f"def {row.name}_backward(grad, {row.saved}{sig}, out=None, n_threads=None):\n"
           f"    if {plain} and {row.saved} is not None:\n"   # (the plain call reads None as a forward)
           f"        dx = {call.format('grad, ' + row.saved)}\n"
           f"        if dx is not None:\n"
           f"            return dx\n"
           f"    return _backward({kid}, _ROW, grad, {row.saved}, {args}, out, n_threads)\n")
    defaults = tuple(p.default for p in row.params)
    a, b, c = _core.pack_params(row, defaults)[0] if row.params else (0.0, 0.0, 0.0)
    namespace = {"_forward": _core.forward, "_backward": _core.backward, "_ROW": row, "_dispatch": _dispatch,
                 "_DEFAULTS": defaults, "_A": a, "_B": b, "_C": c}
    exec(compile(src, f"<fastact.{row.name}>", "exec"), namespace)
    fwd, bwd = namespace[row.name], namespace[row.name + "_backward"]
    fwd.__doc__, bwd.__doc__ = _docs(row)
    for f in (fwd, bwd):
        f.__module__ = "fastact"
        f.__defaults__ = defaults + (None, None)   # the very objects the plain test compares with
    return fwd, bwd


FUNCTIONS = {}
for _kid, _row in enumerate(ACTIVATIONS):
    FUNCTIONS[_row.name], FUNCTIONS[_row.name + "_backward"] = _make(_kid, _row)
    for _alias in _row.aliases:   # the same function objects under Keras's other names
        FUNCTIONS[_alias], FUNCTIONS[_alias + "_backward"] = FUNCTIONS[_row.name], FUNCTIONS[_row.name + "_backward"]
