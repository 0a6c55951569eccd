"""(d) lab03's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from course.checks import CheckFailed, NotAttempted
from course.checks import lab03_loss as checks

EPS = 1e-7


def stub(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [
    checks.check_binary_cross_entropy, checks.check_mean_squared_error, checks.check_softmax,
    checks.check_categorical_cross_entropy, checks.check_empirical_risk, checks.check_build_pass_fail_model,
])
def test_stubs_are_not_attempted(check):
    with pytest.raises(NotAttempted, match="not implemented yet"):
        check(stub)


# --- binary cross-entropy ------------------------------------------------------------------

def bce_tf(y_true, y_pred):
    """Correct, and unlike the solution: TensorFlow, epsilon added inside the logs."""
    y = tf.constant(y_true, tf.float32)
    p = tf.constant(y_pred, tf.float32)
    return -tf.reduce_mean(y * tf.math.log(p + EPS) + (1 - y) * tf.math.log(1 - p + EPS), axis=-1)


def bce_where(y_true, y_pred):
    """Correct: pick the live term with np.where, clip first."""
    p = np.clip(y_pred, EPS, 1 - EPS)
    return np.mean(np.where(y_true == 1, -np.log(p), -np.log(1 - p)), axis=-1)


def bce_log1p(y_true, y_pred):
    """Correct: float32 throughout, log1p for the second term, sum divided by k."""
    p = np.clip(np.asarray(y_pred, np.float32), np.float32(EPS), np.float32(1 - EPS))
    terms = y_true * np.log(p) + (1 - y_true) * np.log1p(-p)
    return -terms.sum(axis=1) / y_true.shape[1]


def bce_keras_ops(y_true, y_pred):
    """Correct: written by hand with keras.ops (not Keras's own loss)."""
    p = keras.ops.clip(y_pred, EPS, 1 - EPS)
    return -keras.ops.mean(y_true * keras.ops.log(p) + (1 - y_true) * keras.ops.log(1 - p), axis=-1)


@pytest.mark.parametrize("right", [bce_tf, bce_where, bce_log1p, bce_keras_ops])
def test_bce_passes_alternative_forms(right, capsys):
    checks.check_binary_cross_entropy(right)
    checks.check_binary_cross_entropy(right, seed=6)
    assert capsys.readouterr().out.count("✔") == 2


def helper_stub(*args):
    raise NotImplementedError()


def bce_terms(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize("wrong, message", [
    (lambda y, p: bce_terms(y, p), r"shape \(\d, 1\): return one loss per example"),
    (lambda y, p: np.mean(bce_terms(y, p)), "one number for"),
    (lambda y, p: -np.mean(bce_terms(y, p), axis=-1), "minus sign"),
    (lambda y, p: np.mean(-y * np.log(np.clip(p, EPS, 1)), axis=-1), r"leaves out the \(1 - y\)"),
    (lambda y, p: np.mean(bce_terms(y, 1 / (1 + np.exp(-p))), axis=-1), "applies a sigmoid"),
    (lambda y, p: np.mean(bce_terms(p, np.clip(y, EPS, 1 - EPS)), axis=-1), "swapped"),
    (lambda y, p: np.mean(bce_terms(y, p), axis=-1) / np.log(10), "log base 10"),
    (lambda y, p: np.mean(bce_terms(y, p), axis=-1) / np.log(2), "log base 2"),
    (lambda y, p: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=-1), "inf or nan"),
    (lambda y, p: np.mean(bce_terms(y, np.clip(p, 1e-3, 1 - 1e-3)), axis=-1), "use eps = 1e-7"),
    (lambda y, p: np.mean(bce_terms(y, p), axis=-1) + 0.01, "is off"),
    (lambda y, p: None, "forget the `return`"),
    (lambda y, p: keras.losses.binary_crossentropy(y, p), "calls keras.losses.binary_crossentropy"),
    (lambda y, p: keras.losses.BinaryCrossentropy(reduction=None)(y, p), "calls keras.losses.binary_crossentropy"),
    (lambda y, p: tf.keras.losses.binary_crossentropy(y, p).numpy(), "calls keras.losses.binary_crossentropy"),
    (lambda y, p: keras.ops.mean(keras.ops.binary_crossentropy(y, p), axis=-1), "calls keras.ops.binary_crossentropy"),
    (lambda y, p: helper_stub(y, p), "calls `helper_stub`, which still raises"),
])
def test_bce_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_binary_cross_entropy(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_bce_from_an_alias_of_the_keras_loss_is_caught():
    from keras.losses import binary_crossentropy as bce  # imported under another name

    with pytest.raises(CheckFailed, match="calls keras.losses.binary_crossentropy"):
        checks.check_binary_cross_entropy(lambda y, p: np.asarray(bce(y, p)))


def test_bce_sum_over_outputs_is_named():
    # k = 1 comes first, where sum and mean agree; the k = 3 case tells them apart.
    with pytest.raises(CheckFailed, match="sums over the last axis"):
        checks.check_binary_cross_entropy(lambda y, p: np.sum(bce_terms(y, p), axis=-1))


# --- mean squared error --------------------------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda y, p: np.einsum("ij,ij->i", p - y, p - y) / y.shape[-1],
    lambda y, p: tf.reduce_mean(tf.square(tf.subtract(p, y)), axis=-1),
    lambda y, p: np.square(np.subtract(y, p)).mean(axis=1),
    lambda y, p: keras.ops.mean(keras.ops.square(p - y), axis=-1),
    lambda y, p: [float(np.mean((a - b) ** 2)) for a, b in zip(y, p)],
])
def test_mse_passes_alternative_forms(right, capsys):
    checks.check_mean_squared_error(right)
    checks.check_mean_squared_error(right, seed=8)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (lambda y, p: np.sum((y - p) ** 2, axis=-1), "sums the squared errors"),
    (lambda y, p: 0.5 * np.sum((y - p) ** 2, axis=-1), "factor 1/2"),
    (lambda y, p: np.mean(np.abs(y - p), axis=-1), "mean absolute error"),
    (lambda y, p: np.mean(y - p, axis=-1), "square them first"),
    (lambda y, p: np.sqrt(np.mean((y - p) ** 2, axis=-1)), "RMSE"),
    (lambda y, p: np.mean((y - p) ** 2), "one number for"),
    (lambda y, p: (y - p) ** 2, "return one loss per example"),
    (lambda y, p: np.mean((y - p) ** 2, axis=0), "axis 0"),
    (lambda y, p: keras.losses.mean_squared_error(y, p), "calls keras.losses.mean_squared_error"),
    (lambda y, p: keras.losses.MeanSquaredError(reduction=None)(y, p), "calls keras.losses.mean_squared_error"),
    (lambda y, p: keras.metrics.mean_squared_error(y, p), "calls keras"),
    (lambda y, p: None, "forget the `return`"),
])
def test_mse_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_mean_squared_error(wrong)


