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
    lines.append(("CJK font", cjk_finding()))
    return lines


def cjk_finding() -> str:
    """Whether plots in the Chinese labs can show Chinese, and how to make them."""
    from course.plots import cjk_font  # noqa: PLC0415 - matplotlib only for this line

    font = cjk_font()
    if font:
        return f"{font}: plots in the Chinese labs show Chinese labels"
    return ("none: plots in the Chinese labs keep English labels; install one with `sudo apt-get install "
            "fonts-noto-cjk` (Debian/Ubuntu) or `sudo dnf install google-noto-sans-cjk-fonts` (Fedora); "
            "Windows and macOS have one already")


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
