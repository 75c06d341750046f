"""Documentation matches the code: docstring examples run, and README's Python example runs."""
import doctest
import os
import re
import subprocess
import sys

import pytest

import fastact
from fastact import _axis, _dead_units, _maxout, _prelu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("module", [_prelu, _maxout, _axis, _dead_units])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", [n for n in fastact.__all__ if callable(getattr(fastact, n))])
def test_every_public_function_is_documented(name):
    assert getattr(fastact, name).__doc__


def test_readme_python_examples_run(tmp_path):
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert blocks
    script = tmp_path / "readme.py"
    script.write_text("\n".join(blocks))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
