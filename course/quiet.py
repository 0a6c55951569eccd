"""Silence TensorFlow's C++ log lines, which go straight to file descriptor 2."""

from __future__ import annotations

import contextlib
import io
import os
from typing import Iterator


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Send everything written to stderr (Python's and file descriptor 2) nowhere.

    TensorFlow's oneDNN/CUDA notices bypass ``TF_CPP_MIN_LOG_LEVEL`` on first
    import; in a notebook they would show as red stderr text.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(io.StringIO()):
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras_quietly():
    """Import Keras (and so TensorFlow) without TensorFlow's start-up log lines.

    Returns:
        The ``keras`` module.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with silenced_stderr():
        import keras  # noqa: PLC0415 - deferred: importing TensorFlow takes ~3 s
    return keras
