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


def test_plot_function_derivatives():
    functions = {"sigmoid": sigmoid, "relu": lambda z: np.maximum(z, 0), "step": lambda z: (z > 0) * 1.0}
    ax = plots.plot_function_derivatives(functions)
    assert isinstance(ax, Axes)
    lines = {line.get_label(): line for line in ax.lines if line.get_label() in functions}
    assert len(lines) == 3 and ax.get_ylabel() == "$g'(z)$" and ax.get_title()
    z = lines["sigmoid"].get_xdata()
    assert len(z) == 200 and not np.any(z == 0)  # no point on the kink of ReLU or the step's jump
    np.testing.assert_allclose(lines["sigmoid"].get_ydata(), sigmoid(z) * (1 - sigmoid(z)), atol=1e-6)
    np.testing.assert_allclose(lines["relu"].get_ydata(), (z > 0) * 1.0, atol=1e-9)
    np.testing.assert_array_equal(lines["step"].get_ydata(), np.zeros_like(z))
    assert lines["sigmoid"].get_linestyle() != lines["relu"].get_linestyle()
    assert lines["sigmoid"].get_linewidth() > lines["relu"].get_linewidth()  # later lines thinner


def test_plot_function_derivatives_given_ax_and_z():
    fig, ax = plt.subplots()
    assert plots.plot_function_derivatives({"tanh": np.tanh}, z=np.linspace(-1, 1, 5), ax=ax) is ax
    assert len(fig.axes) == 1
    line = next(line for line in ax.lines if line.get_label() == "tanh")
    np.testing.assert_allclose(line.get_ydata(), 1 - np.tanh(np.linspace(-1, 1, 5)) ** 2, atol=1e-6)


def test_plot_error_vs_step():
    h = np.logspace(-6, -1, 6)
    errors = {"forward": 6 * h, "central": h**2}
    errors["central"][0] = 0.0  # an exact result: left out of the log plot, no crash
    fig, ax = plt.subplots()
    assert plots.plot_error_vs_step(h, errors, ax=ax, slopes={"forward": 1, "central": 2}) is ax
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step h" and ax.get_title()
    assert [line.get_label() for line in ax.lines][:2] == ["forward", "central"]
    assert len(ax.lines) == 4  # two curves, two guides
    guide = ax.lines[3].get_ydata()
    np.testing.assert_allclose(guide, h**2 * (guide[-1] / h[-1] ** 2))  # slope 2, through the point at h = 0.1
    assert np.isclose(guide[-1], 0.01)
    assert ax.get_ylim()[0] == pytest.approx(1e-10 / 3)  # the range of the errors, not of the guides
    with pytest.raises(KeyError, match="backward"):
        plots.plot_error_vs_step(h, errors, slopes={"backward": 1})


def test_plot_contours_with_path():
    def bowl(points):
        return points[:, 0] ** 2 / 20 + points[:, 1] ** 2

    path = np.array([[-7.0, 2.0], [-6.0, -1.0], [-5.0, 0.5], [-4.0, -0.2]])
    ax = plots.plot_contours_with_path(bowl, path, minimum=(0.0, 0.0), levels=10, resolution=40)
    assert isinstance(ax, Axes)
    assert len(ax.collections) >= 1  # the contour lines
    assert [line.get_label() for line in ax.lines] == ["path (3 steps)", "start", "minimum"]
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), path)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < -7 and x1 > 0 and y0 < -1 and y1 > 2
    assert np.isclose(x1 - x0, y1 - y0) and ax.get_aspect() == 1.0  # a square window, one scale
    assert ax.get_xlabel() == "$w_1$" and ax.get_title()


def test_plot_contours_with_path_given_ax_and_flat_loss():
    fig, ax = plt.subplots()
    flat = plots.plot_contours_with_path(lambda points: np.zeros(len(points)), np.zeros((1, 2)), ax=ax,
                                         equal_aspect=False, resolution=10)
    assert flat is ax and len(fig.axes) == 1 and len(ax.lines) == 2  # a path of one point and its start


def test_plot_fits_1d():
    x = np.linspace(0, 1, 12)
    y = np.sin(2 * np.pi * x)
    fits = {"degree 1": np.poly1d(np.polyfit(x, y, 1)), "degree 9": np.poly1d(np.polyfit(x, y, 9))}
    fig, ax = plt.subplots()
    assert plots.plot_fits_1d(x, y, fits, ax=ax, truth=lambda t: np.sin(2 * np.pi * t)) is ax
    assert len(fig.axes) == 1 and len(ax.collections) == 1  # the points
    assert [line.get_label() for line in ax.lines] == ["degree 1", "degree 9", "true function"]
    assert len(ax.lines[0].get_xdata()) == 300
    low, high = ax.get_ylim()
    assert low < -1 and high > 1 and high - low < 4  # the data's range with a margin
    assert isinstance(plots.plot_fits_1d(x, y, {"mean": lambda t: np.zeros_like(t)}), Axes)


