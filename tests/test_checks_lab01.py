"""(d) lab01's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab01_perceptron as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


def sig(z):
    return 1 / (1 + np.exp(-z))


def stable_sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


# --- activations ---------------------------------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda z: np.exp(-np.logaddexp(0, -np.asarray(z))),
    stable_sigmoid,
    lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=np.float32))),  # float32 is precise enough
    lambda z: (np.tanh(np.asarray(z) / 2) + 1) / 2,
    lambda z: 1.0 / (1.0 + np.exp(-z)),  # the formula itself: exp(1000) is inf, 1 / inf is 0
])
def test_sigmoid_passes_alternative_forms(right, capsys):
    checks.check_sigmoid(right)
    checks.check_sigmoid(right, seed=7)
    out = capsys.readouterr().out
    assert out.count("✔") == 2 and "calls" not in out


@pytest.mark.parametrize("library, name", [
    (lambda z: tf.math.sigmoid(tf.constant(z, tf.float64)), "tf.math.sigmoid"),
    (lambda z: keras.ops.sigmoid(z), "keras.ops.sigmoid"),
    (lambda z: scipy.special.expit(z), "scipy.special.expit"),
    (scipy.special.expit, "scipy.special.expit"),  # the library function itself as the answer
])
def test_sigmoid_from_a_library_passes_but_says_so(library, name, capsys):
    checks.check_sigmoid(library)
    assert f"though it calls {name} instead of computing the formula" in capsys.readouterr().out


def sigmoid_by_rows(z):
    return np.array([sig(row) for row in z])


def sigmoid_in_place(z):
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    return 1 / z


def sigmoid_array_only(z):
    if np.ndim(z) == 0:
        raise NotImplementedError()
    return sig(z)


def helper_stub(z):
    raise NotImplementedError()


@pytest.mark.parametrize("wrong, message", [
    (lambda z: 1 / (1 + np.exp(z)), "sign of z is flipped"),
    (lambda z: np.exp(-z) / (1 + np.exp(-z)), "sign of z is flipped"),  # nan at -1000 too
    (np.tanh, "looks like tanh"),
    (lambda z: 1 + np.exp(-z), "take its reciprocal"),
    (lambda z: None, "forget the `return`"),
    (lambda z: np.mean(1 / (1 + np.exp(-z))), r"has shape \(\)"),
    (lambda z: 1 / (1 + np.exp(-z)) + 0.01, "is off"),
    (lambda z: 1 / (1 + np.exp(-np.clip(z, -10, 10))), "is off"),
    (lambda z: 1 / 0, "raised ZeroDivisionError"),
    (lambda z: np.exp(z) / (1 + np.exp(z)), "nan or inf for z = 1000"),
    (lambda z: 1 / (1 + math.exp(-z)), "uses the math module"),
    (sigmoid_by_rows, "raised TypeError"),  # a 0-d array has no rows
    (lambda z: np.vectorize(lambda v: 1 / (1 + math.exp(-v)))(z), "raised OverflowError"),
    (sigmoid_in_place, "changed the array z"),
    (sigmoid_array_only, "although an earlier call worked"),
    (lambda z: helper_stub(z), "calls `helper_stub`, which still raises"),
    (lambda z: sig(z).ravel(), "has shape"),
])
def test_sigmoid_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_sigmoid(wrong)
    assert not isinstance(caught.value, NotAttempted)


@pytest.mark.parametrize("check", [checks.check_sigmoid, checks.check_tanh, checks.check_relu,
                                   checks.check_perceptron])
def test_stubs_are_not_attempted_and_render_as_one_line(check):
    with pytest.raises(NotAttempted, match="not implemented yet") as caught:
        check(stub)
    assert isinstance(caught.value, AssertionError)
    assert caught.value._render_traceback_() == [f"… {caught.value}"]


@pytest.mark.parametrize("right", [
    lambda z: 2 * stable_sigmoid(2 * z) - 1,
    lambda z: np.sign(z) * (1 - np.exp(-2 * np.abs(z))) / (1 + np.exp(-2 * np.abs(z))),
    lambda z: 2 / (1 + np.exp(-2 * np.asarray(z, np.float64))) - 1,
])
def test_tanh_passes_alternative_forms(right, capsys):
    checks.check_tanh(right)
    checks.check_tanh(right, seed=11)
    out = capsys.readouterr().out
    assert out.count("✔") == 2 and "calls" not in out


@pytest.mark.parametrize("library, name", [
    (np.tanh, "np.tanh"),
    (lambda z: np.tanh(z), "np.tanh"),
    (lambda z: tf.math.tanh(tf.constant(z)), "tf.math.tanh"),
])
def test_tanh_from_a_library_passes_but_says_so(library, name, capsys):
    checks.check_tanh(library)
    assert f"though it calls {name} instead" in capsys.readouterr().out


def tanh_in_place(z):
    z *= 2
    return 2 * stable_sigmoid(z) - 1


@pytest.mark.parametrize("wrong, message", [
    (lambda z: 1 / (1 + np.exp(-z)), "looks like the sigmoid"),
    (lambda z: 2 / (1 + np.exp(-z)) - 1, r"tanh\(z / 2\)"),
    (lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)), "nan or inf for z = -1000"),
    (lambda z: np.sinh(z) / np.cosh(z), "nan or inf"),
    (lambda z: -np.tanh(z), "wrong sign"),
    (tanh_in_place, "changed the array z"),
    (lambda z: None, "forget the `return`"),
    (lambda z: np.tanh(np.atleast_2d(z)), "has shape"),
])
def test_tanh_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_tanh(wrong)


@pytest.mark.parametrize("right", [
    lambda z: z * (z > 0),
    lambda z: np.where(z > 0, z, 0.0),
    lambda z: np.clip(z, 0, None),
    lambda z: (z + np.abs(z)) / 2,
    lambda z: np.maximum(z, 0),
])
def test_relu_passes_alternative_forms(right, capsys):
    checks.check_relu(right)
    checks.check_relu(right, seed=5)
    out = capsys.readouterr().out
    assert out.count("✔") == 2 and "calls" not in out


def test_relu_from_a_library_passes_but_says_so(capsys):
    checks.check_relu(lambda z: tf.nn.relu(z))
    assert "though it calls tf.nn.relu instead" in capsys.readouterr().out


def relu_in_place(z):
    z[z < 0] = 0
    return z


@pytest.mark.parametrize("wrong, message", [
    (lambda z: np.max(z, 0), "np.maximum"),
    (np.abs, r"returns \|z\|"),
    (lambda z: np.minimum(0, z), "keeps the negative part"),
    (lambda z: np.where(z > 0, z, 0.01 * z), "leaky ReLU"),
    (lambda z: np.maximum(0, z).astype(int), "whole numbers"),
    (relu_in_place, "changed the array z"),
    (lambda z: np.maximum(z, 0, out=z), "changed the array z"),
    (lambda z: max(0, z), "uses `if`, `max` or `min` on a whole array"),
    (lambda z: z if z > 0 else 0 * z, "uses `if`, `max` or `min` on a whole array"),
    (lambda z: np.maximum(0, z) if np.ndim(z) == 2 else None, "forget the `return`"),
    (lambda z: np.maximum(0, np.atleast_1d(z)), "has shape"),
    (lambda z: None, "forget the `return`"),
])
def test_relu_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_relu(wrong)


# --- perceptron ----------------------------------------------------------------------------

@pytest.mark.parametrize("right", [
    lambda x, w, b: sig(np.einsum("...d,d->...", x, w) + b),
    lambda x, w, b: sig(np.sum(x * w, axis=-1) + b),
    lambda x, w, b: tf.sigmoid(tf.tensordot(tf.constant(x), tf.constant(w), 1) + b),
    lambda x, w, b: float(sig(x @ w + b)) if np.ndim(x) == 1 else sig(x @ w + b),
    lambda x, w, b: stable_sigmoid(np.dot(x, w) + b),
])
def test_perceptron_passes_other_forms(right, capsys):
    checks.check_perceptron(right)
    checks.check_perceptron(right, seed=3)
    assert capsys.readouterr().out.count("✔") == 2


def sigmoid(z):  # an unwritten sigmoid the perceptron relies on
    raise NotImplementedError()


def perceptron_using_stub(x, w, b):
    return sigmoid(x @ w + b)


def perceptron_batch_only(x, w, b):
    if np.ndim(x) == 1:
        raise NotImplementedError()
    return sig(x @ w + b)


@pytest.mark.parametrize("wrong, message", [
    (lambda x, w, b: sig(x @ w), "bias is missing"),
    (lambda x, w, b: sig(x @ w - b), "bias is subtracted"),
    (lambda x, w, b: sig(x @ w) + b, "bias is added after the sigmoid"),
    (lambda x, w, b: 1 / (1 + np.exp(x @ w + b)), "sign of z flipped"),  # e.g. a wrong sigmoid of its own
    (lambda x, w, b: x @ w + b, "no non-linearity"),
    (lambda x, w, b: np.tanh(x @ w + b), "wrong activation \\(tanh\\)"),
    (lambda x, w, b: np.maximum(x @ w + b, 0), "wrong activation \\(ReLU\\)"),
    (lambda x, w, b: np.heaviside(x @ w + b, 0.0), "wrong activation \\(the step function"),
    (lambda x, w, b: sig(x * w + b), "multiply x by w \\*and sum\\*"),
    (lambda x, w, b: sig(np.sum(x, axis=-1) + b), "weights are ignored"),
    (lambda x, w, b: sig(w @ x + b), "write x @ w"),
    (lambda x, w, b: sig(np.dot(w, x) + b), "write np.dot\\(x, w\\)"),
    (lambda x, w, b: np.mean(sig(x @ w + b)), r"has shape \(\)"),
    (lambda x, w, b: sig(x @ w + b) if np.ndim(x) == 2 else sig(x * w + b), "should give one number"),
    (perceptron_using_stub, "calls `sigmoid`, which still raises"),
    (perceptron_batch_only, "although an earlier call worked"),
])
def test_perceptron_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_perceptron(wrong)
    assert not isinstance(caught.value, NotAttempted)


# --- gates ---------------------------------------------------------------------------------

GOOD_GATES = ((np.array([1, 1]), -1.5), ([2.0, 2.0], -1.0), (np.array([-1, -1]), 1.5))


@pytest.mark.parametrize("gates", [
    GOOD_GATES,
    ((np.array([[1.0], [1.0]]), np.array([-1.5])), [np.array([1, 1]), np.float32(-0.5)],
     (np.array([-2, -2]), 3)),
    ((np.array([0.5, 0.5]), -0.7), (np.array([0.5, 0.5]), -0.2), (np.array([-0.5, -0.5]), 0.7)),
    ((np.array([1, 1]), -1.0), (np.array([1, 1]), 0), (np.array([-1, -1]), 2)),  # z = 0 gives 0
])
def test_gates_pass_other_valid_weights(gates, capsys):
    checks.check_gate_weights(*gates)
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("gates, message", [
    ((GOOD_GATES[0], GOOD_GATES[0], GOOD_GATES[2]), r"OR_WEIGHTS gives 0 for input \(0, 1\)"),
    ((GOOD_GATES[1], GOOD_GATES[1], GOOD_GATES[2]), r"AND_WEIGHTS gives 1 for input \(0, 1\).*lower the bias"),
    ((GOOD_GATES[0], GOOD_GATES[1], GOOD_GATES[0]), r"NAND_WEIGHTS gives 0 for input \(0, 0\)"),
    ((GOOD_GATES[0], GOOD_GATES[1], None), "NAND_WEIGHTS is still None"),
    ((0.5, *GOOD_GATES[1:]), "should be a pair"),
    (((np.ones(3), -1), *GOOD_GATES[1:]), "2 entries"),
    (((np.ones(2), [-1.5, 0.5]), *GOOD_GATES[1:]), "bias should be one number"),
    (((np.array([np.nan, 1.0]), -1.5), *GOOD_GATES[1:]), "nan or inf"),
    (((np.array([1, 1]), -1.5, 0), *GOOD_GATES[1:]), "should be a pair"),
])
def test_gates_name_the_mistake(gates, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_gate_weights(*gates)
    assert not isinstance(caught.value, NotAttempted)


def test_gates_placeholder_is_not_attempted():
    with pytest.raises(NotAttempted, match="AND_WEIGHTS"):
        checks.check_gate_weights(None, None, None)


# --- MyDenseLayer --------------------------------------------------------------------------

def make_layer(call=None, init_in_call=False, init_in_init=False, kernel_shape=None, bias_shape=None,
               config=True, super_config=True, kernel_init="glorot_uniform", bias_init="zeros",
               kwargs=True, swap_config=False, stub_method=None, use_keras_ops=False):
    """A MyDenseLayer variant; the defaults give a correct layer written unlike the solution."""

    class Layer(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, **kw):
            if not kwargs and kw:
                raise TypeError(f"__init__() got an unexpected keyword argument '{next(iter(kw))}'")
            super().__init__(**kw)
            self.input_dim, self.output_dim = input_dim, output_dim
            if init_in_init:
                self._make_weights()

        def _make_weights(self):
            self.kernel = self.add_weight(shape=kernel_shape or (self.input_dim, self.output_dim),
                                          initializer=kernel_init, name="kernel")
            self.bias = self.add_weight(shape=bias_shape or (self.output_dim,),
                                        initializer=bias_init, name="bias")

        def build(self, input_shape):
            if stub_method == "build":
                raise NotImplementedError()
            if not (init_in_call or init_in_init):
                self._make_weights()

        def call(self, inputs):
            if stub_method == "call":
                raise NotImplementedError()
            if init_in_call:
                self.kernel = self.add_weight(shape=(self.input_dim, self.output_dim), name="k")
                self.bias = self.add_weight(shape=(self.output_dim,), name="b")
            if use_keras_ops:
                return keras.activations.sigmoid(keras.ops.add(keras.ops.matmul(inputs, self.kernel), self.bias))
            z = tf.matmul(inputs, self.kernel) + self.bias
            return call(z, inputs, self) if call else tf.math.sigmoid(z)

        def get_config(self):
            if stub_method == "get_config":
                raise NotImplementedError()
            base = super().get_config() if super_config else {}
            dims = ({"input_dim": self.output_dim, "output_dim": self.input_dim} if swap_config
                    else {"input_dim": self.input_dim, "output_dim": self.output_dim})
            return {**base, **dims} if config else base

    return Layer


class WeightsInInit(keras.layers.Layer):
    """Correct: weights made in __init__ with initializer objects, keras.ops, input_shape unused."""

    def __init__(self, input_dim, output_dim, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.w = self.add_weight(shape=(self.input_dim, self.output_dim),
                                 initializer=keras.initializers.GlorotUniform(), trainable=True)
        self.b = self.add_weight(shape=(self.output_dim,), initializer=keras.initializers.Zeros())

    def call(self, inputs):
        return 1 / (1 + keras.ops.exp(-(keras.ops.dot(inputs, self.w) + self.b)))

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim)
        return config


@pytest.mark.parametrize("layer", [make_layer(), make_layer(use_keras_ops=True), make_layer(init_in_init=True),
                                   WeightsInInit])
def test_dense_layer_passes_other_versions(layer, capsys):
    checks.check_my_dense_layer(layer)
    checks.check_my_dense_layer(layer, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


class WrapsDense(keras.layers.Layer):
    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim
        self.dense = keras.layers.Dense(output_dim, activation="sigmoid")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim}


@pytest.mark.parametrize("layer, message", [
    (make_layer(call=lambda z, x, l: tf.math.sigmoid(tf.matmul(x, l.kernel))), "bias is missing"),
    (make_layer(call=lambda z, x, l: tf.math.sigmoid(tf.matmul(x, l.kernel) - l.bias)), "bias is subtracted"),
    (make_layer(call=lambda z, x, l: tf.math.sigmoid(tf.matmul(x, l.kernel)) + l.bias), "added after the sigmoid"),
    (make_layer(call=lambda z, x, l: z), "no non-linearity"),
    (make_layer(call=lambda z, x, l: keras.ops.cast(z > 0, "float32")), "not the step function"),
    (make_layer(call=lambda z, x, l: tf.nn.relu(z)), "not ReLU"),
    (make_layer(call=lambda z, x, l: tf.tanh(z)), "not tanh"),
    (make_layer(kernel_shape=(2, 3)), "transposed"),
    (make_layer(bias_shape=(3,)), "b has shape|no weight of shape"),
    (make_layer(bias_shape=(1, 2)), r"b has shape \(1, 2\)"),
    (make_layer(init_in_call=True), "creates weights in call"),
    (make_layer(config=False), "get_config"),
    (make_layer(super_config=False), "drops the base layer's settings"),
    (make_layer(swap_config=True), "built a different layer"),
    (make_layer(kwargs=False), r"keep the \*\*kwargs"),
    (make_layer(kernel_init="random_normal"), "does not start glorot_uniform"),
    (make_layer(kernel_init="glorot_normal"), "does not start glorot_uniform"),
    (make_layer(kernel_init="he_uniform"), "does not start glorot_uniform"),
    (make_layer(kernel_init="zeros"), "does not start glorot_uniform"),
    (make_layer(bias_init="ones"), "b does not start at zero"),
    (make_layer(bias_init="random_normal"), "b does not start at zero"),
    (make_layer(stub_method="build"), "`Layer.build` still raises NotImplementedError"),
    (make_layer(stub_method="call"), "`Layer.call` still raises NotImplementedError"),
    (make_layer(stub_method="get_config"), "`Layer.get_config` still raises NotImplementedError"),
    (make_layer(call=lambda z, x, l: tf.constant(1 / (1 + np.exp(-z.numpy())))), "no gradient"),
    (WrapsDense, "keeps its weights in a Dense layer inside it"),
])
def test_dense_layer_names_the_mistake(layer, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_my_dense_layer(layer)
    assert not isinstance(caught.value, NotAttempted)


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

        def build(self, input_shape):
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="MyDenseLayer"):
        checks.check_my_dense_layer(Stub)
