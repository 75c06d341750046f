"""The build: show_config, SIMD dispatch and its environment switch, the serial (no-OpenMP) build."""
import os
import shutil
import subprocess
import sys

import pytest

import fastact
from fastact import _dispatch
from fastact._table import ACTIVATIONS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, **env):
    e = dict(os.environ)
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, cwd="/",
                          timeout=300)


def test_show_config(capsys):
    fastact.show_config()
    out = capsys.readouterr().out
    assert f"fastact {fastact.__version__}" in out
    assert "OpenMP:" in out and "threads:" in out
    assert f"SIMD level:   {_dispatch.current_level()}" in out


def test_best_level_is_default():
    r = run_python("from fastact import _dispatch; print(_dispatch.current_level(), _dispatch.available_levels()[-1])",
                   FASTACT_SIMD="")
    assert r.returncode == 0, r.stderr
    level, best = r.stdout.split()
    assert level == best


@pytest.mark.parametrize("level", _dispatch.available_levels())
def test_fastact_simd_env_caps_level(level):
    r = run_python("import fastact; fastact.show_config()", FASTACT_SIMD=level)
    assert r.returncode == 0, r.stderr
    assert f"SIMD level:   {level}" in r.stdout


def test_fastact_simd_env_rejects_unknown():
    r = run_python("import fastact", FASTACT_SIMD="sse9")
    assert r.returncode != 0
    assert "FASTACT_SIMD must be one of baseline, avx2, avx512; got 'sse9'" in r.stderr


def test_x86_builds_every_level():
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("SIMD levels are built on x86-64 only")
    for level in _dispatch.LEVELS:
        assert _dispatch._built(level)


def test_every_row_has_kernels_reference_and_docs():
    from fastact import _reference
    for row in ACTIVATIONS:
        for name in (row.name, row.name + "_backward"):
            assert callable(getattr(fastact, name))
            assert callable(getattr(_reference, name))
            assert getattr(fastact, name).__doc__
        assert row.name in _dispatch.kernels.KERNEL_NAMES
    assert list(_dispatch.kernels.KERNEL_NAMES) == [row.name for row in ACTIVATIONS]


@pytest.mark.slow
def test_serial_build_without_openmp(tmp_path):
    """FASTACT_NO_OPENMP=1 builds a serial fastact that works and says so."""
    pytest.importorskip("Cython")
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "build", "*.so", "*.c", ".git",
                                                              "_kernels_*.pyx", "__pycache__"))
    env = dict(os.environ, FASTACT_NO_OPENMP="1")
    r = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=src, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    code = ("import numpy as np, fastact; from fastact import _openmp_helpers as o; "
            "print(o.openmp_enabled(), fastact.get_num_threads()); fastact.show_config(); "
            "x = np.linspace(-5, 5, 100001); "
            "np.testing.assert_allclose(fastact.sigmoid(x, n_threads=4), 1/(1+np.exp(-x)), rtol=1e-15)")
    r = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(src)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("False 1")
    assert "DISABLED (serial build)" in r.stdout


_PREFETCH_PROBE = r"""
#include "_spans.h"
#define PROBE(NAME, CALL) __attribute__((noinline)) void NAME(const void *a, const void *b, void *c, ptrdiff_t n) \
    { (void)a; (void)b; (void)c; CALL; }
PROBE(probe_sigmoid_f32, fa_sigmoid_f32_span(a, c, n, 1))
PROBE(probe_gelu_f32, fa_gelu_f32_span(a, c, n, 1))
PROBE(probe_silu_backward_f32, fa_silu_backward_f32_span(a, b, c, n, 0, 1))
PROBE(probe_softmax_backward_f32, fa_softmax_backward_f32_span(a, b, c, n, 64))
PROBE(probe_sigmoid_f64, fa_sigmoid_f64_span(a, c, n, 1))
PROBE(probe_elu_backward_f64, fa_elu_backward_f64_span(a, b, c, n, 1.0, 1))
PROBE(probe_softmax_backward_f64, fa_softmax_backward_f64_span(a, b, c, n, 64))
"""
# the AVX2 level's spans (_spans_avx2.h)
_PREFETCH_PROBE_AVX2 = r"""
#include "_spans.h"
#define PROBE(NAME, CALL) __attribute__((noinline)) void NAME(const void *a, const void *b, void *c, ptrdiff_t n) \
    { (void)a; (void)b; (void)c; CALL; }
PROBE(probe_sigmoid_f32, fa_sigmoid_f32_span(a, c, n, 1))
PROBE(probe_silu_f32, fa_silu_f32_span(a, c, n, 1))
PROBE(probe_softplus_backward_f32, fa_softplus_backward_f32_span(a, b, c, n, 0, 1))
"""
_PROBE_FLAGS = {"avx512": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mavx2", "-mfma",
                           "-mprefer-vector-width=512"],
                "avx2": ["-mavx2", "-mfma"]}


