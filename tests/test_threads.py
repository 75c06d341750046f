"""Threads: OpenMP present, the thread-count rules, GIL release and concurrent calls."""
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastact
from fastact import _openmp_helpers, _threads
from fastact._table import ACTIVATIONS

NAMES = [row.name for row in ACTIVATIONS]


def run_python(code, **env):
    e = dict(os.environ)
    e.pop("OMP_NUM_THREADS", None)
    e.update(env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, cwd="/",
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.skipif(os.environ.get("FASTACT_NO_OPENMP", "0") not in ("", "0"),
                    reason="built with FASTACT_NO_OPENMP")
def test_normal_build_has_openmp():
    assert _openmp_helpers.openmp_enabled()
    assert fastact._config.config()["openmp"] is True


def test_default_is_cpus_available():
    out = run_python("import os, fastact; print(fastact.get_num_threads(), len(os.sched_getaffinity(0)))")
    n, cpus = map(int, out.split())
    assert n == cpus


@pytest.mark.parametrize("omp", ["1", "3", "5"])
def test_omp_num_threads_is_honoured(omp):
    assert run_python("import fastact; print(fastact.get_num_threads())", OMP_NUM_THREADS=omp) == omp


def test_threadpoolctl_limits_are_honoured():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = fastact.get_num_threads()
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fastact.get_num_threads() == 1
    assert fastact.get_num_threads() == before


def test_set_num_threads_and_precedence():
    try:
        fastact.set_num_threads(3)
        assert fastact.get_num_threads() == 3
        fastact.set_num_threads(1)
        assert fastact.get_num_threads() == 1
    finally:
        fastact.set_num_threads(None)
    assert fastact.get_num_threads() >= 1


def test_serial_cutoff():
    row = ACTIVATIONS[0]
    assert _threads.threads_for(4, row.serial_below - 1, row.serial_below) == 1
    assert _threads.threads_for(4, row.serial_below, row.serial_below) == 4
    assert _threads.threads_for(None, 10**9, row.serial_below) == fastact.get_num_threads()


@pytest.mark.parametrize("name", NAMES)
def test_concurrent_calls_from_python_threads(name):
    rng = np.random.default_rng(7)
    inputs = [(rng.standard_normal(200_000) * 5).astype(np.float32) for _ in range(16)]
    f = getattr(fastact, name)
    expected = [f(x, n_threads=1) for x in inputs]
    outs = [np.empty_like(x) for x in inputs]

    def work(i):
        for _ in range(3):
            f(inputs[i], out=outs[i], n_threads=2)
            np.testing.assert_array_equal(outs[i], expected[i])
            np.testing.assert_array_equal(f(inputs[i]), expected[i])
        return True

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, range(len(inputs))))


def test_gil_is_released():
    x = np.random.default_rng(8).standard_normal(20_000_000)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    start = counter[0]
    t0 = time.perf_counter()
    fastact.tanh(x, n_threads=1)
    elapsed = time.perf_counter() - t0
    during = counter[0] - start
    stop.set()
    t.join()
    # With the GIL held for the whole call the other thread could not count at all; released, it counts
    # freely (hundreds of thousands of increments per 100 ms).
    assert elapsed > 0.02 and during > 1000, (elapsed, during)


@pytest.mark.parametrize("n", [_threads.THREAD_LIMIT + 1, 32768, 2**31 - 1])
def test_thread_counts_beyond_the_limit_run_on_the_limit(n):
    # GNU OpenMP starts every thread asked for: 2^31 - 1 ended the process (out of memory), 32768
    # too (thread creation failed); the same bits on THREAD_LIMIT threads
    x = np.random.default_rng(0).standard_normal((600, 100)).astype(np.float32)
    assert _threads.threads_for(n, x.size, 1) == _threads.THREAD_LIMIT
    np.testing.assert_array_equal(fastact.relu(x, n_threads=n), fastact.relu(x, n_threads=1))
    np.testing.assert_array_equal(fastact.softmax(x, n_threads=n), fastact.softmax(x, n_threads=1))
    np.testing.assert_array_equal(fastact.softmax(x, axis=0, n_threads=n), fastact.softmax(x, axis=0, n_threads=1))
    dx, da = fastact.prelu_backward(x, x, np.full(100, 0.2, np.float32), n_threads=n)
    dx1, da1 = fastact.prelu_backward(x, x, np.full(100, 0.2, np.float32), n_threads=1)
    np.testing.assert_array_equal(dx, dx1)
    np.testing.assert_array_equal(da, da1)
    counter = fastact.DeadUnitCounter(n_threads=n).update(x)
    np.testing.assert_array_equal(counter.counts, fastact.DeadUnitCounter(n_threads=1).update(x).counts)
    try:
        fastact.set_num_threads(n)
        assert fastact.get_num_threads() == _threads.THREAD_LIMIT
        np.testing.assert_array_equal(fastact.gelu(x), fastact.gelu(x, n_threads=1))
    finally:
        fastact.set_num_threads(None)


FORK = """
import os, sys, numpy as np, fastact
x = np.ones(200_000, np.float32)
if {parallel}:
    fastact.relu(x, n_threads=2)                  # GNU OpenMP's threads start in this process
pid = os.fork()
if pid == 0:
    y = fastact.relu(x, n_threads=2)              # (waited forever for the parent's threads)
    y = fastact.softmax(x.reshape(200, 1000))
    os._exit(0 if fastact.get_num_threads() == {child_threads} and float(y.sum()) == 200.0 else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status), fastact.get_num_threads() >= 1)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
@pytest.mark.parametrize("parallel", [True, False])
def test_a_forked_child_runs_its_calls(parallel):
    # after parallel calls, a forked child runs on one thread (GNU OpenMP's threads are not in it);
    # before any, it keeps its threads
    code = FORK.format(parallel=parallel, child_threads=1 if parallel else "len(os.sched_getaffinity(0))")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=120,
                       env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "True"], (r.stdout, r.stderr)
