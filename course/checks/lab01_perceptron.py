"""Checks for lab01_perceptron: activations, the perceptron, logic gates, MyDenseLayer.

Every check recomputes the expected result from the student's own object
(e.g. ``sigmoid(x @ W + b)`` from the layer's own weights) and names the
likely mistake when it recognises one.
"""

from __future__ import annotations

import numpy as np

from course.checks.core import (
    reference_sigmoid,
    CheckFailed,
    attempt,
    expect,
    expect_close,
    expect_shape,
    is_close,
    passed,
    require_defined,
    to_numpy,
)

GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
GATE_TABLES = {
    "AND_WEIGHTS": np.array([0, 0, 0, 1]),
    "OR_WEIGHTS": np.array([0, 1, 1, 1]),
    "NAND_WEIGHTS": np.array([1, 1, 1, 0]),
}


def _random(seed: int, shape: tuple, scale: float = 3.0) -> np.ndarray:
    """Reproducible random inputs for a check."""
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


def _check_elementwise(function, name: str, reference, seed: int, mistakes: dict) -> np.ndarray:
    """Shared body of the activation checks: shapes kept, values match the reference.

    Args:
        function: the student's activation.
        name: its name, for messages.
        reference: the correct function (float64 NumPy).
        seed: picks the random inputs.
        mistakes: ``{message: wrong_function}``; a result matching one names the mistake.

    Returns:
        The student's output on the random inputs.
    """
    z = np.concatenate([_random(seed, (12,)), [-30.0, -1.0, 0.0, 1.0, 30.0]]).reshape(1, 17)
    z = np.repeat(z, 2, axis=0)
    result = to_numpy(attempt(function, z.copy(), name=name), f"{name}(z)")
    expect_shape(result, z.shape, f"{name}(z) for z of shape {z.shape}")
    for message, wrong in mistakes.items():
        if not is_close(result, reference(z)) and is_close(result, wrong(z)):
            raise CheckFailed(message)
    expect_close(result, reference(z), f"{name}(z)", atol=1e-6)
    scalar = to_numpy(attempt(function, np.float64(0.5), name=name), f"{name}(0.5)")
    expect_close(scalar.reshape(()), reference(np.float64(0.5)), f"{name}(0.5)")
    return result


def check_sigmoid(sigmoid, seed: int = 0) -> None:
    """sigmoid(z) = 1 / (1 + exp(-z)), element-wise, any shape, values in (0, 1)."""
    _check_elementwise(sigmoid, "sigmoid", reference_sigmoid, seed, {
        "sigmoid(z) returns exp(-z) / (1 + exp(-z)), which is sigmoid(-z): the sign of z is flipped.":
            lambda z: reference_sigmoid(-z),
        "sigmoid(z) looks like tanh: sigmoid squashes into (0, 1), not (-1, 1).": np.tanh,
        "sigmoid(z) returns 1 + exp(-z): take its reciprocal, 1 / (1 + exp(-z)).":
            lambda z: 1 + np.exp(-z),
    })
    passed("sigmoid matches 1 / (1 + exp(-z)) on every element, including large |z|")


def check_tanh(tanh, seed: int = 0) -> None:
    """tanh(z), element-wise, any shape, values in (-1, 1)."""
    _check_elementwise(tanh, "tanh", np.tanh, seed, {
        "tanh(z) looks like the sigmoid: tanh squashes into (-1, 1) and tanh(0) = 0.": reference_sigmoid,
        "tanh(z) equals tanh(z / 2) = 2 * sigmoid(z) - 1: check the factor 2 in the exponent.":
            lambda z: np.tanh(z / 2),
    })
    passed("tanh matches np.tanh on every element and stays in (-1, 1)")


def check_relu(relu, seed: int = 0) -> None:
    """relu(z) = max(0, z), element-wise, any shape."""
    z = _random(seed, (3, 4))
    result = to_numpy(attempt(relu, z.copy(), name="relu"), "relu(z)")
    if result.shape == (4,) or result.shape == ():
        raise CheckFailed("relu(z) reduced the array to one value per column (np.max): use "
                          "np.maximum(0, z), which compares element by element.")
    expect_shape(result, z.shape, f"relu(z) for z of shape {z.shape}")
    if is_close(result, np.abs(z)):
        raise CheckFailed("relu(z) returns |z|: negative inputs must give 0, not their magnitude.")
    if is_close(result, np.minimum(0, z)):
        raise CheckFailed("relu(z) keeps the negative part: it should keep the positive part, max(0, z).")
    expect_close(result, np.maximum(0.0, z), "relu(z)")
    passed("relu matches max(0, z) on every element")


