"""Checks for lab04_gradient_tape: numerical gradients, gradient descent, a train step, a loop.

Expected values are recomputed here, never stored: gradients with ``tf.GradientTape``
in float64, the gradient-descent path with the check's own tape, one SGD step from
the check's own gradients. To see which examples the training loop puts into which
batch, the check's model starts with a layer that records the first input column
(the example's index) every time the model runs with ``training=True``, and its
loss function records every batch loss; both keep recording inside ``@tf.function``.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    expect,
    expect_close,
    expect_shape,
    is_close,
    passed,
    to_numpy,
)


def _tf():
    """TensorFlow, imported on first use (the lab's Setup has already imported it quietly)."""
    import tensorflow as tf  # noqa: PLC0415

    return tf


# --- numerical_gradient -----------------------------------------------------------------------

NUMERICAL_SHAPES = [(2, 3), (4,), (2, 2, 2)]
DEFAULT_H = 1e-4


def _smooth(t):
    """A smooth test function of a tensor of any shape (couples all entries)."""
    tf = _tf()
    flat = tf.reshape(t, [-1])
    return (tf.reduce_sum(tf.sin(t) * t**2) + 0.3 * tf.reduce_sum(flat) ** 2
            + tf.reduce_sum(tf.exp(0.5 * flat[:-1]) * flat[1:]))


def _cubic(t):
    """sum(t**3): its central difference with step h is exactly 3 t**2 + h**2."""
    return _tf().reduce_sum(t**3)


class _Probe:
    """A scalar function of a float64 array that remembers the arrays it was given."""

    def __init__(self, tf_function):
        self.tf_function = tf_function
        self.dtypes: set = set()
        self.shapes: set = set()
        self.types: set = set()

    def __call__(self, x):
        self.types.add(type(x))
        array = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
        self.dtypes.add(array.dtype)
        self.shapes.add(array.shape)
        return float(self.tf_function(_tf().constant(array)))


def _differences(f, x: np.ndarray, h: float) -> dict[str, np.ndarray]:
    """Reference central difference and the usual wrong variants, entry by entry."""
    out = {name: np.zeros_like(x) for name in ("central", "forward", "backward", "no_restore")}
    f0 = f(x)
    drifting = x.copy()
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        f_plus, f_minus = f(plus), f(minus)
        out["central"][i] = (f_plus - f_minus) / (2 * h)
        out["forward"][i] = (f_plus - f0) / h
        out["backward"][i] = (f0 - f_minus) / h
        drifting[i] += h  # perturb in place and never put the entry back
        drift_plus = f(drifting)
        drifting[i] -= 2 * h
        out["no_restore"][i] = (drift_plus - f(drifting)) / (2 * h)
    return out


def _tape_gradient(function, x: np.ndarray) -> np.ndarray:
    """The gradient of a TensorFlow function at x, by tf.GradientTape in float64."""
    tf = _tf()
    w = tf.Variable(np.asarray(x, dtype=np.float64))
    with tf.GradientTape() as tape:
        value = function(w)
    return tape.gradient(value, w).numpy()


NUMERICAL_HINTS = {
    "unexpected keyword argument 'h'": "numerical_gradient should take the step as its third "
                                       "argument, named h: numerical_gradient(f, x, h=1e-4).",
    "missing 1 required positional argument: 'h'": "numerical_gradient's step needs its default: keep "
                                                   "the given signature, numerical_gradient(f, x, h=1e-4).",
}


def _gradient_call(student: Student, f: _Probe, x: np.ndarray, what: str, **kwargs) -> np.ndarray:
    """Run the student's numerical_gradient at x and check what it did with x and f."""
    shape = x.shape
    x_given = x.copy()
    result = student(f, x_given, hints=NUMERICAL_HINTS, **kwargs)
    if not np.allclose(x_given, x, rtol=0, atol=1e-12):
        raise CheckFailed("numerical_gradient changed the x you passed in: after perturbing x[i], put "
                          "its original value back (or work on a copy of x).")
    raw = result.numpy() if hasattr(result, "numpy") else result
    result = to_numpy(result, what)
    for seen in f.shapes - {shape}:
        raise CheckFailed(f"numerical_gradient called f with an array of shape {seen}: f expects an "
                          f"array shaped like x, {shape}.")
    for seen in f.dtypes - {np.dtype(np.float64)}:
        raise CheckFailed(f"numerical_gradient called f with an array of dtype {seen}: keep x in float64 "
                          "(in float32 a step of h = 1e-4 wipes out most of the digits).")
    for seen in f.types:
        if issubclass(seen, (np.ndarray, np.generic)) or (shape == () and issubclass(seen, float)):
            continue
        raise CheckFailed(f"numerical_gradient called f with a {seen.__name__}: f takes a NumPy float64 "
                          f"array shaped like x.")
    expect_shape(result, shape, f"{what} for x of shape {shape}")
    dtype = getattr(raw, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        raise CheckFailed(f"numerical_gradient returns a {np.dtype(dtype)} array: return float64 "
                          f"(np.zeros_like of a float64 x), as its docstring says.")
    return result


def check_numerical_gradient(numerical_gradient, seed: int = 0) -> None:
    """numerical_gradient(f, x, h=1e-4) is the central difference, entry by entry, for x of any
    shape (0-d too), float64, x left unchanged."""
    shape = NUMERICAL_SHAPES[seed % len(NUMERICAL_SHAPES)]
    x = np.random.default_rng(seed).uniform(-2.0, 2.0, size=shape)
    student = Student(numerical_gradient, "numerical_gradient")
    result = _gradient_call(student, _Probe(_smooth), x, "numerical_gradient(f, x)")

    f = _Probe(_smooth)
    reference = _tape_gradient(_smooth, x)
    wrong = _differences(f, x, DEFAULT_H)
    mistakes = {
        "numerical_gradient uses a one-sided difference, (f(x + h) - f(x)) / h: use the central "
        "difference (f(x + h) - f(x - h)) / (2h), whose error shrinks like h² instead of h.": wrong["forward"],
        "numerical_gradient uses a one-sided difference, (f(x) - f(x - h)) / h: use the central "
        "difference (f(x + h) - f(x - h)) / (2h), whose error shrinks like h² instead of h.": wrong["backward"],
        "numerical_gradient has the wrong sign: compute f(x + h) - f(x - h), not f(x - h) - f(x + h).":
            -wrong["central"],
        "numerical_gradient is twice too large: the two points x - h and x + h are 2h apart, so "
        "divide by 2h.": 2 * wrong["central"],
        "numerical_gradient is half the gradient: divide the difference f(x + h) - f(x - h) by 2h, "
        "not by 4h.": 0.5 * wrong["central"],
        "numerical_gradient takes the later partial derivatives at a shifted point: after "
        "perturbing x[i], put its original value back before moving to the next entry.": wrong["no_restore"],
    }
    for message, values in mistakes.items():
        if not is_close(result, reference, 1e-5, 1e-6) and is_close(result, values, 1e-6, 1e-8):
            raise CheckFailed(message)
    expect_close(result, reference, "numerical_gradient(f, x) compared with tf.GradientTape",
                 rtol=1e-5, atol=1e-6)

    h = 0.1  # for a cubic the central difference is exactly 3 x² + h²: the step must be used
    cubic = _gradient_call(student, _Probe(_cubic), x, "numerical_gradient(f, x, h=0.1)", h=h)
    if is_close(cubic, 3 * x**2, 1e-6, 1e-6):
        raise CheckFailed("numerical_gradient ignores its argument h: use the h it is given as the step.")
    expect_close(cubic, 3 * x**2 + h**2, "numerical_gradient(f, x, h=0.1), the central difference "
                 "with step 0.1,", rtol=1e-6, atol=1e-8)
    try:
        default = inspect.signature(numerical_gradient).parameters["h"].default
    except (KeyError, TypeError, ValueError):
        default = DEFAULT_H
    expect(default is inspect.Parameter.empty or default == DEFAULT_H,
           f"numerical_gradient's default step is h={default!r}: keep the given signature, "
           f"numerical_gradient(f, x, h=1e-4).")

    for extra in [(), (3,) if shape == (2, 2, 2) else (2, 2, 2)]:  # every shape: 0-d and 3-d too
        point = np.random.default_rng(seed + 1).uniform(-2.0, 2.0, size=extra)
        what = f"numerical_gradient(f, x) for x of shape {extra}"
        got = _gradient_call(student, _Probe(_smooth), point, what)
        expect_close(got, _tape_gradient(_smooth, point), what, rtol=1e-5, atol=1e-6)
    passed(f"numerical_gradient matches tf.GradientTape on x of shapes {shape}, () and "
           f"{(3,) if shape == (2, 2, 2) else (2, 2, 2)}, uses the central difference with step h "
           "and leaves x unchanged")


# --- gradient_descent -------------------------------------------------------------------------


def _tape_is_recording() -> bool | None:
    """Whether a tf.GradientTape (or forward accumulator) is recording; None if TF cannot say."""
    try:
        from tensorflow.python.eager import record  # noqa: PLC0415
    except ImportError:
        return None
    return bool(record.could_possibly_record())


class _CountingLoss:
    """A loss of a weight tensor that counts its calls and notes whether a tape was recording."""

    def __init__(self, function):
        self.function = function
        self.calls = 0
        self.taped: list = []

    def __call__(self, w):
        self.calls += 1
        self.taped.append(_tape_is_recording())
        return self.function(w)


def _descent_problem(seed: int):
    """(loss function of w, w0, learning_rate, num_steps), chosen by the seed."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    if seed % 2 == 0:  # a tilted bowl: sum a_i (w_i - c_i)²
        a, c = rng.uniform(0.5, 2.0, size=3), rng.uniform(-2.0, 2.0, size=3)

        def loss(w):
            return tf.reduce_sum(tf.cast(a, w.dtype) * (w - tf.cast(c, w.dtype)) ** 2)

        return loss, rng.uniform(-3.0, 3.0, size=3), 0.1, 15

    c = rng.uniform(-1.0, 1.0, size=(2, 2))  # smooth, not quadratic: log-cosh plus a small L2 term

    def loss(w):
        shifted = w - tf.cast(c, w.dtype)
        return tf.reduce_sum(tf.math.log(tf.cosh(shifted))) + 0.05 * tf.reduce_sum(w**2)

    return loss, rng.uniform(-3.0, 3.0, size=(2, 2)), 0.5, 20


def _reference_path(loss, w0: np.ndarray, learning_rate: float, num_steps: int, sign: float = 1.0):
    """The gradient-descent path (num_steps + 1, *w0.shape), float64; sign=-1 climbs instead."""
    tf = _tf()
    w = tf.Variable(np.array(w0, dtype=np.float64))
    path = [w.numpy()]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            value = loss(w)
        w.assign_sub(sign * learning_rate * tape.gradient(value, w))
        path.append(w.numpy())
    return np.stack(path)


DESCENT_HINTS = {
    "NoneType": "tape.gradient returned None: the tape only follows tf.Variables (or tensors you "
                "tape.watch); make w a tf.Variable and compute loss_fn(w) inside the `with` block.",
}


def _descent_path(student: Student, loss, w0: np.ndarray, learning_rate: float, num_steps: int):
    """Run the student's gradient_descent; return (path as float64, the counting loss)."""
    counting = _CountingLoss(loss)
    w0_given = w0.copy()
    path = student(counting, w0_given, learning_rate, num_steps, hints=DESCENT_HINTS)
    expect(np.array_equal(w0_given, w0), "gradient_descent changed the w0 you passed in: copy it into "
           "a new tf.Variable (w = tf.Variable(w0)) and update that.")
    expect(path is not None, "gradient_descent returned None: did you forget the `return`?")
    parts = list(path) if isinstance(path, (list, tuple)) else [path]
    dtypes = [np.dtype(getattr(part, "dtype", np.float64)) for part in parts]
    low = [dtype for dtype in dtypes if dtype.kind == "f" and dtype.itemsize < 8]
    path = to_numpy(path, "gradient_descent")
    shape = (num_steps + 1, *w0.shape)
    if path.shape == (num_steps, *w0.shape):
        raise CheckFailed(f"the path has {num_steps} points: it should start with w0 and add one point "
                          f"per step, num_steps + 1 = {num_steps + 1} in all.")
    expect_shape(path, shape, f"the path for w0 of shape {w0.shape} and num_steps={num_steps}")
    if low:
        raise CheckFailed(f"the path is {low[0]}: keep w in float64 like w0 (tf.Variable(w0) does), "
                          f"so the path is float64 as the docstring says.")
    if num_steps and counting.calls and not any(counting.taped) and None not in counting.taped:
        raise CheckFailed("gradient_descent never evaluates loss_fn inside a tf.GradientTape: compute "
                          "loss_fn(w) in a `with tf.GradientTape() as tape:` block and take tape.gradient.")
    return path, counting


def check_gradient_descent(gradient_descent, seed: int = 0) -> None:
    """gradient_descent(loss_fn, w0, learning_rate, num_steps) returns the whole descent path, float64,
    for w0 of any shape (0-d too) and num_steps >= 0, with gradients from tf.GradientTape."""
    tf = _tf()
    loss, w0, learning_rate, num_steps = _descent_problem(seed)
    student = Student(gradient_descent, "gradient_descent")
    path, counting = _descent_path(student, loss, w0, learning_rate, num_steps)
    if np.all(path == path[-1]) and not is_close(path[-1], w0):
        raise CheckFailed("every point of the path is the same, the final w: append a copy of w after "
                          "each step (w.numpy()), not the variable itself.")
    if np.all(path == path[-1]):
        raise CheckFailed("the path never moves: update w after each step, e.g. "
                          "w.assign_sub(learning_rate * gradient).")
    expect(is_close(path[0], w0), "the first point of the path should be w0 itself, before any step.")
    bad = [k for k, point in enumerate(path) if not np.all(np.isfinite(point))]
    expect(not bad, f"the path holds nan or inf from step {bad[0] if bad else 0} on: each step should be "
                    f"w - learning_rate * gradient, with the gradient from tape.gradient(loss, w).")

    losses = [float(loss(tf.constant(point))) for point in path]
    ascent = _reference_path(loss, w0, learning_rate, num_steps, sign=-1.0)
    if losses[-1] > losses[0] or is_close(path, ascent, 1e-4, 1e-6):
        raise CheckFailed(f"the loss goes up along your path ({losses[0]:.4g} -> {losses[-1]:.4g}): step "
                          "against the gradient, w - learning_rate * gradient.")
    if counting.calls > 3 * (num_steps + 1):
        raise CheckFailed(f"gradient_descent called loss_fn {counting.calls} times for {num_steps} steps: "
                          "get each gradient from one tf.GradientTape pass, not numerically.")
    reference = _reference_path(loss, w0, learning_rate, num_steps)
    if not is_close(path, reference, 1e-5, 1e-6):
        step = int(np.argmax([not is_close(p, r, 1e-5, 1e-6) for p, r in zip(path, reference)]))
        raise CheckFailed(f"the path is off from step {step} on: each step should be exactly "
                          "w <- w - learning_rate * gradient of loss_fn at w.")

    def scalar_loss(w):  # a 0-d w0: the path is one number per step
        return (w - 1.5) ** 2 + 0.1 * w**4

    w_scalar = np.array(-1.0 + 0.25 * (seed % 4))
    scalar_path, _ = _descent_path(student, scalar_loss, w_scalar, 0.1, 4)
    expect_close(scalar_path, _reference_path(scalar_loss, w_scalar, 0.1, 4),
                 "the path for a 0-d w0 (a single weight)", rtol=1e-5, atol=1e-6)
    no_steps, _ = _descent_path(student, loss, w0, learning_rate, 0)
    expect(is_close(no_steps, w0[None]), "with num_steps=0 the path should be [w0] alone, shape "
                                         f"{(1, *w0.shape)}.")
    passed(f"gradient_descent follows w - learning_rate * gradient for {num_steps} steps (the loss "
           f"falls from {losses[0]:.4g} to {losses[-1]:.4g}), also for a 0-d w0 and for num_steps=0")


# --- recording model parts (train_step and train_loop) ----------------------------------------


class _Log:
    """What the recording layer and loss saw, in the order the program ran them."""

    def __init__(self):
        self.events: list[tuple] = []
        self.eager_training = False  # the model ran with training=True outside any tf.function

    def clear(self) -> None:
        self.events.clear()
        self.eager_training = False

    def model_calls(self, training=True) -> list[np.ndarray]:
        """Example indices of each model call made with the given ``training`` flag."""
        return [ids for kind, flag, ids in self.events if kind == "model" and flag is training]

    def training_flags(self) -> set:
        return {flag for kind, flag, _ in self.events if kind == "model"}


@functools.lru_cache(maxsize=None)
def _recorder_class():
    """A Keras layer that logs each call (training flag, first column) and passes inputs on."""
    import keras  # noqa: PLC0415

    tf = _tf()

    class Recorder(keras.layers.Layer):
        def __init__(self, log: _Log, strip_ids: bool, **kwargs):
            super().__init__(**kwargs)
            self.log = log  # a plain object: Keras does not track it
            self.strip_ids = strip_ids

        def call(self, inputs, training=None):
            flag = bool(training) if training is not None else None
            if flag and tf.executing_eagerly():  # Python runs this line on every eager call only
                self.log.eager_training = True

            def record(first_column):
                self.log.events.append(("model", flag, first_column.numpy().round().astype(int)))
                return np.float32(0)

            tf.py_function(record, [inputs[:, 0]], Tout=tf.float32)  # runs every call, also in graphs
            return inputs[:, 1:] if self.strip_ids else inputs

    return Recorder


def _recording_loss(log: _Log, base):
    """A loss function that computes ``base(y_true, y_pred)`` and logs (value, batch size)."""
    tf = _tf()

    def loss_fn(y_true, y_pred):
        value = base(y_true, y_pred)

        def record(v, n):
            log.events.append(("loss", float(v), int(n)))
            return np.float32(0)

        tf.py_function(record, [tf.reduce_mean(tf.reshape(tf.cast(value, tf.float32), [-1])), tf.shape(y_true)[0]],
                       Tout=tf.float32)  # the mean: an empty batch's "loss" can be an empty tensor
        return value

    return loss_fn


# --- train_step -------------------------------------------------------------------------------

STEP_HINTS = {
    "No gradients provided": "tape.gradient gave no gradients: compute the model's output and the "
                             "loss inside the `with tf.GradientTape() as tape:` block.",
    "has no attribute 'numpy'": "inside @tf.function tensors have no .numpy(): keep to TensorFlow "
                                "operations and return the loss tensor itself.",
    "Unknown variable": "optimizer.apply_gradients got a variable it does not train: pass it the "
                        "gradients of model.trainable_variables.",
}
STEP_MOMENTUM = 0.5  # momentum makes a hand-written w - learning_rate * g differ from the optimizer's step


def _misfit(actual: list[np.ndarray], expected: list[np.ndarray], rtol: float, atol: float) -> float:
    """The largest ``|a - e| / (atol + rtol * |e|)`` over all arrays: at most 1 where ``is_close`` holds."""
    return max(float(np.max(np.abs(a - e) / (atol + rtol * np.abs(e)))) for a, e in zip(actual, expected))


def _is_tf_function(function) -> bool:
    tf = _tf()
    return isinstance(function, tf.types.experimental.GenericFunction)


def check_train_step(train_step, seed: int = 0) -> None:
    """train_step(model, optimizer, loss_fn, x, y): one step of the given optimizer on every trainable
    variable, returning the loss before the step; a @tf.function that calls the model with
    training=True, for NumPy arrays and tensors alike."""
    import keras  # noqa: PLC0415

    tf = _tf()
    expect(_is_tf_function(train_step), "train_step is a plain Python function: put @tf.function on "
           "the line above `def train_step` (and run that cell again).")
    rng = np.random.default_rng(seed)
    n, d, learning_rate = 16, 3, [0.1, 0.05][seed % 2]
    x = rng.normal(size=(n, d)).astype("float32")
    if seed % 2 == 0:
        y = rng.normal(size=(n, 1)).astype("float32")
        loss_fn = keras.losses.MeanSquaredError()
    else:
        y = rng.integers(0, 2, size=(n, 1)).astype("float32")
        loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def init(k):
        return keras.initializers.GlorotUniform(seed=seed * 10 + k)

    log = _Log()
    frozen = keras.layers.Dense(3, kernel_initializer=init(2), bias_initializer="ones", name="frozen")
    frozen.trainable = False
    model = keras.Sequential([
        keras.Input((d,)), _recorder_class()(log, strip_ids=False),
        keras.layers.Dense(4, activation="tanh", kernel_initializer=init(1), bias_initializer="ones"),
        frozen, keras.layers.Dense(1, kernel_initializer=init(3), bias_initializer="ones"),
    ])
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=STEP_MOMENTUM)
    variables = model.trainable_variables
    optimizer.build(variables)  # its momentum variables exist before train_step is traced again
    twins = [tf.Variable(v.numpy()) for v in variables]  # the check's own copy, stepped by its own SGD
    twin_optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=STEP_MOMENTUM)
    swapped_twins = [tf.Variable(v.numpy()) for v in variables]
    swapped_optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=STEP_MOMENTUM)
    student = Student(train_step, "train_step")

    def reference(order=lambda a, b: (a, b)):
        with tf.GradientTape() as tape:
            value = loss_fn(*order(y, model(x, training=True)))
        grads = tape.gradient(value, variables)
        return float(value), [v.numpy() for v in variables], [g.numpy() for g in grads]

    for call in (1, 2):
        loss_before, weights, grads = reference()
        _, _, swapped_grads = reference(lambda a, b: (b, a))
        for twin, swapped, w in zip(twins, swapped_twins, weights):
            twin.assign(w)
            swapped.assign(w)
        twin_optimizer.apply_gradients(zip([tf.constant(g) for g in grads], twins))
        swapped_optimizer.apply_gradients(zip([tf.constant(g) for g in swapped_grads], swapped_twins))
        expected = [t.numpy() for t in twins]
        frozen_before = [v.numpy() for v in frozen.weights]
        steps_before = int(optimizer.iterations.numpy())
        log.clear()
        inputs = (x, y) if call == 1 else (tf.constant(x), tf.constant(y))  # arrays or tensors
        returned = student(model, optimizer, loss_fn, *inputs, hints=STEP_HINTS)
        after = [v.numpy() for v in variables]
        if any(not np.array_equal(a, v.numpy()) for a, v in zip(frozen_before, frozen.weights)):
            raise CheckFailed("train_step changed a frozen layer (trainable=False): take the gradients "
                              "with respect to model.trainable_variables, not model.weights.")
        unchanged = [v.path for v, w, a in zip(variables, weights, after) if np.array_equal(w, a)]
        if len(unchanged) == len(variables):
            raise CheckFailed("train_step did not change the weights: apply the gradients with "
                              "optimizer.apply_gradients(zip(grads, model.trainable_variables)).")
        if unchanged:
            raise CheckFailed(f"train_step left `{unchanged[0]}` unchanged: update every variable in "
                              "model.trainable_variables.")
        ascent = [w + learning_rate * g for w, g in zip(weights, grads)]
        if all(is_close(a, e, 1e-4, 1e-6) for a, e in zip(after, ascent)):
            raise CheckFailed("train_step moves the weights uphill: subtract the gradient (the optimizer "
                              "does this for you in optimizer.apply_gradients).")
        steps = int(optimizer.iterations.numpy()) - steps_before
        if steps == 0:
            raise CheckFailed("train_step updates the weights without the optimizer it was given (its step "
                              "count did not move): apply the gradients with optimizer.apply_gradients, "
                              "which also does momentum, Adam and the rest.")
        expect(steps == 1, f"train_step applied the optimizer {steps} times in one call: apply the "
                           f"gradients once, optimizer.apply_gradients(zip(grads, model.trainable_variables)).")
        swapped_step = [t.numpy() for t in swapped_twins]  # where loss_fn(predictions, y) would lead
        # Nearest rather than equal: with loss_fn(predictions, y) the last layer's gradient does not
        # depend on the model's output, so inside a tf.function TensorFlow may update that layer before
        # the backward pass has read it, moving the first layer's step a little off the swapped one.
        miss = _misfit(after, expected, 1e-4, 1e-6)
        if miss > 1 and _misfit(after, swapped_step, 1e-4, 1e-6) < miss / 10:
            raise CheckFailed("train_step calls loss_fn(predictions, y): the targets come first, "
                              "loss_fn(y, model(x, training=True)).")
        for v, a, e in zip(variables, after, expected):
            expect(is_close(a, e, 1e-4, 1e-6), f"after step {call} `{v.path}` is not where the optimizer "
                   "would put it: apply the gradients of the loss with optimizer.apply_gradients.")
        if returned is None:
            raise CheckFailed("train_step returned None: return the loss.")
        value = to_numpy(returned, "train_step")
        expect(value.shape == (), f"train_step returned an array of shape {value.shape}: return the loss "
                                  "tensor itself, a scalar (loss_fn already averages over the batch).")
        value = float(value.reshape(()))
        expect(np.isfinite(value), f"train_step returned {value} where loss_fn(y, model(x)) before the step "
                                   f"was {loss_before:.6g}: return the loss computed in the tape.")
        if not is_close(np.float64(value), loss_before, 1e-4, 1e-6):
            loss_after = float(loss_fn(y, model(x, training=True)))
            expect(not is_close(np.float64(value), loss_after, 1e-4, 1e-6),
                   "train_step returned the loss after the update: return the loss computed inside the "
                   "tape, before apply_gradients.")
            raise CheckFailed(f"train_step returned {value:.6g} but loss_fn(y, model(x)) before the step was "
                              f"{loss_before:.6g}: return the loss computed in the tape with loss_fn.")
        if call == 1:
            expect(True in log.training_flags(), "train_step calls the model without training=True: write "
                   "model(x, training=True), as fit does, so layers such as dropout act as in training.")
    passed("train_step is a @tf.function that returns the loss and moves every trainable variable "
           "by one step of the optimizer it is given (SGD with momentum, two calls, arrays and tensors)")


