"""Plotting helpers for the labs: activations, decision boundaries, loss curves, image grids.

Each `plot_*` draws on the given axes (or on a new figure when `ax` is None)
and returns them; nothing is saved to disk.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import MaxNLocator

# Fonts that draw simplified Chinese: Debian/Ubuntu's fonts-noto-cjk, then Windows', macOS' and others'.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Microsoft YaHei", "SimHei",
             "PingFang SC", "Hiragino Sans GB", "Heiti SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Arial Unicode MS")
CJK_FILE_HINTS = ("CJK", "YaHei", "msyh", "simhei", "PingFang", "Hiragino", "Heiti", "SourceHan", "wqy")
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
                "/System/Library/Fonts", "/Library/Fonts", "~/Library/Fonts", "C:/Windows/Fonts")


@functools.lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """The name of an installed font that draws Chinese, or None.

    Looks in matplotlib's font list first and, when it has none (a font installed after
    matplotlib built its cache), once through the usual font folders (read directly: asking
    fontconfig would start a process, which a grading kernel may not).
    """
    def known() -> set[str]:
        return {font.name for font in font_manager.fontManager.ttflist}

    if not known() & set(CJK_FONTS):
        folders = [Path(folder).expanduser() for folder in FONT_FOLDERS]
        files = [f for folder in folders if folder.is_dir()
                 for f in font_manager.list_fonts(str(folder), ["ttf", "otf", "ttc"])]
        for path in files:
            if any(hint.lower() in Path(path).name.lower() for hint in CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                    continue
    return next((name for name in CJK_FONTS if name in known()), None)


def use_cjk_font() -> str | None:
    """Draw plot text with a CJK font when one is installed (for Chinese labels).

    Returns:
        The font's name, or None when there is none (labels then stay in English).
    """
    font = cjk_font()
    if font is not None and plt.rcParams["font.sans-serif"][:1] != [font]:
        plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
        plt.rcParams["font.family"] = "sans-serif"
        plt.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack the Unicode minus sign
    return font


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


def plot_function_derivatives(
    functions: Mapping[str, Callable],
    z: np.ndarray | None = None,
    ax: plt.Axes | None = None,
    h: float = 1e-4,
) -> plt.Axes:
    """Plot the slopes g'(z) of functions, estimated by central differences.

    Each slope is (g(z + h) - g(z - h)) / (2h), so any function works, even one
    without a formula for its derivative. Where g jumps (a step at 0) the estimate
    is about 1 / (2h) rather than a slope, so the default grid has an even number
    of points, none of them exactly 0. Curves that lie on top of each other stay
    visible: the lines cycle through four styles, and each is thinner than the one before.

    Args:
        functions: name -> function mapping a float64 array (m,) to an array
            (or tensor) of the same shape, e.g. {"sigmoid": sigmoid, "relu": relu}.
        z: float array (m,) of inputs; default 200 points from -5 to 5.
        ax: axes to draw on; default: a new figure.
        h: half-width of the central difference, a small positive float.

    Returns:
        The axes, with one line per function (plus the grey lines z = 0 and g' = 0).
    """
    z = np.linspace(-5, 5, 200) if z is None else np.asarray(z, dtype=np.float64)
    ax = ax if ax is not None else plt.figure().add_subplot()
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.axvline(0, color="0.8", linewidth=0.8)
    styles = ["-", "--", "-.", ":"]
    for i, (name, function) in enumerate(functions.items()):
        def values(points, function=function):
            return np.asarray(function(points), dtype=np.float64).reshape(z.shape)

        ax.plot(z, (values(z + h) - values(z - h)) / (2 * h), linestyle=styles[i % len(styles)],
                linewidth=max(3.0 - 0.5 * i, 1.0), label=name)
    ax.set(xlabel="z", ylabel="$g'(z)$", title="Slopes of the activation functions")
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


def plot_error_vs_step(
    steps: np.ndarray,
    errors: Mapping[str, np.ndarray],
    ax: plt.Axes | None = None,
    slopes: Mapping[str, float] | None = None,
) -> plt.Axes:
    """Log-log plot of approximation errors against the step h (e.g. of numerical derivatives).

    An error proportional to h**p is a straight line of slope p on these axes.

    Args:
        steps: float array (m,) of positive steps h.
        errors: name -> float array (m,) of absolute errors, one per step. Errors of
            exactly 0, which a log axis cannot show, are left out of the line.
        ax: axes to draw on; default: a new figure.
        slopes: optional name -> power p, for names of `errors`: for each, a dashed
            grey guide C * h**p through that curve's point at the largest h. The y
            range stays that of the errors.

    Returns:
        The axes (log x and y), with one line per error curve, then one per guide.
    """
    steps = np.asarray(steps, dtype=np.float64).ravel()
    ax = ax if ax is not None else plt.figure().add_subplot()
    shown = {}
    for name, values in errors.items():
        values = np.abs(np.asarray(values, dtype=np.float64).ravel())
        shown[name] = np.where(values > 0, values, np.nan)
        ax.plot(steps, shown[name], marker="o", markersize=3, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    finite = np.concatenate([values[np.isfinite(values)] for values in shown.values()])
    for name, power in (slopes or {}).items():
        if name not in shown:
            raise KeyError(f"no {name!r} among the errors; available: {', '.join(shown)}")
        anchor = int(np.nanargmax(np.where(np.isfinite(shown[name]), steps, np.nan)))
        guide = shown[name][anchor] * (steps / steps[anchor]) ** power
        ax.plot(steps, guide, linestyle="--", color="0.5", linewidth=1, label=f"∝ $h^{{{power:g}}}$ ({name})")
    if finite.size:
        ax.set_ylim(finite.min() / 3, finite.max() * 3)
    ax.set(xlabel="step h", ylabel="absolute error", title="Error against the step h")
    ax.legend()
    return ax


def plot_contours_with_path(
    loss: Callable[[np.ndarray], np.ndarray],
    path: np.ndarray,
    ax: plt.Axes | None = None,
    minimum: Sequence[float] | None = None,
    levels: int | Sequence[float] = 20,
    resolution: int = 150,
    margin: float = 0.15,
    equal_aspect: bool = True,
) -> plt.Axes:
    """Contour lines of a loss of two parameters, with an optimizer's path on top.

    Args:
        loss: maps a float64 array (m, 2) of parameter pairs to their losses, shape (m,).
        path: float array (k, 2), the parameters after 0, 1, ..., k - 1 steps (for
            example what a gradient-descent function returns).
        ax: axes to draw on; default: a new figure.
        minimum: optional point (2,), marked with a black +.
        levels: the number of contour lines, or their loss values. A number spaces
            them like the squares 1, 4, 9, ... above the lowest loss in view, so that
            a quadratic bowl gets evenly spaced rings.
        resolution: grid points per axis.
        margin: fraction of the path's (and minimum's) extent added on each side.
        equal_aspect: one scale on both axes, in a square window, so that a round
            bowl looks round and a stretched one stretched.

    Returns:
        The axes, with the contours, the path as one line with a marker per step,
        a larger marker at its start and, when given, the minimum.
    """
    path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    if minimum is not None:
        minimum = np.asarray(minimum, dtype=np.float64).reshape(2)
    points = path if minimum is None else np.vstack([path, minimum])
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 1e-9)
    if equal_aspect:
        span = np.full(2, span.max())
    center, half = (low + high) / 2, span * (0.5 + margin)
    grid_x, grid_y = np.meshgrid(np.linspace(center[0] - half[0], center[0] + half[0], resolution),
                                 np.linspace(center[1] - half[1], center[1] + half[1], resolution))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    values = np.asarray(loss(grid), dtype=np.float64).reshape(grid_x.shape)
    ax = ax if ax is not None else plt.figure().add_subplot()
    lowest, highest = float(np.nanmin(values)), float(np.nanmax(values))
    if isinstance(levels, int | np.integer):
        levels = lowest + (highest - lowest) * np.linspace(0, 1, int(levels) + 1)[1:] ** 2
    if highest > lowest:
        ax.contour(grid_x, grid_y, values, levels=levels, colors="0.6", linewidths=0.8)
    ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3, linewidth=1,
            label=f"path ({len(path) - 1} steps)")
    ax.plot(path[0, 0], path[0, 1], "o", color="tab:red", markerfacecolor="white", markersize=8, label="start")
    if minimum is not None:
        ax.plot(minimum[0], minimum[1], "k+", markersize=14, markeredgewidth=2, label="minimum")
    ax.set(xlim=(grid_x[0, 0], grid_x[0, -1]), ylim=(grid_y[0, 0], grid_y[-1, 0]),
           xlabel="$w_1$", ylabel="$w_2$", title="Loss contours and the path of gradient descent")
    if equal_aspect:
        ax.set_aspect("equal")
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


def plot_fits_1d(
    x: np.ndarray,
    y: np.ndarray,
    fits: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    ax: plt.Axes | None = None,
    truth: Callable[[np.ndarray], np.ndarray] | None = None,
    x_grid: np.ndarray | None = None,
    data_label: str = "training data",
    truth_label: str = "true function",
) -> plt.Axes:
    """Several fitted curves of a 1-D regression over its training points.

    Args:
        x: float array (n,) of inputs.
        y: float array (n,) of targets.
        fits: name -> fitted function mapping a float array (m,) to predictions (m,),
            e.g. {"degree 1": np.poly1d(np.polyfit(x, y, 1))}.
        ax: axes to draw on; default: a new figure.
        truth: optional function (m,) -> (m,) the data came from, drawn dashed grey.
        x_grid: float array (m,) where the curves are drawn; default 300 points over x's range.
        data_label: the legend entry of the points.
        truth_label: the legend entry of `truth`.

    Returns:
        The axes: the points (a scatter), then one line per fit (then `truth`). The y range
        is that of the data with a margin, so a wild fit does not squash the rest.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    x_grid = np.linspace(x.min(), x.max(), 300) if x_grid is None else np.asarray(x_grid, dtype=np.float64)
    ax = ax if ax is not None else plt.figure().add_subplot()
    ax.scatter(x, y, color="k", s=18, zorder=3, label=data_label)
    for name, fit in fits.items():
        ax.plot(x_grid, np.asarray(fit(x_grid), dtype=np.float64).reshape(x_grid.shape), linewidth=2, label=name)
    if truth is not None:
        ax.plot(x_grid, np.asarray(truth(x_grid), dtype=np.float64).reshape(x_grid.shape), "--", color="0.5",
                linewidth=1, label=truth_label)
    margin = 0.3 * (y.max() - y.min() or 1.0)
    ax.set(xlabel="x", ylabel="y", ylim=(y.min() - margin, y.max() + margin))
    ax.legend(fontsize=8)
    return ax


