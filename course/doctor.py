"""``course doctor``: what this machine offers the course."""

from __future__ import annotations

import platform
import sys

from course.grader.sandbox import choose
from course.quiet import import_keras_quietly, silenced_stderr


def report() -> list[tuple[str, str]]:
    """Collect versions, devices and data availability.

    Returns:
        ``[(what, finding), ...]`` in display order.
    """
    from course import data

    keras = import_keras_quietly()
    import tensorflow as tf

    with silenced_stderr():  # the CUDA probe logs straight to stderr
        gpus = tf.config.list_physical_devices("GPU")
        devices = ", ".join(d.name for d in tf.config.list_physical_devices()) or "none"
    lines = [
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("tensorflow", tf.__version__),
        ("keras", f"{keras.__version__} (backend: {keras.backend.backend()})"),
        ("devices", devices),
        ("gpu", f"{len(gpus)} GPU(s): training uses the GPU" if gpus
         else "no GPU found: everything runs on the CPU, and every lab is sized for that"),
    ]
    for what, finding in data.availability().items():
        lines.append((what, finding))
    lines.append(("sandbox", choose("auto").reason))
    return lines


def print_report() -> None:
    """Print :func:`report` as an aligned two-column table."""
    lines = report()
    width = max(len(what) for what, _ in lines)
    for what, finding in lines:
        print(f"{what:<{width}}  {finding}")


def environment_line() -> str:
    """One line for a lab's Setup cell: TensorFlow, Keras and the device in use."""
    keras = import_keras_quietly()
    import tensorflow as tf

    with silenced_stderr():
        device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    return f"TensorFlow {tf.__version__} · Keras {keras.__version__} · running on the {device}"
