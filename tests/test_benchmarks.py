"""Smoke tests: the benchmarks start, measure something and write their JSON.

The real measurements (`python benchmarks/labs.py`, `python benchmarks/cnn.py`) take
minutes and are not part of the test run; see benchmarks/README.md.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import write_idx

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


def load_cnn_benchmark():
    spec = importlib.util.spec_from_file_location("cnn_benchmark", ROOT / "benchmarks" / "cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def a_run(seed, accuracy, seconds, reached):
    return {"seed": seed, "params": 10, "epochs": [{"epoch": 1}], "train_s": seconds, "images_per_s": 100,
            "final_accuracy": accuracy, "time_to": {"0.985": reached}, "device": "cpu"}


def test_cnn_benchmark_summarizes_seeds_by_their_median():
    summary = load_cnn_benchmark().summarize([a_run(0, 0.984, 30.0, None), a_run(1, 0.987, 20.0, 15.0),
                                              a_run(2, 0.986, 40.0, 12.0)])
    assert summary["seeds"] == [0, 1, 2]
    assert summary["final_accuracy"] == 0.986 and summary["final_accuracy_range"] == [0.984, 0.987]
    assert summary["train_s"] == 30.0
    assert summary["time_to"] == {"0.985": None}  # one seed never reached it
    assert len(summary["runs"]) == 3
    both = load_cnn_benchmark().summarize([a_run(0, 0.99, 30.0, 14.0), a_run(1, 0.99, 30.0, 10.0)])
    assert both["time_to"] == {"0.985": 12.0}


@pytest.mark.timeout(300)
def test_cnn_benchmark_smoke_run(tmp_path):
    from course import data

    (x_train, y_train), (x_test, y_test) = data.load_mnist(source="bundled", verbose=False)
    official = tmp_path / "mnist-idx"  # stands in for MNIST's official files
    official.mkdir()
    arrays = {"x_train": x_train[:600], "y_train": y_train[:600], "x_test": x_test[:600], "y_test": y_test[:600]}
    for key, (name, magic) in data._IDX_FILES.items():
        write_idx(official / f"{name}.gz", arrays[key], magic)
    out = tmp_path / "cnn.json"
    done = run("benchmarks/cnn.py", "--smoke", "--mnist-idx", str(official), "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    datasets = [r["dataset"] for r in report["results"]]
    assert "mnist-subset" in datasets and "mnist-official" in datasets
    if Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file():
        assert "fashion-mnist" in datasets  # loaded through keras.datasets, offline
    for result in report["results"]:
        assert set(result["models"]) == {"lab07 recipe", "lab07 recipe without augmentation", "keras-io convnet"}
        for model in result["models"].values():
            assert model["images_per_s"] > 0 and 0 <= model["final_accuracy"] <= 1 and model["seeds"] == [42]
    assert "| mnist-subset" in done.stdout