# --- softmax -------------------------------------------------------------------------------

def softmax_logsumexp(z):
    """Correct, and unlike the solution: exp(z - logsumexp(z))."""
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    return np.exp(z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))


def softmax_tf_by_hand(z):
    """Correct: TensorFlow operations, written out."""
    e = tf.exp(z - tf.reduce_max(z, axis=-1, keepdims=True))
    return e / tf.reduce_sum(e, axis=-1, keepdims=True)


def softmax_rows_loop(z):
    """Correct: one row at a time, float32."""
    out = np.empty_like(z)
    for i, row in enumerate(z):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out


@pytest.mark.parametrize("right", [
    softmax_logsumexp, softmax_tf_by_hand, softmax_rows_loop,
    lambda z: np.exp(z - scipy_logsumexp(z, axis=-1, keepdims=True)),
])
def test_softmax_passes_alternative_forms(right, capsys):
    checks.check_softmax(right)
    checks.check_softmax(right, seed=2)
    assert capsys.readouterr().out.count("✔") == 2


def scipy_logsumexp(*args, **kwargs):
    from scipy.special import logsumexp

    return logsumexp(*args, **kwargs)


def scipy_softmax(*args, **kwargs):
    from scipy.special import softmax

    return softmax(*args, **kwargs)


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def global_max_softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


def in_place_softmax(z):
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("wrong, message", [
    (lambda z: np.exp(z - z.max(0)) / np.exp(z - z.max(0)).sum(axis=0, keepdims=True), "over axis 0"),
    (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(), "sum of the whole array"),
    (lambda z: np.exp(z) / np.exp(z).sum(axis=-1), "keepdims=True"),
    (np.exp, "exp\\(logits\\) only"),
    (naive_softmax, "overflows on large logits"),
    (global_max_softmax, "each row's own maximum"),
    (in_place_softmax, "in place"),
    (lambda z: softmax_logsumexp(z)[:, :-1], "has shape"),
    (lambda z: softmax_logsumexp(2 * z), "is off"),
    (lambda z: tf.nn.softmax(tf.constant(z), axis=-1), "calls tf.nn.softmax"),
    (lambda z: keras.ops.softmax(z), "calls keras.ops.softmax"),
    (lambda z: keras.activations.softmax(keras.ops.convert_to_tensor(z)), "calls keras.activations.softmax"),
    (lambda z: scipy_softmax(z, axis=-1), "calls scipy.special.softmax"),
    (lambda z: None, "forget the `return`"),
])
def test_softmax_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_softmax(wrong)