def plot_capacity_curve(
    capacities: Sequence[float],
    train_errors: Sequence[float],
    val_errors: Sequence[float],
    ax: plt.Axes | None = None,
    labels: tuple[str, str] = ("training", "validation"),
    regions: tuple[str, str] | None = ("underfitting", "overfitting"),
    best_label: str = "lowest validation error: {capacity:g}",
    logy: bool = True,
) -> plt.Axes:
    """Training and validation error against model capacity, with the best capacity marked.

    Args:
        capacities: increasing numbers (k,), e.g. polynomial degrees or hidden units.
        train_errors: float array (k,), the training error of each model.
        val_errors: float array (k,), the validation error of each model.
        ax: axes to draw on; default: a new figure.
        labels: the legend entries of the two curves.
        regions: names written left and right of the best capacity (where the validation
            error is lowest), or None for no names.
        best_label: legend text of the best capacity's line, a str.format template with
            the field {capacity}.
        logy: use a logarithmic y axis.

    Returns:
        The axes: the two curves, then a dashed vertical line at the best capacity.
    """
    capacities = np.asarray(capacities, dtype=np.float64).ravel()
    train_errors = np.asarray(train_errors, dtype=np.float64).ravel()
    val_errors = np.asarray(val_errors, dtype=np.float64).ravel()
    ax = ax if ax is not None else plt.figure().add_subplot()
    ax.plot(capacities, train_errors, "o-", label=labels[0])
    ax.plot(capacities, val_errors, "s-", label=labels[1])
    best = capacities[int(np.nanargmin(val_errors))]
    ax.axvline(best, color="tab:green", linestyle="--", linewidth=1, label=best_label.format(capacity=best))
    if logy:
        ax.set_yscale("log")
    if regions is not None:
        for text, x, align in [(regions[0], best - 0.02 * np.ptp(capacities), "right"),
                               (regions[1], best + 0.02 * np.ptp(capacities), "left")]:
            ax.text(x, 0.95, text, transform=ax.get_xaxis_transform(), ha=align, va="top", color="0.35")
    ax.set(xlabel="capacity", ylabel="error")
    ax.legend(fontsize=8)
    return ax


