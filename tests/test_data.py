"""Tests for course.data, the bundled data files and the script that generates pass_fail.csv."""

import importlib.util
import pathlib
import socket
import sys
import types

import numpy as np
import pytest

from course import data
from helpers import write_idx

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that tries to open a connection."""

    def refuse(*args, **kwargs):
        raise AssertionError("the test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty, writable KERAS_HOME and HOME, so no real Keras cache is seen."""
    home, keras_dir = tmp_path / "home", tmp_path / "keras"
    home.mkdir()
    keras_dir.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(keras_dir))
    return keras_dir


def fake_mnist(n_train=12, n_test=5):
    rng = np.random.default_rng(1)
    return (
        (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_train, dtype=np.uint8)),
        (rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8)),
    )


def assert_same_splits(got, expected):
    for got_array, expected_array in zip(sum(got, ()), sum(expected, ())):
        assert got_array.dtype == np.uint8
        np.testing.assert_array_equal(got_array, expected_array)


# pass/fail


def test_pass_fail_shapes_and_labels():
    x, y = data.load_pass_fail()
    assert x.shape == (200, 2) and x.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.float32
    assert set(np.unique(y)) == {0.0, 1.0}
    assert x[:, 0].min() >= 0 and x[:, 0].max() <= 12 and np.all(x[:, 0] == np.round(x[:, 0]))
    assert x[:, 1].min() >= 0 and x[:, 1].max() <= 12
    assert 0.2 < y.mean() < 0.9  # both classes well represented


def test_student_at_4_5_is_a_likely_pass():
    x, y = data.load_pass_fail()
    neighbours = np.hypot(x[:, 0] - 4, x[:, 1] - 5) <= 1.5
    assert neighbours.sum() >= 5 and y[neighbours].mean() > 0.8

    # Logistic regression by gradient descent on standardised features.
    mean, std = x.mean(axis=0), x.std(axis=0)
    features = np.column_stack([(x - mean) / std, np.ones(len(x))])
    w = np.zeros(3)
    for _ in range(2000):
        p = 1 / (1 + np.exp(-features @ w))
        w -= 0.5 * features.T @ (p - y) / len(y)
    student = np.append((np.array([4, 5]) - mean) / std, 1)
    assert 1 / (1 + np.exp(-student @ w)) > 0.8
    # ... while the classes overlap: the fitted line does not separate them perfectly.
    assert 0 < np.mean((features @ w > 0) != y) < 0.2


def test_pass_fail_generator_is_byte_identical(tmp_path):
    spec = importlib.util.spec_from_file_location("make_pass_fail", REPO / "scripts" / "make_pass_fail.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = script.main(tmp_path / "pass_fail.csv")
    assert out.read_bytes() == (data.data_dir() / "pass_fail.csv").read_bytes()


def test_pass_fail_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        data.load_pass_fail(tmp_path / "nowhere.csv")


# bundled MNIST


def test_bundled_mnist_split():
    (x_train, y_train), (x_test, y_test) = data.load_mnist("bundled")
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    assert list(np.bincount(y_train, minlength=10)) == [400] * 10
    assert list(np.bincount(y_test, minlength=10)) == [100] * 10
    for labels in (y_train, y_test):
        assert np.any(np.diff(labels.astype(int)) < 0), "labels are sorted"
        assert len(set(labels[:50])) >= 8, "the first rows are not a mix of digits"
    train_images = {image.tobytes() for image in x_train}
    test_images = {image.tobytes() for image in x_test}
    assert len(train_images) == 4000 and len(test_images) == 1000
    assert not train_images & test_images
    assert x_train.max() == 255 and x_train.min() == 0


def test_auto_without_cache_uses_bundled_with_notice(keras_home, capsys):
    (x_train, y_train), (x_test, _) = data.load_mnist()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    captured = capsys.readouterr()
    assert captured.out.strip() == data.BUNDLED_NOTICE
    assert "5,000" in captured.out and captured.err == ""


def test_auto_quiet(keras_home, capsys):
    data.load_mnist(verbose=False)
    assert capsys.readouterr().out == ""


def test_auto_uses_keras_cache(keras_home, capsys):
    (datasets := keras_home / "datasets").mkdir()
    splits = fake_mnist()
    (x_train, y_train), (x_test, y_test) = splits
    np.savez(datasets / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

    assert_same_splits(data.load_mnist("auto"), splits)
    assert capsys.readouterr().out == ""
    assert data.keras_mnist_cache() == datasets / "mnist.npz"
    findings = data.availability()
    assert findings["full MNIST"].startswith(f"cached ({datasets / 'mnist.npz'})")
    assert findings["MNIST 5k subset"].startswith("found") and findings["pass/fail data"].startswith("found")


def test_keras_source_calls_keras_loader(monkeypatch):
    splits = fake_mnist()
    fake_keras = types.SimpleNamespace(
        datasets=types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=lambda: splits))
    )
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    assert data.load_mnist("keras") is splits


def test_availability_without_cache(keras_home):
    assert data.keras_mnist_cache() is None
    findings = data.availability()
    assert findings["full MNIST"].startswith("not cached")
    assert all(isinstance(finding, str) and "\n" not in finding for finding in findings.values())


# idx mirror


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path, suffix):
    splits = fake_mnist()
    arrays = dict(zip(["x_train", "y_train", "x_test", "y_test"], sum(splits, ())))
    for key, (name, magic) in data._IDX_FILES.items():
        write_idx(tmp_path / f"{name}{suffix}", arrays[key], magic)
    assert_same_splits(data.load_mnist("idx", path=tmp_path), splits)


def test_idx_missing_file_is_named(tmp_path):
    splits = fake_mnist()
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", splits[0][0], 0x0803)
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte") as error:
        data.load_mnist("idx", path=tmp_path)
    assert "\n" not in str(error.value)


def test_idx_bad_magic_is_named(tmp_path):
    splits = fake_mnist()
    arrays = dict(zip(["x_train", "y_train", "x_test", "y_test"], sum(splits, ())))
    for key, (name, magic) in data._IDX_FILES.items():
        write_idx(tmp_path / f"{name}.gz", arrays[key], magic)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", splits[1][1], 0x0803)  # image magic on a label file
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz is not an MNIST idx file"):
        data.load_mnist("idx", path=tmp_path)


def test_idx_needs_a_path():
    with pytest.raises(ValueError, match="path="):
        data.load_mnist("idx")


def test_unknown_source():
    with pytest.raises(ValueError, match="'auto', 'keras', 'bundled', 'idx'"):
        data.load_mnist("mnist.org")
