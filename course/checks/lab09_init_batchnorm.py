"""Checks for lab09_init_batchnorm: Xavier and He standard deviations, MyBatchNorm.

The standard deviations are compared with the ones Keras's own initializers
aim for (``keras.initializers.GlorotNormal`` and ``HeNormal``: their ``scale``
and ``mode`` give the target variance). ``MyBatchNorm`` is run next to
``keras.layers.BatchNormalization`` holding the same gamma, beta and moving
statistics, on 2-D and 4-D inputs, eagerly and inside ``model.fit`` /
``model.predict``; known mistakes are recognised by recomputing what each of
them would give in NumPy.

Convention graded here: ``xavier_std(fan_in, fan_out)`` is Glorot's
sqrt(2 / (fan_in + fan_out)) (Keras's ``glorot_normal``); with ``fan_out=None``
it is the fish book's 1 / sqrt(fan_in), i.e. fan_out is taken equal to fan_in.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    expect,
    expect_close,
    expect_shape,
    expect_value_error,
    is_close,
    passed,
    quietly,
    to_numpy,
)

# --- the two standard deviations -------------------------------------------------------------

FAN_OUT_HINT = ("xavier_std(fan_in) must work without fan_out: give fan_out the default None and, "
                "when it is None, use fan_out = fan_in.")
XAVIER_HINTS = {
    "unexpected keyword argument 'fan_out'": "keep the given signature xavier_std(fan_in, fan_out=None): the "
                                             "check calls it with fan_out=... by name.",
    "missing 1 required positional argument": FAN_OUT_HINT,
    "NoneType": FAN_OUT_HINT,
}


def keras_target_std(initializer, fan_in: int, fan_out: int) -> float:
    """The standard deviation a Keras VarianceScaling initializer aims for.

    Args:
        initializer: e.g. ``keras.initializers.GlorotNormal()`` (any VarianceScaling).
        fan_in: number of inputs of the layer.
        fan_out: number of outputs of the layer.

    Returns:
        sqrt(scale / fan), where fan is fan_in, fan_out or their mean (the mode).
    """
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[initializer.mode]
    return math.sqrt(initializer.scale / fan)


def _std_value(student, args: tuple, name: str, hints: dict | None = None, **kwargs) -> float:
    """Call xavier_std/he_std and return one positive float."""
    shown = ", ".join([str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()])
    what = f"{name}({shown})"
    value = to_numpy(student(*args, hints=hints, **kwargs), what)
    expect(value.size == 1, f"{what} should return one number, got an array of shape {value.shape}.")
    value = float(value.reshape(()))
    expect(math.isfinite(value) and value > 0, f"{what} returned {value!r}: a standard deviation is a "
                                               "positive number.")
    return value


def _diagnose(value: float, expected: float, mistakes: dict[str, float], what: str) -> None:
    """Name the mistake whose value matches, or report the difference."""
    if math.isclose(value, expected, rel_tol=1e-5):
        return
    for message, wrong in mistakes.items():
        if math.isclose(value, wrong, rel_tol=1e-5):
            raise CheckFailed(message)
    expect_close(np.float64(value), expected, what, rtol=1e-5, atol=0)


def _fan_pairs(seed: int) -> list[tuple[int, int]]:
    """Two (fan_in, fan_out) pairs whose fans differ by a clear factor."""
    rng = np.random.default_rng(seed)
    first = (int(rng.integers(300, 900)), int(rng.integers(16, 120)))
    second = (int(rng.integers(10, 60)), int(rng.integers(200, 500)))
    return [first, second]


def check_xavier_std(xavier_std, seed: int = 0) -> None:
    """xavier_std(n) = 1/sqrt(n); xavier_std(fan_in, fan_out) = sqrt(2/(fan_in+fan_out)) (Glorot)."""
    import keras

    glorot = keras.initializers.GlorotNormal()
    rng = np.random.default_rng(seed + 100)
    student = Student(xavier_std, "xavier_std")
    for n in (int(rng.integers(20, 1000)), 100):
        value = _std_value(student, (n,), "xavier_std", XAVIER_HINTS)
        expected = keras_target_std(glorot, n, n)
        _diagnose(value, expected, {
            f"xavier_std({n}) gave sqrt(2/{n}), which is He's value (or fan_out=None counted as 0): with "
            "fan_out=None use fan_out = fan_in, so that xavier_std(n) = 1/sqrt(n).": math.sqrt(2 / n),
            f"xavier_std({n}) gave 1/{n}, a variance: the standard deviation is its square root.": 1 / n,
            f"xavier_std({n}) gave sqrt(3/{n}), the limit of glorot_uniform's uniform distribution: the "
            "standard deviation of a normal is 1/sqrt(n).": math.sqrt(3 / n),
            f"xavier_std({n}) gave sqrt(1/(2*{n})): the factor 2 belongs in the numerator, "
            "sqrt(2/(fan_in + fan_out)).": math.sqrt(1 / (2 * n)),
        }, f"xavier_std({n}) vs 1/sqrt({n})")

    for fan_in, fan_out in _fan_pairs(seed):
        value = _std_value(student, (fan_in,), "xavier_std", XAVIER_HINTS, fan_out=fan_out)
        positional = _std_value(student, (fan_in, fan_out), "xavier_std", XAVIER_HINTS)
        expect(math.isclose(value, positional, rel_tol=1e-6),
               f"xavier_std({fan_in}, {fan_out}) and xavier_std({fan_in}, fan_out={fan_out}) differ: "
               "take fan_out as the second argument.")
        total = fan_in + fan_out
        expected = keras_target_std(glorot, fan_in, fan_out)
        call = f"xavier_std({fan_in}, {fan_out})"
        _diagnose(value, expected, {
            f"{call} gave 1/sqrt(fan_in), the fish book's simplified Xavier (Keras's LecunNormal), which "
            "ignores fan_out: this lab grades Glorot's sqrt(2/(fan_in + fan_out)) (glorot_normal), which "
            "equals 1/sqrt(fan_in) only when fan_out is None or equal to fan_in.": 1 / math.sqrt(fan_in),
            f"{call} gave 1/sqrt(fan_out): use both fans, sqrt(2/(fan_in + fan_out)).": 1 / math.sqrt(fan_out),
            f"{call} gave sqrt(2/fan_in), He's value for ReLU: Xavier averages the two fans, "
            "sqrt(2/(fan_in + fan_out)).": math.sqrt(2 / fan_in),
            f"{call} gave 2/(fan_in + fan_out), a variance: return its square root.": 2 / total,
            f"{call} gave sqrt(1/(fan_in + fan_out)): Glorot's variance is 2/(fan_in + fan_out), one over "
            "the mean of the two fans.": math.sqrt(1 / total),
            f"{call} gave sqrt(6/(fan_in + fan_out)), the limit of glorot_uniform's uniform distribution: "
            "the standard deviation is sqrt(2/(fan_in + fan_out)).": math.sqrt(6 / total),
        }, f"{call} vs keras.initializers.GlorotNormal's target std")
    # fan_out=None given explicitly, and NumPy integers (fans read off an array's shape)
    n = int(rng.integers(20, 1000))
    for args, kwargs, what in (((n,), {"fan_out": None}, f"xavier_std({n}, fan_out=None)"),
                               ((np.int64(n), np.int64(2 * n)), {}, f"xavier_std(np.int64({n}), np.int64({2 * n}))")):
        value = _std_value(student, args, "xavier_std", XAVIER_HINTS, **kwargs)
        want = math.sqrt(1 / n) if kwargs else math.sqrt(2 / (3 * n))
        expect(math.isclose(value, want, rel_tol=1e-5),
               f"{what} gave {value:.6g}, expected {want:.6g}: treat fan_out=None as fan_out = fan_in, and accept "
               "any integer fans (NumPy ones too).")
    passed("xavier_std(n) = 1/sqrt(n) and xavier_std(fan_in, fan_out) matches the std that "
           "keras.initializers.GlorotNormal aims for")


def check_he_std(he_std, seed: int = 0) -> None:
    """he_std(fan_in) = sqrt(2/fan_in), the std keras.initializers.HeNormal aims for."""
    import keras

    he = keras.initializers.HeNormal()
    rng = np.random.default_rng(seed + 200)
    student = Student(he_std, "he_std")
    for n in (int(rng.integers(10, 100)), int(rng.integers(100, 2000)), np.int64(100)):
        n_int = int(n)
        value = _std_value(student, (n,), "he_std")
        expected = keras_target_std(he, n_int, n_int)
        _diagnose(value, expected, {
            f"he_std({n_int}) gave 1/sqrt({n_int}), the Xavier value: ReLU zeroes about half of its inputs, "
            "so He doubles the variance to 2/fan_in.": 1 / math.sqrt(n_int),
            f"he_std({n_int}) gave 2/{n_int}, a variance: the standard deviation is its square root.": 2 / n_int,
            f"he_std({n_int}) gave sqrt(2)/{n_int}: take the square root of the whole fraction 2/fan_in.":
                math.sqrt(2) / n_int,
            f"he_std({n_int}) gave sqrt(6/{n_int}), the limit of he_uniform's uniform distribution: the "
            "standard deviation is sqrt(2/fan_in).": math.sqrt(6 / n_int),
            f"he_std({n_int}) gave sqrt(1/(2*{n_int})): the 2 belongs in the numerator, sqrt(2/fan_in).":
                math.sqrt(1 / (2 * n_int)),
        }, f"he_std({n_int}) vs keras.initializers.HeNormal's target std")
    passed("he_std(fan_in) matches the std that keras.initializers.HeNormal aims for")


# --- MyBatchNorm: NumPy versions of the right and the wrong computations ---------------------

WEIGHT_NAMES = ("gamma", "beta", "moving_mean", "moving_variance")
BN_SETTINGS = ((0.9, 0.01), (0.8, 0.05), (0.95, 0.02))  # (momentum, epsilon) by seed
DEFAULT_MOMENTUM, DEFAULT_EPSILON = 0.99, 1e-3  # the answer cell's (and Keras's) defaults
ARGUMENT_HINT = ("check the signature call(self, inputs, training=None): Keras passes the phase only to an "
                 "argument named training.")


def _normalise(x, mean, variance, gamma, beta, epsilon, inside=True):
    """gamma * (x - mean) / sqrt(variance + epsilon) + beta (epsilon outside the root if not inside)."""
    spread = np.sqrt(variance + epsilon) if inside else np.sqrt(variance) + epsilon
    return gamma * (x - mean) / spread + beta


def _moments(x, axes, ddof=0):
    """Mean and variance over axes, keeping dims so they broadcast against x."""
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True, ddof=ddof)
    return mean, variance


def _feature_axes(ndim: int) -> tuple:
    return tuple(range(ndim - 1))


def _wrong_axes(ndim: int) -> list[tuple]:
    """Reduction axes a student might pick instead of every axis but the last."""
    candidates = [(ndim - 1,), tuple(range(1, ndim)), tuple(range(ndim)), (0,), tuple(range(1, ndim - 1))]
    right = _feature_axes(ndim)
    unique = []
    for axes in candidates:
        if axes and axes != right and axes not in unique:
            unique.append(axes)
    return unique


SHAPE_MESSAGE = ("MyBatchNorm's shapes did not fit together (for example in the .assign of a moving average): "
                 "compute the mean and variance over every axis but the last, "
                 "axes = list(range(len(inputs.shape) - 1)), so that they have one value per feature, "
                 "shape (channels,), like the weights.")
SHAPE_HINTS = {text: SHAPE_MESSAGE for text in ("Incompatible shapes", "must match", "Shape mismatch",
                                                "incompatible", "not compatible")}
AXES_MESSAGE = ("MyBatchNorm normalised over the wrong axes: compute one mean and one variance per feature "
                "(the last axis), over every other axis: the batch axis for 2-D inputs, batch and time for "
                "sequences, batch, height and width for images.")


def _output_mistakes(x, state, epsilon, training, momentum=0.0) -> list[tuple[str, np.ndarray]]:
    """(message, what the output would be) for each recognisable mistake.

    ``state`` holds the weights before the call; with ``training`` the moving averages are
    tried both before and after this call's update (with ``momentum``).
    """
    gamma, beta, moving_mean, moving_variance = (state[name] for name in WEIGHT_NAMES)
    axes = _feature_axes(x.ndim)
    mean, variance = _moments(x, axes)
    if training:
        used_mean, used_variance = mean, variance
        moving_message = ("with training=True MyBatchNorm used the moving averages: during training normalise "
                          "with the mean and variance of the current batch.")
        updated_mean = moving_mean * momentum + mean * (1 - momentum)
        updated_variance = moving_variance * momentum + variance * (1 - momentum)
        mistakes = [
            (moving_message, _normalise(x, moving_mean, moving_variance, gamma, beta, epsilon)),
            (moving_message, _normalise(x, updated_mean, updated_variance, gamma, beta, epsilon)),
            ("MyBatchNorm uses the unbiased batch variance (divided by m - 1): Keras divides by the number "
             "of values m, like np.var or keras.ops.var.",
             _normalise(x, mean, _moments(x, axes, ddof=1)[1], gamma, beta, epsilon)),
        ]
        for wrong in _wrong_axes(x.ndim):
            mistakes.append((AXES_MESSAGE, _normalise(x, *_moments(x, wrong), gamma, beta, epsilon)))
    else:
        used_mean, used_variance = moving_mean, moving_variance
        mistakes = [
            ("at inference (training=False or None) MyBatchNorm used the statistics of the batch: "
             "normalise with moving_mean and moving_variance unless training is True.",
             _normalise(x, mean, variance, gamma, beta, epsilon)),
        ]
    mistakes += [
        ("epsilon is outside the square root: divide by sqrt(variance + epsilon).",
         _normalise(x, used_mean, used_variance, gamma, beta, epsilon, inside=False)),
        ("epsilon is missing: divide by sqrt(variance + epsilon), which also keeps a feature with zero "
         "variance from dividing by 0.", _normalise(x, used_mean, used_variance, gamma, beta, 0.0)),
        ("MyBatchNorm divides by variance + epsilon: divide by its square root, the standard deviation.",
         gamma * (x - used_mean) / (used_variance + epsilon) + beta),
        ("the normalised values are not scaled by gamma and shifted by beta: return gamma * x_hat + beta.",
         _normalise(x, used_mean, used_variance, 1.0, 0.0, epsilon)),
        ("gamma and beta are swapped: scale by gamma, then add beta.",
         _normalise(x, used_mean, used_variance, beta, gamma, epsilon)),
    ]
    if epsilon != DEFAULT_EPSILON:
        mistakes.append((f"MyBatchNorm ignores its epsilon argument: it normalises with the default "
                         f"{DEFAULT_EPSILON:g} where epsilon={epsilon:g} was passed in: use self.epsilon in call.",
                         _normalise(x, used_mean, used_variance, gamma, beta, DEFAULT_EPSILON)))
    return mistakes


def _moving_mistakes(x, before, momentum):
    """{message: (moving_mean, moving_variance)} after one training call, for known mistakes."""
    axes = _feature_axes(x.ndim)
    mean, variance = (v.reshape(-1) for v in _moments(x, axes))
    unbiased = x.var(axis=axes, ddof=1)
    old_mean, old_variance = before["moving_mean"], before["moving_variance"]
    return {
        "the moving averages did not change after a call with training=True: update them in call with "
        f"self.moving_mean.assign(...) and self.moving_variance.assign(...); {ARGUMENT_HINT}":
            (old_mean, old_variance),
        "momentum is applied the other way round: Keras keeps momentum of the old value, "
        "moving = moving * momentum + batch * (1 - momentum).":
            (old_mean * (1 - momentum) + mean * momentum, old_variance * (1 - momentum) + variance * momentum),
        "the moving averages were replaced by the batch statistics: blend them, "
        "moving = moving * momentum + batch * (1 - momentum).": (mean, variance),
        "the moving variance is averaged with the unbiased batch variance (divided by m - 1): Keras uses the "
        "biased one, the same variance that normalises the batch.":
            (old_mean * momentum + mean * (1 - momentum), old_variance * momentum + unbiased * (1 - momentum)),
        "the moving variance is averaged with the batch's standard deviation: average the variance itself, "
        "moving_variance * momentum + variance * (1 - momentum).":
            (old_mean * momentum + mean * (1 - momentum), old_variance * momentum + np.sqrt(variance) * (1 - momentum)),
        f"MyBatchNorm ignores its momentum argument: the moving averages moved as with the default "
        f"{DEFAULT_MOMENTUM:g}, where momentum={momentum:g} was passed in: use self.momentum in call.":
            (old_mean * DEFAULT_MOMENTUM + mean * (1 - DEFAULT_MOMENTUM),
             old_variance * DEFAULT_MOMENTUM + variance * (1 - DEFAULT_MOMENTUM)),
    }


# --- MyBatchNorm: calling the student's layer -------------------------------------------------

def _is_weight(layer, value) -> bool:
    """True when ``value`` is one of the layer's tracked weights (made by ``add_weight``)."""
    return value is not None and any(value is weight for weight in layer.weights)