def plot_validation_curves(
    curves: Mapping[str, Sequence[float]],
    ax: plt.Axes | None = None,
    mark_best: bool = True,
    stopped_at: Mapping[str, int] | None = None,
    best_label: str = "lowest: epoch {epoch}",
    stop_label: str = "stopped: epoch {epoch}",
) -> plt.Axes:
    """Validation curves against the epoch (from 1), with each curve's lowest point marked.

    Args:
        curves: name -> float array (n_epochs,) of one run's validation loss (runs may
            have different lengths, e.g. one that stopped early).
        ax: axes to draw on; default: a new figure.
        mark_best: mark each curve's lowest point with a star of the curve's colour.
        stopped_at: optional name -> epoch (1-based) where that run stopped training,
            drawn as a dotted vertical line of the curve's colour.
        best_label: legend text of a star, a str.format template with the field {epoch}.
        stop_label: legend text of a stop line, a str.format template with the field {epoch}.

    Returns:
        The axes: one line per curve, then for each curve its star (if mark_best), then
        the stop lines.
    """
    ax = ax if ax is not None else plt.figure().add_subplot()
    colors = {}
    for name, values in curves.items():
        values = np.asarray(values, dtype=np.float64).ravel()
        (line,) = ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=name)
        colors[name] = line.get_color()
    if mark_best:
        for name, values in curves.items():
            values = np.asarray(values, dtype=np.float64).ravel()
            best = int(np.nanargmin(values))
            ax.plot(best + 1, values[best], "*", color=colors[name], markersize=14, markeredgecolor="k",
                    label=best_label.format(epoch=best + 1))
    for name, epoch in (stopped_at or {}).items():
        if name not in colors:
            raise KeyError(f"no {name!r} among the curves; available: {', '.join(colors)}")
        ax.axvline(epoch, color=colors[name], linestyle=":", linewidth=1.5, label=stop_label.format(epoch=epoch))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="epoch", ylabel="validation loss")
    ax.legend(fontsize=8)
    return ax


