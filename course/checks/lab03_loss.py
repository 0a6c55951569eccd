"""Checks for lab03_loss: losses by hand against keras.losses, softmax, empirical risk, training.

Every loss is compared with its Keras counterpart (``keras.losses.*`` per-example
functions, ``keras.ops.softmax``) on random inputs and on edge cases:
probabilities of exactly 0 and 1, and logits in the thousands. Known mistakes
(wrong axis, sum instead of mean, logits where probabilities belong, missing
epsilon, unstable softmax) are recognised by recomputing the wrong version and
comparing.
"""

from __future__ import annotations

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    attempt,
    expect,
    expect_close,
    expect_shape,
    is_close,
    library_calls,
    passed,
    reference_sigmoid,
    to_numpy,
    train_quickly,
)

RTOL, ATOL = 1e-4, 1e-4  # float32 Keras references against float32/float64 student code
EDGE_ATOL = 1.0  # eps = 1e-7 by clipping or by adding it inside the log differ by log(2) at most
STUDENT_AT = np.array([[4.0, 5.0]], dtype="float32")
BY_HAND = ("write it yourself with NumPy (np.log, np.clip, np.mean or np.sum); the check then compares it "
           "with Keras.")
LIBRARY_LOSSES = {
    "binary_cross_entropy": {"keras.losses.binary_crossentropy": "keras.losses.binary_crossentropy",
                             "keras.ops.binary_crossentropy": "keras.ops.binary_crossentropy"},
    "mean_squared_error": {"keras.losses.mean_squared_error": "keras.losses.mean_squared_error",
                           "keras.metrics.mean_squared_error": "keras.metrics.mean_squared_error"},
    "softmax": {"keras.ops.softmax": "keras.ops.softmax", "keras.activations.softmax": "keras.activations.softmax",
                "tensorflow.nn.softmax": "tf.nn.softmax", "scipy.special.softmax": "scipy.special.softmax",
                "keras.ops.log_softmax": "keras.ops.log_softmax", "tensorflow.nn.log_softmax": "tf.nn.log_softmax",
                "scipy.special.log_softmax": "scipy.special.log_softmax"},
    "categorical_cross_entropy": {
        "keras.losses.categorical_crossentropy": "keras.losses.categorical_crossentropy",
        "keras.ops.categorical_crossentropy": "keras.ops.categorical_crossentropy"},
}


class _ByHand(Student):
    """A graded function the lab asks to write by hand: calling Keras's own version fails."""

    def __init__(self, obj, name: str, how: str = BY_HAND):
        super().__init__(obj, name)
        self.how = how

    def run(self, function, *args, **kwargs):
        with library_calls(LIBRARY_LOSSES[self.name]) as used:
            result = super().run(function, *args, **kwargs)
        if used:
            raise CheckFailed(f"{self.name} calls {used[0]}: {self.how}")
        return result


def _keras_loss(name: str, y_true: np.ndarray, y_pred: np.ndarray, **kwargs) -> np.ndarray:
    """A per-example ``keras.losses`` function on float32 inputs, as float64 NumPy."""
    import keras

    return np.asarray(getattr(keras.losses, name)(y_true, y_pred, **kwargs), dtype=np.float64)


def _per_example_shape(result: np.ndarray, n: int, k: int, name: str, reduce_word: str) -> None:
    """Name the usual reduction mistakes before comparing values."""
    if result.shape == (n, k):
        raise CheckFailed(f"{name} returned shape {result.shape}: return one loss per example, "
                          f"shape ({n},), by {reduce_word} over the last axis (axis=-1).")
    if result.shape == (k,) and k != n:
        raise CheckFailed(f"{name} reduced over axis 0 (the examples): reduce over the last axis "
                          f"(axis=-1), the outputs of each example.")
    if result.size == 1 and n > 1:
        raise CheckFailed(f"{name} returned one number for {n} examples: return the per-example "
                          f"losses, shape ({n},); averaging over examples is empirical_risk's job.")
    expect_shape(result, (n,), f"{name}(y_true, y_pred) for inputs of shape {(n, k)}")


