"""One seeding helper makes runs repeatable; `course doctor` reports the machine."""

from __future__ import annotations

import random

import keras
import numpy as np
import pytest

import course
from course.cli import main


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
    for what in ("python", "tensorflow", "keras", "devices", "gpu", "MNIST 5k subset", "full MNIST"):
        assert what in out
    assert "2.21" in out
    assert "no GPU found" in out or "GPU(s)" in out


def test_environment_line_names_the_device():
    line = course.environment_line()
    assert line.startswith("TensorFlow 2.21") and ("CPU" in line or "GPU" in line)
