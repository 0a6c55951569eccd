"""Checks for lab01_perceptron: activations, the perceptron, logic gates, MyDenseLayer.

Every check recomputes the expected result from the student's own object
(e.g. ``sigmoid(x @ W + b)`` from the layer's own weights) and names the
likely mistake when it recognises one.
"""

from __future__ import annotations

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    expect,
    expect_close,
    expect_shape,
    is_close,
    library_calls,
    passed,
    reference_sigmoid,
    require_defined,
    resolve_dotted,
    to_numpy,
)

# --- activations --------------------------------------------------------------------------------

GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
GATE_TABLES = {
    "AND_WEIGHTS": np.array([0, 0, 0, 1]),
    "OR_WEIGHTS": np.array([0, 1, 1, 1]),
    "NAND_WEIGHTS": np.array([1, 1, 1, 0]),
}
HUGE = 1000.0  # exp(1000) overflows float64: formulas that divide inf by inf give nan there

LIBRARY_SIGMOIDS = {"tensorflow.math.sigmoid": "tf.math.sigmoid", "keras.activations.sigmoid":
                    "keras.activations.sigmoid", "keras.ops.sigmoid": "keras.ops.sigmoid",
                    "scipy.special.expit": "scipy.special.expit"}
LIBRARY_TANHS = {"numpy.tanh": "np.tanh", "tensorflow.math.tanh": "tf.math.tanh",
                 "keras.activations.tanh": "keras.activations.tanh", "keras.ops.tanh": "keras.ops.tanh"}
LIBRARY_RELUS = {"tensorflow.nn.relu": "tf.nn.relu", "keras.activations.relu": "keras.activations.relu",
                 "keras.ops.relu": "keras.ops.relu"}


def _activation_hints(name: str) -> dict[str, str]:
    """``{error text: message}`` for the usual ways an activation fails on a whole array."""
    HINTS = {  # noqa: N806 - the name marks the keys as error text, not messages (course.i18n)
        "truth value of an array": f"{name} uses `if`, `max` or `min` on a whole array: use NumPy's "
                                   f"element-wise functions (np.exp, np.maximum, np.where) instead.",
        "only length-1 arrays": f"{name} uses the math module, which takes one number at a time: use "
                                f"NumPy's element-wise functions (np.exp, np.maximum) instead.",
        "only 0-dimensional arrays": f"{name} uses the math module, which takes one number at a time: "
                                     f"use NumPy's element-wise functions (np.exp, np.maximum) instead.",
    }
    return HINTS


def _random(seed: int, shape: tuple, scale: float = 3.0) -> np.ndarray:
    """Reproducible random inputs for a check."""
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


def _activation_inputs(seed: int) -> list[np.ndarray]:
    """Inputs of every rank the activations accept: 2-D with the edge values, 1-D, 3-D and 0-D."""
    z = np.concatenate([_random(seed, (12,)), [-30.0, -1.0, 0.0, 1.0, 30.0, -HUGE, HUGE]])
    return [np.repeat(z.reshape(1, -1), 2, axis=0), _random(seed + 1, (5,)),
            _random(seed + 2, (2, 3, 2)), np.array(0.5), np.float64(-2.0)]


def _check_elementwise(function, name: str, reference, seed: int, mistakes: dict,
                       library: dict) -> list[str]:
    """Shared body of the activation checks: every rank, shapes kept, values match, input intact.

    Args:
        function: the student's activation.
        name: its name, for messages.
        reference: the correct function (float64 NumPy).
        seed: picks the random inputs.
        mistakes: ``{message: wrong_function}``; a result matching one names the mistake.
        library: ``{dotted name: label}`` of library versions of this activation.

    Returns:
        The labels of the library functions the student's activation called.
    """
    student = Student(function, name)
    hints = _activation_hints(name)
    used = [label for dotted, label in library.items()
            if (found := resolve_dotted(dotted)) is not None and found[2] is function]
    for z in _activation_inputs(seed):
        what = f"{name}(z) for z of shape {np.shape(z)}"
        given = np.array(z, copy=True) if isinstance(z, np.ndarray) else z
        with library_calls(library) as calls:
            result = student(given, hints=hints)
        used += calls
        if isinstance(z, np.ndarray) and not np.array_equal(given, z):
            raise CheckFailed(f"{name} changed the array z it was given: compute the result into a new "
                              f"array instead of assigning into z.")
        result = to_numpy(result, f"{name}(z)")
        expect_shape(result, np.shape(z), what)
        expected = np.asarray(reference(z), dtype=np.float64)
        finite = np.isfinite(result)
        for message, wrong in mistakes.items():  # compared where the student's values are finite
            with np.errstate(all="ignore"):
                wrong_values = np.asarray(wrong(z), dtype=np.float64)
            if (not is_close(result[finite], expected[finite])
                    and is_close(result[finite], wrong_values[finite])):
                raise CheckFailed(message)
        if not finite.all():
            at = float(np.asarray(z, dtype=np.float64)[~finite].flat[0])
            raise CheckFailed(f"{name}(z) gives nan or inf for z = {at:g}: exp of a large number overflows "
                              f"to inf (and inf / inf is nan), so write the formula with exp of a "
                              f"negative number only, e.g. through exp(-|z|).")
        expect_close(result, expected, what, atol=1e-6)
    return list(dict.fromkeys(used))


