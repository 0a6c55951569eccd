"""The one seeding helper every lab calls."""

from __future__ import annotations

import contextlib
import io
import os
import random

import numpy as np

DEFAULT_SEED = 42


def set_seed(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy, TensorFlow and Keras in one call.

    Call it in each lab's Setup and again right before building a model, so
    that the same notebook gives the same numbers on every run.

    Args:
        seed: a non-negative integer.

    Returns:
        The seed that was set, so a notebook can print it.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras = import_keras_quietly()
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend
    return seed


def import_keras_quietly():
    """Import Keras (and so TensorFlow) without TensorFlow's start-up log lines.

    TensorFlow's C++ core writes its oneDNN/CUDA notices straight to file
    descriptor 2 on first import, past ``TF_CPP_MIN_LOG_LEVEL``; in a notebook
    they would show as red stderr text. Later imports are free.

    Returns:
        The ``keras`` module.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(io.StringIO()):
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: PLC0415 - deferred: importing TensorFlow takes ~3 s
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return keras
