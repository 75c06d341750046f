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