def _by_library(used: list[str]) -> str:
    """The note a pass message gets when the activation was a library call, not the formula."""
    return f", though it calls {used[0]} instead of computing the formula" if used else ""


def check_sigmoid(sigmoid, seed: int = 0) -> None:
    """sigmoid(z) = 1 / (1 + exp(-z)), element-wise, any shape, values in (0, 1)."""
    used = _check_elementwise(sigmoid, "sigmoid", reference_sigmoid, seed, {
        "sigmoid(z) returns exp(-z) / (1 + exp(-z)), which is sigmoid(-z): the sign of z is flipped.":
            lambda z: reference_sigmoid(-z),
        "sigmoid(z) looks like tanh: sigmoid squashes into (0, 1), not (-1, 1).": np.tanh,
        "sigmoid(z) returns 1 + exp(-z): take its reciprocal, 1 / (1 + exp(-z)).":
            lambda z: 1 + np.exp(-z),
    }, LIBRARY_SIGMOIDS)
    passed(f"sigmoid matches 1 / (1 + exp(-z)) on every element, for inputs of every rank and "
           f"|z| up to 1000{_by_library(used)}")


def check_tanh(tanh, seed: int = 0) -> None:
    """tanh(z), element-wise, any shape, values in (-1, 1)."""
    used = _check_elementwise(tanh, "tanh", np.tanh, seed, {
        "tanh(z) looks like the sigmoid: tanh squashes into (-1, 1) and tanh(0) = 0.": reference_sigmoid,
        "tanh(z) equals tanh(z / 2) = 2 * sigmoid(z) - 1: check the factor 2 in the exponent.":
            lambda z: np.tanh(z / 2),
        "tanh(z) has the wrong sign: tanh(z) is positive for positive z.": lambda z: -np.tanh(z),
    }, LIBRARY_TANHS)
    passed(f"tanh matches np.tanh on every element, for inputs of every rank and |z| up to "
           f"1000{_by_library(used)}")


def check_relu(relu, seed: int = 0) -> None:
    """relu(z) = max(0, z), element-wise, any shape."""
    z = _random(seed, (3, 4))
    student = Student(relu, "relu")
    hints = _activation_hints("relu")
    given = z.copy()
    result = to_numpy(student(given, hints=hints), "relu(z)")
    if result.shape == (4,) or result.shape == ():
        raise CheckFailed("relu(z) reduced the array to one value per column (np.max): use "
                          "np.maximum(0, z), which compares element by element.")
    expect(np.array_equal(given, z), "relu changed the array z it was given: compute the result into "
                                     "a new array (np.maximum(0, z)) instead of assigning into z.")
    expect_shape(result, z.shape, f"relu(z) for z of shape {z.shape}")
    if is_close(result, np.abs(z)):
        raise CheckFailed("relu(z) returns |z|: negative inputs must give 0, not their magnitude.")
    if is_close(result, np.minimum(0, z)):
        raise CheckFailed("relu(z) keeps the negative part: it should keep the positive part, max(0, z).")
    if is_close(result, np.where(z > 0, z, 0.01 * z), atol=1e-4):
        raise CheckFailed("relu(z) is a leaky ReLU: negative inputs give exactly 0 in the plain ReLU.")
    if not is_close(result, np.maximum(0.0, z)) and np.array_equal(result, np.trunc(np.maximum(0.0, z))):
        raise CheckFailed("relu(z) returns whole numbers (an integer dtype, or int(...)), which cut off the "
                          "fractions: keep z's floats, np.maximum(0, z).")
    expect_close(result, np.maximum(0.0, z), "relu(z)")
    used = [label for dotted, label in LIBRARY_RELUS.items()
            if (found := resolve_dotted(dotted)) is not None and found[2] is relu]
    for z in [np.array([-2.0, 0.0, 3.5, -0.0]), _random(seed + 1, (2, 2, 3)), np.array(-1.5), np.float64(2.5)]:
        what = f"relu(z) for z of shape {np.shape(z)}"
        with library_calls(LIBRARY_RELUS) as calls:
            result = to_numpy(student(np.array(z, copy=True) if isinstance(z, np.ndarray) else z,
                                      hints=hints), what)
        used += calls
        expect_close(result, np.maximum(0.0, z), what)
    passed(f"relu matches max(0, z) on every element, for inputs of every rank{_by_library(used)}")