def _state(layer) -> dict[str, np.ndarray]:
    """The four weights of a layer as float64 arrays."""
    return {name: np.asarray(getattr(layer, name).numpy(), dtype=np.float64) for name in WEIGHT_NAMES}


def _set_state(layer, state: dict[str, np.ndarray]) -> None:
    for name in WEIGHT_NAMES:
        getattr(layer, name).assign(state[name].astype("float32"))


def _build_student(student, momentum, epsilon, shape) -> object:
    """Make and build the student's layer and check its four weights."""
    import keras

    layer = student(momentum=momentum, epsilon=epsilon)
    expect(isinstance(layer, keras.layers.Layer), "MyBatchNorm should subclass keras.layers.Layer.")
    student.run(layer.build, (None, *shape[1:]), name="MyBatchNorm.build")
    channels = shape[-1]
    missing = [name for name in WEIGHT_NAMES if not _is_weight(layer, getattr(layer, name, None))]
    expect(not missing, f"after build MyBatchNorm has no weight self.{missing[0] if missing else ''}: create "
                        "the four weights with self.add_weight in build and store them as self.gamma, "
                        "self.beta, self.moving_mean and self.moving_variance.")
    for name in WEIGHT_NAMES:
        variable = getattr(layer, name)
        expect(tuple(variable.shape) == (channels,),
               f"self.{name} has shape {tuple(variable.shape)} for inputs of shape {tuple(shape)}: it needs one "
               f"value per feature, shape (input_shape[-1],) = ({channels},).")
    initial = _state(layer)
    for name, start, initializer in (("gamma", 1.0, '"ones"'), ("beta", 0.0, '"zeros"'),
                                     ("moving_mean", 0.0, '"zeros"'), ("moving_variance", 1.0, '"ones"')):
        expect(bool(np.all(initial[name] == start)),
               f"self.{name} should start at {start:g} everywhere: use initializer={initializer}.")
    for name in ("moving_mean", "moving_variance"):
        expect(not getattr(layer, name).trainable,
               f"self.{name} is trainable, so the optimizer would change it too: create it with "
               "trainable=False (only your .assign updates may change the moving averages).")
    trainable = {id(w) for w in layer.trainable_weights}
    expect(trainable == {id(layer.gamma), id(layer.beta)},
           f"MyBatchNorm has {len(layer.trainable_weights)} trainable weights: exactly gamma and beta "
           "should be trainable.")
    return layer