# --- train_loop -------------------------------------------------------------------------------

LOOP_PROBLEMS = [(60, 16, 4), (45, 10, 3), (50, 8, 3)]  # (n, batch_size, num_epochs), n % batch_size != 0
LOOP_HINTS = {
    "unexpected keyword argument": "train_loop should take (model, x_train, y_train, num_epochs, "
                                   "batch_size, optimizer, loss_fn, seed), with exactly these names.",
    "train_step": "train_loop failed in train_step: make the train_step check above pass first.",
}


def _empty_batch(n: int, batch_size: int) -> str:
    return (f"train_loop ran a step on an empty batch (whose loss is nan): with {n} examples and "
            f"batch_size={batch_size} the batches start at range(0, n, batch_size), so none is empty.")


class _LoopSetup:
    """One recording model, optimizer and loss, reused by every run of a check (no retracing)."""

    def __init__(self, seed: int):
        import keras  # noqa: PLC0415

        self.n, self.batch_size, self.num_epochs = LOOP_PROBLEMS[seed % len(LOOP_PROBLEMS)]
        rng = np.random.default_rng(seed)
        features = rng.normal(size=(self.n, 3))
        self.y = (features @ rng.normal(size=(3, 1)) + 0.5 + 0.1 * rng.normal(size=(self.n, 1))).astype("float32")
        self.x = np.concatenate([np.arange(self.n)[:, None], features], axis=1).astype("float32")
        self.log = _Log()
        self.model = keras.Sequential([
            keras.Input((4,)), _recorder_class()(self.log, strip_ids=True),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed)),
        ])
        self.optimizer = keras.optimizers.SGD(learning_rate=0.1)
        self.base = keras.losses.MeanSquaredError()
        self.loss_fn = _recording_loss(self.log, self.base)


