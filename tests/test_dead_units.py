"""DeadUnitCounter: counts against the reference over axes, batches, dtypes, threads; errors."""
import numpy as np
import pytest

import fastact
from fastact import _reference as R


@pytest.mark.parametrize("shape, axis", [((500, 64), -1), ((32, 8, 8, 16), -1), ((16, 12, 9, 9), 1),
                                         ((64, 5000), 1), ((10, 4, 5, 6), (1, 2)), ((3000,), 0),
                                         ((50, 7, 3), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_counts_match_reference(shape, axis, dtype):
    rng = np.random.default_rng(0)
    counter = fastact.DeadUnitCounter(axis=axis)
    total = None
    for seed in range(3):
        x = (rng.standard_normal(shape) - 1.5).astype(dtype)
        x[..., :1] = -1  # some units never fire
        counter.update(x)
        c = R.positive_counts(x, axis if isinstance(axis, tuple) else (axis,))
        total = c if total is None else total + c
    np.testing.assert_array_equal(counter.counts, total)
    assert counter.dead_fraction == pytest.approx(np.mean(total == 0))
    np.testing.assert_array_equal(counter.dead, total == 0)


def test_thread_counts_and_layouts_agree():
    x = np.random.default_rng(1).standard_normal((4000, 96)).astype(np.float32) - 2
    ref = fastact.DeadUnitCounter(n_threads=1).update(x).counts
    for nt in (2, 3, 7):
        np.testing.assert_array_equal(fastact.DeadUnitCounter(n_threads=nt).update(x).counts, ref)
    np.testing.assert_array_equal(fastact.DeadUnitCounter().update(np.asfortranarray(x)).counts, ref)
    np.testing.assert_array_equal(fastact.DeadUnitCounter().update(x[::-1]).counts, ref)


def test_nan_is_not_firing_and_empty_batches():
    c = fastact.DeadUnitCounter()
    c.update(np.empty((0, 3)))
    assert c.dead.tolist() == [True, True, True] and c.n_samples == 0
    c.update(np.array([[np.nan, np.inf, -np.inf]]))
    assert c.dead.tolist() == [True, False, True] and c.n_samples == 1
    c.reset()
    with pytest.raises(ValueError, match="no data yet"):
        c.dead_fraction


def test_errors():
    c = fastact.DeadUnitCounter(axis=-1)
    c.update(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"units of shape \(4,\) on axis -1, but earlier batches had \(3,\)"):
        c.update(np.ones((2, 4)))
    with pytest.raises(TypeError, match="axis must be an integer or a tuple of integers, got 'a'"):
        fastact.DeadUnitCounter(axis="a")
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        fastact.DeadUnitCounter(axis=5).update(np.ones((2, 3)))
    with pytest.raises(ValueError, match="must name adjacent axes"):
        fastact.DeadUnitCounter(axis=(0, 2)).update(np.ones((2, 3, 4)))
    for axis in ((1, 1), (1, -2)):      # (it counted the units of axis 1 as if named once)
        with pytest.raises(ValueError, match=r"axis \(1, -?[12]\) repeats an axis of x \(shape \(2, 3, 4\)\)"):
            fastact.DeadUnitCounter(axis=axis).update(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="n_threads must be >= 1"):
        fastact.DeadUnitCounter(n_threads=0)
    with pytest.raises(TypeError, match="x has dtype complex"):
        fastact.DeadUnitCounter().update(np.ones(3, complex))


def test_concurrent_updates_of_one_counter():
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(9)
    batches = [(rng.standard_normal((3000, 40)) - 2).astype(np.float32) for _ in range(24)]
    serial = fastact.DeadUnitCounter()
    for b in batches:
        serial.update(b)
    shared = fastact.DeadUnitCounter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(shared.update, batches))
    np.testing.assert_array_equal(shared.counts, serial.counts)
    assert shared.n_samples == serial.n_samples == 24 * 3000


def test_reset_while_other_threads_update():
    # (an update between its check and its add found counts None after a reset: TypeError)
    import threading
    batch = np.random.default_rng(2).standard_normal((64, 8)).astype(np.float32)
    counter, errors, stop = fastact.DeadUnitCounter(), [], threading.Event()

    def updates():
        try:
            while not stop.is_set():
                counter.update(batch)
        except Exception as exc:       # pragma: no cover - the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=updates) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(3000):
        counter.reset()
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    if counter.counts is not None:
        assert counter.n_samples % 64 == 0 and counter.n_samples >= 64
        np.testing.assert_array_equal(counter.counts, (batch > 0).sum(axis=0) * (counter.n_samples // 64))
