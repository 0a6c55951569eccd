"""(d) lab02's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import keras
import numpy as np
import pytest
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
                 extra_input_layer=False, drop_output=False, mutate=False):
    """A build_deep_model variant; the defaults give a correct model written unlike the solution."""

    def build(n_inputs, hidden_sizes, n_outputs):
        model = keras.Sequential()
        if use_input:
            model.add(keras.Input(shape=(n_inputs,)))
        if extra_input_layer:
            model.add(layers.Dense(n_inputs, activation="relu"))
        for units in hidden_sizes:
            model.add(layers.Dense(units, use_bias=use_bias))
            if hidden_activation == "relu":
                model.add(layers.ReLU())  # a separate activation layer is fine
            elif hidden_activation:
                model.add(layers.Activation(hidden_activation))
        if mutate:
            hidden_sizes.append(n_outputs)
        if not drop_output:
            model.add(layers.Dense(n_outputs, activation=output_activation, use_bias=use_bias))
        return model

    return build


def test_builders_pass_alternative_forms(capsys):
    checks.check_build_deep_model(deep_builder())
    checks.check_build_deep_model(deep_builder(), seed=2)
    checks.check_build_single_layer_model(lambda d, h, k: deep_builder()(d, [h], k))
    checks.check_build_single_layer_model(
        lambda d, h, k: keras.Sequential([layers.Input((d,)), layers.Dense(h, "relu"), layers.Dense(k, "linear")]),
        seed=4)
    assert capsys.readouterr().out.count("✔") == 4


@pytest.mark.parametrize("builder, message", [
    (deep_builder(hidden_activation=None), "no activation"),
    (deep_builder(hidden_activation="sigmoid"), "use a sigmoid"),
    (deep_builder(hidden_activation="tanh"), "use tanh"),
    (deep_builder(output_activation="relu"), "output layer has a ReLU"),
    (deep_builder(output_activation="sigmoid"), "output layer has a sigmoid"),
    (deep_builder(use_input=False), "keras.Input"),
    (deep_builder(use_bias=False), "has no bias"),
    (deep_builder(extra_input_layer=True), "drop that extra layer"),
    (deep_builder(drop_output=True), "output layer is missing"),
    (deep_builder(mutate=True), "changed the list hidden_sizes"),
    (lambda d, hs, k: deep_builder()(d, hs[:1], k), "should have"),
    (lambda d, hs, k: deep_builder()(d, hs[::-1], k), "hidden sizes in order"),
    (lambda d, hs, k: deep_builder()(d + 1, hs, k), r"takes inputs of shape \(None, 4\)"),
    (lambda d, hs, k: None, "forget the `return`"),
    (lambda d, hs, k: [layers.Dense(k)], "should return a keras.Sequential"),
    (lambda d, hs, k: keras.Sequential([keras.Input((d,)), *[layers.Dense(h, "relu") for h in hs],
                                        layers.Dense(k), layers.BatchNormalization()]), "BatchNormalization"),
])
def test_deep_model_names_the_mistake(builder, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_build_deep_model(builder)


def test_single_layer_model_names_the_mistake():
    with pytest.raises(CheckFailed, match="no activation"):
        checks.check_build_single_layer_model(lambda d, h, k: deep_builder(hidden_activation=None)(d, [h], k))
    with pytest.raises(CheckFailed, match=r"Dense layers of \[2, 5\] units"):  # n_hidden and n_outputs swapped
        checks.check_build_single_layer_model(lambda d, h, k: deep_builder()(d, [k], h))
    with pytest.raises(CheckFailed, match="has 3 Dense layers but should have 2"):
        checks.check_build_single_layer_model(lambda d, h, k: deep_builder()(d, [h, h], k))


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


def test_count_passes_a_loop_version(capsys):
    checks.check_count_dense_params(count_by_loop)
    checks.check_count_dense_params(lambda d, hs, k: np.int64(count_by_loop(d, hs, k)), seed=9)
    assert capsys.readouterr().out.count("✔") == 2


def pairs(d, hs, k):
    sizes = [d, *hs, k]
    return list(zip(sizes[:-1], sizes[1:]))


def mutating_count(d, hs, k):
    hs.append(k)
    return count_by_loop(d, hs[:-1], k)


@pytest.mark.parametrize("wrong, message", [
    (lambda d, hs, k: sum(a * m for a, m in pairs(d, hs, k)), "biases are missing"),
    (lambda d, hs, k: sum(a * m + 1 for a, m in pairs(d, hs, k)), "one bias per layer"),
    (lambda d, hs, k: sum(a * (m + 1) for a, m in pairs(d, hs, k)), "one bias per input"),
    (lambda d, hs, k: sum((a + 1) * m for a, m in pairs(d, hs, k)[:-1]), "output layer is missing"),
    (lambda d, hs, k: sum((a + 1) * m for a, m in pairs(d, hs, k)[1:]), "first layer is missing"),
    (lambda d, hs, k: count_by_loop(d, hs, k) + 7, "Keras counts"),
    (lambda d, hs, k: [count_by_loop(d, hs, k)] * 2, "one number"),
    (mutating_count, "changed the list hidden_sizes"),
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


def test_collapse_passes_a_probing_version(capsys):
    checks.check_collapse_linear_stack(collapse_by_probing)
    checks.check_collapse_linear_stack(collapse_by_probing, seed=5)
    checks.check_collapse_linear_stack(collapse_with(lambda k, b: right_bias(k, b)[None, :]))  # (1, k) bias is fine
    assert capsys.readouterr().out.count("✔") == 3


@pytest.mark.parametrize("wrong, message", [
    (collapse_with(lambda k, b: np.zeros(k[-1].shape[1])), "b is all zeros"),
    (collapse_with(lambda k, b: b[-1]), "only the last layer's bias"),
    (collapse_with(first_bias_only), "later layers' biases"),
    (collapse_with(lambda k, b: sum(b)), "carried through the later kernels"),
    (collapse_with(right_bias, transpose=True), "transposed"),
    (collapse_with(right_bias, reverse=True), "multiply in layer order"),
    (collapse_with(right_bias, last_kernel_only=True), "single layer's kernel"),
    (collapse_with(right_bias, mutate=True), "changed the layers' weights"),
    (lambda dense_layers: collapse_by_probing(dense_layers)[0], "pair"),
    (lambda dense_layers: None, "forget the `return`"),
    (lambda dense_layers: (collapse_by_probing(dense_layers)[0], collapse_by_probing(dense_layers)[1] + 0.1),
     "x @ W \\+ b .* is off"),
])
def test_collapse_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_collapse_linear_stack(wrong)


def test_collapse_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="collapse_linear_stack"):
        checks.check_collapse_linear_stack(stub)


# --- XOR accuracy --------------------------------------------------------------------------

def test_xor_accuracy_passes_a_correct_builder_and_fails_a_linear_one(capsys):
    checks.check_xor_accuracy(deep_builder())
    assert "✔" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="near chance: does every hidden layer have a ReLU"):
        checks.check_xor_accuracy(deep_builder(hidden_activation=None))
