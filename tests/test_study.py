"""benchmarks/study.py --quick: the report's structure and the plots (no assertion on timing or on
the claims themselves: a quick run has too few epochs for that)."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_study_writes_report_json_and_plots(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "study.py"), "--quick", "--out",
                        str(tmp_path)], capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert r.returncode == 0, r.stderr[-4000:]
    for heading in ("1. linearity", "2. convergence", "3. saturation", "4. dead units", "tanh/ReLU epochs"):
        assert heading in r.stdout
    with open(tmp_path / "study.json") as f:
        data = json.load(f)
    assert data["linearity"]["composed_map_max_abs_difference"] < 1e-4
    assert set(data["convergence"]["runs"]) == {"sigmoid", "tanh", "relu", "leaky_relu", "prelu", "maxout"}
    for run in data["convergence"]["runs"].values():
        assert run["train_error"] and len(run["train_error"]) == len(run["seconds"])
    for run in data["saturation"].values():
        assert len(run["grad_norm_per_layer_per_epoch"][0]) == 9   # 8 hidden Dense layers + logits
    for setting in data["dead_units"].values():
        assert set(setting) == {"relu", "leaky_relu", "prelu", "maxout"}
        for run in setting.values():
            assert len(run["dead_fraction_per_epoch"]) == 2
            assert all(0.0 <= v <= 1.0 for series in run["dead_fraction_per_epoch"].values() for v in series)
    for name in ("convergence.png", "gradient_norms.png", "dead_units.png"):
        path = tmp_path / name
        assert path.exists() and path.stat().st_size > 10_000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
