"""(d) lab01's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab01_perceptron as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- activations ---------------------------------------------------------------------------

def test_sigmoid_passes_alternative_forms(capsys):
    checks.check_sigmoid(lambda z: np.exp(-np.logaddexp(0, -np.asarray(z))))
    checks.check_sigmoid(lambda z: tf.math.sigmoid(tf.constant(z, tf.float64)))
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (lambda z: 1 / (1 + np.exp(z)), "sign of z is flipped"),
    (np.tanh, "looks like tanh"),
    (lambda z: 1 + np.exp(-z), "take its reciprocal"),
    (lambda z: None, "forget the `return`"),
    (lambda z: np.mean(1 / (1 + np.exp(-z))), r"has shape \(\)"),
    (lambda z: 1 / (1 + np.exp(-z)) + 0.01, "is off"),
    (lambda z: 1 / 0, "raised ZeroDivisionError"),
])
def test_sigmoid_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_sigmoid(wrong)


def test_stub_is_not_attempted_and_renders_as_one_line():
    with pytest.raises(NotAttempted, match="not implemented yet") as caught:
        checks.check_sigmoid(stub)
    assert isinstance(caught.value, AssertionError)
    assert caught.value._render_traceback_() == [f"… {caught.value}"]


def test_tanh_and_relu():
    checks.check_tanh(lambda z: np.sinh(z) / np.cosh(z))
    checks.check_relu(lambda z: z * (z > 0))
    with pytest.raises(CheckFailed, match="looks like the sigmoid"):
        checks.check_tanh(lambda z: 1 / (1 + np.exp(-z)))
    with pytest.raises(CheckFailed, match=r"tanh\(z / 2\)"):
        checks.check_tanh(lambda z: 2 / (1 + np.exp(-z)) - 1)
    with pytest.raises(CheckFailed, match="np.maximum"):
        checks.check_relu(lambda z: np.max(z, 0))
    with pytest.raises(CheckFailed, match=r"returns \|z\|"):
        checks.check_relu(np.abs)
    with pytest.raises(CheckFailed, match="keeps the negative part"):
        checks.check_relu(lambda z: np.minimum(0, z))


# --- perceptron ----------------------------------------------------------------------------

def sig(z):
    return 1 / (1 + np.exp(-z))


def test_perceptron_passes_an_einsum_version():
    checks.check_perceptron(lambda x, w, b: sig(np.einsum("...d,d->...", x, w) + b))


@pytest.mark.parametrize("wrong, message", [
    (lambda x, w, b: sig(x @ w), "bias is missing"),
    (lambda x, w, b: sig(x @ w - b), "bias is subtracted"),
    (lambda x, w, b: x @ w + b, "no non-linearity"),
    (lambda x, w, b: np.tanh(x @ w + b), "wrong activation \\(tanh\\)"),
    (lambda x, w, b: np.maximum(x @ w + b, 0), "wrong activation \\(ReLU\\)"),
    (lambda x, w, b: sig(x * w + b), "multiply x by w \\*and sum\\*"),
    (lambda x, w, b: sig(np.sum(x, axis=-1) + b), "weights are ignored"),
])
def test_perceptron_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_perceptron(wrong)


def test_perceptron_stub_is_not_attempted():
    with pytest.raises(NotAttempted):
        checks.check_perceptron(stub)


# --- gates ---------------------------------------------------------------------------------

GOOD_GATES = ((np.array([1, 1]), -1.5), ([2.0, 2.0], -1.0), (np.array([-1, -1]), 1.5))


def test_gates_pass_other_valid_weights(capsys):
    checks.check_gate_weights(*GOOD_GATES)
    assert "✔" in capsys.readouterr().out


def test_gates_name_the_wrong_gate_and_input():
    with pytest.raises(CheckFailed, match=r"OR_WEIGHTS gives 0 for input \(0, 1\)"):
        checks.check_gate_weights(GOOD_GATES[0], GOOD_GATES[0], GOOD_GATES[2])
    with pytest.raises(CheckFailed, match=r"AND_WEIGHTS gives 1 for input \(0, 1\).*lower the bias"):
        checks.check_gate_weights(GOOD_GATES[1], GOOD_GATES[1], GOOD_GATES[2])


def test_gates_placeholder_and_malformed():
    with pytest.raises(NotAttempted, match="AND_WEIGHTS"):
        checks.check_gate_weights(None, None, None)
    with pytest.raises(CheckFailed, match="should be a pair"):
        checks.check_gate_weights(0.5, *GOOD_GATES[1:])
    with pytest.raises(CheckFailed, match="2 entries"):
        checks.check_gate_weights((np.ones(3), -1), *GOOD_GATES[1:])


# --- MyDenseLayer --------------------------------------------------------------------------

def make_layer(call=None, build=None, init_in_call=False, kernel_shape=None, bias_shape=None,
               config=True):
    """A MyDenseLayer variant; the defaults give a correct layer written unlike the solution."""

    class Layer(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, **kwargs):
            super().__init__(**kwargs)
            self.input_dim, self.output_dim = input_dim, output_dim

        def build(self, input_shape):
            if init_in_call:
                return
            self.kernel = self.add_weight(shape=kernel_shape or (self.input_dim, self.output_dim),
                                          initializer="random_normal", name="kernel")
            self.bias = self.add_weight(shape=bias_shape or (1, self.output_dim),
                                        initializer="zeros", name="bias")

        def call(self, inputs):
            if init_in_call:
                self.kernel = self.add_weight(shape=(self.input_dim, self.output_dim), name="k")
                self.bias = self.add_weight(shape=(self.output_dim,), name="b")
            z = tf.matmul(inputs, self.kernel) + self.bias
            return call(z, inputs, self) if call else tf.math.sigmoid(z)

        def get_config(self):
            base = super().get_config()
            return {**base, "input_dim": self.input_dim, "output_dim": self.output_dim} if config else base

    return Layer


def test_dense_layer_passes_a_tf_version(capsys):
    checks.check_my_dense_layer(make_layer())
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("layer, message", [
    (make_layer(call=lambda z, x, l: tf.math.sigmoid(tf.matmul(x, l.kernel))), "bias is missing"),
    (make_layer(call=lambda z, x, l: z), "no non-linearity"),
    (make_layer(call=lambda z, x, l: tf.nn.relu(z)), "not ReLU"),
    (make_layer(kernel_shape=(2, 3)), "transposed"),
    (make_layer(bias_shape=(3,)), "b has shape|no weight of shape"),
    (make_layer(init_in_call=True), "creates weights in call"),
    (make_layer(config=False), "get_config"),
    (make_layer(call=lambda z, x, l: tf.constant(1 / (1 + np.exp(-z.numpy())))), "no gradient"),
])
def test_dense_layer_names_the_mistake(layer, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_my_dense_layer(layer)


def test_dense_layer_that_is_not_a_keras_layer():
    class NotALayer:
        def __init__(self, input_dim, output_dim):
            pass

    with pytest.raises(CheckFailed, match="subclass keras.layers.Layer"):
        checks.check_my_dense_layer(NotALayer)


def test_dense_layer_stub_is_not_attempted():
    class Stub(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, **kwargs):
            super().__init__(**kwargs)
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyDenseLayer"):
        checks.check_my_dense_layer(Stub)
