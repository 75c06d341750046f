"""The buffer pool: big new arrays on memory kept from fastact's own freed arrays (fastact/_buffers.pyx)."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastact
from fastact import _buffers

BIG = (_buffers.REUSE_FROM // 4) + 1000          # float32 elements: just over the pool's smallest array


@pytest.fixture(autouse=True)
def default_pool():
    fastact.set_buffer_pool(None)
    fastact.set_buffer_pool(0)      # start empty ...
    fastact.set_buffer_pool(None)   # ... with the default limit
    yield
    fastact.set_buffer_pool(None)


def big_x(seed=0, n=BIG, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(n).astype(dtype)


def addr(a):
    return a.__array_interface__["data"][0]


def leased(a):
    """Whether ``a`` (or what it views) sits on a pooled buffer."""
    while a is not None and not isinstance(a, _buffers._Lease):
        a = a.base
    return a is not None


CALLS = {
    "relu": (lambda x: fastact.relu(x), lambda x: np.maximum(x, 0)),
    "sigmoid_backward": (lambda x: fastact.sigmoid_backward(x, x), lambda x: x * x * (1 - x)),
    "softmax": (lambda x: fastact.softmax(x.reshape(-1, 1000)), None),
    "maxout_backward": (lambda x: fastact.maxout_backward(np.ones((x.size // 4, 2), np.float32),
                                                         x.reshape(-1, 4), 2), None),
    "glu_backward": (lambda x: fastact.glu_backward(np.ones((x.size // 1000, 500), np.float32),
                                                    x.reshape(-1, 1000)), None),
    "relu_fortran": (lambda x: fastact.relu(np.asfortranarray(x.reshape(1000, -1))),
                     lambda x: np.maximum(x.reshape(1000, -1), 0)),
    "tanh_strided": (lambda x: fastact.tanh(x.reshape(-1, 2)[:, :1]), None),   # general path, half the size
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_freed_big_output_is_reused_and_overwritten(name):
    call, expect = CALLS[name]
    n = BIG // 1000 * 1000 * (2 if name == "tanh_strided" else 1)
    x = big_x(n=n)
    first = call(x)
    assert leased(first)
    want = first.copy()
    if expect is not None:
        np.testing.assert_allclose(first, expect(x), rtol=1e-6)
    where, layout = addr(first), first.flags.f_contiguous and not first.flags.c_contiguous
    first[...] = np.nan                    # what a reused buffer holds must not show through
    del first
    assert fastact.get_buffer_pool()["held_buffers"] >= 1
    again = call(x)
    assert addr(again) == where
    assert (again.flags.f_contiguous and not again.flags.c_contiguous) == layout
    np.testing.assert_array_equal(again, want)


def test_live_arrays_and_views_never_share_a_buffer():
    xs = [big_x(seed) for seed in range(3)]
    ys = [fastact.relu(x) for x in xs]
    assert len({addr(y) for y in ys}) == 3
    view = ys.pop()[::7]                   # a view keeps its buffer out of the pool
    more = [fastact.relu(x) for x in xs[:2]]
    assert addr(view) not in {addr(y) for y in ys + more}
    np.testing.assert_array_equal(view, np.maximum(xs[2], 0)[::7])
    for x, y in zip(xs[:2] * 2, ys + more):
        np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_limit_and_release():
    fastact.set_buffer_pool(40 << 20)      # room for one 32 MiB buffer, not two
    ys = [fastact.relu(big_x(seed)) for seed in range(2)]
    del ys
    state = fastact.get_buffer_pool()
    assert state["max_bytes"] == 40 << 20 and state["min_bytes"] == _buffers.REUSE_FROM
    assert state["held_buffers"] == 1 and 0 < state["held_bytes"] <= 40 << 20
    fastact.set_buffer_pool(0)             # 0: nothing kept, nothing pooled
    assert fastact.get_buffer_pool()["held_bytes"] == 0
    y = fastact.relu(big_x())
    assert not leased(y)
    del y
    assert fastact.get_buffer_pool()["held_buffers"] == 0
    fastact.set_buffer_pool(None)
    assert fastact.get_buffer_pool()["max_bytes"] == _buffers.DEFAULT_MAX_BYTES


def test_small_arrays_are_not_pooled():
    y = fastact.relu(big_x(n=1000))
    assert not leased(y)
    y = fastact.relu(big_x(n=BIG - 2000))
    assert not leased(y)


def test_output_keeps_its_input_offset_mod_64():
    raw = big_x(n=BIG + 64)
    for shift in (0, 4, 9):
        x = raw[shift:shift + BIG]
        y = fastact.relu(x)
        assert leased(y) and (addr(y) - addr(x)) % 64 == 0


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8])
def test_empty(order, dtype):
    shape = (3, 5, _buffers.REUSE_FROM // 8)
    a = _buffers.empty(shape, dtype, order)
    assert a.shape == shape and a.dtype == dtype and a.flags.writeable
    assert a.flags.c_contiguous if order == "C" else a.flags.f_contiguous
    assert leased(a)
    assert not leased(_buffers.empty(7, dtype, order))


def test_threads_get_their_own_buffers():
    xs = [big_x(seed) for seed in range(4)]
    errors = []

    def work(x):
        try:
            for _ in range(4):
                y = fastact.sigmoid(x)
                z = fastact.relu(x)
                np.testing.assert_array_equal(z, np.maximum(x, 0))
                np.testing.assert_allclose(y, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-6)
        except Exception as e:      # noqa: BLE001 -- handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


@pytest.mark.parametrize("value, error", [(-1, ValueError), (1.5, TypeError), ("64", TypeError),
                                          (True, TypeError)])
def test_bad_limit(value, error):
    with pytest.raises(error, match="max_bytes"):
        fastact.set_buffer_pool(value)


def run_python(code, **env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, cwd="/",
                          timeout=120)


def test_environment_variable():
    r = run_python("import fastact; print(fastact.get_buffer_pool()['max_bytes'])", FASTACT_BUFFER_POOL="64")
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == 64 << 20
    r = run_python("import fastact", FASTACT_BUFFER_POOL="lots")
    assert r.returncode != 0 and "FASTACT_BUFFER_POOL" in r.stderr and "'lots'" in r.stderr


def test_show_config_states_the_pool(capsys):
    fastact.show_config()
    assert "buffer pool:  up to 256 MiB" in capsys.readouterr().out


def test_limits_beyond_a_machine_integer():
    # (OverflowError from the C conversion, at import too for the variable)
    with pytest.raises(ValueError, match=r"max_bytes must be <= 9223372036854775807, got 1180591620717411303424"):
        fastact.set_buffer_pool(2**70)
    r = run_python("import fastact", FASTACT_BUFFER_POOL="99999999999999")
    assert r.returncode != 0 and "FASTACT_BUFFER_POOL must be a whole number of MiB" in r.stderr
    assert "'99999999999999'" in r.stderr and "OverflowError" not in r.stderr