def _keras_layer(momentum, epsilon, shape, state):
    import keras

    reference = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    reference.build((None, *shape[1:]))
    _set_state(reference, state)
    return reference


def _call(student, layer, x, what, hints=None, **kwargs) -> np.ndarray:
    """Call the student's layer and check the output's shape and dtype."""
    result = student.run(layer, x, name="MyBatchNorm.call", hints=hints, **kwargs)
    dtype = getattr(result, "dtype", "")
    dtype = str(getattr(dtype, "name", dtype))
    array = to_numpy(result, what)
    expect_shape(array, x.shape, what)
    expect("float32" in dtype, f"{what} has dtype {dtype or type(result).__name__}: for float32 inputs "
                               "return a float32 tensor (compute with keras.ops on the weights).")
    return array


def _compare_output(actual, expected, x, state, epsilon, training, what, momentum=0.0) -> None:
    if is_close(actual, expected, rtol=1e-4, atol=1e-4):
        return
    for message, wrong in _output_mistakes(x, state, epsilon, training, momentum):
        if is_close(actual, wrong, rtol=1e-4, atol=1e-4):
            raise CheckFailed(message)
    expect_close(actual, expected, what, rtol=1e-4, atol=1e-4)


def _random_state(rng, channels: int) -> dict[str, np.ndarray]:
    return {
        "gamma": rng.uniform(0.5, 2.0, channels),
        "beta": rng.normal(0.0, 1.0, channels),
        "moving_mean": rng.normal(0.0, 1.0, channels),
        "moving_variance": rng.uniform(0.3, 2.0, channels),
    }