def check_perceptron(perceptron, seed: int = 0) -> None:
    """perceptron(x, w, b) = sigmoid(x @ w + b) for one example (d,) or a batch (n, d)."""
    rng = np.random.default_rng(seed)
    n, d = 5 + seed % 3, 3 + seed % 2
    x, w = rng.normal(scale=2.0, size=(n, d)), rng.normal(size=(d,))
    b = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5))
    result = to_numpy(attempt(perceptron, x, w, b), "perceptron(x, w, b)")
    z = x @ w + b
    if result.shape == (n, d):
        raise CheckFailed("perceptron returned one value per input feature: multiply x by w *and sum* "
                          "(x @ w or np.dot(x, w)) before adding the bias.")
    expect_shape(result, (n,), f"perceptron(x, w, b) for x of shape {(n, d)} and w of shape {(d,)}")
    mistakes = {
        "the bias is missing: add b to the weighted sum before the activation.": reference_sigmoid(x @ w),
        "the bias is subtracted: the perceptron computes g(x @ w + b).": reference_sigmoid(x @ w - b),
        "wrong activation (tanh): this perceptron uses the sigmoid.": np.tanh(z),
        "wrong activation (ReLU): this perceptron uses the sigmoid.": np.maximum(0, z),
        "no non-linearity: pass the weighted sum plus bias through sigmoid.": z,
        "the weights are ignored: multiply each input by its weight before summing.": reference_sigmoid(x.sum(1) + b),
    }
    for message, wrong in mistakes.items():
        if is_close(result, wrong):
            raise CheckFailed(message)
    expect_close(result, reference_sigmoid(z), "perceptron(x, w, b)")
    single = to_numpy(attempt(perceptron, x[0], w, b), "perceptron(x[0], w, b)")
    expect(single.size == 1, f"perceptron on one example of shape {(d,)} should give one number, "
                             f"got shape {single.shape}.")
    expect_close(single.reshape(()), reference_sigmoid(z[0]), "perceptron on one example")
    passed("perceptron computes sigmoid(x @ w + b) for one example and for a batch")


def _gate_outputs(weights, name: str) -> np.ndarray:
    """Apply a step perceptron (w, b) to the four binary inputs."""
    require_defined(weights, name)
    try:
        w, b = weights
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        b = float(np.asarray(b, dtype=np.float64))
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a pair (w, b): a weight vector of length 2 and "
                          "a number for the bias.") from None
    expect(w.shape == (2,), f"{name}'s weight vector should have 2 entries, got {w.size}.")
    return (GATE_INPUTS @ w + b > 0).astype(int)


def check_gate_weights(AND_WEIGHTS, OR_WEIGHTS, NAND_WEIGHTS) -> None:  # noqa: N803 - contract names
    """Each (w, b) pair, as a step perceptron ``x @ w + b > 0``, reproduces its gate's truth table."""
    given = {"AND_WEIGHTS": AND_WEIGHTS, "OR_WEIGHTS": OR_WEIGHTS, "NAND_WEIGHTS": NAND_WEIGHTS}
    for name, weights in given.items():
        outputs = _gate_outputs(weights, name)
        wrong = np.flatnonzero(outputs != GATE_TABLES[name])
        if wrong.size:
            i = wrong[0]
            x1, x2 = GATE_INPUTS[i].astype(int)
            hint = ("lower the bias" if outputs[i] == 1 else "raise the bias or the weights")
            raise CheckFailed(f"{name} gives {outputs[i]} for input ({x1}, {x2}) where "
                              f"{name.split('_')[0]} gives {GATE_TABLES[name][i]}: {hint}.")
    passed("AND, OR and NAND each come out right on all four inputs")


def _find_weights(layer, input_dim: int, output_dim: int):
    """The layer's kernel (input_dim, output_dim) and bias (output_dim,) or (1, output_dim)."""
    weights = list(layer.trainable_weights)
    expect(len(weights) == 2, f"MyDenseLayer should have 2 trainable weights (W and b), found "
                              f"{len(weights)}: create them once with self.add_weight.")
    shapes = [tuple(v.shape) for v in weights]
    kernels = [v for v in weights if tuple(v.shape) == (input_dim, output_dim)]
    if not kernels and (output_dim, input_dim) in shapes:
        raise CheckFailed(f"W has shape {(output_dim, input_dim)}: it should be (input_dim, output_dim) = "
                          f"{(input_dim, output_dim)} so that inputs @ W works (the weights are transposed).")
    expect(bool(kernels), f"no weight of shape (input_dim, output_dim) = {(input_dim, output_dim)}; "
                          f"found shapes {shapes}.")
    kernel = kernels[0]
    bias = next(v for v in weights if v is not kernel)
    expect(tuple(bias.shape) in [(output_dim,), (1, output_dim)],
           f"b has shape {tuple(bias.shape)}: it should hold one bias per output, {(output_dim,)}.")
    return kernel, bias