def test_plot_capacity_curve():
    degrees = np.arange(1, 8)
    train = 1.0 / degrees
    val = (degrees - 4.0) ** 2 + 0.5
    ax = plots.plot_capacity_curve(degrees, train, val, labels=("train", "val"), best_label="best {capacity:g}")
    assert isinstance(ax, Axes) and ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.lines] == ["train", "val", "best 4"]
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), [4, 4])
    assert [text.get_text() for text in ax.texts] == ["underfitting", "overfitting"]
    fig, ax = plt.subplots()
    assert plots.plot_capacity_curve(degrees, train, val, ax=ax, regions=None, logy=False) is ax
    assert not ax.texts and ax.get_yscale() == "linear"


def test_plot_validation_curves():
    curves = {"full": [1.0, 0.6, 0.5, 0.7, 0.9], "stopped": [1.0, 0.6, 0.5, 0.7]}
    fig, ax = plt.subplots()
    assert plots.plot_validation_curves(curves, ax=ax, stopped_at={"stopped": 4}) is ax
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["full", "stopped", "lowest: epoch 3", "lowest: epoch 3", "stopped: epoch 4"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4, 5])
    assert ax.lines[4].get_color() == ax.lines[1].get_color()
    assert ax.get_xlabel() == "epoch"
    with pytest.raises(KeyError, match="other"):
        plots.plot_validation_curves(curves, stopped_at={"other": 2})
    ax = plots.plot_validation_curves({"a": [3.0, 2.0]}, mark_best=False)
    assert len(ax.lines) == 1


def test_plot_search_scatter():
    rng = np.random.default_rng(0)
    lr, wd = 10 ** rng.uniform(-3, 0, 8), 10 ** rng.uniform(-6, -2, 8)
    scores = rng.uniform(0.1, 0.9, 8)
    scores[2] = np.nan  # a run that diverged
    fig, ax = plt.subplots()
    assert plots.plot_search_scatter(lr, wd, scores, ax=ax) is ax
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.collections) == 3  # finite trials, the failed one, the ring around the best
    best = int(np.nanargmax(scores))
    np.testing.assert_allclose(ax.collections[2].get_offsets()[0], [lr[best], wd[best]])
    assert ax.get_legend().get_texts()[0].get_text() == f"best: {scores[best]:.3g}"
    assert len(fig.axes) == 2  # the colour bar
    low = plots.plot_search_scatter(lr, wd, scores, higher_is_better=False)
    np.testing.assert_allclose(low.collections[2].get_offsets()[0],
                               [lr[int(np.nanargmin(scores))], wd[int(np.nanargmin(scores))]])


def test_plot_image_mosaic():
    images = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    ax = plots.plot_image_mosaic(images, row_labels=["a", "b"], col_labels=["x", "y", "z"], gap=1)
    assert isinstance(ax, Axes) and len(ax.images) == 1
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (2 * 4 + 1, 3 * 5 + 2)
    np.testing.assert_array_equal(mosaic[5:9, 6:11], images[1, 1])
    assert np.ma.getmaskarray(mosaic)[4].all() or np.isnan(np.asarray(mosaic[4], dtype=float)).all()  # the gap
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    fig, ax = plt.subplots()
    assert plots.plot_image_mosaic(images[..., None], ax=ax, scale_each=True) is ax
    scaled = np.asarray(ax.images[0].get_array(), dtype=float)
    assert np.nanmin(scaled[:4, :5]) == 0 and np.nanmax(scaled[:4, :5]) == 1  # each image on its own scale
    with pytest.raises(ValueError, match="rows, cols"):
        plots.plot_image_mosaic(np.zeros((3, 4, 5)))


def test_plot_receptive_fields():
    fig, ax = plt.subplots()
    assert plots.plot_receptive_fields(np.zeros((28, 28, 1)), {"conv 1": 3, "pool 2": 10}, ax=ax) is ax
    assert len(ax.images) == 1 and len(ax.patches) == 2
    square = ax.patches[1]
    assert square.get_width() == square.get_height() == 10 and square.get_xy() == (8.5, 8.5)  # pixels 9..18
    assert ax.patches[0].get_xy() == (12.5, 12.5)  # 3 x 3: pixels 13, 14, 15 around the centre 14
    assert ax.get_legend().get_texts()[0].get_text() == "conv 1: 3 × 3"
    ax = plots.plot_receptive_fields(np.zeros((8, 8)), {"a": 2}, center=(1, 2))
    assert ax.patches[0].get_xy() == (0.5, -0.5)


def test_plot_per_layer():
    values = {"small": [1e-3, 1e-5, 1e-7], "dead": [1e-2, 0.0, np.nan]}
    fig, ax = plt.subplots()
    assert plots.plot_per_layer(values, ax=ax) is ax
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "layer"
    assert [line.get_label() for line in ax.lines] == ["small", "dead"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    assert np.isnan(ax.lines[1].get_ydata()[1:]).all()  # 0 and NaN left out on the log axis
    linear = plots.plot_per_layer({"a": [0.0, 1.0]}, logy=False)
    assert linear.get_yscale() == "linear" and linear.lines[0].get_ydata()[0] == 0
