"""(d) lab02's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from course.checks import CheckFailed, NotAttempted
from course.checks import lab02_sequential as checks
from course.data import make_xor_blobs


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- the XOR data helper -------------------------------------------------------------------

def test_make_xor_blobs_is_seeded_balanced_and_xor_labelled():
    x, y = make_xor_blobs(400, seed=3)
    assert x.shape == (400, 2) and x.dtype == np.float32 and y.shape == (400,) and y.dtype == np.float32
    assert np.array_equal(x, make_xor_blobs(400, seed=3)[0])
    assert 0.4 < y.mean() < 0.6
    agree = (np.sign(x[:, 0]) != np.sign(x[:, 1])) == (y == 1)
    assert agree.mean() > 0.95  # most points sit on their corner's side of both axes
    with pytest.raises(ValueError):
        make_xor_blobs(0)


# --- builders ------------------------------------------------------------------------------

def deep_builder(hidden_activation="relu", output_activation=None, use_input=True, use_bias=True,
                 extra_input_layer=False, drop_output=False, mutate=False, extra=None,
                 kernel_initializer="glorot_uniform"):
    """A build_deep_model variant; the defaults give a correct model written unlike the solution."""

    def build(n_inputs, hidden_sizes, n_outputs):
        model = keras.Sequential()
        if use_input:
            model.add(keras.Input(shape=(n_inputs,)))
        if extra_input_layer:
            model.add(layers.Dense(n_inputs, activation="relu"))
        for units in hidden_sizes:
            model.add(layers.Dense(units, use_bias=use_bias, kernel_initializer=kernel_initializer))
            if hidden_activation == "relu":
                model.add(layers.ReLU())  # a separate activation layer is fine
            elif hidden_activation:
                model.add(layers.Activation(hidden_activation))
            if extra is not None:
                model.add(extra())
        if mutate:
            hidden_sizes.append(n_outputs)
        if not drop_output:
            model.add(layers.Dense(n_outputs, activation=output_activation, use_bias=use_bias,
                                   kernel_initializer=kernel_initializer))
        return model

    return build


def list_builder(n_inputs, hidden_sizes, n_outputs):
    """Correct: one list, activation given as a function, named layers, compiled (harmless)."""
    model = keras.Sequential(
        [layers.Input((n_inputs,))]
        + [layers.Dense(h, activation=tf.nn.relu, name=f"hidden_{i}") for i, h in enumerate(hidden_sizes)]
        + [layers.Dense(n_outputs, activation="linear", kernel_initializer="he_normal", name="scores")])
    model.compile(optimizer="adam", loss="mse")
    return model


def input_shape_builder(n_inputs, hidden_sizes, n_outputs):
    """Correct (if old-fashioned): the input shape given to the first layer, which builds the model."""
    sizes = [*hidden_sizes, n_outputs]
    acts = ["relu"] * len(hidden_sizes) + [None]
    first = layers.Dense(sizes[0], activation=acts[0], input_shape=(n_inputs,))
    return keras.Sequential([first] + [layers.Dense(m, activation=a) for m, a in zip(sizes[1:], acts[1:])])


@pytest.mark.parametrize("builder", [deep_builder(), list_builder, input_shape_builder,
                                     deep_builder(hidden_activation=keras.activations.relu),
                                     deep_builder(kernel_initializer="he_uniform")])
def test_builders_pass_alternative_forms(builder, capsys):
    checks.check_build_deep_model(builder)
    checks.check_build_deep_model(builder, seed=2)
    checks.check_build_single_layer_model(lambda d, h, k: builder(d, [h], k))
    checks.check_build_single_layer_model(lambda d, h, k: builder(d, (h,), k), seed=4)
    assert capsys.readouterr().out.count("✔") == 4


def functional_builder(n_inputs, hidden_sizes, n_outputs):
    inputs = keras.Input((n_inputs,))
    h = inputs
    for units in hidden_sizes:
        h = layers.Dense(units, activation="relu")(h)
    return keras.Model(inputs, layers.Dense(n_outputs)(h))


@pytest.mark.parametrize("builder, message", [
    (deep_builder(hidden_activation=None), "no activation"),
    (deep_builder(hidden_activation="sigmoid"), "use a sigmoid"),
    (deep_builder(hidden_activation="tanh"), "use tanh"),
    (deep_builder(hidden_activation="leaky_relu"), "outputs do not match"),
    (deep_builder(output_activation="relu"), "output layer has a ReLU"),
    (deep_builder(output_activation="sigmoid"), "output layer has a sigmoid"),
    (deep_builder(output_activation="softmax"), "output layer has a softmax"),
    (deep_builder(use_input=False), "keras.Input"),
    (deep_builder(use_bias=False), "has no bias"),
    (deep_builder(extra_input_layer=True), "drop that extra layer"),
    (deep_builder(drop_output=True), "output layer is missing"),
    (deep_builder(mutate=True), "changed the list hidden_sizes"),
    (deep_builder(extra=lambda: layers.Dropout(0.5)), "computes something else in training"),
    (deep_builder(extra=lambda: layers.GaussianNoise(0.3)), "computes something else in training"),
    (deep_builder(extra=layers.BatchNormalization), "BatchNormalization"),
    (functional_builder, "not a keras.Sequential"),
    (lambda d, hs, k: deep_builder()(d, hs[:1], k), "should have"),
    (lambda d, hs, k: deep_builder()(d, hs[::-1], k), "hidden sizes in order"),
    (lambda d, hs, k: deep_builder()(d, [16, 16], k), "hidden sizes in order|should have"),
    (lambda d, hs, k: deep_builder()(d + 1, hs, k), r"takes inputs of shape \(None, 4\)"),
    (lambda d, hs, k: deep_builder()(d, hs, 2), "Dense layers of"),
    (lambda d, hs, k: None, "forget the `return`"),
    (lambda d, hs, k: [layers.Dense(k)], "should return a keras.Sequential"),
    (lambda d, hs, k: keras.Sequential([keras.Input((d,)), *[layers.Dense(h, "relu") for h in hs],
                                        layers.Dense(k), layers.BatchNormalization()]), "BatchNormalization"),
    (lambda d, hs, k: stub(), "calls `stub`, which still raises"),
    (lambda d, hs, k: deep_builder()(d, hs, k) if hs[0] else None, "hidden_sizes may be empty"),
])
def test_deep_model_names_the_mistake(builder, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_build_deep_model(builder)
    assert not isinstance(caught.value, NotAttempted)


@pytest.mark.parametrize("builder, message", [
    (lambda d, h, k: deep_builder(hidden_activation=None)(d, [h], k), "no activation"),
    (lambda d, h, k: deep_builder()(d, [k], h), r"Dense layers of \[2, 5\] units"),  # sizes swapped
    (lambda d, h, k: deep_builder()(d, [h, h], k), "has 3 Dense layers but should have 2"),
    (lambda d, h, k: deep_builder()(d, [h], 2), r"build_single_layer_model\(4, 5, 1\) has Dense layers"),
    (lambda d, h, k: deep_builder()(3, [h], k), r"build_single_layer_model\(4, 5, 1\) takes inputs"),
    (lambda d, h, k: deep_builder(extra=lambda: layers.Dropout(0.2))(d, [h], k), "in training"),
    (lambda d, h, k: functional_builder(d, [h], k), "not a keras.Sequential"),
])
def test_single_layer_model_names_the_mistake(builder, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_build_single_layer_model(builder)


def test_builder_stubs_are_not_attempted():
    with pytest.raises(NotAttempted, match="build_single_layer_model"):
        checks.check_build_single_layer_model(stub)
    with pytest.raises(NotAttempted, match="build_deep_model"):
        checks.check_build_deep_model(stub)
    with pytest.raises(NotAttempted, match="build_deep_model"):
        checks.check_xor_accuracy(stub)


# --- parameter counts ----------------------------------------------------------------------

def count_by_loop(n_inputs, hidden_sizes, n_outputs):
    total, fan_in = 0, n_inputs
    for units in list(hidden_sizes) + [n_outputs]:
        total += fan_in * units + units
        fan_in = units
    return total


def count_by_dot(n_inputs, hidden_sizes, n_outputs):
    sizes = np.array([n_inputs, *hidden_sizes, n_outputs])
    return np.dot(sizes[:-1] + 1, sizes[1:])


def count_recursive(n_inputs, hidden_sizes, n_outputs):
    if not hidden_sizes:
        return (n_inputs + 1) * n_outputs
    return (n_inputs + 1) * hidden_sizes[0] + count_recursive(hidden_sizes[0], hidden_sizes[1:], n_outputs)


@pytest.mark.parametrize("right", [
    count_by_loop, count_by_dot, count_recursive,
    lambda d, hs, k: np.int64(count_by_loop(d, hs, k)),
    lambda d, hs, k: tf.constant(count_by_loop(d, hs, k)),
])
def test_count_passes_other_versions(right, capsys):
    checks.check_count_dense_params(right)
    checks.check_count_dense_params(right, seed=9)
    assert capsys.readouterr().out.count("✔") == 2


def pairs(d, hs, k):
    sizes = [d, *hs, k]
    return list(zip(sizes[:-1], sizes[1:]))


def mutating_count(d, hs, k):
    hs.append(k)
    return count_by_loop(d, hs[:-1], k)


def count_by_building(d, hs, k):
    model = keras.Sequential([keras.Input((d,))] + [layers.Dense(m) for m in [*hs, k]])
    return model.count_params()


@pytest.mark.parametrize("wrong, message", [
    (lambda d, hs, k: sum(a * m for a, m in pairs(d, hs, k)), "biases are missing"),
    (lambda d, hs, k: sum(a * m + 1 for a, m in pairs(d, hs, k)), "one bias per layer"),
    (lambda d, hs, k: sum(a * (m + 1) for a, m in pairs(d, hs, k)), "one bias per input"),
    (lambda d, hs, k: sum((a + 1) * m for a, m in pairs(d, hs, k)[:-1]), "output layer is missing"),
    (lambda d, hs, k: sum((a + 1) * m for a, m in pairs(d, hs, k)[1:]), "first layer is missing"),
    (lambda d, hs, k: count_by_loop(d, hs, k) + 7, "Keras counts"),
    (lambda d, hs, k: [count_by_loop(d, hs, k)] * 2, "one number"),
    (lambda d, hs, k: float(count_by_loop(d, hs, k)), "return an int"),
    (lambda d, hs, k: count_by_loop(d, hs, k) * 1.0, "return an int"),
    (lambda d, hs, k: None, "forget the `return`"),
    (mutating_count, "changed the list hidden_sizes"),
    (count_by_building, "builds a Keras model"),
])
def test_count_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_count_dense_params(wrong)


def test_count_stub_is_not_attempted():
    with pytest.raises(NotAttempted):
        checks.check_count_dense_params(stub)


# --- collapse_linear_stack -----------------------------------------------------------------

def collapse_by_probing(dense_layers):
    """Correct, and unlike the solution: read the map off by feeding 0 and the unit vectors."""
    n_in = int(dense_layers[0].kernel.shape[0])
    probe = np.vstack([np.zeros((1, n_in)), np.eye(n_in)]).astype("float32")
    out = probe
    for layer in dense_layers:
        out = layer(out)
    out = np.asarray(out, dtype=np.float64)
    b = out[0]
    return out[1:] - b, b


def collapse_with(combine_bias, transpose=False, reverse=False, last_kernel_only=False, mutate=False):
    def collapse(dense_layers):
        kernels = [l.kernel.numpy() for l in dense_layers]
        biases = [l.bias.numpy() for l in dense_layers]
        W = kernels[0]
        for k in (kernels[1:][::-1] if reverse else kernels[1:]):
            W = k @ W if reverse else W @ k
        if last_kernel_only:
            W = kernels[-1] if len(kernels) > 1 else W
        if mutate:
            dense_layers[0].bias.assign(np.zeros_like(biases[0]))
        b = combine_bias(kernels, biases)
        return (W.T if transpose else W), b
    return collapse


def right_bias(kernels, biases):
    b = biases[0]
    for k, bias in zip(kernels[1:], biases[1:]):
        b = b @ k + bias
    return b


def first_bias_only(kernels, biases):
    b = biases[0]
    for k in kernels[1:]:
        b = b @ k
    return b


def collapse_by_reduce(dense_layers):
    """Correct: get_weights and functools.reduce over (W, b) pairs, float64."""
    def combine(acc, layer):
        W, b = acc
        kernel, bias = (np.asarray(a, np.float64) for a in layer.get_weights())
        return W @ kernel, b @ kernel + bias

    first = [np.asarray(a, np.float64) for a in dense_layers[0].get_weights()]
    return functools.reduce(combine, dense_layers[1:], tuple(first))


def collapse_in_tf(dense_layers):
    """Correct: TensorFlow tensors, float32, returned as a list."""
    W, b = dense_layers[0].kernel, dense_layers[0].bias
    for layer in dense_layers[1:]:
        W, b = tf.matmul(W, layer.kernel), tf.linalg.matvec(layer.kernel, b, transpose_a=True) + layer.bias
    return [W, b]


@pytest.mark.parametrize("right", [collapse_with(right_bias), collapse_by_reduce, collapse_in_tf])
def test_collapse_passes_other_versions(right, capsys):
    checks.check_collapse_linear_stack(right)
    checks.check_collapse_linear_stack(right, seed=5)
    out = capsys.readouterr().out
    assert out.count("✔") == 2 and "reads the map off" not in out


def test_collapse_by_probing_passes_but_says_so(capsys):
    checks.check_collapse_linear_stack(collapse_by_probing)
    assert "though it reads the map off the layers' outputs" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, message", [
    (collapse_with(lambda k, b: np.zeros(k[-1].shape[1])), "b is all zeros"),
    (collapse_with(lambda k, b: b[-1]), "only the last layer's bias"),
    (collapse_with(first_bias_only), "later layers' biases"),
    (collapse_with(lambda k, b: sum(b)), "carried through the later kernels"),
    (collapse_with(lambda k, b: right_bias(k, b)[None, :]),
     r"b from .* has shape \(1, 2\) but should have shape \(2,\)"),
    (collapse_with(right_bias, transpose=True), "transposed"),
    (collapse_with(right_bias, reverse=True), "multiply in layer order"),
    (collapse_with(right_bias, last_kernel_only=True), "single layer's kernel"),
    (collapse_with(right_bias, mutate=True), "changed the layers' weights"),
    (lambda dense_layers: collapse_by_probing(dense_layers)[0], "pair"),
    (lambda dense_layers: None, "forget the `return`"),
    (lambda dense_layers: (collapse_by_probing(dense_layers)[0], collapse_by_probing(dense_layers)[1] + 0.1),
     "x @ W \\+ b .* is off"),
    (lambda dense_layers: collapse_with(right_bias)(dense_layers[:2]), "shape|is off"),
])
def test_collapse_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_collapse_linear_stack(wrong)


def test_collapse_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="collapse_linear_stack"):
        checks.check_collapse_linear_stack(stub)


# --- XOR accuracy --------------------------------------------------------------------------

def test_xor_accuracy_passes_correct_builders(capsys):
    checks.check_xor_accuracy(deep_builder())
    checks.check_xor_accuracy(list_builder, seed=3)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("builder, message", [
    (deep_builder(hidden_activation=None), "no activation"),  # the structure comes first
    (deep_builder(hidden_activation="tanh"), "use tanh"),
    (lambda d, hs, k: deep_builder()(d, [64], k), "should have 3"),
    (deep_builder(output_activation="sigmoid"), "output layer has a sigmoid"),
    (deep_builder(kernel_initializer="zeros"), "near chance: look at how its Dense layers start"),
    (deep_builder(extra=lambda: layers.Dropout(0.5)), "in training"),
])
def test_xor_accuracy_names_the_mistake(builder, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_xor_accuracy(builder)


def test_xor_accuracy_uses_its_min_accuracy_argument(capsys):
    checks.check_xor_accuracy(deep_builder(), min_accuracy=0.5)
    assert "needed 50%" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="it should reach 100%"):
        checks.check_xor_accuracy(deep_builder(), min_accuracy=1.0)


def test_xor_accuracy_is_fast():
    import time

    start = time.perf_counter()
    checks.check_xor_accuracy(deep_builder(), seed=1)
    assert time.perf_counter() - start < 3.0  # well under two seconds on an idle machine