LAYER_HINTS = {
    "cannot add new elements of state": "the layer creates weights in call: create W and b once, "
                                        "in build (or __init__), not in call.",
    "Matrix size-incompatible": "inputs @ W fails: W should have shape (input_dim, output_dim) "
                                "(are the weights transposed?).",
    "Incompatible shapes": "inputs @ W + b fails: b should hold one bias per output, shape (output_dim,).",
}


def check_my_dense_layer(MyDenseLayer, seed: int = 0) -> None:  # noqa: N803 - contract name
    """MyDenseLayer(input_dim, output_dim) is a Keras layer computing sigmoid(inputs @ W + b)."""
    import keras
    import tensorflow as tf

    input_dim, output_dim, n = 3 + seed % 2, 2, 6
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=(n, input_dim)).astype("float32")
    layer = attempt(MyDenseLayer, input_dim, output_dim, name="MyDenseLayer")
    expect(isinstance(layer, keras.layers.Layer),
           "MyDenseLayer should subclass keras.layers.Layer.")
    attempt(layer.build, (None, input_dim), name="MyDenseLayer.build", hints=LAYER_HINTS)
    if len(layer.trainable_weights) == 2:  # weights made in __init__/build: check shapes first
        _find_weights(layer, input_dim, output_dim)
    first = to_numpy(attempt(layer, x, name="MyDenseLayer.call", hints=LAYER_HINTS), "layer(inputs)")
    expect_shape(first, (n, output_dim), f"layer(inputs) for inputs of shape {(n, input_dim)}")
    kernel, bias = _find_weights(layer, input_dim, output_dim)
    # Weights of both signs and a clearly non-zero bias make each mistake visible.
    kernel.assign(rng.normal(size=tuple(kernel.shape)).astype("float32"))
    bias.assign((rng.choice([-1.0, 1.0], size=tuple(bias.shape)) *
                 rng.uniform(0.5, 1.5, size=tuple(bias.shape))).astype("float32"))
    W, b = kernel.numpy().astype(np.float64), bias.numpy().astype(np.float64).reshape(-1)
    result = to_numpy(attempt(layer, x, name="MyDenseLayer.call", hints=LAYER_HINTS), "layer(inputs)")
    expect(len(layer.trainable_weights) == 2,
           "calling the layer again created new weights: create W and b once, in build or "
           "__init__, not in call.")
    z = x.astype(np.float64) @ W + b
    mistakes = {
        "the bias is missing: add self.b to inputs @ self.W.": reference_sigmoid(x @ W),
        "wrong activation: MyDenseLayer uses the sigmoid (as in the lecture), not ReLU.": np.maximum(z, 0),
        "wrong activation: MyDenseLayer uses the sigmoid (as in the lecture), not tanh.": np.tanh(z),
        "no non-linearity: pass inputs @ W + b through a sigmoid.": z,
    }
    for message, wrong in mistakes.items():
        if is_close(result, wrong, rtol=1e-4, atol=1e-5):
            raise CheckFailed(message)
    expect_close(result, reference_sigmoid(z), "layer(inputs)", rtol=1e-4, atol=1e-5)

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x))
    grads = tape.gradient(loss, [kernel, bias])
    expect(all(g is not None for g in grads), "no gradient reaches W or b: compute the output "
           "with TensorFlow/Keras ops on the weights (not NumPy copies of them).")

    config_hint = {"": "MyDenseLayer.from_config(layer.get_config()) failed: get_config should "
                       "return input_dim and output_dim (plus super().get_config())."}
    config = attempt(layer.get_config, name="get_config")
    clone = attempt(MyDenseLayer.from_config, config, name="MyDenseLayer.from_config", hints=config_hint)
    expect(tuple(attempt(clone, x, name="MyDenseLayer.call").shape) == (n, output_dim),
           "MyDenseLayer.from_config(layer.get_config()) did not rebuild the same layer: "
           "return input_dim and output_dim from get_config.")

    def in_sequential():
        model = keras.Sequential([keras.Input((input_dim,)), MyDenseLayer(input_dim, output_dim)])
        return model(x)

    stacked = attempt(in_sequential, name="keras.Sequential([..., MyDenseLayer(...)])")
    expect(tuple(stacked.shape) == (n, output_dim), "MyDenseLayer did not work inside keras.Sequential.")
    passed("MyDenseLayer computes sigmoid(inputs @ W + b) with its own weights, trains, "
           "and round-trips through get_config")