@pytest.mark.parametrize("level", ["avx512", "avx2"])
def test_spans_keep_their_prefetches(tmp_path, level):
    # GCC 12 once deleted every call of a plain `static inline` fa_prefetch made from always_inline code
    # (it judged the function free of side effects before inlining it): the row kernels never
    # prefetched, for sessions, unnoticed.  Compiled as the AVX-512 (AVX2) level is, each span asked to
    # prefetch must hold prefetch instructions (in its probe or in the functions the probe calls or jumps to).
    import re
    import sysconfig
    cc = shutil.which(os.environ.get("CC", "") or "gcc") or shutil.which("cc")
    if cc is None or sysconfig.get_platform().split("-")[-1] not in ("x86_64", "amd64"):
        pytest.skip("needs a C compiler for x86-64")
    src = tmp_path / "probe.c"
    probe = _PREFETCH_PROBE if level == "avx512" else _PREFETCH_PROBE_AVX2
    src.write_text(probe)
    flags = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fno-semantic-interposition", *_PROBE_FLAGS[level]]
    headers = os.path.dirname(fastact.__file__)
    r = subprocess.run([cc, *flags, "-I", headers, "-S", "-o", str(tmp_path / "probe.s"), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    bodies = {}
    for part in (tmp_path / "probe.s").read_text().split(".cfi_endproc"):
        m = re.search(r"^([A-Za-z_][\w.]*):\n(?:.*\n)*?\s*\.cfi_startproc", part, re.M)
        if m:
            bodies[m.group(1)] = part

    def prefetches(name, seen):
        if name in seen or name not in bodies:
            return 0
        seen.add(name)
        return bodies[name].count("prefetch") + sum(prefetches(t, seen)
                                                    for t in re.findall(r"\b(?:call|jmp)\s+([A-Za-z_][\w.]*)", bodies[name]))

    probes = re.findall(r"PROBE\((probe_\w+)", probe)
    counts = {name: prefetches(name, set()) for name in probes}
    assert all(n > 0 for n in counts.values()), counts


def test_importing_the_source_tree_says_what_to_do():
    # Python started in the checkout imports fastact/ from it, without its compiled modules
    if any(f.endswith(".so") for f in os.listdir(os.path.join(ROOT, "fastact"))):
        pytest.skip("the source tree holds compiled modules (an in-place build)")
    r = subprocess.run([sys.executable, "-c", "import fastact"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0
    assert "fastact's compiled modules are missing from" in r.stderr
    assert "pip install ." in r.stderr


def test_sdist_holds_what_builds_and_tests_need(tmp_path):
    import tarfile
    r = subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ["LICENSE", "pyproject.toml", "setup.py", "Makefile", "fastact/_kernels.pyx.tp",
                   "fastact/_scalar.pxd", "fastact/_spans.h", "fastact/_vmath.h", "fastact/_buffers.pyx",
                   "tests/conftest.py", "tests/test_docs.py", "benchmarks/speed.py", "docs/speed.png"]:
        assert needed in names, needed
    # Cython's output is generated at build time (13 MB of it); built modules never ship
    assert not [n for n in names if n.endswith((".c", ".so", ".pyc"))]
    assert not [n for n in names if n.startswith("fastact/_kernels_") and n.endswith(".pyx")]