# --- the perceptron -----------------------------------------------------------------------------

PERCEPTRON_HINTS = {
    "mismatch in its core dimension": "perceptron computes w @ x, which fails for a batch x of shape "
                                      "(n, d): write x @ w (or np.dot(x, w)).",
    "not aligned": "perceptron computes np.dot(w, x), which fails for a batch x of shape (n, d): write "
                   "np.dot(x, w) (or x @ w).",
}


def check_perceptron(perceptron, seed: int = 0) -> None:
    """perceptron(x, w, b) = sigmoid(x @ w + b) for one example (d,) or a batch (n, d)."""
    rng = np.random.default_rng(seed)
    n, d = 5 + seed % 3, 3 + seed % 2
    x, w = rng.normal(scale=2.0, size=(n, d)), rng.normal(size=(d,))
    b = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5))
    student = Student(perceptron, "perceptron")
    result = to_numpy(student(x.copy(), w.copy(), b, hints=PERCEPTRON_HINTS), "perceptron(x, w, b)")
    z = x @ w + b
    if result.shape == (n, d):
        raise CheckFailed("perceptron returned one value per input feature: multiply x by w *and sum* "
                          "(x @ w or np.dot(x, w)) before adding the bias.")
    expect_shape(result, (n,), f"perceptron(x, w, b) for x of shape {(n, d)} and w of shape {(d,)}")
    mistakes = {
        "the bias is missing: add b to the weighted sum before the activation.": reference_sigmoid(x @ w),
        "the bias is subtracted: the perceptron computes g(x @ w + b).": reference_sigmoid(x @ w - b),
        "the bias is added after the sigmoid: add b to x @ w first, then apply the sigmoid.":
            reference_sigmoid(x @ w) + b,
        "perceptron returns sigmoid(-(x @ w + b)), with the sign of z flipped: if it uses your sigmoid, "
        "make the sigmoid check pass first.": reference_sigmoid(-z),
        "wrong activation (tanh): this perceptron uses the sigmoid.": np.tanh(z),
        "wrong activation (ReLU): this perceptron uses the sigmoid.": np.maximum(0, z),
        "wrong activation (the step function, 0 or 1): this perceptron uses the sigmoid, whose smooth "
        "output gradient descent can follow.": (z > 0).astype(np.float64),
        "no non-linearity: pass the weighted sum plus bias through sigmoid.": z,
        "the weights are ignored: multiply each input by its weight before summing.": reference_sigmoid(x.sum(1) + b),
    }
    for message, wrong in mistakes.items():
        if is_close(result, wrong):
            raise CheckFailed(message)
    expect_close(result, reference_sigmoid(z), "perceptron(x, w, b)")
    single = to_numpy(student(x[0].copy(), w.copy(), b, hints=PERCEPTRON_HINTS), "perceptron(x[0], w, b)")
    expect(single.size == 1, f"perceptron on one example of shape {(d,)} should give one number, "
                             f"got shape {single.shape}.")
    expect_close(single.reshape(()), reference_sigmoid(z[0]), "perceptron on one example")
    passed("perceptron computes sigmoid(x @ w + b) for one example and for a batch")


# --- logic gates --------------------------------------------------------------------------------


def _gate_outputs(weights, name: str) -> np.ndarray:
    """Apply a step perceptron (w, b) to the four binary inputs."""
    try:
        w, b = weights
        w = np.asarray(w, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a pair (w, b): a weight vector of length 2 and "
                          "a number for the bias.") from None
    expect(w.shape == (2,), f"{name}'s weight vector should have 2 entries, got {w.size}.")
    try:
        bias = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        bias = np.zeros(0)
    expect(bias.size == 1, f"{name}'s bias should be one number, got {b!r}.")
    expect(bool(np.all(np.isfinite(w)) and np.isfinite(bias.item())),
           f"{name} holds nan or inf: use ordinary numbers for the weights and the bias.")
    return (GATE_INPUTS @ w + bias.item() > 0).astype(int)


