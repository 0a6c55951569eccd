"""What every lab's checks share: the two failures, calling student code, comparisons.

A check is a function ``check_<object>(obj, ...)`` that prints one ``✔`` line
when the object behaves, and otherwise raises :class:`CheckFailed` (or
:class:`NotAttempted` while the stub is untouched) with one sentence the student
can act on. In IPython both render as that one line, never as a traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from typing import Any, Callable

import numpy as np

from course.i18n import translate


class CheckFailed(AssertionError):
    """A check found a mistake; the message says what is wrong and what to try (shown in the
    course's language, see :mod:`course.i18n`)."""

    symbol = "✘"

    def __init__(self, message: str = ""):
        super().__init__(translate(str(message)))

    def _render_traceback_(self) -> list[str]:
        """Make IPython show one line instead of a traceback."""
        return [f"{self.symbol} {self}"]


class NotAttempted(CheckFailed):
    """The answer still raises ``NotImplementedError`` (or still holds its placeholder)."""

    symbol = "…"


def passed(message: str) -> None:
    """Print the one success line of a check.

    Args:
        message: what was verified, e.g. ``"sigmoid matches keras.ops.sigmoid"``.
    """
    print(f"✔ {translate(message)}")


def not_attempted(name: str) -> NotAttempted:
    """Build the standard ``NotAttempted`` for the graded object ``name``."""
    return NotAttempted(
        f"not implemented yet: replace the `raise NotImplementedError()` in `{name}` "
        "with your code, run that cell, then this one."
    )


def one_line(text: Any) -> str:
    """Squash any message to one short line (no colour codes)."""
    line = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(text)).split())
    return line if len(line) <= 200 else line[:197] + "..."


def is_stub_error(error: BaseException) -> bool:
    """True for the stub's bare ``NotImplementedError()``, even after Keras or
    ``tf.function`` re-raised it with their own message (the original is in the chain)."""
    while isinstance(error, NotImplementedError):
        if not str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def attempt(
    function: Callable,
    *args: Any,
    name: str | None = None,
    hints: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Call student code and turn whatever goes wrong into one readable failure.

    The stub's bare ``NotImplementedError()`` becomes :class:`NotAttempted`; any
    other exception (TensorFlow's "cannot convert a symbolic tensor" is a
    ``NotImplementedError`` too) a one-line :class:`CheckFailed`, with only the
    last line of a traced ``tf.function``'s long error. Warnings and anything written to stderr are
    captured (graders give zero to a check cell that writes to stderr).

    Args:
        function: the student's function, class or layer.
        *args: positional arguments for the call.
        name: how to name the call in messages (defaults to the function's name).
        hints: ``{text in the error message: what to tell the student instead}``,
            for errors whose likely cause is known.
        **kwargs: keyword arguments for the call.

    Returns:
        Whatever the call returns.
    """
    label = name or getattr(function, "__name__", type(function).__name__)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            with contextlib.redirect_stderr(io.StringIO()):
                return function(*args, **kwargs)
    except CheckFailed:
        raise
    except Exception as error:  # noqa: BLE001 - any student mistake becomes feedback
        text = str(error)
        if is_stub_error(error):
            raise not_attempted(label) from None
        for key, hint in (hints or {}).items():
            if key in text:
                raise CheckFailed(hint) from None
        if "in user code:" in text:  # a traced tf.function's error: keep its last line
            text = [line for line in text.splitlines() if line.strip()][-1]
        raise CheckFailed(f"`{label}` raised {type(error).__name__}: {one_line(text)}") from None


def require_defined(value: Any, name: str) -> None:
    """Raise ``NotAttempted`` while a graded constant still holds its placeholder."""
    if value is None or value is Ellipsis:
        raise not_attempted(name)


def expect(condition: bool, message: str) -> None:
    """Raise ``CheckFailed(message)`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def to_numpy(value: Any, what: str) -> np.ndarray:
    """Convert a student's result (NumPy, TensorFlow, list, scalar) to a float64 array.

    Raises:
        CheckFailed: when ``value`` is ``None`` (a missing ``return``) or not numeric.
    """
    if value is None:
        raise CheckFailed(f"{what} returned None: did you forget the `return`?")
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        return array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise CheckFailed(f"{what} did not return numbers ({one_line(error)}).") from None


def reference_sigmoid(z: Any) -> np.ndarray:
    """The logistic function in float64 that never overflows, for checks to compare against."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def is_close(actual: np.ndarray, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """True when both arrays have the same shape and match within tolerance."""
    expected = np.asarray(expected, dtype=np.float64)
    return actual.shape == expected.shape and bool(
        np.allclose(actual, expected, rtol=rtol, atol=atol)
    )


def expect_shape(actual: np.ndarray, shape: tuple, what: str) -> None:
    """Raise ``CheckFailed`` naming both shapes when they differ."""
    if tuple(actual.shape) != tuple(shape):
        raise CheckFailed(f"{what} has shape {tuple(actual.shape)} but should have shape {tuple(shape)}.")


def expect_close(
    actual: Any, expected: Any, what: str, rtol: float = 1e-5, atol: float = 1e-6
) -> np.ndarray:
    """Compare a result with the expected values: shape first, then finiteness, then values.

    Args:
        actual: the student's result (any array-like or tensor).
        expected: the reference values, same shape.
        what: how to name the result, e.g. ``"sigmoid(z)"``.
        rtol: relative tolerance.
        atol: absolute tolerance.

    Returns:
        ``actual`` as a float64 NumPy array.
    """
    actual = to_numpy(actual, what)
    expected = np.asarray(expected, dtype=np.float64)
    expect_shape(actual, expected.shape, what)
    expect(
        bool(np.all(np.isfinite(actual)) or not np.all(np.isfinite(expected))),
        f"{what} contains NaN or inf: look for an overflow (exp of a large number) or a log of 0.",
    )
    if not is_close(actual, expected, rtol, atol):
        worst = int(np.argmax(np.abs(actual - expected))) if actual.size else 0
        got, want = actual.flat[worst], expected.flat[worst]
        digits = 6 if f"{got:.6g}" != f"{want:.6g}" else 12  # show where two close numbers differ
        raise CheckFailed(f"{what} is off: got {got:.{digits}g} where {want:.{digits}g} was expected.")
    return actual