def _first_match(result: np.ndarray, mistakes: dict, expected: np.ndarray) -> None:
    """Raise the message of the first wrong version the result matches (and the right one does not).

    Args:
        result: the student's per-example losses.
        mistakes: ``{message: wrong_result or [wrong_result, ...]}``, checked in order.
        expected: the right result; a wrong version equal to it is skipped.
    """
    for message, wrongs in mistakes.items():
        for wrong in wrongs if isinstance(wrongs, list) else [wrongs]:
            wrong = np.asarray(wrong, dtype=np.float64)
            if (wrong.shape == result.shape and np.all(np.isfinite(wrong))
                    and not is_close(wrong, expected, RTOL, ATOL) and is_close(result, wrong, RTOL, ATOL)):
                raise CheckFailed(message)


EPS_MESSAGE = ("{name} gives inf or nan when a probability is exactly 0 or 1: log(0) is -inf{extra}; "
               "{fix}")


def _edge_case(student: Student, name: str, y: np.ndarray, p: np.ndarray, keras_name: str, fix: str,
               extra: str = "") -> None:
    """Probabilities of exactly 0 and 1: finite, near 0 when right, near Keras's value when wrong."""
    result = to_numpy(student(y.copy(), p.copy()), f"{name}(y_true, y_pred)")
    expected = _keras_loss(keras_name, y, p)
    expect_shape(result, expected.shape, f"{name}(y_true, y_pred) for inputs of shape {y.shape}")
    expect(bool(np.all(np.isfinite(result))), EPS_MESSAGE.format(name=name, extra=extra, fix=fix))
    worst = int(np.argmax(np.abs(result - expected)))
    if abs(result[worst] - expected[worst]) > EDGE_ATOL:
        raise CheckFailed(f"{name} gives {result[worst]:.3g} for a prediction of exactly 0 or 1 where "
                          f"keras.losses.{keras_name} gives {expected[worst]:.3g}: use eps = 1e-7 "
                          f"(keras.config.epsilon()), not a larger or smaller one.")


def check_binary_cross_entropy(binary_cross_entropy, seed: int = 0) -> None:
    """Per-example binary cross-entropy (n, k) -> (n,), equal to keras.losses.binary_crossentropy."""
    rng = np.random.default_rng(seed)
    name = "binary_cross_entropy"
    student = _ByHand(binary_cross_entropy, name)
    for k in (1, 3):
        n = int(rng.integers(5, 9))
        y = rng.integers(0, 2, size=(n, k)).astype("float32")
        p = rng.uniform(0.02, 0.98, size=(n, k)).astype("float32")
        result = to_numpy(student(y.copy(), p.copy()), f"{name}(y_true, y_pred)")
        _per_example_shape(result, n, k, name, "averaging")
        expected = _keras_loss("binary_crossentropy", y, p)
        y64, p64 = y.astype(np.float64), p.astype(np.float64)
        per_output = -(y64 * np.log(p64) + (1 - y64) * np.log(1 - p64))
        if bool(np.all(result < 0)):
            raise CheckFailed(f"{name} is negative: the minus sign in front of the sum is missing "
                              f"(log p is negative, the loss must not be).")
        _first_match(result, {
            f"{name} leaves out the (1 - y)·log(1 - p) term: failed students (y = 0) must cost "
            f"something too.": -(y64 * np.log(p64)).mean(-1),
            f"{name} sums over the last axis: average over it (np.mean(..., axis=-1)), as keras does.":
                per_output.sum(-1),
            f"{name} applies a sigmoid to y_pred, treating it as logits: y_pred already holds "
            f"probabilities here (keras's from_logits=False).":
                _keras_loss("binary_crossentropy", y, p, from_logits=True),
            f"{name} looks like y_true and y_pred are swapped: the logs go on the predicted "
            f"probabilities, log(y_pred) and log(1 - y_pred).": _keras_loss("binary_crossentropy", p, y),
            f"{name} uses log base 10: use the natural logarithm, np.log.": per_output.mean(-1) / np.log(10),
            f"{name} uses log base 2: use the natural logarithm, np.log.": per_output.mean(-1) / np.log(2),
        }, expected)
        expect_close(result, expected, f"{name}(y_true, y_pred)", RTOL, ATOL)
    y_edge = np.array([[1.0], [0.0], [1.0], [0.0]], dtype="float32")
    p_edge = np.array([[1.0], [0.0], [0.0], [1.0]], dtype="float32")
    _edge_case(student, name, y_edge, p_edge, "binary_crossentropy",
               "clip y_pred into [eps, 1 - eps] with eps = 1e-7 before taking logs.",
               extra=" (and 0·log 0 is nan)")
    passed(f"{name} matches keras.losses.binary_crossentropy per example and stays finite at p = 0 and p = 1")