def plot_search_scatter(
    x: Sequence[float],
    y: Sequence[float],
    scores: Sequence[float],
    ax: plt.Axes | None = None,
    score_label: str = "validation accuracy",
    best_label: str = "best: {score:.3g}",
    higher_is_better: bool = True,
) -> plt.Axes:
    """A random search's trials over two log-scaled hyperparameters, coloured by their score.

    Args:
        x: positive floats (n,), the first hyperparameter of each trial (e.g. learning rates).
        y: positive floats (n,), the second one (e.g. weight decays).
        scores: floats (n,), each trial's score; NaN (a failed run) is drawn as a grey cross.
        ax: axes to draw on; default: a new figure.
        score_label: the colour bar's label.
        best_label: legend text of the ring around the best trial, a str.format template
            with the field {score}.
        higher_is_better: whether the best trial has the highest score (else the lowest).

    Returns:
        The axes (log x and y): the scatter (with a colour bar), then a ring around the best trial.
    """
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    ax = ax if ax is not None else plt.figure().add_subplot()
    ok = np.isfinite(scores)
    points = ax.scatter(x[ok], y[ok], c=scores[ok], cmap="viridis", s=60, edgecolors="k", zorder=3)
    if (~ok).any():
        ax.scatter(x[~ok], y[~ok], marker="x", color="0.5", s=40, zorder=3)
    ax.figure.colorbar(points, ax=ax, label=score_label)
    if ok.any():
        best = np.flatnonzero(ok)[int(np.argmax(scores[ok]) if higher_is_better else np.argmin(scores[ok]))]
        ax.scatter(x[best], y[best], s=250, facecolors="none", edgecolors="tab:red", linewidths=2, zorder=4,
                   label=best_label.format(score=scores[best]))
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    return ax


