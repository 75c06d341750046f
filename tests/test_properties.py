"""Property tests (hypothesis): any shape, dtype and value, fast == reference."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fastact
from fastact._table import ACTIVATIONS
from fastact._testing import assert_backward_matches, assert_matches_reference, reference

ROWS = {row.name: row for row in ACTIVATIONS}

dtypes = st.sampled_from([np.float32, np.float64])
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7)


@st.composite
def arrays(draw):
    dtype = draw(dtypes)
    return draw(hnp.arrays(dtype, shapes, elements=st.floats(allow_nan=True, allow_infinity=True,
                                                              width=np.dtype(dtype).itemsize * 8)))


def param_values(p):
    if p.kind == "bool":
        return st.booleans()
    if p.allow_none:
        return st.one_of(st.none(), st.floats(0, 10))
    values = st.floats(p.minimum if p.minimum is not None else -2, 2)
    return values.filter(lambda v: abs(v) >= 1.2e-38) if p.nonzero else values


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(ROWS)), x=arrays(), data=st.data())
def test_forward_any_array(name, x, data):
    row = ROWS[name]
    params = tuple(data.draw(param_values(p), label=p.name) for p in row.params)
    y = getattr(fastact, name)(x, *params)
    assert y.shape == x.shape and y.dtype == x.dtype
    bound = row.float32_ulp if x.dtype == np.float32 else row.float64_ulp
    assert_matches_reference(y, reference(name, x, *params), x.dtype, bound)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(ROWS)), x=arrays(), data=st.data())
def test_backward_any_array(name, x, data):
    row = ROWS[name]
    g = data.draw(hnp.arrays(x.dtype, x.shape, elements=st.floats(-1e3, 1e3, width=x.dtype.itemsize * 8)))
    saved = getattr(fastact, name)(x) if row.saved == "y" else x
    dx = getattr(fastact, name + "_backward")(g, saved)
    assert_backward_matches(row, dx, reference(name + "_backward", g, saved), g, saved, x.dtype)


@settings(max_examples=100, deadline=None)
@given(x=arrays(), step=st.integers(1, 3), reverse=st.booleans())
def test_views_equal_copies(x, step, reverse):
    if x.ndim == 0:
        return
    view = x[::-step] if reverse else x[::step]
    for name in ROWS:
        np.testing.assert_array_equal(getattr(fastact, name)(view), getattr(fastact, name)(view.copy()))
