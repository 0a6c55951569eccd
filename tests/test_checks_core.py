"""The shared check machinery: calling student code, comparisons, one-line rendering."""

from __future__ import annotations

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.checks import core
from course.checks.core import CheckFailed, NotAttempted, attempt, expect_close, one_line


def test_a_bare_stub_is_not_attempted_even_when_keras_or_tf_function_rewraps_it():
    class Stub(keras.layers.Layer):
        def call(self, inputs, training=None):
            raise NotImplementedError()

    @tf.function
    def traced(x):
        raise NotImplementedError()

    with pytest.raises(NotAttempted, match="`Stub.call`"):
        attempt(Stub(), np.ones((2, 3)), name="Stub.call")
    with pytest.raises(NotAttempted):
        attempt(traced, tf.constant(1.0))


def test_numpy_on_a_symbolic_tensor_is_a_mistake_not_a_stub():
    @tf.function
    def uses_numpy(x):
        return np.asarray(x) + 1

    with pytest.raises(CheckFailed, match="Cannot convert a symbolic") as caught:
        attempt(uses_numpy, tf.constant(1.0))
    assert not isinstance(caught.value, NotAttempted)


def test_attempt_hides_warnings_and_stderr_and_names_errors(capsys):
    def noisy(z):
        print("oops", file=sys.stderr)
        return np.exp(np.array([1000.0])) * z

    assert np.isinf(attempt(noisy, 1.0)[0])
    assert capsys.readouterr().err == ""
    with pytest.raises(CheckFailed, match=r"`f` raised KeyError: 'w'"):
        attempt(lambda: {}["w"], name="f")
    with pytest.raises(CheckFailed, match="use a float"):
        attempt(lambda: {}["w"], name="f", hints={"'w'": "use a float"})


def test_expect_close_reports_shape_then_nan_then_values():
    with pytest.raises(CheckFailed, match=r"has shape \(2,\) but should have shape \(3,\)"):
        expect_close([1, 2], [1, 2, 3], "y")
    with pytest.raises(CheckFailed, match="NaN or inf"):
        expect_close([np.nan, 1, 2], [0, 1, 2], "y")
    with pytest.raises(CheckFailed, match="got 2.5 where 2 was expected"):
        expect_close([0, 1, 2.5], [0, 1, 2], "y")
    with pytest.raises(CheckFailed, match="forget the `return`"):
        expect_close(None, [0], "y")
    assert expect_close(tf.constant([1.0, 2.0]), [1, 2], "y").dtype == np.float64


def test_one_line_drops_colour_codes_and_newlines_and_caps_length():
    assert one_line("\x1b[1mbold\x1b[0m\n  text") == "bold text"
    assert len(one_line("x" * 500)) == 200


def test_student_keeps_not_attempted_for_the_objects_own_stub_only():
    def perceptron(x, w, b):
        raise NotImplementedError()

    with pytest.raises(NotAttempted, match="perceptron"):
        core.Student(perceptron, "perceptron")(np.ones(2), np.ones(2), 0.0)

    def sigmoid(z):
        raise NotImplementedError()

    def uses_stub(x, w, b):
        return sigmoid(x @ w + b)

    with pytest.raises(CheckFailed, match="calls `sigmoid`, which still raises") as caught:
        core.Student(uses_stub, "perceptron")(np.ones(2), np.ones(2), 0.0)
    assert not isinstance(caught.value, NotAttempted)


def test_library_calls_sees_aliases_and_ufuncs_and_restores_them():
    from keras.ops import sigmoid as aliased

    names = {"keras.ops.sigmoid": "keras.ops.sigmoid", "numpy.tanh": "np.tanh"}
    original = np.tanh
    with core.library_calls(names) as used:
        aliased(np.zeros(2))
        np.tanh(np.zeros(2))
    assert used == ["keras.ops.sigmoid", "np.tanh"] and np.tanh is original
    with core.library_calls(names) as used:
        np.exp(np.zeros(2))
    assert used == []


def test_train_quickly_trains_a_small_model():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    loss = keras.losses.BinaryCrossentropy()
    before = float(loss(y, model(x)))
    core.train_quickly(model, x, y, keras.optimizers.Adam(0.1), loss, batch_size=16, epochs=5, seed=0)
    assert float(loss(y, model(x))) < before
