"""Checks for lab02_sequential: Sequential models, parameter counts, collapsing linear stacks.

The model checks give the student's network random weights and compare its
output with a forward pass recomputed from those same weights (ReLU in the
hidden layers, no activation at the output), so a separate ``layers.ReLU()``
passes as well as ``activation="relu"``. Parameter counts are compared with
``model.count_params()`` of a Keras model built here, the collapsed map with
the stack's own output, and the XOR check trains a fresh network from the
student's builder and measures held-out accuracy.
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

RTOL, ATOL = 1e-4, 1e-4  # float32 models against float64 references


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


HIDDEN_ACTIVATIONS = {"relu": _relu, "none": _identity, "sigmoid": reference_sigmoid, "tanh": np.tanh}
OUTPUT_ACTIVATIONS = {"none": _identity, "relu": _relu, "sigmoid": reference_sigmoid, "softmax": _softmax}
HIDDEN_MISTAKES = {
    "none": "the hidden layers have no activation: give them activation=\"relu\" "
            "(without it the whole stack is linear, see section 4).",
    "sigmoid": "the hidden layers use a sigmoid: this lab's hidden layers use ReLU (activation=\"relu\").",
    "tanh": "the hidden layers use tanh: this lab's hidden layers use ReLU (activation=\"relu\").",
}
OUTPUT_MISTAKES = {
    "relu": "the output layer has a ReLU, so it can never give a negative score: leave the "
            "output Dense layer without an activation.",
    "sigmoid": "the output layer has a sigmoid: leave it without an activation so that it returns "
               "raw scores (lab 03 turns scores into probabilities).",
    "softmax": "the output layer has a softmax: leave it without an activation so that it returns "
               "raw scores (lab 03 covers softmax).",
}


def _check_network(model, call: str, n_inputs: int, hidden_sizes: list, n_outputs: int,
                   rng: np.random.Generator) -> int:
    """Structure and behaviour of a built network: Input, Dense sizes, biases, activations.

    Args:
        model: what the student's builder returned.
        call: how to name the call in messages, e.g. ``"build_deep_model(3, [4], 2)"``.
        n_inputs: expected input features.
        hidden_sizes: expected hidden layer sizes.
        n_outputs: expected output units.
        rng: source of the random weights and inputs.

    Returns:
        The model's parameter count.
    """
    import keras

    expect(model is not None, f"{call} returned None: did you forget the `return`?")
    expect(isinstance(model, keras.Model),
           f"{call} should return a keras.Sequential model, got {type(model).__name__}.")
    expect(isinstance(model, keras.Sequential), f"{call} returned a {type(model).__name__}, not a "
           f"keras.Sequential: this lab builds its networks as keras.Sequential([keras.Input(...), ...]).")
    expect(bool(model.built), f"{call} returned a model without an input shape: start the layer "
                              f"list with keras.Input(shape=(n_inputs,)).")
    try:
        input_shape = tuple(model.input_shape)
    except (AttributeError, ValueError):
        raise CheckFailed(f"{call} returned a model without an input shape: start the layer "
                          f"list with keras.Input(shape=(n_inputs,)).") from None
    expect(input_shape == (None, n_inputs),
           f"{call} takes inputs of shape {input_shape}; it should take (None, {n_inputs}): "
           f"keras.Input(shape=(n_inputs,)).")

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    others = [layer for layer in model.layers
              if not isinstance(layer, keras.layers.Dense) and layer.weights]
    expect(not others, f"{call} has a {type(others[0]).__name__} layer with weights: build the "
                       f"network from keras.layers.Dense layers only." if others else "")
    units = [int(layer.units) for layer in dense]
    wanted = [*hidden_sizes, n_outputs]
    if units != wanted:
        if hidden_sizes and units == list(hidden_sizes):
            raise CheckFailed(f"{call}: the output layer is missing: end with a Dense layer of "
                              f"n_outputs units.")
        if units == [n_inputs, *wanted]:
            raise CheckFailed(f"{call} starts with a Dense({n_inputs}) layer: keras.Input already "
                              f"provides the inputs, so drop that extra layer.")
        if len(units) != len(wanted):
            raise CheckFailed(f"{call} has {len(units)} Dense layers but should have {len(wanted)}: "
                              f"one per hidden size, then the output layer.")
        raise CheckFailed(f"{call} has Dense layers of {units} units; they should be the hidden "
                          f"sizes in order, then n_outputs: {wanted}.")
    no_bias = [layer.name for layer in dense if not layer.use_bias]
    expect(not no_bias, f"{call}: Dense layer {no_bias[0] if no_bias else ''} has no bias: leave "
                        f"use_bias at its default (True).")

    # Random weights of both signs make every activation mistake visible.
    kernels, biases = [], []
    for layer in dense:
        kernel = rng.normal(scale=0.8, size=tuple(layer.kernel.shape))
        bias = rng.normal(scale=0.5, size=tuple(layer.bias.shape))
        layer.kernel.assign(kernel.astype("float32"))
        layer.bias.assign(bias.astype("float32"))
        kernels.append(kernel.astype("float32").astype(np.float64))
        biases.append(bias.astype("float32").astype(np.float64))
    x = rng.normal(scale=1.5, size=(6, n_inputs)).astype("float32")
    output = to_numpy(attempt(model, x, name=f"the model from {call}"), f"the model from {call}")
    in_training = to_numpy(attempt(model, x, training=True, name=f"the model from {call}"),
                           f"the model from {call}")
    expect_shape(output, (6, n_outputs), f"the output of {call} for inputs of shape {x.shape}")

    def forward(hidden_act, output_act):
        h = x.astype(np.float64)
        for i, (kernel, bias) in enumerate(zip(kernels, biases)):
            h = h @ kernel + bias
            h = output_act(h) if i == len(kernels) - 1 else hidden_act(h)
        return h

    expected = forward(_relu, _identity)
    if not is_close(output, expected, RTOL, ATOL):
        for hidden_name, hidden_act in HIDDEN_ACTIVATIONS.items():
            for output_name, output_act in OUTPUT_ACTIVATIONS.items():
                if is_close(output, forward(hidden_act, output_act), RTOL, ATOL):
                    if hidden_name != "relu" and hidden_sizes:
                        raise CheckFailed(f"{call}: {HIDDEN_MISTAKES[hidden_name]}")
                    raise CheckFailed(f"{call}: {OUTPUT_MISTAKES[output_name]}")
        raise CheckFailed(f"{call}: the outputs do not match Dense layers applied in order with "
                          f"ReLU after each hidden layer and no activation at the output.")
    expect(is_close(in_training, expected, RTOL, ATOL), f"{call} computes something else in training "
           f"(model(x, training=True)), as a Dropout or noise layer does: keep to the Dense layers and "
           f"their ReLU activations.")
    count = int(model.count_params())
    formula = sum((a + 1) * m for a, m in zip([n_inputs, *wanted][:-1], wanted))
    expect(count == formula, f"{call} has {count} parameters where its Dense layers account for "
                             f"{formula}: remove any extra layers with weights.")
    return count


def _describe(n_inputs: int, hidden_sizes: list, n_outputs: int) -> str:
    """``Input(3) -> Dense(5, relu) -> Dense(2)``."""
    parts = [f"Input({n_inputs})", *[f"Dense({h}, relu)" for h in hidden_sizes], f"Dense({n_outputs})"]
    return " -> ".join(parts)


def check_build_single_layer_model(build_single_layer_model, seed: int = 0) -> None:
    """build_single_layer_model(d, h, k): Input(d) -> Dense(h, relu) -> Dense(k), built."""
    rng = np.random.default_rng(seed)
    if seed == 0:
        n_inputs, n_hidden, n_outputs = 3, 5, 2
    else:
        n_inputs, n_hidden, n_outputs = (int(v) for v in rng.integers([2, 3, 1], [7, 9, 4]))
    student = Student(build_single_layer_model, "build_single_layer_model")
    counts = []
    for d, h, k in [(n_inputs, n_hidden, n_outputs), (n_inputs + 1, n_hidden, 1)]:
        call = f"build_single_layer_model({d}, {h}, {k})"
        counts.append(_check_network(student(d, h, k), call, d, [h], k, rng))
    call = f"build_single_layer_model({n_inputs}, {n_hidden}, {n_outputs})"
    passed(f"{call} is {_describe(n_inputs, [n_hidden], n_outputs)} with {counts[0]} parameters "
           f"(and n_outputs=1 works too)")


def check_build_deep_model(build_deep_model, seed: int = 0) -> None:
    """build_deep_model(d, hidden_sizes, k): one Dense ReLU layer per hidden size, then Dense(k)."""
    rng = np.random.default_rng(seed)
    if seed == 0:
        cases = [(3, [6, 5, 4], 2), (4, [7], 3), (2, [], 1)]
    else:
        deep = [int(v) for v in rng.integers(2, 9, size=int(rng.integers(2, 5)))]
        cases = [(int(rng.integers(2, 6)), deep, int(rng.integers(1, 4))), (5, [3], 2), (3, [], 2)]
    student = Student(build_deep_model, "build_deep_model")
    counts = []
    for n_inputs, hidden_sizes, n_outputs in cases:
        call = f"build_deep_model({n_inputs}, {hidden_sizes}, {n_outputs})"
        given = list(hidden_sizes)
        hints = None if hidden_sizes else {
            "index out of range": f"{call} failed: hidden_sizes may be empty, and then the model is "
                                  "keras.Input followed by the output layer alone (loop over the list, do not "
                                  "index into it)."}
        model = student(n_inputs, given, n_outputs, hints=hints)
        expect(given == hidden_sizes, f"{call} changed the list hidden_sizes it was given (now {given}): "
                                      f"build a new list instead of appending to it.")
        counts.append(_check_network(model, call, n_inputs, hidden_sizes, n_outputs, rng))
    deepest = cases[0]
    passed(f"build_deep_model builds {_describe(*deepest)} ({counts[0]} parameters), "
           f"and a single Dense layer for hidden_sizes=[]")


def _keras_count(n_inputs: int, hidden_sizes: list, n_outputs: int) -> int:
    """The parameter count Keras reports for the Dense network with these sizes."""
    import keras

    model = keras.Sequential([keras.Input(shape=(n_inputs,))]
                             + [keras.layers.Dense(m) for m in [*hidden_sizes, n_outputs]])
    return int(model.count_params())


def _keras_objects_made() -> int:
    """How many Keras layers, models and other named objects this process has made so far."""
    try:
        from keras.src.backend.common import global_state  # noqa: PLC0415
    except ImportError:  # another Keras layout: nothing to compare
        return 0
    return sum(global_state.get_global_attribute("object_name_uids", default={}).values())


def check_count_dense_params(count_dense_params, seed: int = 0) -> None:
    """count_dense_params(d, hidden_sizes, k) equals model.count_params() of that network, as an
    int, from the formula (without building the model)."""
    rng = np.random.default_rng(seed)
    cases = [(3, [5], 2), (4, [], 3), (784, [128], 10), (2, [16, 16], 1)]
    if seed != 0:
        cases = [(int(rng.integers(2, 50)), [int(v) for v in rng.integers(1, 30, size=3)],
                  int(rng.integers(1, 10))), (int(rng.integers(2, 9)), [], int(rng.integers(1, 5))),
                 (int(rng.integers(2, 9)), [int(rng.integers(1, 9))], int(rng.integers(1, 5)))]
    student = Student(count_dense_params, "count_dense_params")
    for n_inputs, hidden_sizes, n_outputs in cases:
        call = f"count_dense_params({n_inputs}, {hidden_sizes}, {n_outputs})"
        given = list(hidden_sizes)
        made = _keras_objects_made()
        result = student(n_inputs, given, n_outputs)
        expect(_keras_objects_made() == made, f"{call} builds a Keras model to count its parameters: "
               f"compute the count from the formula, (a + 1)·m for each Dense layer, without building anything.")
        expect(given == hidden_sizes, f"{call} changed the list hidden_sizes it was given (now {given}): "
                                      f"build a new list instead of appending to it.")
        value = to_numpy(result, call)
        expect(value.size == 1, f"{call} should return one number, got an array of shape {value.shape}.")
        got = float(value.reshape(()))
        raw = np.asarray(result.numpy() if hasattr(result, "numpy") else result)
        expected = _keras_count(n_inputs, hidden_sizes, n_outputs)
        if got == expected:
            expect(raw.dtype.kind in "iu", f"{call} returns {got:g} as a {type(result).__name__}: return "
                   f"an int (no / division, or wrap the total in int(...)).")
            continue
        sizes = [n_inputs, *hidden_sizes, n_outputs]
        pairs = list(zip(sizes[:-1], sizes[1:]))
        mistakes = {
            "the biases are missing: a Dense layer with m units also has m biases.":
                sum(a * m for a, m in pairs),
            "there is one bias per layer in your count: a Dense layer has one bias per unit.":
                sum(a * m + 1 for a, m in pairs),
            "your count has one bias per input: a Dense layer has one bias per unit (output).":
                sum(a * (m + 1) for a, m in pairs),
            "the output layer is missing from your count: count every Dense layer, the last one too.":
                sum((a + 1) * m for a, m in pairs[:-1]),
            "the first layer is missing: the inputs feed a Dense layer too (n_inputs -> first size).":
                sum((a + 1) * m for a, m in pairs[1:]),
            "the sizes are added instead of multiplied: a Dense layer from a inputs to m units has "
            "a·m weights plus m biases.": sum(a + m + m for a, m in pairs),
        }
        for message, wrong in mistakes.items():
            if got == wrong and wrong != expected:
                raise CheckFailed(f"{call} gives {got:g}: {message}")
        raise CheckFailed(f"{call} gives {got:g} but Keras counts {expected} parameters for that network.")
    passed(f"count_dense_params matches model.count_params() on {len(cases)} networks")


COLLAPSE_HINTS = {
    "mismatch in its core dimension": "collapse_linear_stack multiplies kernels whose shapes do not "
                                      "fit: multiply in layer order, W = W1 @ W2 @ ... (each kernel "
                                      "is (inputs, units)).",
    "not aligned": "collapse_linear_stack multiplies kernels whose shapes do not fit: multiply in "
                   "layer order, W = W1 @ W2 @ ... (each kernel is (inputs, units)).",
    "Matrix size-incompatible": "collapse_linear_stack multiplies kernels whose shapes do not fit: "
                                "multiply in layer order, W = W1 @ W2 @ ...",
    "could not be broadcast": "collapse_linear_stack adds arrays of different sizes: each bias has "
                              "to be carried through the later kernels before adding.",
    "Incompatible shapes": "collapse_linear_stack adds arrays of different sizes: each bias has "
                           "to be carried through the later kernels before adding.",
}


def _linear_stack(sizes: list, rng: np.random.Generator):
    """A keras.Sequential of activation-free Dense layers with random weights (float32)."""
    import keras

    stack = keras.Sequential([keras.Input(shape=(sizes[0],))] + [keras.layers.Dense(m) for m in sizes[1:]])
    for layer in stack.layers:
        layer.kernel.assign(rng.normal(scale=0.7, size=tuple(layer.kernel.shape)).astype("float32"))
        layer.bias.assign(rng.normal(size=tuple(layer.bias.shape)).astype("float32"))
    return stack


def _collapsed(student: Student, stack, what: str):
    """Call the student's function on the stack's layers; return (W, b) as float64 arrays and
    whether it ran the layers (reading the map off their outputs) instead of their weights."""
    before = [w.copy() for w in stack.get_weights()]
    with library_calls({"keras.layers.Dense.call": "Dense.call"}) as ran:
        result = student(list(stack.layers), hints=COLLAPSE_HINTS)
    expect(result is not None, "collapse_linear_stack returned None: did you forget the `return`?")
    try:
        W, b = result
    except (TypeError, ValueError):
        raise CheckFailed("collapse_linear_stack should return a pair (W, b): the combined kernel "
                          "and the combined bias.") from None
    after = stack.get_weights()
    expect(all(np.array_equal(x, y) for x, y in zip(before, after)),
           "collapse_linear_stack changed the layers' weights: only read them (layer.kernel, "
           "layer.bias), never assign to them.")
    return to_numpy(W, f"W from {what}"), to_numpy(b, f"b from {what}"), bool(ran)


def check_collapse_linear_stack(collapse_linear_stack, seed: int = 0) -> None:
    """collapse_linear_stack(layers) returns (W, b) of shapes (d_0, d_L) and (d_L,) with
    x @ W + b equal to the stack's output."""
    rng = np.random.default_rng(seed)
    sizes = [3, 5, 4, 2] if seed == 0 else [int(v) for v in rng.integers(2, 7, size=int(rng.integers(4, 6)))]
    stack = _linear_stack(sizes, rng)
    what = f"a stack of {len(sizes) - 1} layers {sizes}"
    student = Student(collapse_linear_stack, "collapse_linear_stack")
    W, b, probed = _collapsed(student, stack, what)
    n_in, n_out = sizes[0], sizes[-1]
    kernels = [layer.kernel.numpy().astype(np.float64) for layer in stack.layers]
    biases = [layer.bias.numpy().astype(np.float64) for layer in stack.layers]
    if is_close(W, kernels[-1], RTOL, ATOL) or is_close(W, kernels[0], RTOL, ATOL):
        raise CheckFailed("W is a single layer's kernel: the combined kernel is the product of "
                          "all the kernels, in layer order.")
    if W.shape == (n_out, n_in) and n_in != n_out:
        raise CheckFailed(f"W has shape {W.shape}: it should be (inputs, outputs) = {(n_in, n_out)} "
                          f"so that x @ W works (it is transposed).")
    expect_shape(W, (n_in, n_out), f"W from {what}")
    expect_shape(b, (n_out,), f"b from {what}")

    W_ref, b_ref = kernels[0], biases[0]
    for kernel, bias in zip(kernels[1:], biases[1:]):
        W_ref, b_ref = W_ref @ kernel, b_ref @ kernel + bias
    expect_close(W, W_ref, f"W from {what}", RTOL, ATOL)
    if not is_close(b, b_ref, RTOL, ATOL):
        only_first = biases[0]
        for kernel in kernels[1:]:
            only_first = only_first @ kernel
        mistakes = {
            "b is all zeros: the biases belong in the collapsed map too.": np.zeros_like(b_ref),
            "b is only the last layer's bias: every earlier bias also passes through the later "
            "layers' kernels and shows up in the output.": biases[-1],
            "b only carries the first layer's bias through the stack: the later layers' biases "
            "are added on the way too.": only_first,
        }
        for message, wrong in mistakes.items():
            if is_close(b, wrong, RTOL, ATOL):
                raise CheckFailed(message)
    x = rng.normal(size=(8, n_in)).astype("float32")
    stack_out = np.asarray(stack(x), dtype=np.float64)
    expect_close(x.astype(np.float64) @ W + b, stack_out, f"x @ W + b for {what}", RTOL, ATOL)

    single = _linear_stack([4, 3], rng)
    W1, b1, _ = _collapsed(student, single, "a single layer")
    expect_shape(W1, (4, 3), "W from a single layer")
    expect_shape(b1, (3,), "b from a single layer")
    expect(is_close(W1, single.layers[0].kernel.numpy()) and is_close(b1, single.layers[0].bias.numpy()),
           "for a single layer, collapse_linear_stack should return that layer's own kernel and bias.")
    how = (", though it reads the map off the layers' outputs instead of multiplying their kernels"
           if probed else "")
    passed(f"collapse_linear_stack turns {what} into one (W, b) whose outputs match the stack{how}")


