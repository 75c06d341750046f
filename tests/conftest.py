import numpy as np
import pytest

from fastact import _dispatch


@pytest.fixture(params=_dispatch.available_levels())
def simd_level(request):
    """Run the test once per SIMD level this CPU and build support."""
    previous = _dispatch.set_level(request.param)
    yield request.param
    _dispatch.set_level(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