def check_mean_squared_error(mean_squared_error, seed: int = 0) -> None:
    """Per-example MSE (n, k) -> (n,), equal to keras.losses.mean_squared_error."""
    rng = np.random.default_rng(seed)
    name = "mean_squared_error"
    student = _ByHand(mean_squared_error, name, "write it yourself with NumPy (np.square and np.mean over "
                                               "the last axis); the check then compares it with Keras.")
    for k in (3, 1):
        n = int(rng.integers(5, 9))
        y = rng.normal(scale=2.0, size=(n, k)).astype("float32")
        y_hat = (y + rng.normal(scale=1.5, size=(n, k))).astype("float32")
        result = to_numpy(student(y.copy(), y_hat.copy()), f"{name}(y_true, y_pred)")
        _per_example_shape(result, n, k, name, "averaging")
        expected = _keras_loss("mean_squared_error", y, y_hat)
        d = y_hat.astype(np.float64) - y.astype(np.float64)
        _first_match(result, {
            f"{name} sums the squared errors over the last axis: take their mean (divide by the "
            f"number of outputs), as keras does.": (d ** 2).sum(-1),
            f"{name} has the factor 1/2 of the book's version: here (and in Keras) MSE is the plain "
            f"mean of the squared errors.": [0.5 * (d ** 2).mean(-1), 0.5 * (d ** 2).sum(-1)],
            f"{name} is the mean absolute error: square the differences instead of taking |y - ŷ|.":
                np.abs(d).mean(-1),
            f"{name} averages the plain differences: square them first, or positive and negative "
            f"errors cancel.": [d.mean(-1), -d.mean(-1)],
            f"{name} takes a square root (that is the RMSE): return the mean of the squares.":
                np.sqrt((d ** 2).mean(-1)),
        }, expected)
        expect_close(result, expected, f"{name}(y_true, y_pred)", RTOL, ATOL)
    same = to_numpy(student(y.copy(), y.copy()), f"{name}(y, y)")
    expect(bool(np.allclose(same, 0.0)), f"{name}(y, y) should be 0 for every example.")
    passed(f"{name} matches keras.losses.mean_squared_error per example")


