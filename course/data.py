"""Datasets for the labs: the pass/fail example and MNIST (full, bundled subset or a local mirror).

Nothing here downloads anything unless asked to (`load_mnist(source="keras")`),
and nothing writes to the working directory.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import struct

import numpy as np

MNIST_SOURCES = ("auto", "keras", "bundled", "idx")
BUNDLED_NOTICE = (
    "Full MNIST is not cached; using the bundled 5,000-image subset (4,000 train / 1,000 test)."
)
# Keras array name -> (idx file name without .gz, magic number: 0x0803 images, 0x0801 labels).
_IDX_FILES = {
    "x_train": ("train-images-idx3-ubyte", 0x0803),
    "y_train": ("train-labels-idx1-ubyte", 0x0801),
    "x_test": ("t10k-images-idx3-ubyte", 0x0803),
    "y_test": ("t10k-labels-idx1-ubyte", 0x0801),
}

MnistSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def data_dir() -> pathlib.Path:
    """Folder holding the bundled data files.

    Returns:
        The installed `course.bundled_data` package folder, or the repository's
        `data/` folder when the package is used from a source checkout.
    """
    try:
        import course.bundled_data as bundled  # noqa: PLC0415 - exists only when installed
    except ImportError:
        return pathlib.Path(__file__).resolve().parents[1] / "data"
    return pathlib.Path(next(iter(bundled.__path__)))


def load_pass_fail(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load the lecture's "will I pass this class?" data.

    Args:
        path: CSV with header `lectures_attended,project_hours,passed`;
            default: the bundled `pass_fail.csv`.

    Returns:
        x: float32 array (n, 2) of [lectures_attended, project_hours].
        y: float32 array (n,) of 0.0 (failed) / 1.0 (passed).
    """
    path = pathlib.Path(path) if path is not None else data_dir() / "pass_fail.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"pass/fail data not found at {path}; regenerate it with `python scripts/make_pass_fail.py`."
        )
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2)
    return table[:, :2].copy(), table[:, 2].copy()


def keras_mnist_cache() -> pathlib.Path | None:
    """Find the `mnist.npz` that `keras.datasets.mnist.load_data()` would reuse.

    Looks in `$KERAS_HOME/datasets/` (`~/.keras/datasets/` when KERAS_HOME is
    unset) and, when that folder is not writable (Keras then caches under
    /tmp), in `/tmp/.keras/datasets/`.

    Returns:
        The path of the cached file, or None when full MNIST is not cached.
    """
    home = pathlib.Path(os.environ.get("KERAS_HOME") or pathlib.Path.home() / ".keras").expanduser()
    candidates = [home / "datasets" / "mnist.npz"]
    if not os.access(home, os.W_OK):
        candidates.append(pathlib.Path("/tmp/.keras/datasets/mnist.npz"))
    return next((path for path in candidates if path.is_file()), None)


def availability() -> dict[str, str]:
    """Say which datasets can be loaded offline, one finding per dataset (for `course doctor`).

    Returns:
        dict mapping a dataset name to a one-line finding (str): whether the
        bundled files exist and whether (and where) full MNIST is cached.
    """

    def bundled(name: str, script: str) -> str:
        file = data_dir() / name
        return f"found ({file})" if file.is_file() else f"missing {file}: regenerate it with `python scripts/{script}`"

    cache = keras_mnist_cache()
    return {
        "pass/fail data": bundled("pass_fail.csv", "make_pass_fail.py"),
        "MNIST 5k subset": bundled("mnist_5k.npz", "make_mnist_5k.py"),
        "full MNIST": (
            f"cached ({cache}): load_mnist() uses it"
            if cache is not None
            else "not cached: load_mnist() uses the 5k subset; load_mnist(source='keras') downloads it"
        ),
    }