def _same_global_rng(before, after) -> bool:
    """Whether two np.random.get_state() results are equal."""
    return before[0] == after[0] and np.array_equal(before[1], after[1]) and tuple(before[2:]) == tuple(after[2:])


def _loop_run(student: Student, setup: _LoopSetup, loop_seed: int, count: int | None = None,
              num_epochs: int | None = None):
    """Run the student's loop on the first ``count`` examples; return (history, log copy, steps taken).

    Fails when the loop uses NumPy's global random state or trains through model.fit.
    """
    count = count or setup.n
    setup.log.clear()
    steps_before = int(setup.optimizer.iterations.numpy())
    global_state = np.random.get_state()
    try:
        history = student(model=setup.model, x_train=setup.x[:count], y_train=setup.y[:count],
                          num_epochs=num_epochs or setup.num_epochs, batch_size=setup.batch_size,
                          optimizer=setup.optimizer, loss_fn=setup.loss_fn, seed=loop_seed, hints=LOOP_HINTS)
    except CheckFailed:
        if any(ids.size == 0 for ids in setup.log.model_calls()):  # the crash came from an empty batch
            raise CheckFailed(_empty_batch(count, setup.batch_size)) from None
        raise
    changed = not _same_global_rng(global_state, np.random.get_state())
    np.random.set_state(global_state)
    expect(not getattr(setup.model, "compiled", False), "train_loop compiles the model and calls fit: "
           "write the loop yourself, one train_step per batch, as the lab asks.")
    expect(not changed, "train_loop uses NumPy's global random state (np.random.seed, np.random.permutation, "
                        "...): make one generator, rng = np.random.default_rng(seed), and shuffle with it.")
    log = _Log()
    log.events = list(setup.log.events)
    log.eager_training = setup.log.eager_training
    return history, log, int(setup.optimizer.iterations.numpy()) - steps_before


