"""benchmarks/speed.py as a tool: the plot it draws and the thread-scaling table (no assertion on timing);
the benchmark scripts' command-line errors."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastact

SPEED_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "speed.py"


@pytest.fixture(scope="module")
def speed():
    # benchmarks/ is not on sys.path under --import-mode=importlib: load the file itself.
    spec = importlib.util.spec_from_file_location("speed_tool_under_test", SPEED_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plot_writes_a_png(speed, tmp_path):
    pytest.importorskip("matplotlib")
    results = speed.run(kernels=["relu", "sigmoid"], sizes=[1000, 20000], repeats=1, target_s=0.002,
                        progress=False)
    path = speed.plot(results, speed.metadata(), tmp_path / "speed.png")
    assert path is not None and path.exists()
    data = path.read_bytes()
    assert data[:4] == b"\x89PNG"
    assert len(data) > 5_000


def test_scaling_table_has_a_row_per_case_and_a_column_per_thread_count(speed):
    data = speed.scaling(size=20000, max_threads=2, repeats=1, target_s=0.002, progress=False, peers=False)
    # every kernel whose rows fit 20000 elements: the elementwise ones, gelu's tanh form, the axis
    # functions on rows of 1000 (not those of 50000), then prelu and maxout
    rows = (list(speed.ACTIVATIONS) + list(speed.FORM_BENCH) + [r for r in speed.AXIS_BENCH if r.row_length == 1000]
            + list(speed.UNIT_BENCH))
    cases = [[row.name, direction] for row in rows for direction in speed.DIRECTIONS]
    assert data["thread_counts"] == [1, 2]
    assert [[c["kernel"], c["direction"]] for c in data["cases"]] == cases

    table = speed.scaling_table(data, speed.metadata(2))
    rows = [line for line in table.splitlines() if line.startswith("|")]
    head = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert head == ["kernel", "direction", "1 thread", "2 threads", "speed-up (max threads vs 1)"]
    body = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]
    assert [row[:2] for row in body] == cases
    for row in body:
        assert len(row) == len(head)
        # numbers (a loaded machine can make a 20000-element case show 0.00 Gelem/s at 2 decimals)
        assert all(float(cell) >= 0 for cell in row[2:])
    assert all(s["median_s"] > 0 for c in data["cases"] for s in c["threads"].values())
    assert all(c["torch_threads"] is None for c in data["cases"]) and len(rows) == 2 + len(cases)


def test_scaling_against_torch_at_the_given_thread_counts(speed):
    pytest.importorskip("torch")
    # sparsemax: no PyTorch function, so it has no row in the second table
    data = speed.scaling(kernels=["relu", "sparsemax"], size=20000, thread_counts=[2, 1, 2], repeats=2,
                         target_s=0.002, progress=False)
    assert data["thread_counts"] == [1, 2]
    for case in data["cases"]:
        assert sorted(case["threads"]) == ["1", "2"]
        if case["kernel"] == "relu":
            assert sorted(case["torch_threads"]) == ["1", "2"]
            assert all(s["max_rel_err"] == 0 for s in case["torch_threads"].values())
        else:
            assert case["torch_threads"] is None
    table = speed.scaling_table(data, speed.metadata(2))
    second = table.split("Against PyTorch")[1]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in second.splitlines() if line.startswith("|")]
    assert rows[0] == ["kernel", "direction", "1 thread", "2 threads", "torch Gelem/s (2)"]
    assert [row[:2] for row in rows[2:]] == [["relu", "forward"], ["relu", "backward"]]
    assert all(float(cell) > 0 for row in rows[2:] for cell in row[2:])
    with pytest.raises(ValueError, match="thread_counts"):
        speed.scaling(kernels=["relu"], size=1000, thread_counts=[0, 1], progress=False)
    for bad in (["--scaling", "--thread-counts", "0,2"], ["--thread-counts", "1,2"],
                ["--scaling", "--thread-counts", "1,2", "--max-threads", "2"]):
        with pytest.raises(SystemExit):
            speed.main(bad + ["--no-plot"] * ("--scaling" not in bad))


def test_scale_sets_the_data_and_is_reported(speed):
    x4, g4 = speed._data(1000, "float32", 0)
    x1, g1 = speed._data(1000, "float32", 0, scale=1.0)
    assert speed.DEFAULT_SCALE == 4.0
    assert (x4 == x1 * 4).all() and (g4 == g1).all()
    results = speed.run(kernels=["gelu"], sizes=[1000], repeats=1, target_s=0.002, progress=False, scale=1.0)
    assert "Data: x = 1 x standard normal" in speed.markdown_table(results, speed.metadata(1, 1.0))
    for bad in ("0", "-1", "nan", "inf"):
        with pytest.raises(SystemExit):
            speed.main(["--scale", bad, "--no-plot"])


def test_calls_alternate_between_two_input_sets(speed):
    # every candidate takes the two data sets in turn (a predictor learns the branches of an array timed
    # over and over), the first call on the first set (the one the warm-up results are compared on)
    turns = speed._alternating(lambda a, b: (a, b), [(1, 2), (3, 4)])
    assert [turns() for _ in range(3)] == [(1, 2), (3, 4), (1, 2)]
    (xa, ga), (xb, gb) = speed._data_sets(1000, "float32", 0)
    x0, g0 = speed._data(1000, "float32", 0)
    assert (xa == x0).all() and (ga == g0).all() and not (xa == xb).all() and not (ga == gb).all()
    sets = [(xa,), (xb,)]
    row = next(r for r in speed._rows(["tanh"]))
    cands = speed._candidates(row, "forward", "alloc", sets, np.empty_like(xa), 1, ())
    fa = cands["fastact"][0]
    np.testing.assert_array_equal(fa(), fastact.tanh(xa))
    np.testing.assert_array_equal(fa(), fastact.tanh(xb))
    assert "2 such sets" in speed.markdown_table(
        speed.run(kernels=["relu"], sizes=[1000], repeats=1, target_s=0.002, progress=False),
        speed.metadata(1))


def test_input_sets_one_times_every_call_on_the_same_arrays(speed):
    (x0, g0), = speed._data_sets(1000, "float32", 0, count=1)
    x, g = speed._data(1000, "float32", 0)
    assert (x0 == x).all() and (g0 == g).all()
    results = speed.run(kernels=["relu"], sizes=[1000], repeats=1, target_s=0.002, progress=False,
                        input_sets=1)
    meta = speed.metadata(1, input_sets=1)
    assert meta["input_sets"] == 1
    assert "the same arrays in every call" in speed.markdown_table(results, meta)
    with pytest.raises(ValueError, match="input_sets"):
        speed.run(kernels=["relu"], sizes=[1000], repeats=1, progress=False, input_sets=0)
    for bad in ("0", "-2"):
        with pytest.raises(SystemExit):
            speed.main(["--input-sets", bad, "--no-plot"])


def test_numexpr_peer_computes_each_function_in_the_inputs_dtype(speed):
    pytest.importorskip("numexpr")
    peer = next(p for p in speed.available_peers() if p.name == "numexpr")
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(5000) * 3).astype(dtype)
        g = rng.standard_normal(5000).astype(dtype)
        for (name, direction), (alloc, out_fn) in peer.ops.items():
            row = next(r for r in speed._rows([name]))
            inputs = speed._inputs(row, direction, x, g, 1)
            expected = speed._fastact_fn(row, direction)(*inputs)
            got = alloc(*inputs)
            assert got.dtype == dtype, (name, direction)
            np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-6, err_msg=f"{name} {direction}")
            buf = np.empty_like(expected)
            out_fn(*inputs, buf)
            np.testing.assert_array_equal(buf, got)


@pytest.mark.parametrize("n_threads", [1, 2, 3, 7])
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 1000, 100_003])
def test_parallel_copy_copies_every_byte(n_threads, size):
    # speed.py's memory-bandwidth reference: the parts are whole 64-byte lines, so with more threads than
    # lines some parts are empty and the last is short
    from fastact._openmp_helpers import parallel_copy
    rng = np.random.default_rng(size)
    for dtype in (np.float32, np.float64, np.uint8):
        src = rng.integers(0, 255, size * np.dtype(dtype).itemsize, dtype=np.uint8).view(dtype)
        dst = np.zeros_like(src)
        parallel_copy(src, dst, n_threads)
        assert dst.tobytes() == src.tobytes()


def test_parallel_copy_rejects_bad_arguments():
    from fastact._openmp_helpers import parallel_copy
    x = np.arange(100, dtype=np.float32)
    with pytest.raises(ValueError, match="same size"):
        parallel_copy(x, np.empty(99, np.float32), 2)
    with pytest.raises(ValueError, match="n_threads must be >= 1; got 0"):
        parallel_copy(x, np.empty_like(x), 0)
    with pytest.raises(TypeError, match="C-contiguous"):
        parallel_copy(x[::2], np.empty(50, np.float32), 2)
    readonly = np.empty_like(x)
    readonly.flags.writeable = False
    with pytest.raises(BufferError):
        parallel_copy(x, readonly, 2)


def test_copy_reference_threads_from_its_cut_off(speed):
    # the copy runs on the run's threads from COPY_THREADS_FROM bytes on, like a kernel past its serial
    # cut-off, and is np.copyto below it (a 2-thread copy of 4 KB timed the threads' start-up)
    for n, threads in ((1000, 2), (speed.COPY_THREADS_FROM // 4, 2), (speed.COPY_THREADS_FROM // 4, 1)):
        src = np.random.default_rng(n).standard_normal(n).astype(np.float32)
        dst = np.zeros_like(src)
        copy = speed._copy_into(dst, threads)
        copy(src)
        assert np.array_equal(dst, src)
        uses_threads = "parallel_copy" in copy.__code__.co_names
        assert uses_threads == (threads > 1 and src.nbytes >= speed.COPY_THREADS_FROM)


def test_prelu_and_maxout_are_timed_on_channels_last_arrays(speed):
    # (size / CHANNELS, CHANNELS) arrays, one slope per channel, CHANNELS / 2 units; prelu's backward
    # returns (dx, dalpha) and dx is what the peers are checked on; sizes that are no multiple of
    # CHANNELS are skipped
    results = speed.run(kernels=["prelu", "maxout"], sizes=[1000, 1050], repeats=1, target_s=0.002,
                        progress=False, out_variant=True)
    assert [(r["kernel"], r["direction"], r["variant"], r["size"]) for r in results] == [
        (k, d, v, 1000) for k in ("prelu", "maxout") for d in speed.DIRECTIONS for v in ("alloc", "out")]
    x, g = speed._data(1000, "float32", 0)
    prelu_in = speed._inputs(speed.UNIT_BENCH[0], "backward", x, g, 1)
    assert [a.shape for a in prelu_in] == [(10, speed.CHANNELS)] * 2 + [(speed.CHANNELS,)]
    maxout_in = speed._inputs(speed.UNIT_BENCH[1], "backward", x, g, 1)
    assert [a.shape for a in maxout_in] == [(10, speed.CHANNELS // 2), (10, speed.CHANNELS)]
    if any(p.name == "torch" for p in speed.available_peers()):
        for r in results:
            if r["variant"] == "alloc":
                assert r["candidates"]["torch"]["max_rel_err"] == 0, (r["kernel"], r["direction"])


BENCHMARKS = SPEED_PY.parent


@pytest.mark.parametrize("script, flags, flag", [
    ("speed.py", ["--sizes", "-5"], "--sizes"),
    ("speed.py", ["--sizes", "0"], "--sizes"),
    ("speed.py", ["--sizes", "1.5"], "--sizes"),
    ("speed.py", ["--sizes", "abc"], "--sizes"),
    ("speed.py", ["--kernels", ""], "--kernels"),
    ("speed.py", ["--kernels", "softmax", "--sizes", "500"], "--sizes"),
    ("units.py", ["--channels", "0"], "--channels"),
    ("units.py", ["--repeats", "0"], "--repeats"),
    ("units.py", ["--threads", "0"], "--threads"),
    ("units.py", ["--sizes", "abc"], "--sizes"),
    ("accuracy.py", ["--functions", "nope"], "--functions"),
    ("accuracy.py", ["--functions", "prelu"], "--functions"),
    ("accuracy.py", ["--axis-functions", "nope"], "--axis-functions"),
    ("accuracy.py", ["--step", "0"], "--step"),
    ("accuracy.py", ["--step", "-1"], "--step"),
    ("accuracy.py", ["--float64-samples", "-5"], "--float64-samples"),
    ("cutoff.py", ["--threads", "0"], "--threads"),
    ("cutoff.py", ["--threads", "-2"], "--threads"),
    ("fit_tables.py", ["nope"], "nope"),
])
def test_scripts_reject_bad_flag_values(tmp_path, script, flags, flag):
    # argparse's error (status 2, the flag and the value named), before any work: no traceback, no JSON
    json_path = tmp_path / "speed.json"
    extra = ["--json", str(json_path), "--no-plot"] if script == "speed.py" else []
    r = subprocess.run([sys.executable, str(BENCHMARKS / script), *flags, *extra], capture_output=True,
                       text=True, timeout=60, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert r.returncode == 2, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and flag in r.stderr.splitlines()[-1], r.stderr[-2000:]
    assert "<lambda>" not in r.stderr   # the type function's name reads in argparse's "invalid X value"
    assert flags[-1] in r.stderr and not json_path.exists()


@pytest.mark.parametrize("script", ["fit_tables.py", "fit_erfc.py"])
def test_fit_scripts_print_usage_on_help(script):
    pytest.importorskip("mpmath")
    r = subprocess.run([sys.executable, str(BENCHMARKS / script), "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.startswith(f"usage: {script}"), r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "max |P - target|" not in r.stdout
    if script == "fit_tables.py":
        assert "tanh_shrink" in r.stdout and "gelu_pd" in r.stdout
