"""Plotting helpers for the labs: activations, decision boundaries, loss curves, image grids.

Each `plot_*` draws on the given axes (or on a new figure when `ax` is None)
and returns them; nothing is saved to disk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import MaxNLocator


def plot_activations(
    functions: Mapping[str, Callable], z: np.ndarray | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """Plot activation functions g(z) side by side.

    Args:
        functions: name -> function mapping a float32 array (m,) to an array
            (or tensor) of the same shape, e.g. {"sigmoid": sigmoid, "relu": relu}.
        z: float array (m,) of inputs; default 201 points from -5 to 5.
        ax: axes to draw on; default: a new figure.

    Returns:
        The axes, with one line per function.
    """
    z = np.linspace(-5, 5, 201, dtype=np.float32) if z is None else np.asarray(z)
    ax = ax if ax is not None else plt.figure().add_subplot()
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.axvline(0, color="0.8", linewidth=0.8)
    for name, function in functions.items():
        ax.plot(z, np.asarray(function(z)).reshape(z.shape), label=name)
    ax.set(xlabel="z", ylabel="g(z)", title="Activation functions")
    ax.legend()
    return ax


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    ax: plt.Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    threshold: float = 0.5,
) -> plt.Axes:
    """Shade what a 2-feature classifier predicts over the plane and scatter the data on top.

    Binary problems (labels 0/1 and one score per point) get the score as a
    filled contour plus a black line where it crosses `threshold`; multi-class
    problems get the predicted class (argmax of the scores, or the class ids
    `predict` returns) as filled regions.

    Args:
        predict: maps a float32 array (m, 2) to scores or probabilities (m,) or
            (m, 1), class scores (m, k), or class ids (m,); e.g. `model.predict`
            or a NumPy function.
        x: float array (n, 2) of points.
        y: int or float array (n,) of labels 0..k-1 (or one-hot (n, k)).
        ax: axes to draw on; default: a new figure.
        resolution: grid points per axis.
        padding: margin added around the data range, in feature units.
        threshold: binary decision threshold (0.5 for probabilities, 0 for logits).

    Returns:
        The axes.
    """
    x = np.asarray(x, dtype=np.float32)
    labels = np.asarray(y).reshape(len(x), -1)
    labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels.ravel().astype(int)
    ax = ax if ax is not None else plt.figure().add_subplot()

    (x0_min, x1_min), (x0_max, x1_max) = x.min(axis=0) - padding, x.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x0_min, x0_max, resolution), np.linspace(x1_min, x1_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    scores = np.asarray(predict(grid)).reshape(len(grid), -1)

    num_classes = max(int(labels.max()) + 1, scores.shape[1], 2)
    if num_classes == 2 and scores.shape[1] == 1:
        z = scores.reshape(xx.shape)
        ax.contourf(xx, yy, z, levels=20, cmap="RdBu", alpha=0.6)
        if z.min() < threshold < z.max():
            ax.contour(xx, yy, z, levels=[threshold], colors="k", linewidths=1.5)
        points = ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="RdBu", vmin=0, vmax=1, edgecolors="k")
    else:
        classes = scores.argmax(axis=1) if scores.shape[1] > 1 else np.rint(scores.ravel())
        norm = BoundaryNorm(np.arange(11) - 0.5, 10)  # class i -> i-th colour of tab10
        levels = np.arange(num_classes + 1) - 0.5
        ax.contourf(xx, yy, classes.reshape(xx.shape), levels=levels, cmap="tab10", norm=norm, alpha=0.4)
        points = ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="tab10", norm=norm, edgecolors="k")
    ax.legend(*points.legend_elements(), title="class")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", xlim=(x0_min, x0_max), ylim=(x1_min, x1_max))
    return ax


def plot_loss_curves(
    history,
    ax: plt.Axes | None = None,
    keys: Sequence[str] | None = None,
    logy: bool = False,
) -> plt.Axes:
    """Plot training curves against the epoch number (starting at 1).

    Args:
        history: a `keras.callbacks.History`, a dict of per-epoch lists (like
            `history.history`), or one list/array of losses (n_epochs,).
        ax: axes to draw on; default: a new figure.
        keys: which curves to draw; default: every key containing "loss"
            (all keys when none does).
        logy: use a logarithmic y axis.

    Returns:
        The axes, with one line per key.
    """
    history = getattr(history, "history", history)
    if not isinstance(history, Mapping):
        history = {"loss": history}
    if keys is None:
        keys = [key for key in history if "loss" in key] or list(history)
    missing = [key for key in keys if key not in history]
    if missing:
        raise KeyError(f"no {missing[0]!r} in the history; available: {', '.join(history)}")
    ax = ax if ax is not None else plt.figure().add_subplot()
    for key in keys:
        values = np.asarray(history[key], dtype=float).ravel()
        ax.plot(np.arange(1, len(values) + 1), values, marker="o" if len(values) <= 30 else None, label=key)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="epoch", ylabel="loss" if all("loss" in key for key in keys) else "value")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax


def plot_image_grid(
    images: np.ndarray, labels: Sequence | None = None, ncols: int = 10, fig: plt.Figure | None = None
) -> plt.Figure:
    """Show images (e.g. MNIST digits) in a grid, one small axes per image.

    Unlike the other helpers this takes and returns a figure, because it needs
    one axes per image.

    Args:
        images: array (n, height, width) or (n, height, width, 1), any numeric dtype.
        labels: optional (n,) labels (or any strings) shown above each image.
        ncols: images per row.
        fig: figure to draw on; default: a new figure sized to the grid.

    Returns:
        The figure.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    fig = fig if fig is not None else plt.figure(figsize=(1.2 * ncols, 1.4 * nrows))
    for i, ax in enumerate(fig.subplots(nrows, ncols, squeeze=False).ravel()):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9)
    return fig
