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


def test_bce_passes_alternative_forms(capsys):
    checks.check_binary_cross_entropy(bce_tf)
    checks.check_binary_cross_entropy(bce_where, seed=6)
    assert capsys.readouterr().out.count("✔") == 2


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
    (lambda y, p: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=-1), "inf or nan"),
    (lambda y, p: np.mean(bce_terms(y, np.clip(p, 1e-3, 1 - 1e-3)), axis=-1), "use eps = 1e-7"),
    (lambda y, p: np.mean(bce_terms(y, p), axis=-1) + 0.01, "is off"),
    (lambda y, p: None, "forget the `return`"),
])
def test_bce_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_binary_cross_entropy(wrong)


def test_bce_sum_over_outputs_is_named():
    # k = 1 comes first, where sum and mean agree; the k = 3 case tells them apart.
    with pytest.raises(CheckFailed, match="sums over the last axis"):
        checks.check_binary_cross_entropy(lambda y, p: np.sum(bce_terms(y, p), axis=-1))


# --- mean squared error --------------------------------------------------------------------

def test_mse_passes_alternative_forms(capsys):
    checks.check_mean_squared_error(lambda y, p: np.einsum("ij,ij->i", p - y, p - y) / y.shape[-1])
    checks.check_mean_squared_error(lambda y, p: tf.reduce_mean(tf.square(tf.subtract(p, y)), axis=-1), seed=8)
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


def test_softmax_passes_alternative_forms(capsys):
    checks.check_softmax(softmax_logsumexp)
    checks.check_softmax(lambda z: tf.nn.softmax(tf.constant(z), axis=-1), seed=2)
    assert capsys.readouterr().out.count("✔") == 2


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
])
def test_softmax_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_softmax(wrong)


# --- categorical cross-entropy -------------------------------------------------------------

def cce_true_class(y_true, y_pred):
    """Correct, and unlike the solution: pick the true class's probability with argmax."""
    rows = np.arange(len(y_true))
    return -np.log(np.asarray(y_pred, dtype=np.float64)[rows, np.argmax(y_true, axis=-1)] + EPS)


def test_cce_passes_alternative_forms(capsys):
    checks.check_categorical_cross_entropy(cce_true_class)
    checks.check_categorical_cross_entropy(
        lambda t, p: -tf.reduce_sum(t * tf.math.log(tf.clip_by_value(p, EPS, 1.0)), axis=-1), seed=4)
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
    (lambda t, p: -np.sum(t * np.log(p), axis=-1), "inf or nan"),
    (lambda t, p: -t * np.log(p + EPS), "return one loss per example"),
    (lambda t, p: -np.sum(t * np.log(p + EPS), axis=0), "axis 0"),
    (lambda t, p: -np.sum(t * np.log(p + EPS)), "one number for"),
    (lambda t, p: -np.sum(t * np.log(p + 1e-2), axis=-1), "is off|use eps"),
    (lambda t, p: -np.sum(t * np.log(p + 1e-12), axis=-1), "use eps = 1e-7"),
])
def test_cce_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_categorical_cross_entropy(wrong)


# --- empirical risk ------------------------------------------------------------------------

def test_empirical_risk_passes_alternative_forms(capsys):
    checks.check_empirical_risk(lambda model, x, y, loss_fn: tf.reduce_mean(loss_fn(y, model(x))))
    checks.check_empirical_risk(
        lambda model, x, y, loss_fn: sum(float(np.asarray(loss_fn(y[i:i + 1], model(x[i:i + 1])))[0])
                                         for i in range(len(x))) / len(x), seed=3)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (lambda model, x, y, loss_fn: np.sum(loss_fn(y, model(x))), "sums the per-example losses"),
    (lambda model, x, y, loss_fn: np.mean(loss_fn(model(x), y)), r"calls loss_fn\(y_pred, y_true\)"),
    (lambda model, x, y, loss_fn: np.asarray(loss_fn(y, model(x))), "return one, the mean"),
    (lambda model, x, y, loss_fn: np.mean(loss_fn(y[:10], model(x[:10]))), "where the mean"),
    (lambda model, x, y, loss_fn: None, "forget the `return`"),
])
def test_empirical_risk_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_empirical_risk(wrong)


# --- build_pass_fail_model -----------------------------------------------------------------

def pass_fail_builder(hidden=(16,), hidden_activation="tanh", output_activation="sigmoid", units_out=1,
                      use_input=True):
    """A build_pass_fail_model variant; the defaults give a working model unlike the solution."""

    def build():
        stack = [keras.Input(shape=(2,))] if use_input else []
        stack += [layers.Dense(h, activation=hidden_activation) for h in hidden]
        stack += [layers.Dense(units_out, activation=output_activation)]
        return keras.Sequential(stack)

    return build


def test_pass_fail_passes_a_different_working_network(capsys):
    checks.check_build_pass_fail_model(pass_fail_builder(hidden=(8, 8), hidden_activation="relu"))
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (pass_fail_builder(hidden_activation="relu", output_activation=None), r"outside \[0, 1\]"),
    (pass_fail_builder(units_out=2, output_activation="softmax"), "2 outputs per student"),
    (pass_fail_builder(output_activation="softmax"), "always outputs 1"),
    (pass_fail_builder(hidden=()), "no hidden layer"),
    (pass_fail_builder(use_input=False), "keras.Input"),
    (lambda: keras.Sequential([keras.Input((3,)), layers.Dense(8, "relu"), layers.Dense(1, "sigmoid")]),
     r"shape \(None, 3\)"),
    # every hidden ReLU unit starts (and stays) dead: only the output bias can learn
    (lambda: keras.Sequential([keras.Input((2,)), layers.Dense(8, "relu", kernel_initializer="zeros"),
                               layers.Dense(1, "sigmoid")]), "loss from .* to only"),
    (lambda: None, "forget the `return`"),
])
def test_pass_fail_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_build_pass_fail_model(wrong)