def _random_batch(rng, shape, offsets, scales) -> np.ndarray:
    return (rng.normal(size=shape) * scales + offsets).astype("float32")


def _check_layer_on(student, momentum, epsilon, shape, rng, hints=None, steps: int = 3) -> None:
    """Inference and a few training steps next to keras.layers.BatchNormalization."""
    channels = shape[-1]
    layer = _build_student(student, momentum, epsilon, shape)
    state = _random_state(rng, channels)
    _set_state(layer, state)
    state = _state(layer)  # as float32 values
    reference = _keras_layer(momentum, epsilon, shape, state)
    offsets = rng.uniform(-3.0, 3.0, channels)
    scales = rng.choice([0.05, 0.3, 1.0, 3.0], size=channels)  # small spreads make epsilon matter
    dims = f"{len(shape)}-D inputs of shape {tuple(shape)}"

    x = _random_batch(rng, shape, offsets, scales)
    expected = np.asarray(reference(x, training=False), dtype=np.float64)
    for flag, kwargs in (("training=False", {"training": False}), ("training=None (a plain call)", {})):
        what = f"MyBatchNorm(inputs, {flag}) on {dims}"
        result = _call(student, layer, x, what, hints, **kwargs)
        if not kwargs and not is_close(result, expected, rtol=1e-4, atol=1e-4):
            batch_output = _normalise(x, *_moments(x, _feature_axes(x.ndim)), state["gamma"], state["beta"], epsilon)
            expect(not is_close(result, batch_output, rtol=1e-4, atol=1e-4),
                   "a plain call layer(x) passes training=None, and MyBatchNorm treated that as training: "
                   "use the batch statistics only when training is True (if training: ...).")
        _compare_output(result, expected, x, state, epsilon, False, what)
        expect(all(_is_weight(layer, getattr(layer, name)) for name in WEIGHT_NAMES)
               and all(np.array_equal(v, state[k]) for k, v in _state(layer).items()),
               f"a call with {flag} changed the layer's weights: at inference only read the moving "
               "averages; update them only when training is True.")

    for step in range(steps):
        x = _random_batch(rng, shape, offsets, scales)
        before = _state(layer)
        expected = np.asarray(reference(x, training=True), dtype=np.float64)
        what = f"MyBatchNorm(inputs, training=True) on {dims}"
        _compare_output(_call(student, layer, x, what, hints, training=True), expected, x, before, epsilon, True,
                        what, momentum)
        replaced = [name for name in WEIGHT_NAMES if not _is_weight(layer, getattr(layer, name))]
        expect(not replaced, f"a call with training=True replaced self.{replaced[0] if replaced else ''} "
                             "by a tensor: update the weight in place with "
                             f"self.{replaced[0] if replaced else ''}.assign(new_value).")
        after, wanted = _state(layer), _state(reference)
        for name in ("gamma", "beta"):
            expect(np.array_equal(after[name], before[name]),
                   f"a call with training=True changed self.{name}: only the optimizer changes gamma and beta.")
        got = (after["moving_mean"], after["moving_variance"])
        if not (is_close(got[0], wanted["moving_mean"], 1e-4, 1e-5)
                and is_close(got[1], wanted["moving_variance"], 1e-4, 1e-5)):
            for message, (mean, variance) in _moving_mistakes(x.astype(np.float64), before, momentum).items():
                if is_close(got[0], mean, 1e-4, 1e-5) and is_close(got[1], variance, 1e-4, 1e-5):
                    raise CheckFailed(message)
            for name, index in (("moving_mean", 0), ("moving_variance", 1)):
                expect_close(got[index], wanted[name], f"self.{name} after {step + 1} training call(s) with "
                             f"momentum={momentum} on {dims}, compared with keras.layers.BatchNormalization",
                             rtol=1e-4, atol=1e-5)