def check_softmax(softmax, seed: int = 0) -> None:
    """softmax(logits) over the last axis, equal to keras.ops.softmax, stable for huge logits."""
    import keras

    rng = np.random.default_rng(seed)
    name = "softmax"
    student = _ByHand(softmax, name, "write it yourself with np.exp, subtracting each row's maximum first; "
                                     "the check then compares it with keras.ops.softmax.")
    n, k = int(rng.integers(3, 6)), int(rng.integers(6, 9))  # n != k, so axis mistakes show
    logits = rng.normal(scale=3.0, size=(n, k)).astype("float32")
    given = logits.copy()
    hints = {"could not be broadcast": f"{name} divides by the row sums without keepdims=True: "
                                       "use e.sum(axis=-1, keepdims=True) so each row is divided by its own sum."}
    result = to_numpy(student(given, hints=hints), f"{name}(logits)")
    expect(np.array_equal(given, logits), f"{name} changed the logits array it was given: compute "
                                          f"logits - max into a new array instead of subtracting in place.")
    expect_shape(result, (n, k), f"{name}(logits) for logits of shape {(n, k)}")
    z = logits.astype(np.float64)
    e = np.exp(z - z.max())
    if is_close(result, e / e.sum(axis=0, keepdims=True)):
        raise CheckFailed(f"{name} normalises over axis 0, so each column sums to 1: each row is one "
                          f"example, so sum over the last axis (axis=-1, keepdims=True).")
    if is_close(result, e / e.sum()):
        raise CheckFailed(f"{name} divides by the sum of the whole array: divide each row by its own "
                          f"sum (axis=-1, keepdims=True).")
    if is_close(result, np.exp(z)):
        raise CheckFailed(f"{name} returns exp(logits) only: divide by each row's sum.")
    expected = np.asarray(keras.ops.softmax(logits, axis=-1), dtype=np.float64)
    expect_close(result, expected, f"{name}(logits)", RTOL, 1e-6)
    expect(bool(np.allclose(result.sum(axis=-1), 1.0, atol=1e-5)), f"the rows of {name}(logits) should sum to 1.")

    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -999.0], [0.0, 50.0, -50.0]], dtype="float32")
    result = to_numpy(student(big.copy(), hints=hints), f"{name}(large logits)")
    expect_shape(result, big.shape, f"{name}(logits) for logits of shape {big.shape}")
    bad_rows = ~np.all(np.isfinite(result), axis=-1)
    if bad_rows[0]:
        raise CheckFailed(f"{name} overflows on large logits (exp(1000) is inf, inf/inf is nan): subtract "
                          f"each row's maximum from the logits before exp; the result does not change.")
    if bad_rows.any():
        raise CheckFailed(f"{name} gives nan for rows far below the largest logit of the whole array: "
                          f"subtract each row's own maximum (axis=-1, keepdims=True), not one global maximum.")
    expected = np.asarray(keras.ops.softmax(big, axis=-1), dtype=np.float64)
    expect_close(result, expected, f"{name} on logits like [1000, 1001, 1002]", RTOL, 1e-6)
    passed(f"{name} matches keras.ops.softmax over the last axis and stays finite for logits of ±1000")


def check_categorical_cross_entropy(categorical_cross_entropy, seed: int = 0) -> None:
    """Per-example categorical cross-entropy (n, k) -> (n,), equal to keras.losses.categorical_crossentropy."""
    rng = np.random.default_rng(seed)
    name = "categorical_cross_entropy"
    student = _ByHand(categorical_cross_entropy, name, "write it yourself with NumPy (np.log of y_pred + eps, "
                                                       "np.sum over the classes); the check then compares it "
                                                       "with Keras.")
    n, k = int(rng.integers(5, 9)), int(rng.integers(3, 5))
    t = np.eye(k, dtype="float32")[rng.integers(0, k, size=n)]
    p = rng.dirichlet(np.ones(k), size=n)
    p = 0.02 + 0.9 * p  # no probability too close to 0 in the random case
    p = (p / p.sum(axis=-1, keepdims=True)).astype("float32")
    result = to_numpy(student(t.copy(), p.copy()), f"{name}(y_true, y_pred)")
    _per_example_shape(result, n, k, name, "summing")
    expected = _keras_loss("categorical_crossentropy", t, p)
    t64, p64 = t.astype(np.float64), p.astype(np.float64)
    per_class = -t64 * np.log(p64)
    if bool(np.all(result < 0)):
        raise CheckFailed(f"{name} is negative: the minus sign in front of the sum is missing.")
    _first_match(result, {
        f"{name} averages over the classes: cross-entropy sums -t·log p over them (np.sum, axis=-1).":
            per_class.mean(-1),
        f"{name} applies a softmax to y_pred, treating it as logits: y_pred already holds "
        f"probabilities here (keras's from_logits=False).":
            _keras_loss("categorical_crossentropy", t, p, from_logits=True),
        f"{name} adds (1 - t)·log(1 - p) terms: those belong to binary cross-entropy; categorical "
        f"cross-entropy keeps only -t·log p.": (per_class - (1 - t64) * np.log(1 - p64)).sum(-1),
        f"{name} looks like y_true and y_pred are swapped: the log goes on the predicted probabilities.":
            -(p64 * np.log(t64 + 1e-7)).sum(-1),
        f"{name} uses log base 10: use the natural logarithm, np.log.": per_class.sum(-1) / np.log(10),
        f"{name} uses log base 2: use the natural logarithm, np.log.": per_class.sum(-1) / np.log(2),
    }, expected)
    expect_close(result, expected, f"{name}(y_true, y_pred)", RTOL, ATOL)
    t_edge = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    p_edge = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0.5, 0.5]], dtype="float32")
    _edge_case(student, name, t_edge, p_edge, "categorical_crossentropy",
               "add a small eps = 1e-7 inside the log, log(y_pred + eps), as the notes do.",
               extra=" and 0·log 0 is nan")
    passed(f"{name} matches keras.losses.categorical_crossentropy per example and stays finite "
           f"when a probability is exactly 0")


