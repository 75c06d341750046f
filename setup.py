"""Build fastact's Cython extensions.

* The kernel template ``fastact/_kernels.pyx.tp`` is rendered once per SIMD level (the activation table in
  ``fastact/_table.py`` drives it) and compiled with that level's flags; ``fastact._dispatch`` picks the
  best one the running CPU supports.  No ``-march=native``: the wheel runs on any x86-64.
* OpenMP is detected by compiling and running a small program.  Without it (or with
  ``FASTACT_NO_OPENMP=1``) everything still builds and runs on one thread.
* ``FASTACT_CYTHON_CHECKS=1`` turns bounds/wraparound checks back on for debugging.
"""
import os
import platform
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "fastact")

# Never -ffast-math (NaN/inf semantics, and GCC 12 links crtfastmath.o which sets FTZ process-wide).
# -fno-trapping-math only tells GCC that FP exceptions do not trap (NumPy never enables traps); without it
# GCC will not turn the NaN-preserving clamps `v < c ? c : v` into vector selects, and the transcendental
# loops stay scalar.  Results (rounding, NaN, inf, signed zeros) are unaffected.
BASE_FLAGS = ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fno-semantic-interposition"]
SIMD_LEVELS = {
    "baseline": [],
    "avx2": ["-mavx2", "-mfma"],
    "avx512": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mavx2", "-mfma",
               "-mprefer-vector-width=512"],
}


def _is_x86_64():
    return platform.machine().lower() in ("x86_64", "amd64")


def render_kernels():
    """Write fastact/_kernels_<level>.pyx from the template; untouched files keep their timestamps."""
    from Cython import Tempita

    table = runpy.run_path(os.path.join(PKG, "_table.py"))
    with open(os.path.join(PKG, "_kernels.pyx.tp")) as f:
        template = Tempita.Template(f.read(), name="_kernels.pyx.tp")
    levels = list(SIMD_LEVELS) if _is_x86_64() else ["baseline"]
    for level in levels:
        text = template.substitute(rows=table["ACTIVATIONS"], level=level)
        path = os.path.join(PKG, f"_kernels_{level}.pyx")
        if not os.path.exists(path) or open(path).read() != text:
            with open(path, "w") as f:
                f.write(text)
    return levels


def openmp_flags(compiler):
    """Compile-and-run check: returns the flags for OpenMP, or [] (serial build) with a warning."""
    if os.environ.get("FASTACT_NO_OPENMP", "0") not in ("", "0"):
        print("fastact: FASTACT_NO_OPENMP set, building without OpenMP")
        return []
    flags = ["-fopenmp"]
    code = textwrap.dedent("""\
        #include <omp.h>
        #include <stdio.h>
        int main(void) {
            int n = 0;
            #pragma omp parallel num_threads(2) reduction(+:n)
            n += 1;
            printf("%d\\n", n);
            return 0;
        }
        """)
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "check_openmp.c")
        with open(src, "w") as f:
            f.write(code)
        objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
        exe = os.path.join(tmp, "check_openmp")
        compiler.link_executable(objs, exe, extra_postargs=flags)
        out = subprocess.run([exe], capture_output=True, text=True, timeout=60).stdout.strip()
        if out != "2":
            raise RuntimeError(f"test program printed {out!r}, expected '2'")
    except Exception as exc:  # any compiler/linker/runtime failure means: no OpenMP
        print(f"fastact: WARNING: OpenMP not available ({exc}); building a serial fastact")
        return []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return flags


class BuildExt(build_ext):
    def build_extensions(self):
        omp = openmp_flags(self.compiler)
        for ext in self.extensions:
            ext.extra_compile_args = BASE_FLAGS + ext.extra_compile_args + omp
            ext.extra_link_args = ext.extra_link_args + omp
        super().build_extensions()


def extensions():
    from Cython.Build import cythonize

    levels = render_kernels()
    checks = os.environ.get("FASTACT_CYTHON_CHECKS", "0") not in ("", "0")
    directives = dict(language_level=3, boundscheck=checks, wraparound=checks,
                      initializedcheck=checks, cdivision=not checks)
    import numpy

    exts = [Extension(f"fastact._kernels_{level}", [f"fastact/_kernels_{level}.pyx"],
                      include_dirs=["fastact", numpy.get_include()],
                      define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                      extra_compile_args=list(SIMD_LEVELS[level]),
                      depends=["fastact/_vmath.h", "fastact/_spans.h", "fastact/_spans_f64.h", "fastact/_spans_avx2.h",
                               "fastact/_convert.h", "fastact/_scalar.pxd", "fastact/_buffers.pxd"])
            for level in levels]
    exts += [Extension("fastact._buffers", ["fastact/_buffers.pyx"], include_dirs=[numpy.get_include()],
                       define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]),
             Extension("fastact._openmp_helpers", ["fastact/_openmp_helpers.pyx"]),
             Extension("fastact._cpu_features", ["fastact/_cpu_features.pyx"])]
    return cythonize(exts, compiler_directives=directives, include_path=["."],
                     nthreads=int(os.environ.get("FASTACT_BUILD_JOBS", os.cpu_count() or 1)))


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