def plot_image_mosaic(
    images: np.ndarray,
    ax: plt.Axes | None = None,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    scale_each: bool = False,
    gap: int = 1,
    cmap: str = "gray_r",
) -> plt.Axes:
    """A grid of small images drawn as one picture on one axes (fast, unlike one axes per image).

    Args:
        images: array (rows, cols, h, w) (or (rows, cols, h, w, 1)), any numeric dtype.
        ax: axes to draw on; default: a new figure sized to the grid.
        row_labels: optional (rows,) strings written left of each row.
        col_labels: optional (cols,) strings written above each column.
        scale_each: shade each image on its own scale, from its smallest value (white with
            the default colour map) to its largest (black); otherwise all share one scale.
        gap: pixels of blank space between two images.
        cmap: matplotlib colour map name.

    Returns:
        The axes, holding a single image (the mosaic), without ticks or frame.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 5 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 4:
        raise ValueError(f"images must have shape (rows, cols, h, w), got {images.shape}")
    rows, cols, height, width = images.shape
    if scale_each:
        low = images.min(axis=(2, 3), keepdims=True)
        span = images.max(axis=(2, 3), keepdims=True) - low
        images = (images - low) / np.where(span > 0, span, 1.0)
    mosaic = np.full((rows * (height + gap) - gap, cols * (width + gap) - gap), np.nan)
    for r in range(rows):
        for c in range(cols):
            top, left = r * (height + gap), c * (width + gap)
            mosaic[top:top + height, left:left + width] = images[r, c]
    if ax is None:
        ax = plt.figure(figsize=(max(0.45 * cols, 3), max(0.45 * rows, 1.2) + 0.5)).add_subplot()
    ax.imshow(mosaic, cmap=plt.get_cmap(cmap).with_extremes(bad="white"), interpolation="nearest")
    ax.set_xticks([(width + gap) * c + (width - 1) / 2 for c in range(cols)] if col_labels is not None else [])
    ax.set_yticks([(height + gap) * r + (height - 1) / 2 for r in range(rows)] if row_labels is not None else [])
    if col_labels is not None:
        ax.set_xticklabels(col_labels, fontsize=8)
        ax.xaxis.tick_top()
    if row_labels is not None:
        ax.set_yticklabels(row_labels, fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def plot_receptive_fields(
    image: np.ndarray,
    sizes: Mapping[str, int],
    ax: plt.Axes | None = None,
    center: tuple[int, int] | None = None,
) -> plt.Axes:
    """Squares on an image showing how many pixels one unit of each layer looks at.

    Args:
        image: array (h, w) or (h, w, 1), e.g. an MNIST digit.
        sizes: layer name -> receptive field side in pixels (an int), e.g. {"conv 1": 3}.
        ax: axes to draw on; default: a new figure.
        center: (row, column) of the pixel the squares are centred on; default the middle.

    Returns:
        The axes: the image, then one square (a Rectangle patch) per layer, in order.
    """
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    height, width = image.shape
    row, col = center if center is not None else (height // 2, width // 2)
    ax = ax if ax is not None else plt.figure(figsize=(4, 4)).add_subplot()
    ax.imshow(image, cmap="gray_r")
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(sizes), 1)))
    for color, (name, size) in zip(colors, sizes.items()):
        # pixel centres are whole numbers: the square covers the pixels col - size // 2 ... and
        # row - size // 2 ..., so an odd size is centred on (row, col), an even one just after it
        corner = (col - size // 2 - 0.5, row - size // 2 - 0.5)
        ax.add_patch(Rectangle(corner, size, size, fill=False, edgecolor=color, linewidth=2,
                               label=f"{name}: {size} × {size}"))
    ax.set(xlim=(-0.5, width - 0.5), ylim=(height - 0.5, -0.5), xlabel="column (pixel)", ylabel="row (pixel)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def plot_per_layer(
    values: Mapping[str, Sequence[float]],
    ax: plt.Axes | None = None,
    logy: bool = True,
) -> plt.Axes:
    """One number per layer (e.g. the mean |gradient| of its weights), one line per run.

    Args:
        values: name -> float array (n_layers,), the numbers of layers 1, 2, ..., n_layers.
            Values that are 0 or not finite are left out of the line on a log axis.
        ax: axes to draw on; default: a new figure.
        logy: use a logarithmic y axis.

    Returns:
        The axes, with one line (with markers) per run.
    """
    ax = ax if ax is not None else plt.figure().add_subplot()
    for name, numbers in values.items():
        numbers = np.asarray(numbers, dtype=np.float64).ravel()
        if logy:
            numbers = np.where(np.isfinite(numbers) & (numbers > 0), numbers, np.nan)
        ax.plot(np.arange(1, len(numbers) + 1), numbers, marker="o", label=name)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="layer", ylabel="value")
    ax.legend(fontsize=8)
    return ax