def check_gate_weights(AND_WEIGHTS, OR_WEIGHTS, NAND_WEIGHTS) -> None:  # noqa: N803 - contract names
    """Each (w, b) pair, as a step perceptron ``x @ w + b > 0``, reproduces its gate's truth table."""
    given = {"AND_WEIGHTS": AND_WEIGHTS, "OR_WEIGHTS": OR_WEIGHTS, "NAND_WEIGHTS": NAND_WEIGHTS}
    missing = [name for name, weights in given.items() if weights is None or weights is Ellipsis]
    if len(missing) == len(given):
        require_defined(None, "AND_WEIGHTS")
    expect(not missing, f"{missing[0] if missing else ''} is still None: set it to a pair "
                        f"(np.array([w1, w2]), b) like the others.")
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


# --- MyDenseLayer -------------------------------------------------------------------------------


def _find_weights(layer, input_dim: int, output_dim: int):
    """The layer's kernel (input_dim, output_dim) and bias (output_dim,)."""
    weights = list(layer.trainable_weights)
    sublayers = getattr(layer, "_flatten_layers", None)
    inner = [sub for sub in sublayers(include_self=False) if sub.weights] if sublayers else []
    expect(not inner, f"MyDenseLayer keeps its weights in a {type(inner[0]).__name__ if inner else ''} "
                      f"layer inside it: create W and b yourself with self.add_weight and compute "
                      f"sigmoid(inputs @ W + b) in call.")
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
    expect(tuple(bias.shape) == (output_dim,),
           f"b has shape {tuple(bias.shape)}: it should be a vector with one bias per output, "
           f"shape {(output_dim,)}.")
    return kernel, bias


LAYER_HINTS = {
    "cannot add new elements of state": "the layer creates weights in call: create W and b once, "
                                        "in build (or __init__), not in call.",
    "Matrix size-incompatible": "inputs @ W fails: W should have shape (input_dim, output_dim) "
                                "(are the weights transposed?).",
    "Incompatible shapes": "inputs @ W + b fails: b should hold one bias per output, shape (output_dim,).",
    "unexpected keyword argument": "MyDenseLayer(input_dim, output_dim, name=...) failed: keep the "
                                   "**kwargs of the given __init__ and pass them to super().__init__(**kwargs).",
}
INIT_DIMS = (20, 30)  # a kernel this size shows its initializer clearly


def _check_initializers(student: Student, MyDenseLayer) -> None:  # noqa: N803 - contract name
    """W starts glorot_uniform (values spread evenly over ±sqrt(6 / (d + k))), b at zeros."""
    input_dim, output_dim = INIT_DIMS
    layer = student.run(MyDenseLayer, input_dim, output_dim, name="MyDenseLayer", hints=LAYER_HINTS)
    student.run(layer.build, (None, input_dim), name="MyDenseLayer.build", hints=LAYER_HINTS)
    if len(layer.trainable_weights) != 2:
        student.run(layer, np.zeros((1, input_dim), "float32"), name="MyDenseLayer.call", hints=LAYER_HINTS)
    kernel, bias = _find_weights(layer, input_dim, output_dim)
    W, b = np.asarray(kernel.numpy(), np.float64), np.asarray(bias.numpy(), np.float64)
    expect(bool(np.all(b == 0)), "b does not start at zero: create it with initializer=\"zeros\".")
    limit = np.sqrt(6 / (input_dim + output_dim))
    spread = float(np.max(np.abs(W)))
    uniform = (spread <= limit * (1 + 1e-5) and spread >= 0.9 * limit
               and abs(float(np.std(W)) - limit / np.sqrt(3)) <= 0.1 * limit / np.sqrt(3))
    expect(uniform, f"W does not start glorot_uniform: for a {input_dim}×{output_dim} kernel its values "
                    f"should spread evenly over ±{limit:.3f}, but they reach {spread:.3g}; create it with "
                    f"initializer=\"glorot_uniform\".")


