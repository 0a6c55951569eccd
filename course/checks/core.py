"""What every lab's checks share: the two failures, calling student code, comparisons, and
seeing which library functions the student's code calls.

A check is a function ``check_<object>(obj, ...)`` that prints one ``✔`` line
when the object behaves, and otherwise raises :class:`CheckFailed` (or
:class:`NotAttempted` while the stub is untouched) with one sentence the student
can act on. In IPython both render as that one line, never as a traceback.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import sys
import warnings
from typing import Any, Callable, Iterator

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


def quietly(function: Callable, *args, **kwargs):
    """Call student code directly (to see which exception it raises), warnings and stderr muted."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def expect_value_error(make: Callable, call: str, rule: str) -> None:
    """``make()`` must raise ValueError; ``call`` names it in messages, ``rule`` says when."""
    try:
        quietly(make)
    except ValueError:
        return
    except Exception as error:  # noqa: BLE001 - any other exception is feedback
        raise CheckFailed(f"{call} raised {type(error).__name__}: raise a ValueError in __init__ unless "
                          f"{rule}.") from None
    raise CheckFailed(f"{call} was accepted: raise a ValueError in __init__ unless {rule}.")


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


# --- calling graded objects, and seeing which library functions they use -------------------


def _stub_frame(error: BaseException | None):
    """The frame that raised the bare ``NotImplementedError()`` behind ``error``, if any."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NotImplementedError) and not str(error):
            tb = error.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            return tb.tb_frame if tb is not None else None
        error = error.__cause__ or error.__context__
    return None


def _frame_name(frame) -> str:
    """``sigmoid``, ``train_step`` (also when traced by AutoGraph) or ``MyDenseLayer.build``."""
    name = frame.f_code.co_name.removeprefix("tf__")
    owner = frame.f_locals.get("self")
    return f"{type(owner).__name__}.{name}" if owner is not None and name.isidentifier() else name


class Student:
    """Calls one graded object; only its own untouched stub counts as not attempted.

    :func:`course.checks.core.attempt` turns every bare ``NotImplementedError()`` into
    :class:`NotAttempted`. That blames the wrong thing when the error comes from another
    unwritten function the answer calls (``perceptron`` calling a stub ``sigmoid``,
    ``train_loop`` a stub ``train_step``), or when an earlier call of the same object
    already worked (a method of a class left as a stub, a case left unwritten): those
    become a :class:`CheckFailed` that says where the error came from.

    Args:
        obj: the student's function, ``tf.function`` or class.
        name: how messages name it.
    """

    def __init__(self, obj: Any, name: str):
        self.obj, self.name, self.ran = obj, name, False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the graded object itself (keywords as for :meth:`run`)."""
        return self.run(self.obj, *args, **kwargs)

    def run(self, function: Callable, *args: Any, name: str | None = None,
            hints: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """Call ``function`` (the object, or one of its methods) like ``attempt``."""
        label = name or self.name
        try:
            result = attempt(function, *args, name=label, hints=hints, **kwargs)
        except NotAttempted as caught:
            frame = _stub_frame(caught.__context__)
            if frame is not None and not self._owns(frame):
                other = _frame_name(frame)
                raise CheckFailed(f"`{label}` calls `{other}`, which still raises NotImplementedError(): "
                                  f"write `{other}` first and run its cell, then this one.") from None
            if self.ran and isinstance(self.obj, type):
                where = _frame_name(frame) if frame is not None else label
                raise CheckFailed(f"`{where}` still raises NotImplementedError(): write that method "
                                  f"too, then run the cell of `{self.name}` again.") from None
            if self.ran:
                raise CheckFailed(f"`{label}` raised NotImplementedError() here although an earlier "
                                  f"call worked: handle every case its docstring describes.") from None
            raise
        self.ran = True
        return result

    def _owns(self, frame) -> bool:
        """True when ``frame`` runs the graded object's own code."""
        if isinstance(self.obj, type):
            return isinstance(frame.f_locals.get("self"), self.obj)
        function = getattr(self.obj, "python_function", self.obj)  # a tf.function's Python code
        try:
            function = inspect.unwrap(function)
        except ValueError:
            pass
        own_name = getattr(function, "__name__", None)
        return (frame.f_code is getattr(function, "__code__", None)
                or frame.f_code.co_name.removeprefix("tf__") == own_name)


def resolve_dotted(dotted: str):
    """``(parent, attribute, object)`` for "numpy.tanh" or "tensorflow.nn.softmax"; None when
    the package is not imported (a student cannot have called it then) or has no such name."""
    parts = dotted.split(".")
    parent = sys.modules.get(parts[0])
    if parent is None:
        return None
    try:
        for part in parts[1:-1]:
            parent = getattr(parent, part)
        return parent, parts[-1], getattr(parent, parts[-1])
    except (AttributeError, ImportError):
        return None


@contextlib.contextmanager
def library_calls(names: dict[str, str]) -> Iterator[list[str]]:
    """Record which of some library functions run inside the ``with`` block.

    Python functions are recognised by their code, whatever name the student imported
    them under (a profile hook sees every call); compiled ones (NumPy's ufuncs) are
    wrapped where they live for the duration of the block.

    Args:
        names: ``{dotted name: label}``, e.g. ``{"tensorflow.nn.softmax": "tf.nn.softmax"}``.

    Yields:
        The list of labels of the functions that ran, filled in as they run.
    """
    used: list[str] = []
    codes, patches = {}, []
    for dotted, label in names.items():
        found = resolve_dotted(dotted)
        if found is None:
            continue
        parent, attribute, function = found
        try:
            code = getattr(inspect.unwrap(function), "__code__", None)
        except ValueError:
            code = None
        if code is not None:
            codes.setdefault(code, label)
        elif callable(function) and not isinstance(function, type):
            def wrapper(*args, _function=function, _label=label, **kwargs):
                used.append(_label)
                return _function(*args, **kwargs)

            patches.append((parent, attribute, function))
            setattr(parent, attribute, wrapper)
    try:
        with recording_calls(codes, used):
            yield used
    finally:
        for parent, attribute, function in patches:
            setattr(parent, attribute, function)


@contextlib.contextmanager
def recording_calls(codes: dict, used: list[str]) -> Iterator[list[str]]:
    """Append to ``used`` the label of every Python function that runs in the block.

    Args:
        codes: ``{code object: label}`` of the functions to watch (a profile hook sees each call).
        used: the list to append the labels to.
    """
    previous = sys.getprofile()

    def hook(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            used.append(codes[frame.f_code])
        if previous is not None:
            previous(frame, event, arg)

    sys.setprofile(hook if codes else previous)
    try:
        yield used
    finally:
        sys.setprofile(previous)


def train_quickly(model, x: np.ndarray, y: np.ndarray, optimizer, loss_fn, batch_size: int,
                  epochs: int, seed: int) -> None:
    """Train ``model`` like ``fit(x, y, batch_size, epochs, shuffle=True)``, in one traced graph.

    Every epoch takes a new permutation of the examples (from ``seed``) and cuts it into
    batches of ``batch_size``, the last one shorter. One ``tf.function`` runs all the steps,
    which is several times faster than ``fit`` for the small models of the early labs.
    """
    import tensorflow as tf  # noqa: PLC0415

    n = len(x)
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(epochs)])
    starts = np.concatenate([np.arange(0, n, batch_size) + epoch * n for epoch in range(epochs)])
    stops = np.minimum(starts + batch_size, (starts // n + 1) * n)
    inputs = tf.constant(np.asarray(x, dtype="float32")[order])
    targets = tf.constant(np.asarray(y, dtype="float32")[order])
    variables = model.trainable_variables
    optimizer.build(variables)

    @tf.function
    def run(starts, stops):
        for i in tf.range(tf.shape(starts)[0]):
            x_batch, y_batch = inputs[starts[i]:stops[i]], targets[starts[i]:stops[i]]
            with tf.GradientTape() as tape:
                loss = loss_fn(y_batch, model(x_batch, training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    run(tf.constant(starts), tf.constant(stops))