def check_xor_accuracy(build_deep_model, seed: int = 0, min_accuracy: float = 0.9) -> None:
    """build_deep_model(2, [16, 16], 1) is the prescribed ReLU network and, trained briefly on
    XOR blobs (Adam 0.02, batches of 32, 10 epochs), reaches min_accuracy on held-out points."""
    import keras

    from course.data import make_xor_blobs
    from course.seed import set_seed

    x, y = make_xor_blobs(800, noise=0.4, seed=100 + seed)
    x_train, y_train, x_val, y_val = x[:600], y[:600], x[600:], y[600:]
    call = "build_deep_model(2, [16, 16], 1)"
    student = Student(build_deep_model, "build_deep_model")
    _check_network(student(2, [16, 16], 1), call, 2, [16, 16], 1, np.random.default_rng(seed))
    set_seed(seed)
    model = student(2, [16, 16], 1)

    def train():
        train_quickly(model, x_train, y_train.reshape(-1, 1), keras.optimizers.Adam(learning_rate=0.02),
                      keras.losses.BinaryCrossentropy(from_logits=True), batch_size=32, epochs=10, seed=seed)
        return model(x_val)

    scores = to_numpy(attempt(train, name=f"training {call}"), f"the trained {call}")
    expect(scores.size == len(x_val), f"{call} should give one score per example, got shape {scores.shape}.")
    expect(bool(np.all(np.isfinite(scores))), f"after training, {call} gives nan or inf scores: look for an "
           f"unusual initializer, constraint or dtype in its Dense layers.")
    accuracy = float(np.mean((scores.ravel() > 0) == (y_val == 1)))
    if accuracy < min_accuracy:
        if accuracy < 0.7:
            raise CheckFailed(f"after training, {call} gets only {accuracy:.0%} of held-out XOR points "
                              f"right, near chance: look at how its Dense layers start (kernel_initializer, "
                              f"trainable) so that training can move them.")
        raise CheckFailed(f"after training, {call} gets {accuracy:.0%} of held-out XOR points right; "
                          f"it should reach {min_accuracy:.0%}: look at how its Dense layers start "
                          f"(kernel_initializer) and whether they are all trainable.")
    passed(f"{call}, trained for 10 epochs, gets {accuracy:.0%} of held-out XOR points right "
           f"(needed {min_accuracy:.0%})")