def check_my_dense_layer(MyDenseLayer, seed: int = 0) -> None:  # noqa: N803 - contract name
    """MyDenseLayer(input_dim, output_dim) is a Keras layer computing sigmoid(inputs @ W + b),
    W starting glorot_uniform and b at zeros."""
    import keras
    import tensorflow as tf

    input_dim, output_dim, n = 3 + seed % 2, 2 + seed % 2, 6
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=(n, input_dim)).astype("float32")
    student = Student(MyDenseLayer, "MyDenseLayer")
    layer = student(input_dim, output_dim, hints=LAYER_HINTS)
    expect(isinstance(layer, keras.layers.Layer),
           "MyDenseLayer should subclass keras.layers.Layer.")
    student.run(layer.build, (None, input_dim), name="MyDenseLayer.build", hints=LAYER_HINTS)
    if len(layer.trainable_weights) == 2:  # weights made in __init__/build: check shapes first
        _find_weights(layer, input_dim, output_dim)
    first = to_numpy(student.run(layer, x, name="MyDenseLayer.call", hints=LAYER_HINTS), "layer(inputs)")
    expect_shape(first, (n, output_dim), f"layer(inputs) for inputs of shape {(n, input_dim)}")
    kernel, bias = _find_weights(layer, input_dim, output_dim)
    # Weights of both signs and a clearly non-zero bias make each mistake visible.
    kernel.assign(rng.normal(size=tuple(kernel.shape)).astype("float32"))
    bias.assign((rng.choice([-1.0, 1.0], size=tuple(bias.shape)) *
                 rng.uniform(0.5, 1.5, size=tuple(bias.shape))).astype("float32"))
    W, b = kernel.numpy().astype(np.float64), bias.numpy().astype(np.float64).reshape(-1)
    result = to_numpy(student.run(layer, x, name="MyDenseLayer.call", hints=LAYER_HINTS), "layer(inputs)")
    expect(len(layer.trainable_weights) == 2,
           "calling the layer again created new weights: create W and b once, in build or "
           "__init__, not in call.")
    z = x.astype(np.float64) @ W + b
    mistakes = {
        "the bias is missing: add self.b to inputs @ self.W.": reference_sigmoid(x @ W),
        "the bias is subtracted: MyDenseLayer computes sigmoid(inputs @ W + b).": reference_sigmoid(x @ W - b),
        "the bias is added after the sigmoid: compute sigmoid(inputs @ W + b).": reference_sigmoid(x @ W) + b,
        "wrong activation: MyDenseLayer uses the sigmoid (as in the lecture), not ReLU.": np.maximum(z, 0),
        "wrong activation: MyDenseLayer uses the sigmoid (as in the lecture), not tanh.": np.tanh(z),
        "wrong activation: MyDenseLayer uses the sigmoid (as in the lecture), not the step function.":
            (z > 0).astype(np.float64),
        "no non-linearity: pass inputs @ W + b through a sigmoid.": z,
    }
    for message, wrong in mistakes.items():
        if is_close(result, wrong, rtol=1e-4, atol=1e-5):
            raise CheckFailed(message)
    expect_close(result, reference_sigmoid(z), "layer(inputs)", rtol=1e-4, atol=1e-5)

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(student.run(layer, x, name="MyDenseLayer.call", hints=LAYER_HINTS))
    grads = tape.gradient(loss, [kernel, bias])
    expect(all(g is not None for g in grads), "no gradient reaches W or b: compute the output "
           "with TensorFlow/Keras ops on the weights (not NumPy copies of them).")

    _check_initializers(student, MyDenseLayer)

    config_hint = {"": "MyDenseLayer.from_config(layer.get_config()) failed: get_config should "
                       "return input_dim and output_dim (plus super().get_config())."}
    named = student.run(lambda: MyDenseLayer(input_dim, output_dim, name="checked_layer"),
                        name="MyDenseLayer", hints=LAYER_HINTS)
    config = student.run(named.get_config, name="MyDenseLayer.get_config")
    expect(isinstance(config, dict), "get_config should return a dict: the base layer's config plus "
                                     "input_dim and output_dim.")
    clone = student.run(MyDenseLayer.from_config, config, name="MyDenseLayer.from_config", hints=config_hint)
    student.run(clone.build, (None, input_dim), name="MyDenseLayer.build", hints=LAYER_HINTS)
    out = student.run(clone, x, name="MyDenseLayer.call", hints={
        "": "MyDenseLayer.from_config(layer.get_config()) built a different layer: return input_dim "
            "and output_dim from get_config."})
    expect(tuple(out.shape) == (n, output_dim),
           "MyDenseLayer.from_config(layer.get_config()) did not rebuild the same layer: "
           "return input_dim and output_dim from get_config.")
    expect(clone.name == "checked_layer", "get_config drops the base layer's settings (the layer's name, "
                                          "for one): start from super().get_config() and add input_dim "
                                          "and output_dim.")

    def in_sequential():
        model = keras.Sequential([keras.Input((input_dim,)), MyDenseLayer(input_dim, 1)])
        return model(x)

    stacked = student.run(in_sequential, name="keras.Sequential([..., MyDenseLayer(input_dim, 1)])")
    expect(tuple(stacked.shape) == (n, 1), "MyDenseLayer(input_dim, 1) inside keras.Sequential should "
                                           f"give outputs of shape {(n, 1)}, got {tuple(stacked.shape)}.")
    passed("MyDenseLayer computes sigmoid(inputs @ W + b) with its own glorot_uniform W and zero b, "
           "trains, and round-trips through get_config")