RISK_HINTS = {
    "object has no attribute 'mean'": "empirical_risk calls .mean() on what loss_fn returned, but Keras's "
                                      "losses return tensors, which have no .mean(): use np.mean(...).",
    "object has no attribute 'predict'": "empirical_risk calls model.predict, but the model may be a plain "
                                         "function: call it, model(x).",
}


def check_empirical_risk(empirical_risk, seed: int = 0) -> None:
    """empirical_risk(model, x, y, loss_fn) = mean over the data set of loss_fn(y, model(x))."""
    import keras

    rng = np.random.default_rng(seed)
    name = "empirical_risk"
    n = int(rng.integers(20, 40))
    x = rng.uniform(0, 12, size=(n, 2)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) + rng.normal(scale=3, size=(n, 1)) > 12).astype("float32")
    classifier = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    classifier.layers[0].kernel.assign(rng.normal(scale=0.3, size=(2, 1)).astype("float32"))
    classifier.layers[0].bias.assign(np.array([-1.5], dtype="float32"))
    y_reg = rng.normal(size=(n, 3)).astype("float32")
    W = rng.normal(size=(2, 3)).astype("float32") / 10
    calls = []

    def regressor(inputs):
        calls.append(len(inputs))
        return np.asarray(inputs, dtype=np.float32) @ W

    def mse(y_true, y_pred):
        return np.mean(np.square(np.asarray(y_pred) - np.asarray(y_true)), axis=-1)

    cases = [("a Keras classifier with keras.losses.binary_crossentropy", classifier, y,
              keras.losses.binary_crossentropy),
             ("a NumPy regressor with a per-example MSE", regressor, y_reg, mse)]
    student = Student(empirical_risk, name)
    for label, model, targets, loss_fn in cases:
        result = student(model, x.copy(), targets.copy(), loss_fn, hints=RISK_HINTS)
        value = to_numpy(result, f"{name} for {label}")
        predictions = np.asarray(classifier(x) if model is classifier else x @ W, dtype=np.float32)
        per_example = np.asarray(loss_fn(targets, predictions), dtype=np.float64)
        expected = per_example.mean()
        if value.size == n:
            raise CheckFailed(f"{name} returned {n} numbers: return one, the mean of the per-example losses.")
        expect(value.size == 1, f"{name} should return one number, got an array of shape {value.shape}.")
        got = float(value.reshape(()))
        swapped = float(np.mean(np.asarray(loss_fn(predictions, targets), dtype=np.float64)))
        if abs(got - expected) > 1e-4 * max(1.0, abs(expected)):
            if np.isclose(got, per_example.sum(), rtol=1e-4):
                raise CheckFailed(f"{name} sums the per-example losses: the empirical risk is their mean "
                                  f"(divide by the number of examples).")
            if np.isclose(got, swapped, rtol=1e-4) and not np.isclose(swapped, expected, rtol=1e-4):
                raise CheckFailed(f"{name} calls loss_fn(y_pred, y_true): the targets come first, "
                                  f"loss_fn(y, model(x)).")
            if np.isclose(got, np.median(per_example), rtol=1e-4):
                raise CheckFailed(f"{name} takes the median of the per-example losses: the empirical risk "
                                  f"is their mean.")
            raise CheckFailed(f"{name} for {label} gives {got:.6g} where the mean of "
                              f"loss_fn(y, model(x)) is {expected:.6g}.")
    how = (f", though it calls the model {len(calls)} times where one call on all of x does"
           if len(calls) > 1 else "")
    passed(f"{name} is the mean of loss_fn(y, model(x)) for a Keras model and for a NumPy function{how}")


