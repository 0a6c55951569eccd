"""Tests for course.plots: every helper draws something and honours a given ax / fig."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 1, (30, 2)), rng.normal(2, 1, (30, 2))]).astype(np.float32)
    y = np.repeat([0, 1], 30)
    return x, y


def test_plot_activations():
    ax = plots.plot_activations({"sigmoid": sigmoid, "relu": lambda z: np.maximum(z, 0)})
    assert isinstance(ax, Axes)
    lines = [line for line in ax.lines if line.get_label() in ("sigmoid", "relu")]
    assert len(lines) == 2
    assert len(lines[0].get_xdata()) == 201 and lines[0].get_xdata()[0] == -5
    np.testing.assert_allclose(lines[1].get_ydata(), np.maximum(lines[1].get_xdata(), 0))


def test_plot_activations_given_ax_and_z():
    fig, ax = plt.subplots()
    assert plots.plot_activations({"tanh": np.tanh}, z=np.linspace(-1, 1, 5), ax=ax) is ax
    assert len(fig.axes) == 1


def test_plot_decision_boundary_binary(blobs):
    x, y = blobs
    ax = plots.plot_decision_boundary(lambda points: sigmoid(points.sum(axis=1, keepdims=True)), x, y)
    assert isinstance(ax, Axes)
    assert len(ax.collections) >= 3  # filled contour, threshold line, scatter
    assert ax.get_xlim()[0] < x[:, 0].min() and ax.get_xlim()[1] > x[:, 0].max()


def test_plot_decision_boundary_multiclass_and_given_ax(blobs):
    x, _ = blobs
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)  # classes 0, 1, 2

    def predict(points):
        return np.stack([-points.sum(axis=1), np.zeros(len(points)), points.sum(axis=1)], axis=1)

    fig, ax = plt.subplots()
    assert plots.plot_decision_boundary(predict, x, y, ax=ax, resolution=50) is ax
    assert len(ax.collections) >= 2 and len(fig.axes) == 1


def test_plot_decision_boundary_constant_prediction(blobs):
    """An untrained model can predict the same value everywhere: no threshold line, no crash."""
    x, y = blobs
    ax = plots.plot_decision_boundary(lambda points: np.full(len(points), 0.1), x, y, resolution=20)
    assert len(ax.collections) >= 2


def test_plot_loss_curves_from_dict_and_history():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.9]}
    ax = plots.plot_loss_curves(history)
    assert isinstance(ax, Axes)
    assert [line.get_label() for line in ax.lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])

    keras_like = type("History", (), {"history": history})()
    fig, ax = plt.subplots()
    assert plots.plot_loss_curves(keras_like, ax=ax, keys=["accuracy"], logy=True) is ax
    assert len(ax.lines) == 1 and ax.get_yscale() == "log"


def test_plot_loss_curves_from_list():
    ax = plots.plot_loss_curves(np.array([3.0, 2.0, 1.5, 1.2]))
    assert len(ax.lines) == 1
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3.0, 2.0, 1.5, 1.2])


def test_plot_loss_curves_unknown_key():
    with pytest.raises(KeyError, match="val_loss"):
        plots.plot_loss_curves({"loss": [1.0]}, keys=["val_loss"])


def test_plot_image_grid():
    images = np.random.default_rng(0).integers(0, 256, (12, 28, 28), dtype=np.uint8)
    fig = plots.plot_image_grid(images, labels=list(range(12)), ncols=5)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 15  # 3 rows of 5, the last 3 left blank
    assert sum(len(ax.images) for ax in fig.axes) == 12
    assert fig.axes[3].get_title() == "3"


def test_plot_image_grid_given_fig_and_channel_axis():
    fig = plt.figure()
    assert plots.plot_image_grid(np.zeros((3, 28, 28, 1)), fig=fig) is fig
    assert len(fig.axes) == 3 and all(len(ax.images) == 1 for ax in fig.axes)