FIT_EPOCHS = 2
FIT_HINT = ("MyBatchNorm failed inside model.fit, where Keras compiles the training step into a graph: "
            "compute with keras.ops (not NumPy) and update the moving averages with .assign(...).")


def _fit_and_predict(student, factory, momentum, epsilon, x, x_new, name):
    """Fit a one-layer model with a learning rate of 0 and predict; returns losses, predictions, moving stats."""
    import keras

    def run():
        try:
            return fit_and_predict()
        except NotImplementedError as error:  # what TensorFlow raises when NumPy meets a graph tensor
            if not str(error):
                raise
            raise CheckFailed(FIT_HINT) from None

    def fit_and_predict():
        model = keras.Sequential([keras.Input(shape=x.shape[1:]), factory(momentum=momentum, epsilon=epsilon)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
        history = model.fit(x, np.zeros_like(x), epochs=FIT_EPOCHS, batch_size=len(x) // 2, shuffle=False, verbose=0)
        predictions = model.predict(x_new, batch_size=len(x_new), verbose=0)
        layer = model.layers[-1]
        return (np.asarray(history.history["loss"], dtype=np.float64), np.asarray(predictions, dtype=np.float64),
                np.asarray(layer.moving_mean.numpy(), dtype=np.float64),
                np.asarray(layer.moving_variance.numpy(), dtype=np.float64))

    hints = {text: FIT_HINT for text in ("Cannot convert a symbolic", "numpy() is only available", "__array__",
                          "has no attribute 'assign'", "EagerTensor")}
    return student.run(run, name=name, hints=hints)


def _keras_fit_reference(momentum, epsilon, x, x_new):
    """What the same fit gives with keras.layers.BatchNormalization, step by step without fit: the
    same batches in the same order (halves, no shuffling), training=True, then a prediction."""
    reference = _keras_layer(momentum, epsilon, x.shape, {"gamma": np.ones(x.shape[-1]), "beta": np.zeros(x.shape[-1]),
                                                          "moving_mean": np.zeros(x.shape[-1]),
                                                          "moving_variance": np.ones(x.shape[-1])})
    half = len(x) // 2
    losses = []
    for _ in range(FIT_EPOCHS):
        batch_losses = [np.mean(np.asarray(reference(x[start:start + half], training=True), dtype=np.float64) ** 2)
                        for start in range(0, len(x), half)]
        losses.append(np.mean(batch_losses))
    predictions = np.asarray(reference(x_new, training=False), dtype=np.float64)
    state = _state(reference)
    return np.array(losses), predictions, state["moving_mean"], state["moving_variance"]


def _check_in_fit(student, momentum, epsilon, rng) -> None:
    """Inside fit: training=True (batch statistics, moving averages updated); predict: moving averages."""
    channels = 4
    offsets, scales = rng.uniform(-3.0, 3.0, channels), rng.uniform(0.3, 3.0, channels)
    x = _random_batch(rng, (32, channels), offsets, scales)
    x_new = _random_batch(rng, (10, channels), offsets, scales)
    losses, predictions, moving_mean, moving_variance = _fit_and_predict(
        student, student.obj, momentum, epsilon, x, x_new, "MyBatchNorm inside model.fit")
    want_losses, want_predictions, want_mean, want_variance = _keras_fit_reference(momentum, epsilon, x, x_new)
    expect(not np.allclose(moving_mean, 0.0),
           "inside model.fit the moving averages never changed: Keras passes training=True to "
           "call(self, inputs, training=None) during fit; update them with .assign(...) when training is true.")
    expect(is_close(moving_mean, want_mean, 1e-4, 1e-5) and is_close(moving_variance, want_variance, 1e-4, 1e-5),
           "after model.fit the moving averages differ from keras.layers.BatchNormalization's, although the "
           "same calls agreed outside fit: update them with .assign(...) and keras.ops, not Python-side values.")
    expect(is_close(losses, want_losses, 1e-4, 1e-5),
           "inside model.fit the loss differs from keras.layers.BatchNormalization's: with training=True "
           "normalise each batch with its own mean and variance.")
    batch_mean, batch_variance = _moments(x_new.astype(np.float64), (0,))
    if not is_close(predictions, want_predictions, 1e-4, 1e-4):
        expect(not is_close(predictions, (x_new - batch_mean) / np.sqrt(batch_variance + epsilon), 1e-4, 1e-4),
               "model.predict normalised with the statistics of the predicted batch: at inference "
               "(training=False) use moving_mean and moving_variance.")
        expect_close(predictions, want_predictions, "model.predict after fit, compared with "
                     "keras.layers.BatchNormalization", rtol=1e-4, atol=1e-4)


def _check_arguments(MyBatchNorm) -> None:  # noqa: N803 - contract name
    """ValueError unless 0 <= momentum <= 1 and epsilon > 0; both ends of momentum's range are allowed."""
    rule = "0 <= momentum <= 1 and epsilon > 0"
    for bad in ({"momentum": 1.5}, {"momentum": -0.1}, {"epsilon": -1e-3}, {"epsilon": 0.0}):
        shown = ", ".join(f"{k}={v}" for k, v in bad.items())
        expect_value_error(lambda: MyBatchNorm(**bad), f"MyBatchNorm({shown})", rule)
    for edge in ({"momentum": 0.0}, {"momentum": 1.0}, {"epsilon": 1e-12}):
        shown = ", ".join(f"{k}={v}" for k, v in edge.items())
        try:
            quietly(MyBatchNorm, **edge)
        except ValueError:
            raise CheckFailed(f"MyBatchNorm({shown}) raised ValueError, but it is allowed: accept every "
                              f"value with {rule} (both ends of [0, 1] for momentum).") from None
        except Exception:  # noqa: BLE001 - reported by the calls that follow
            pass


def check_my_batch_norm(MyBatchNorm, seed: int = 0) -> None:  # noqa: N803 - contract name
    """MyBatchNorm behaves like keras.layers.BatchNormalization (axis=-1) in both phases, on inputs of
    rank 2, 3 and 4, and validates momentum (0 to 1 included) and epsilon (> 0)."""
    import keras

    momentum, epsilon = BN_SETTINGS[seed % len(BN_SETTINGS)]
    rng = np.random.default_rng(seed)
    student = Student(MyBatchNorm, "MyBatchNorm")

    default = student()
    expect(isinstance(default, keras.layers.Layer), "MyBatchNorm should subclass keras.layers.Layer.")
    _check_arguments(MyBatchNorm)
    try:
        parameters = inspect.signature(MyBatchNorm.call).parameters
    except (TypeError, ValueError):
        parameters = {"training": None}
    expect("training" in parameters, f"MyBatchNorm.call has no argument named training: {ARGUMENT_HINT}")
    config = student.run(default.get_config, name="MyBatchNorm.get_config")
    expect(isinstance(config, dict) and "momentum" in config and "epsilon" in config,
           "get_config should return super().get_config() plus momentum and epsilon, so that "
           "MyBatchNorm.from_config(layer.get_config()) rebuilds the same layer.")
    keras_default = keras.layers.BatchNormalization()
    expect(math.isclose(float(config["momentum"]), keras_default.momentum)
           and math.isclose(float(config["epsilon"]), keras_default.epsilon),
           f"MyBatchNorm() has momentum={config['momentum']}, epsilon={config['epsilon']}: use Keras's defaults, "
           f"momentum={keras_default.momentum} and epsilon={keras_default.epsilon}.")

    rows = (8, 6, 10)[seed % 3]
    _check_layer_on(student, momentum, epsilon, (rows, 5 + seed % 2), rng, hints=SHAPE_HINTS)
    _check_layer_on(student, momentum, epsilon, (4, 3, 3 + seed % 2, 2 + seed % 2), rng, hints=SHAPE_HINTS)
    _check_layer_on(student, momentum, epsilon, (3, 4 + seed % 2, 3), rng, hints=SHAPE_HINTS, steps=2)  # sequences

    layer = _build_student(student, momentum, epsilon, (rows, 3))
    config = student.run(layer.get_config, name="MyBatchNorm.get_config")
    expect(math.isclose(float(config.get("momentum", -1)), momentum)
           and math.isclose(float(config.get("epsilon", -1)), epsilon),
           f"get_config of MyBatchNorm(momentum={momentum}, epsilon={epsilon}) gave momentum="
           f"{config.get('momentum')!r}, epsilon={config.get('epsilon')!r}: return the values given to __init__.")
    clone = student.run(MyBatchNorm.from_config, config, name="MyBatchNorm.from_config")
    clone_config = student.run(clone.get_config, name="MyBatchNorm.get_config")
    expect(math.isclose(float(clone_config.get("momentum", -1)), momentum)
           and math.isclose(float(clone_config.get("epsilon", -1)), epsilon),
           "MyBatchNorm.from_config(layer.get_config()) did not rebuild the same momentum and epsilon.")

    _check_in_fit(student, momentum, epsilon, rng)
    passed(f"MyBatchNorm(momentum={momentum}, epsilon={epsilon}) matches keras.layers.BatchNormalization on "
           "2-D, 3-D and 4-D inputs in both phases, inside fit and predict, and round-trips its config")
