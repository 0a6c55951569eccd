"""The one seeding helper every lab calls."""

from __future__ import annotations

import os
import random

import numpy as np

from course.quiet import import_keras_quietly

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

