"""One seeding helper makes runs repeatable; `course doctor` reports the machine."""

from __future__ import annotations

import random
from importlib.metadata import version

import keras
import numpy as np
import pytest
import tensorflow as tf

import course
from course import plots
from course.cli import main
from helpers import SANDBOX


def draw(seed: int) -> tuple:
    course.set_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dropout(0.5)])
    dropped = model(np.ones((2, 3), "float32"), training=True)
    return (random.random(), np.random.rand(3), np.asarray(keras.random.normal((3,))),
            model.get_weights()[0], np.asarray(dropped))


def test_same_seed_same_numbers_everywhere():
    first, second = draw(7), draw(7)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(draw(8)[3], first[3])


def test_set_seed_rejects_nonsense():
    with pytest.raises(ValueError, match="non-negative integer"):
        course.set_seed(-1)
    with pytest.raises(ValueError):
        course.set_seed("42")


def test_doctor_reports_versions_devices_and_data(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    findings = dict(line.split("  ", 1) for line in out.splitlines())  # "what<padding>  finding"
    findings = {what.strip(): finding.strip() for what, finding in findings.items()}
    assert list(findings) == ["python", "tensorflow", "keras", "devices", "gpu",
                              "pass/fail data", "MNIST 5k subset", "full MNIST", "sandbox", "CJK font"]
    assert findings["tensorflow"] == version("tensorflow")
    assert findings["keras"].startswith(f"{version('keras')} (backend: tensorflow)")
    gpus = len(tf.config.list_physical_devices("GPU"))
    assert findings["gpu"].startswith(f"{gpus} GPU(s)" if gpus else "no GPU found")
    assert findings["sandbox"] == SANDBOX.reason or SANDBOX.kind == "bwrap" and "bubblewrap works" in findings["sandbox"]
    font = plots.cjk_font()
    assert findings["CJK font"].startswith(font) if font else "apt-get install fonts-noto-cjk" in findings["CJK font"]


def test_doctor_says_how_to_get_a_cjk_font_when_there_is_none(monkeypatch):
    from course import doctor

    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    assert "keep English labels" in doctor.cjk_finding() and "fonts-noto-cjk" in doctor.cjk_finding()


def test_environment_line_names_the_device():
    line = course.environment_line()
    assert line.startswith(f"TensorFlow {version('tensorflow')} · Keras {version('keras')} · running on the ")
    assert line.endswith(("CPU", "GPU"))