def _batches(log: _Log) -> list[tuple[np.ndarray, float | None]]:
    """Each training call of the model with the loss computed right after it (None if none)."""
    batches = []
    for event in log.events:
        if event[0] == "model" and event[1] is True:
            batches.append([event[2], None])
        elif event[0] == "loss" and batches and batches[-1][1] is None and event[2] == len(batches[-1][0]):
            batches[-1][1] = event[1]
    return [(ids, loss) for ids, loss in batches]


def _split_epochs(batches, n: int, batch_size: int, num_epochs: int):
    """Group the batches into epochs, checking sizes and that each epoch sees every example once."""
    sizes = [len(ids) for ids, _ in batches]
    expect(min(sizes) > 0, _empty_batch(n, batch_size))
    total = sum(sizes)
    expect(max(sizes) <= batch_size, f"a batch had {max(sizes)} examples, more than batch_size={batch_size}.")
    remainder = n % batch_size
    if remainder and total == num_epochs * (n - remainder):
        raise CheckFailed(f"train_loop drops the last, shorter batch: with {n} examples and batch_size="
                          f"{batch_size}, each epoch should end with a batch of {remainder}, so that every "
                          "example is used once per epoch.")
    expect(total == num_epochs * n, f"train_loop passed {total} examples through the model in training "
           f"instead of num_epochs * len(x_train) = {num_epochs * n}: use every example once per epoch.")
    epochs, current, count = [], [], 0
    for ids, loss in batches:
        current.append((ids, loss))
        count += len(ids)
        if count == n:
            epochs.append(current)
            current, count = [], 0
        expect(count < n, "a batch mixed examples of two epochs: start each epoch with a fresh "
                          "permutation and cut it into batches.")
    per_epoch = -(-n // batch_size)
    for e, epoch in enumerate(epochs, start=1):
        order = np.concatenate([ids for ids, _ in epoch])
        expect(np.array_equal(np.sort(order), np.arange(n)),
               f"in epoch {e} some examples were used twice and others never: shuffle a permutation of "
               "the indices (rng.permutation) instead of drawing them at random.")
        expect(len(epoch) == per_epoch, f"epoch {e} had {len(epoch)} batches; with {n} examples and "
               f"batch_size={batch_size} it should have {per_epoch}.")
    return epochs


def _check_batch_sizes(epochs, n: int, batch_size: int) -> None:
    """Consecutive slices of batch_size: every batch full but the last, which holds n % batch_size."""
    for e, epoch in enumerate(epochs, start=1):
        sizes = [len(ids) for ids, _ in epoch]
        wanted = [batch_size] * (len(sizes) - 1) + [n - batch_size * (len(sizes) - 1)]
        expect(sizes == wanted, f"epoch {e} had batches of {sizes} examples where consecutive slices of "
               f"batch_size give {wanted}: cut the permutation at range(0, n, batch_size), so only the last "
               f"batch is shorter.")


def _check_shuffling(epochs, n: int) -> np.ndarray:
    """Every epoch has its own order and its own batches; returns the orders, one row per epoch."""
    orders = np.stack([np.concatenate([ids for ids, _ in epoch]) for epoch in epochs])
    if all(np.array_equal(order, np.arange(n)) for order in orders):
        raise CheckFailed("train_loop never shuffles: every epoch takes the examples in their stored order.")
    if len(orders) > 1 and all(np.array_equal(order, orders[0]) for order in orders):
        raise CheckFailed("train_loop shuffles only once: every epoch uses the same order. Draw a new "
                          "permutation at the start of every epoch (from one generator made before the "
                          "loop, not a new one each epoch).")
    expect(not np.array_equal(orders[0], np.arange(n)), "the first epoch takes the examples in their "
           "stored order: shuffle at the start of every epoch, the first one included.")
    for e in range(1, len(orders)):
        for f in range(e):
            expect(not np.array_equal(orders[e], orders[f]), f"epochs {f + 1} and {e + 1} use the same "
                   "order: draw a new permutation at the start of every epoch.")
    memberships = [{frozenset(ids.tolist()) for ids, _ in epoch} for epoch in epochs]
    expect(len(memberships) < 2 or any(m != memberships[0] for m in memberships[1:]), "the same batches "
           "come back every epoch, only in another order: shuffle the examples themselves, then cut them "
           "into batches.")
    return orders


def _check_history(history, epochs, num_epochs: int) -> np.ndarray:
    """One value per epoch: the mean of that epoch's batch losses, weighted by batch size."""
    values = to_numpy(history, "train_loop")
    total_batches = sum(len(epoch) for epoch in epochs)
    if values.size == total_batches and total_batches != num_epochs:
        raise CheckFailed(f"train_loop returned {values.size} losses, one per batch: return one value per "
                          "epoch, the average of that epoch's batch losses.")
    expect(values.size == num_epochs and values.ndim <= 1, f"train_loop returned {values.size} values of "
           f"shape {values.shape}: return a list with one loss per epoch ({num_epochs}).")
    for e, (epoch, value) in enumerate(zip(epochs, values), start=1):
        losses = [loss for _, loss in epoch]
        expect(None not in losses, "some batches never reached loss_fn: compute each batch's loss with "
               "the loss_fn passed to train_loop (through train_step).")
        losses, sizes = np.array(losses), np.array([len(ids) for ids, _ in epoch])
        weighted, plain = np.sum(losses * sizes) / np.sum(sizes), np.mean(losses)
        expect(bool(np.all(np.isfinite(losses))), f"a batch loss of epoch {e} is nan or inf: look for a step "
               f"that sends the weights to nan (train_step should be one plain optimizer step).")
        expect(np.isfinite(value), f"history[{e - 1}] is {value}: every batch loss of epoch {e} was finite, "
                                   f"so average those (weighted by batch size).")
        if is_close(np.float64(value), weighted, 1e-4, 1e-6):
            continue
        if is_close(np.float64(value), plain, 1e-4, 1e-6):
            raise CheckFailed(f"history[{e - 1}] is the plain mean of the batch losses: weight each by its "
                              "batch size (the last batch is shorter), sum(loss * len(batch)) / len(x_train).")
        if is_close(np.float64(value), losses[-1], 1e-4, 1e-6):
            raise CheckFailed(f"history[{e - 1}] is the loss of the epoch's last batch only: average the "
                              "losses of all the epoch's batches, weighted by batch size.")
        if is_close(np.float64(value), np.sum(losses), 1e-4, 1e-6):
            raise CheckFailed(f"history[{e - 1}] is the sum of the batch losses: weight each by its batch "
                              "size and divide by the number of examples.")
        raise CheckFailed(f"history[{e - 1}] is {value:.6g}, but the batch losses of epoch {e}, weighted by "
                          f"batch size, average {weighted:.6g}: return each epoch's weighted mean batch loss.")
    return values


def _from_default_rng(first_order: np.ndarray, seed: int) -> bool:
    """Whether the first epoch's order is one that np.random.default_rng(seed) draws first."""
    n = len(first_order)
    candidates = [np.random.default_rng(seed).permutation(n),
                  np.random.default_rng(seed).choice(n, size=n, replace=False),
                  np.random.default_rng(seed).permuted(np.arange(n))]
    return any(np.array_equal(first_order, order) for order in candidates)


def check_train_loop(train_loop, seed: int = 0) -> None:
    """train_loop reshuffles every epoch with np.random.default_rng(seed), uses every example once per
    epoch (the last batch shorter, none empty), steps the given optimizer once per batch, returns
    each epoch's batch losses averaged with weights by batch size, lowers the loss, and is
    reproducible from its seed."""
    setup = _LoopSetup(seed)
    n, batch_size, num_epochs = setup.n, setup.batch_size, setup.num_epochs
    student = Student(train_loop, "train_loop")
    before = float(setup.base(setup.y, setup.model(setup.x)))
    history, log, steps = _loop_run(student, setup, loop_seed=seed)
    after = float(setup.base(setup.y, setup.model(setup.x)))
    batches = _batches(log)
    if not batches:
        expect(not log.model_calls(training=None) and not log.model_calls(training=False),
               "the model never ran with training=True: train each batch with train_step, which calls "
               "model(x, training=True).")
        raise CheckFailed("train_loop never trained the model: call train_step(model, optimizer, loss_fn, "
                          "x_batch, y_batch) for every batch.")
    epochs = _split_epochs(batches, n, batch_size, num_epochs)
    orders = _check_shuffling(epochs, n)
    _check_batch_sizes(epochs, n, batch_size)
    values = _check_history(history, epochs, num_epochs)
    expect(steps == len(batches), f"the optimizer passed to train_loop took {steps} steps for {len(batches)} "
           f"batches: give train_step that optimizer (not a new one), one step per batch.")
    expect(after < 0.5 * before and values[-1] < values[0], f"the loss did not go down enough (epoch "
           f"losses {values[0]:.4g} -> {values[-1]:.4g}): check that train_step updates the model.")
    eager = log.eager_training

    again = _loop_run(student, setup, loop_seed=seed)[1]
    expect(np.array_equal(np.concatenate(again.model_calls()), orders.ravel()), "the same seed gave a "
           "different batch order: draw the permutations from rng = np.random.default_rng(seed), made "
           "once before the epochs.")
    other = _loop_run(student, setup, loop_seed=seed + 1)[1]
    expect(not np.array_equal(np.concatenate(other.model_calls()), orders.ravel()), "a different seed gave "
           "the same batch order: build the random generator from the seed argument.")
    even = 2 * batch_size  # batch_size divides n (no short batch, no empty one), and a single epoch
    history_even, log_even, _ = _loop_run(student, setup, loop_seed=seed, count=even, num_epochs=1)
    batches_even = _batches(log_even)
    expect(bool(batches_even), "train_loop never trained the model when batch_size divides the number of "
                               "examples: cut the batches at range(0, n, batch_size).")
    epochs_even = _split_epochs(batches_even, even, batch_size, 1)
    _check_batch_sizes(epochs_even, even, batch_size)
    _check_history(history_even, epochs_even, 1)
    notes = []
    if not _from_default_rng(orders[0], seed):
        notes.append("its shuffling does not come from np.random.default_rng(seed)")
    if eager:
        notes.append("it trains eagerly instead of through your @tf.function train_step")
    how = f", though {' and '.join(notes)}" if notes else ""
    passed(f"train_loop reshuffles every epoch, uses all {n} examples once per epoch (last batch of "
           f"{n % batch_size}), returns one weighted mean loss per epoch ({values[0]:.3g} -> {values[-1]:.3g}) "
           f"and repeats exactly for the same seed{how}")