HIDDEN_UNITS = 8
PASS_FAIL_HIDDEN = {"relu": lambda z: np.maximum(z, 0.0), "none": lambda z: z, "tanh": np.tanh,
                    "sigmoid": reference_sigmoid}
PASS_FAIL_OUTPUT = {"sigmoid": reference_sigmoid, "none": lambda z: z, "relu": lambda z: np.maximum(z, 0.0),
                    "softmax": lambda z: np.ones_like(z)}
PASS_FAIL_MISTAKES = {
    "none": "its hidden layer has no activation: give it activation=\"relu\".",
    "tanh": "its hidden layer uses tanh: this network's hidden layer uses ReLU (activation=\"relu\").",
    "sigmoid": "its hidden layer uses a sigmoid: this network's hidden layer uses ReLU (activation=\"relu\").",
    "output none": "its output has no activation, so it is not a probability: end with "
                   "Dense(1, activation=\"sigmoid\").",
    "output relu": "its output uses ReLU, which is not a probability: end with Dense(1, activation=\"sigmoid\").",
    "output softmax": "its output always gives 1, as a softmax over a single unit does: use "
                      "activation=\"sigmoid\" on the output.",
}


def _check_pass_fail_structure(model, name: str, rng: np.random.Generator) -> None:
    """Input(2) -> Dense(8, ReLU) -> Dense(1, sigmoid), uncompiled, checked from outputs on random weights."""
    import keras

    expect(model is not None, f"{name} returned None: did you forget the `return`?")
    expect(isinstance(model, keras.Model), f"{name} should return a keras.Sequential model, "
                                           f"got {type(model).__name__}.")
    expect(isinstance(model, keras.Sequential), f"{name} returned a {type(model).__name__}, not a "
                                                f"keras.Sequential: put the layers in keras.Sequential([...]).")
    try:
        input_shape = tuple(model.input_shape) if model.built else None
    except (AttributeError, ValueError):
        input_shape = None
    expect(input_shape is not None, f"{name}'s model has no input shape: start it with keras.Input(shape=(2,)).")
    expect(input_shape == (None, 2), f"{name}'s model takes inputs of shape {input_shape}; it should "
                                     f"take (None, 2): [lectures attended, project hours].")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    others = [layer for layer in model.layers if not isinstance(layer, keras.layers.Dense) and layer.weights]
    expect(not others, f"{name}'s model has a {type(others[0]).__name__ if others else ''} layer with "
                       f"weights: use Dense layers only, one hidden and one output.")
    units = [int(layer.units) for layer in dense]
    expect(len(units) >= 2, f"{name}'s model has no hidden layer: put a Dense layer of {HIDDEN_UNITS} "
                            f"ReLU units between the inputs and the output.")
    expect(units[-1] == 1, f"{name}'s model gives {units[-1]} outputs per student: give one, the "
                           f"probability of passing, with Dense(1, activation=\"sigmoid\").")
    expect(len(units) == 2, f"{name}'s model has {len(units) - 1} hidden Dense layers: it should have one, "
                            f"of {HIDDEN_UNITS} ReLU units.")
    expect(units[0] == HIDDEN_UNITS, f"{name}'s hidden layer has {units[0]} units: it should have "
                                     f"{HIDDEN_UNITS} (ReLU).")
    expect(all(layer.use_bias for layer in dense), f"{name}'s model has a Dense layer without a bias: "
                                                   f"leave use_bias at its default (True).")
    expect(not getattr(model, "compiled", False), f"{name} compiles the model: return it uncompiled, "
           f"the training cell (and the check) choose the loss and the optimizer.")
    weights = []
    for layer in dense:
        kernel = rng.normal(scale=0.8, size=tuple(layer.kernel.shape))
        bias = rng.normal(scale=0.5, size=tuple(layer.bias.shape))
        layer.kernel.assign(kernel.astype("float32"))
        layer.bias.assign(bias.astype("float32"))
        weights.append((kernel.astype("float32").astype(np.float64), bias.astype("float32").astype(np.float64)))
    probe = rng.uniform(-3, 3, size=(6, 2)).astype("float32")
    out = to_numpy(attempt(model, probe, name=f"the model from {name}"), f"the model from {name}")
    expect_shape(out, (len(probe), 1), f"the output of {name}'s model for inputs of shape {probe.shape}")
    in_training = to_numpy(attempt(model, probe, training=True, name=f"the model from {name}"),
                           f"the model from {name}")

    def forward(hidden, output):
        (W1, b1), (W2, b2) = weights
        return output(hidden(probe.astype(np.float64) @ W1 + b1) @ W2 + b2)

    if not is_close(out, forward(PASS_FAIL_HIDDEN["relu"], reference_sigmoid), RTOL, ATOL):
        for hidden_name, hidden in PASS_FAIL_HIDDEN.items():
            for output_name, output in PASS_FAIL_OUTPUT.items():
                if is_close(out, forward(hidden, output), RTOL, ATOL):
                    key = hidden_name if hidden_name != "relu" else f"output {output_name}"
                    raise CheckFailed(f"{name}'s model: {PASS_FAIL_MISTAKES[key]}")
        raise CheckFailed(f"{name}'s model does not compute sigmoid(Dense(1) of ReLU(Dense({HIDDEN_UNITS}))): "
                          f"check the two layers' activations.")
    expect(is_close(in_training, out, RTOL, ATOL), f"{name}'s model computes something else in training "
           f"(model(x, training=True)), as a Dropout or noise layer does: keep to the two Dense layers.")


