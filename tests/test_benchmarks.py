"""Smoke tests: the benchmarks start, measure something and write their JSON.

The real measurements (`python benchmarks/labs.py`, `python benchmarks/cnn.py`) take
minutes and are not part of the test run; see benchmarks/README.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY_LAB = '''# %% [markdown]
# # Lab 99 — Smoke
#
# **Goals**
# - start
#
# **Time:** about 1 minute.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

# %% nbgrader={"grade": false, "grade_id": "double", "locked": false, "schema_version": 3, "solution": true, "task": false}
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_double", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert double(math.pi) == 2 * math.pi
print("✔ double doubles")

# %% [markdown]
# ## Summary
#
# Done.
'''


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, check=False)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_labs_benchmark_runs_a_lab_both_ways(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "lab99_smoke.py").write_text(TINY_LAB, encoding="utf-8")
    out = tmp_path / "labs.json"
    done = run("benchmarks/labs.py", "--root", str(tmp_path), "--runs", "1", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| lab99_smoke |" in done.stdout
    result = json.loads(out.read_text())["labs"][0]
    assert result["errors"] == []
    median = result["median"]
    assert median["score"] == median["max_score"] == 1
    assert median["bare_s"] > 0 and median["graded_s"] > 0 and median["peak_mb"] > 10


def test_labs_benchmark_rejects_an_unknown_lab(tmp_path):
    done = run("benchmarks/labs.py", "--labs", "lab00_nothing", "--out", str(tmp_path / "x.json"))
    assert done.returncode == 2 and "unknown lab" in done.stderr


@pytest.mark.timeout(300)
def test_cnn_benchmark_smoke_run(tmp_path):
    out = tmp_path / "cnn.json"
    done = run("benchmarks/cnn.py", "--smoke", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    datasets = [r["dataset"] for r in report["results"]]
    assert "mnist-subset" in datasets
    if Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file():
        assert "fashion-mnist" in datasets  # loaded through keras.datasets, offline
    for result in report["results"]:
        assert set(result["models"]) == {"lab07 recipe", "lab07 recipe without augmentation", "keras-io convnet"}
        for model in result["models"].values():
            assert model["images_per_s"] > 0 and 0 <= model["final_accuracy"] <= 1
    assert "| mnist-subset" in done.stdout