# --- categorical cross-entropy -------------------------------------------------------------

def cce_true_class(y_true, y_pred):
    """Correct, and unlike the solution: pick the true class's probability with argmax."""
    rows = np.arange(len(y_true))
    return -np.log(np.asarray(y_pred, dtype=np.float64)[rows, np.argmax(y_true, axis=-1)] + EPS)


@pytest.mark.parametrize("right", [
    cce_true_class,
    lambda t, p: -tf.reduce_sum(t * tf.math.log(tf.clip_by_value(p, EPS, 1.0)), axis=-1),
    lambda t, p: -np.log(np.sum(t * p, axis=-1) + EPS),  # one-hot: only the true class survives
    lambda t, p: -np.einsum("ij,ij->i", t, np.log(np.asarray(p, np.float64) + EPS)),
])
def test_cce_passes_alternative_forms(right, capsys):
    checks.check_categorical_cross_entropy(right)
    checks.check_categorical_cross_entropy(right, seed=4)
    assert capsys.readouterr().out.count("✔") == 2


def softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("wrong, message", [
    (lambda t, p: -np.mean(t * np.log(p + EPS), axis=-1), "averages over the classes"),
    (lambda t, p: -np.sum(t * np.log(softmax_rows(p) + EPS), axis=-1), "applies a softmax"),
    (lambda t, p: -np.sum(t * np.log(p + EPS) + (1 - t) * np.log(1 - p + EPS), axis=-1), "belong to binary"),
    (lambda t, p: -np.sum(p * np.log(t + EPS), axis=-1), "swapped"),
    (lambda t, p: np.sum(t * np.log(p + EPS), axis=-1), "minus sign"),
    (lambda t, p: -np.sum(t * np.log10(p + EPS), axis=-1), "log base 10"),
    (lambda t, p: -np.sum(t * np.log2(p + EPS), axis=-1), "log base 2"),
    (lambda t, p: -np.sum(t * np.log(p), axis=-1), "inf or nan"),
    (lambda t, p: -t * np.log(p + EPS), "return one loss per example"),
    (lambda t, p: -np.sum(t * np.log(p + EPS), axis=0), "axis 0"),
    (lambda t, p: -np.sum(t * np.log(p + EPS)), "one number for"),
    (lambda t, p: -np.sum(t * np.log(p + 1e-2), axis=-1), "is off|use eps"),
    (lambda t, p: -np.sum(t * np.log(p + 1e-12), axis=-1), "use eps = 1e-7"),
    (lambda t, p: keras.losses.categorical_crossentropy(t, p), "calls keras.losses.categorical_crossentropy"),
    (lambda t, p: keras.losses.CategoricalCrossentropy(reduction=None)(t, p),
     "calls keras.losses.categorical_crossentropy"),
    (lambda t, p: None, "forget the `return`"),
])
def test_cce_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_categorical_cross_entropy(wrong)


# --- empirical risk ------------------------------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda model, x, y, loss_fn: tf.reduce_mean(loss_fn(y, model(x))),
    lambda model, x, y, loss_fn: float(np.mean(np.asarray(loss_fn(y, np.asarray(model(x)))))),
    lambda model, x, y, loss_fn: np.average(loss_fn(y, model(x))),
    lambda model, x, y, loss_fn: keras.ops.mean(loss_fn(y, model(x))),
    lambda model, x, y, loss_fn: np.sum(loss_fn(y, model(x))) / len(x),
])
def test_empirical_risk_passes_alternative_forms(right, capsys):
    checks.check_empirical_risk(right)
    checks.check_empirical_risk(right, seed=3)
    out = capsys.readouterr().out
    assert out.count("✔") == 2 and "times" not in out


def test_empirical_risk_one_example_at_a_time_passes_but_says_so(capsys):
    checks.check_empirical_risk(
        lambda model, x, y, loss_fn: sum(float(np.asarray(loss_fn(y[i:i + 1], model(x[i:i + 1])))[0])
                                         for i in range(len(x))) / len(x))
    assert "though it calls the model" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (lambda model, x, y, loss_fn: np.sum(loss_fn(y, model(x))), "sums the per-example losses"),
    (lambda model, x, y, loss_fn: np.mean(loss_fn(model(x), y)), r"calls loss_fn\(y_pred, y_true\)"),
    (lambda model, x, y, loss_fn: np.asarray(loss_fn(y, model(x))), "return one, the mean"),
    (lambda model, x, y, loss_fn: np.mean(loss_fn(y[:10], model(x[:10]))), "where the mean"),
    (lambda model, x, y, loss_fn: None, "forget the `return`"),
    (lambda model, x, y, loss_fn: loss_fn(y, model(x)).mean(), r"no \.mean\(\)"),
    (lambda model, x, y, loss_fn: np.mean(loss_fn(y, model.predict(x, verbose=0))), "model.predict"),
    (lambda model, x, y, loss_fn: np.median(loss_fn(y, model(x))), "median"),
    (lambda model, x, y, loss_fn: np.mean(loss_fn(y, model(x))) + helper_stub(), "calls `helper_stub`"),
])
def test_empirical_risk_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_empirical_risk(wrong)