def check_build_pass_fail_model(build_pass_fail_model, seed: int = 0, min_probability: float = 0.8,
                                max_final_loss: float = 0.35) -> None:
    """build_pass_fail_model() is Input(2) -> Dense(8, ReLU) -> Dense(1, sigmoid), uncompiled; a fresh
    one, trained for 10 epochs on the pass/fail data (Adam 0.05, batches of 16), ends with a loss of
    at most max_final_loss and a pass probability above min_probability for the student at [4, 5]."""
    import keras

    from course.data import load_pass_fail
    from course.seed import set_seed

    name = "build_pass_fail_model"
    student = Student(build_pass_fail_model, name)
    _check_pass_fail_structure(student(), name, np.random.default_rng(seed))
    set_seed(seed)
    model = student()

    x_train, y_train = load_pass_fail()
    y_train = y_train.reshape(-1, 1)

    def train():
        before = float(np.mean(keras.losses.binary_crossentropy(y_train, model(x_train))))
        train_quickly(model, x_train, y_train, keras.optimizers.Adam(learning_rate=0.05),
                      keras.losses.BinaryCrossentropy(), batch_size=16, epochs=10, seed=seed)
        after = float(np.mean(keras.losses.binary_crossentropy(y_train, model(x_train))))
        return before, after, float(np.asarray(model(STUDENT_AT)).reshape(-1)[0])

    before, after, probability = attempt(train, name=f"training the model from {name}")
    expect(np.isfinite(before) and np.isfinite(after), f"training {name}'s model gave a nan loss: look for "
           f"an unusual initializer, constraint or dtype in its layers.")
    if not (after < before and after <= max_final_loss):
        raise CheckFailed(f"training {name}'s model for 10 epochs took the loss from {before:.3f} to "
                          f"only {after:.3f} (it should fall to {max_final_loss} or below): look at how its "
                          f"layers start (kernel_initializer) and whether they are all trainable.")
    if probability <= min_probability:
        raise CheckFailed(f"after training, {name}'s model gives the student at [4, 5] a pass probability "
                          f"of {probability:.2f}, not a confident pass (> {min_probability}): look at how "
                          f"its layers start (kernel_initializer) and whether they are all trainable.")
    passed(f"{name}'s network, trained for 10 epochs, lowers the loss from {before:.2f} to {after:.2f} "
           f"and gives [4, 5] a pass probability of {probability:.2f}")