def load_mnist(
    source: str = "auto", path: str | os.PathLike | None = None, verbose: bool = True
) -> MnistSplits:
    """Load MNIST digits in the layout of `keras.datasets.mnist.load_data()`.

    Args:
        source: "auto" (full MNIST from the Keras cache when it is there,
            otherwise the bundled subset; never downloads), "keras"
            (`keras.datasets.mnist.load_data()`, which downloads when not cached),
            "bundled" (the 5k subset shipped with the course: 4,000 train /
            1,000 test, 400 / 100 per digit) or "idx" (the four classic
            `*-idx?-ubyte[.gz]` files in the folder `path`).
        path: the folder of idx files (required for "idx"); for "bundled", an
            alternative .npz with arrays x_train, y_train, x_test, y_test.
            Ignored by "auto" and "keras".
        verbose: in "auto" mode, print one line on stdout when falling back to
            the bundled subset.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images (n, 28, 28) with
        values 0..255 and uint8 labels (n,) with values 0..9.
    """
    if source not in MNIST_SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; choose one of {', '.join(map(repr, MNIST_SOURCES))}.")
    if source == "idx":
        if path is None:
            raise ValueError("source='idx' needs path=<folder holding the four MNIST idx files>.")
        return _load_idx(pathlib.Path(path))
    if source == "bundled":
        return _load_npz(pathlib.Path(path) if path is not None else data_dir() / "mnist_5k.npz")
    if source == "keras":
        import keras  # noqa: PLC0415 - deferred: keras imports TensorFlow (~3 s)

        return keras.datasets.mnist.load_data()
    cache = keras_mnist_cache()
    if cache is not None:
        # The very file keras.datasets.mnist.load_data() would read; opening it
        # directly skips Keras's hash check, which re-downloads on a mismatch.
        return _load_npz(cache)
    if verbose:
        print(BUNDLED_NOTICE)
    return _load_npz(data_dir() / "mnist_5k.npz")


def _load_npz(path: pathlib.Path) -> MnistSplits:
    """Read x_train, y_train, x_test, y_test from an .npz file."""
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file not found at {path}; regenerate the bundled one with `python scripts/make_mnist_5k.py`."
        )
    with np.load(path, allow_pickle=False) as arrays:
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load_idx(folder: pathlib.Path) -> MnistSplits:
    """Read the four MNIST idx files from a folder and check that they match."""
    arrays = {key: _read_idx(folder, name, magic) for key, (name, magic) in _IDX_FILES.items()}
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise ValueError(f"MNIST idx files in {folder}: {split} images and labels differ in count.")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _read_idx(folder: pathlib.Path, name: str, magic: int) -> np.ndarray:
    """Read one idx file (`name.gz` or `name`) as a uint8 array, validating its header."""
    file = next((folder / f for f in (f"{name}.gz", name) if (folder / f).is_file()), None)
    if file is None:
        raise FileNotFoundError(f"MNIST idx file {name}.gz (or {name}) not found in {folder}.")
    try:
        with (gzip.open if file.suffix == ".gz" else open)(file, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"cannot read MNIST idx file {file}: {err}") from None
    found = struct.unpack(">I", raw[:4])[0] if len(raw) >= 4 else None
    if found != magic:
        raise ValueError(f"{file} is not an MNIST idx file: magic number {found}, expected {magic} ({magic:#06x}).")
    ndim = magic & 0xFF  # the magic number's low byte counts the dimensions
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header]) if len(raw) >= header else None
    if shape is None or len(raw) - header != np.prod(shape):
        raise ValueError(f"{file} is truncated or padded: header says shape {shape}, file has {len(raw)} bytes.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def make_xor_blobs(num_points: int = 800, noise: float = 0.4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Make an XOR-like data set of two interleaved classes that no straight line separates.

    Each point is drawn around one of the four corners (+-1, +-1), picked at
    random, with Gaussian spread `noise`. Its label is 1 when the corner's two
    signs differ (top-left, bottom-right) and 0 when they agree (XOR of
    "x1 > 0" and "x2 > 0"), so each class sits on two opposite corners. The
    best straight line can only cut off one corner, and a linear model trained
    with cross-entropy stays near chance; one hidden ReLU layer separates it.
    Nothing is read from or written to disk.

    Args:
        num_points: number of points n.
        noise: standard deviation of the spread around each corner.
        seed: NumPy seed; the same arguments give the same arrays.

    Returns:
        x: float32 array (n, 2) of points, in random order.
        y: float32 array (n,) of labels 0.0 / 1.0 (the label of the corner each
            point was drawn around, so a few noisy points cross the axes).
    """
    if int(num_points) < 1 or noise < 0:
        raise ValueError("num_points must be positive and noise non-negative")
    rng = np.random.default_rng(seed)
    corners = rng.choice([-1.0, 1.0], size=(int(num_points), 2))
    x = corners + rng.normal(scale=noise, size=corners.shape)
    y = (corners[:, 0] != corners[:, 1]).astype(np.float32)
    return x.astype(np.float32), y