# --- build_pass_fail_model -----------------------------------------------------------------

def pass_fail_builder(hidden=(8,), hidden_activation="relu", output_activation="sigmoid", units_out=1,
                      use_input=True, extra=None, compile_it=False, kernel_initializer="glorot_uniform"):
    """A build_pass_fail_model variant; the defaults give the prescribed network."""

    def build():
        stack = [keras.Input(shape=(2,))] if use_input else []
        stack += [layers.Dense(h, activation=hidden_activation, kernel_initializer=kernel_initializer)
                  for h in hidden]
        stack += [extra()] if extra else []
        stack += [layers.Dense(units_out, activation=output_activation)]
        model = keras.Sequential(stack)
        if compile_it:
            model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    return build


@pytest.mark.parametrize("right", [
    pass_fail_builder(),
    pass_fail_builder(hidden_activation=tf.nn.relu, kernel_initializer="he_normal"),
    lambda: keras.Sequential([layers.Input((2,)), layers.Dense(8), layers.ReLU(), layers.Dense(1),
                              layers.Activation("sigmoid")], name="pass_fail"),
])
def test_pass_fail_passes_other_versions(right, capsys):
    checks.check_build_pass_fail_model(right)
    checks.check_build_pass_fail_model(right, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


def functional_pass_fail():
    inputs = keras.Input((2,))
    return keras.Model(inputs, layers.Dense(1, "sigmoid")(layers.Dense(8, "relu")(inputs)))


@pytest.mark.parametrize("wrong, message", [
    (pass_fail_builder(hidden_activation="relu", output_activation=None), "output has no activation"),
    (pass_fail_builder(output_activation="relu"), "output uses ReLU"),
    (pass_fail_builder(units_out=2, output_activation="softmax"), "2 outputs per student"),
    (pass_fail_builder(output_activation="softmax"), "always gives 1"),
    (pass_fail_builder(hidden=()), "no hidden layer"),
    (pass_fail_builder(hidden=(8, 8)), "2 hidden Dense layers"),
    (pass_fail_builder(hidden=(3,)), "hidden layer has 3 units"),
    (pass_fail_builder(hidden=(16,), hidden_activation="tanh"), "hidden layer has 16 units"),
    (pass_fail_builder(hidden_activation="tanh"), "hidden layer uses tanh"),
    (pass_fail_builder(hidden_activation="sigmoid"), "hidden layer uses a sigmoid"),
    (pass_fail_builder(hidden_activation=None), "hidden layer has no activation"),
    (pass_fail_builder(use_input=False), "keras.Input"),
    (pass_fail_builder(extra=lambda: layers.Dropout(0.3)), "in training"),
    (pass_fail_builder(extra=layers.BatchNormalization), "BatchNormalization layer with weights"),
    (pass_fail_builder(compile_it=True), "compiles the model"),
    (functional_pass_fail, "not a keras.Sequential"),
    (lambda: keras.Sequential([keras.Input((3,)), layers.Dense(8, "relu"), layers.Dense(1, "sigmoid")]),
     r"shape \(None, 3\)"),
    # every hidden ReLU unit starts (and stays) dead: only the output bias can learn
    (pass_fail_builder(kernel_initializer="zeros"), "loss from .* to only"),
    (lambda: None, "forget the `return`"),
    (lambda: helper_stub(), "calls `helper_stub`, which still raises"),
])
def test_pass_fail_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_build_pass_fail_model(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_pass_fail_uses_its_thresholds(capsys):
    checks.check_build_pass_fail_model(pass_fail_builder(), min_probability=0.5, max_final_loss=0.5)
    assert "✔" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match=r"not a confident pass \(> 0.9999\)"):
        checks.check_build_pass_fail_model(pass_fail_builder(), min_probability=0.9999)
    with pytest.raises(CheckFailed, match="it should fall to 0.01 or below"):
        checks.check_build_pass_fail_model(pass_fail_builder(), max_final_loss=0.01)


def test_pass_fail_is_fast():
    import time

    start = time.perf_counter()
    checks.check_build_pass_fail_model(pass_fail_builder(), seed=2)
    assert time.perf_counter() - start < 3.0  # well under two seconds on an idle machine
