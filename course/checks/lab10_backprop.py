"""Checks for lab10_backprop: layers that know their gradients, the gradient-check metric,
and a two-layer network trained by its own backpropagation.

Nothing expected is stored. Forward passes are recomputed with TensorFlow in float64, and
every backward pass is compared with ``tf.GradientTape``'s vector-Jacobian product for a
random upstream gradient ``dout`` (``tape.gradient(out, inputs, output_gradients=dout)``).
Known mistakes are recognised by computing in NumPy what each of them would give. Batch
size N, input size D and output size M always differ, so a transposed ``dW`` or an
unsummed ``db`` cannot get the right shape by accident; one square case (N = D = M) catches
the same mistakes by value.
"""

from __future__ import annotations

import numpy as np

from course.checks.core import (
    CheckFailed,
    attempt,
    expect,
    expect_close,
    expect_shape,
    is_close,
    passed,
    reference_sigmoid,
    to_numpy,
)

SHAPES = [(4, 5), (2, 3, 4), (7,)]  # activation layers work on arrays of any shape
TWO_LAYER_ACCURACY_TARGET = 0.92  # held-out accuracy of the check's own SGD run
TRAINING = {"hidden_size": 100, "learning_rate": 0.5, "batch_size": 100, "epochs": 15}


def _tf():
    """TensorFlow, imported on first use (the lab's Setup has already imported it quietly)."""
    import tensorflow as tf  # noqa: PLC0415

    return tf


def _vjp(function, inputs: list[np.ndarray], dout) -> tuple[np.ndarray, list[np.ndarray]]:
    """A function's value and the tape's vector-Jacobian product, in float64.

    Args:
        function: maps float64 tensors (one per input) to one tensor.
        inputs: float64 arrays, one per argument of ``function``.
        dout: float64 array shaped like the output (or None for a scalar output: 1).

    Returns:
        (the output as an array, [d(sum(out * dout)) / d(input) for each input]).
    """
    tf = _tf()
    tensors = [tf.constant(np.asarray(a, dtype=np.float64)) for a in inputs]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = function(*tensors)
    weights = None if dout is None else tf.constant(np.asarray(dout, dtype=np.float64))
    grads = tape.gradient(out, tensors, output_gradients=weights)
    return out.numpy(), [g.numpy() for g in grads]


def _away_from_zero(rng: np.random.Generator, shape: tuple, low: float = 0.2, high: float = 2.0):
    """Random float64 entries of both signs, none closer to 0 than ``low`` (ReLU's kink)."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def _new(cls, args: tuple, name: str):
    """An instance of the student's class, any error turned into one line."""
    return attempt(cls, *args, name=name)


def _call(layer, method: str, *args, name: str, hints: dict | None = None):
    """Call ``layer.method(*args)``; in a backward pass, a missing cached attribute gets a hint."""
    function = getattr(layer, method, None)
    if not callable(function):
        raise CheckFailed(f"{name.split('.')[0]} has no method `{method}`: keep the given class skeleton.")
    hints = dict(hints or {})
    if method == "backward":
        hints["object has no attribute"] = (f"{name} could not find what forward should have stored: save what "
                                            "backward needs on self in forward (for example self.x = x).")
        hints["NoneType"] = (f"{name} found None where forward's values belong: store them on self in forward "
                             "(self.out = ..., not a local variable), and run forward before backward.")
    return attempt(function, *args, name=name, hints=hints)


def _pair(value, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Unpack a backward pass that returns (dx, dy)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise CheckFailed(f"{what} should return two gradients, (dx, dy): one for each input of forward.")
    return to_numpy(value[0], f"{what}[0]"), to_numpy(value[1], f"{what}[1]")


def _diagnose(actual: np.ndarray, expected: np.ndarray, mistakes: dict[str, np.ndarray], what: str,
              rtol: float = 1e-5, atol: float = 1e-7, otherwise: str | None = None) -> None:
    """Pass when ``actual`` matches; otherwise name the first known mistake it matches, else say
    ``otherwise`` (or how far off it is)."""
    if is_close(actual, expected, rtol, atol):
        return
    for message, wrong in mistakes.items():
        if wrong is not None and is_close(actual, np.asarray(wrong, dtype=np.float64), rtol, atol):
            raise CheckFailed(message)
    if otherwise:
        raise CheckFailed(otherwise)
    expect_close(actual, expected, what, rtol=rtol, atol=atol)


SHARED_STATE = ("{name} gives the gradient of the other instance's input: two {name} layers share "
                "their state. Store what backward needs on self (an instance attribute), not on the "
                "class, in a global or in a mutable default argument.")


# --- MulLayer and AddLayer ---------------------------------------------------------------------

def _node_cases(seed: int) -> list[tuple]:
    """(x, y, dout) triples: the shopping example's scalars, then arrays."""
    rng = np.random.default_rng(seed)
    scalars = (float(rng.integers(50, 200)), float(rng.integers(2, 5)), float(rng.uniform(0.5, 2.0)))
    shape = SHAPES[seed % len(SHAPES)]
    return [scalars, tuple(rng.uniform(-2.0, 2.0, size=(3, *shape)))]


def check_mul_layer(MulLayer, seed: int = 0) -> None:
    """MulLayer: forward(x, y) = x * y, backward(dout) = (dout * y, dout * x), per instance."""
    tf = _tf()
    for x, y, dout in _node_cases(seed):
        layer = _new(MulLayer, (), "MulLayer")
        out = to_numpy(_call(layer, "forward", x, y, name="MulLayer.forward"), "MulLayer.forward(x, y)")
        _diagnose(out, np.multiply(x, y), {
            "MulLayer.forward adds its inputs: a multiply node returns x * y.": np.add(x, y),
        }, "MulLayer.forward(x, y)")
        _, (dx_ref, dy_ref) = _vjp(tf.multiply, [x, y], dout)
        dx, dy = _pair(_call(layer, "backward", dout, name="MulLayer.backward"), "MulLayer.backward(dout)")
        expect_shape(dx, np.shape(x), "MulLayer.backward's dx")
        expect_shape(dy, np.shape(y), "MulLayer.backward's dy")
        _diagnose(np.stack([dx, dy]), np.stack([dx_ref, dy_ref]), {
            "MulLayer.backward swapped the two gradients: each input gets dout times the OTHER input, "
            "dx = dout * y and dy = dout * x.": np.stack([dout * np.asarray(x), dout * np.asarray(y)]),
            "MulLayer.backward ignores dout: multiply the local derivatives (y for x, x for y) by the "
            "gradient arriving from above.": np.stack([y, x]),
            "MulLayer.backward passes dout straight through, as an add node does: a multiply node scales "
            "it by the other input, dx = dout * y, dy = dout * x.": np.stack([dout, dout]),
        }, "MulLayer.backward(dout) compared with tf.GradientTape")

    rng = np.random.default_rng(seed + 10)
    (x1, y1), (x2, y2) = rng.uniform(1, 3, size=(2, 2, 4)), rng.uniform(-3, -1, size=(2, 2, 4))
    first, second = _new(MulLayer, (), "MulLayer"), _new(MulLayer, (), "MulLayer")
    _call(first, "forward", x1, y1, name="MulLayer.forward")
    _call(second, "forward", x2, y2, name="MulLayer.forward")
    dx, dy = _pair(_call(first, "backward", np.ones(4), name="MulLayer.backward"), "MulLayer.backward(dout)")
    expect(not is_close(np.stack([dx, dy]), np.stack([y2, x2])), SHARED_STATE.format(name="MulLayer"))
    expect_close(np.stack([dx, dy]), np.stack([y1, x1]), "MulLayer.backward after a second MulLayer's forward")
    passed("MulLayer multiplies and its backward gives (dout * y, dout * x) like tf.GradientTape, "
           "for scalars and arrays, with each layer keeping its own inputs")


def check_add_layer(AddLayer, seed: int = 0) -> None:
    """AddLayer: forward(x, y) = x + y, backward(dout) = (dout, dout)."""
    tf = _tf()
    for x, y, dout in _node_cases(seed):
        layer = _new(AddLayer, (), "AddLayer")
        out = to_numpy(_call(layer, "forward", x, y, name="AddLayer.forward"), "AddLayer.forward(x, y)")
        _diagnose(out, np.add(x, y), {
            "AddLayer.forward multiplies its inputs: an add node returns x + y.": np.multiply(x, y),
        }, "AddLayer.forward(x, y)")
        _, (dx_ref, dy_ref) = _vjp(tf.add, [x, y], dout)
        dx, dy = _pair(_call(layer, "backward", dout, name="AddLayer.backward"), "AddLayer.backward(dout)")
        expect_shape(dx, np.shape(x), "AddLayer.backward's dx")
        expect_shape(dy, np.shape(y), "AddLayer.backward's dy")
        _diagnose(np.stack([dx, dy]), np.stack([dx_ref, dy_ref]), {
            "AddLayer.backward splits dout in two: an add node passes the whole dout to each input "
            "(its local derivatives are both 1).": np.stack([np.asarray(dout) / 2] * 2),
            "AddLayer.backward uses the multiply node's rule: an add node's local derivatives are 1, so "
            "dx = dy = dout.": np.stack([dout * np.asarray(y), dout * np.asarray(x)]),
            "AddLayer.backward ignores dout: the local derivatives are 1, so each input gets dout "
            "itself.": np.ones((2, *np.shape(x))),
        }, "AddLayer.backward(dout) compared with tf.GradientTape")
    passed("AddLayer adds and its backward passes dout unchanged to both inputs, like tf.GradientTape")


# --- Relu and Sigmoid -------------------------------------------------------------------------

def _activation_run(cls, name: str, x: np.ndarray, dout: np.ndarray):
    """Forward then backward on fresh copies; returns (out, dx, whether forward changed x)."""
    layer = _new(cls, (), name)
    x_given = x.copy()
    out = to_numpy(_call(layer, "forward", x_given, name=f"{name}.forward"), f"{name}.forward(x)")
    changed = not np.array_equal(x_given, x)
    dx = to_numpy(_call(layer, "backward", dout.copy(), name=f"{name}.backward"), f"{name}.backward(dout)")
    return out, dx, changed


def _two_instances(cls, name: str, x1: np.ndarray, x2: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """dx of a first instance after a second instance ran forward on other data."""
    first, second = _new(cls, (), name), _new(cls, (), name)
    _call(first, "forward", x1.copy(), name=f"{name}.forward")
    _call(second, "forward", x2.copy(), name=f"{name}.forward")
    return to_numpy(_call(first, "backward", dout.copy(), name=f"{name}.backward"), f"{name}.backward(dout)")


def check_relu(Relu, seed: int = 0) -> None:
    """Relu: forward(x) = max(x, 0) without changing x; backward(dout) = dout where x > 0, else 0."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        x, dout = _away_from_zero(rng, shape), rng.normal(size=shape)
        out, dx, changed = _activation_run(Relu, "Relu", x, dout)
        ref_out, (ref_dx,) = _vjp(tf.nn.relu, [x], dout)
        what = f"Relu.forward(x) for x of shape {shape}"
        expect_shape(out, shape, what)
        _diagnose(out, ref_out, {
            "Relu.forward returns the mask, not the values: return x where x > 0 and 0 elsewhere.": x > 0,
            "Relu.forward keeps the negative entries and zeroes the positive ones: the mask is inverted.":
                np.minimum(x, 0),
        }, what)
        positive = (x > 0).astype(np.float64)
        expect_shape(dx, shape, f"Relu.backward(dout) for dout of shape {shape}")
        _diagnose(dx, ref_dx, {
            "Relu's mask was taken after forward had already zeroed the negative entries in place, so it "
            "lets the gradient through everywhere: build the mask from the input first, and do not change "
            "the caller's x (out = x.copy()).": dout if changed else None,
            "Relu.backward passes dout through everywhere: zero it where the input was <= 0 (store that "
            "mask in forward).": dout,
            "Relu.backward's mask is inverted: the gradient flows where x > 0 and is 0 where x <= 0.":
                dout * (1 - positive),
            "Relu.backward ignores dout: multiply the mask by the gradient arriving from above.": positive,
            "Relu.backward returns zeros everywhere: did forward keep its mask in a local variable instead "
            "of on self (self.mask = ...)?": np.zeros_like(dout),
            "Relu.backward multiplies dout by the output: ReLU's derivative is 1 where x > 0 and 0 elsewhere "
            "(a mask), not x itself.": dout * ref_out,
        }, f"Relu.backward(dout) for shape {shape}, compared with tf.GradientTape")
        expect(not changed, "Relu.forward changed the array you passed in (it zeroed the caller's negative "
                            "entries): work on a copy, out = x.copy(), so the caller's x stays as it was.")
    x1, dout = _away_from_zero(rng, (3, 4)), rng.normal(size=(3, 4))
    dx = _two_instances(Relu, "Relu", x1, -x1, dout)  # opposite signs: the other layer's mask is the inverse
    expect(not is_close(dx, dout * (x1 < 0)), SHARED_STATE.format(name="Relu"))
    expect_close(dx, dout * (x1 > 0), "Relu.backward after a second Relu's forward")
    passed("Relu matches tf.nn.relu forward and backward on arrays of shapes "
           f"{', '.join(map(str, SHAPES))}, leaves x unchanged and keeps one mask per layer")


def check_sigmoid(Sigmoid, seed: int = 0) -> None:
    """Sigmoid: forward(x) = 1 / (1 + exp(-x)); backward(dout) = dout * out * (1 - out)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        x, dout = rng.uniform(-5.0, 5.0, size=shape), rng.normal(size=shape)
        out, dx, changed = _activation_run(Sigmoid, "Sigmoid", x, dout)
        ref_out, (ref_dx,) = _vjp(tf.sigmoid, [x], dout)
        what = f"Sigmoid.forward(x) for x of shape {shape}"
        expect_shape(out, shape, what)
        _diagnose(out, ref_out, {
            "Sigmoid.forward computes 1 / (1 + exp(x)): the exponent is -x.": reference_sigmoid(-x),
        }, what)
        expect(not changed, "Sigmoid.forward changed the array you passed in: compute the output into a new "
                            "array and leave the caller's x as it was.")
        expect_shape(dx, shape, f"Sigmoid.backward(dout) for dout of shape {shape}")
        _diagnose(dx, ref_dx, {
            "Sigmoid.backward uses its input x where the output belongs: the derivative is y (1 - y) with "
            "y = sigmoid(x), the output forward stored, so dx = dout * y * (1 - y).": dout * x * (1 - x),
            "Sigmoid.backward is missing the factor (1 - y): dx = dout * y * (1 - y).": dout * ref_out,
            "Sigmoid.backward is missing the factor y: dx = dout * y * (1 - y).": dout * (1 - ref_out),
            "Sigmoid.backward ignores dout: multiply y (1 - y) by the gradient arriving from above.":
                ref_out * (1 - ref_out),
            "Sigmoid.backward applies the sigmoid again to the stored output: y already is sigmoid(x), so "
            "dx = dout * y * (1 - y).": dout * reference_sigmoid(ref_out) * (1 - reference_sigmoid(ref_out)),
        }, f"Sigmoid.backward(dout) for shape {shape}, compared with tf.GradientTape")
    x1, dout = rng.uniform(-3.0, 3.0, size=(3, 4)), rng.normal(size=(3, 4))
    x2 = -2 * x1
    dx = _two_instances(Sigmoid, "Sigmoid", x1, x2, dout)
    other = reference_sigmoid(x2)
    expect(not is_close(dx, dout * other * (1 - other)), SHARED_STATE.format(name="Sigmoid"))
    mine = reference_sigmoid(x1)
    expect_close(dx, dout * mine * (1 - mine), "Sigmoid.backward after a second Sigmoid's forward")
    passed("Sigmoid matches tf.sigmoid forward and backward (from its stored output) on arrays of shapes "
           f"{', '.join(map(str, SHAPES))}, one output per layer")


# --- Affine -----------------------------------------------------------------------------------

def _affine_cases(seed: int) -> list[tuple[int, int, int]]:
    """(N, D, M) sizes: the square case N = D = M, where a wrong product still runs and can be
    named by its values, then three different numbers, where it has the wrong shape."""
    distinct = [(4, 3, 5), (5, 6, 2), (3, 7, 4)][seed % 3]
    return [(3, 3, 3), distinct]


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """a @ b, or None when the shapes do not fit (a wrong formula that could not even run)."""
    return a @ b if a.shape[-1] == b.shape[0] else None


def _affine_grad_mistakes(x, W, dout, which: str) -> dict[str, np.ndarray | None]:
    """What the usual wrong formulas give for dx, dW or db."""
    n = len(x)
    if which == "dx":
        return {
            "Affine.backward's dx uses W without transposing it: dx = dout @ W.T, shape (N, D).":
                _product(dout, W),
            "Affine.backward returns dW where dx belongs: return dx = dout @ W.T and store dW on "
            "self.dW.": x.T @ dout,
        }
    if which == "dW":
        return {
            "Affine's dW is transposed: dW = x.T @ dout, which has W's shape (D, M).": dout.T @ x,
            "Affine's dW is built as dout @ x.T: the batch dimension must be summed over, dW = x.T @ dout.":
                _product(dout, x.T),
            "Affine's dW is divided by the batch size: the loss layer already averages, so dW is the plain "
            "x.T @ dout.": x.T @ dout / n,
        }
    return {
        "Affine's db is not summed over the batch: db = dout.sum(axis=0), shape (M,) like b.": dout,
        "Affine's db is the batch mean: b is added to every example, so its gradient is the sum, "
        "dout.sum(axis=0).": dout.mean(axis=0),
        "Affine's db is summed over the wrong axis: sum over the batch, dout.sum(axis=0).": dout.sum(axis=1),
        "Affine's db is summed over everything: sum over the batch only, dout.sum(axis=0).": dout.sum(),
    }


MATMUL_HINTS = {"matmul": "Affine.backward multiplies matrices whose shapes do not fit: dx (N, D) = dout (N, M) "
                          "@ W.T (M, D), and dW (D, M) = x.T (D, N) @ dout (N, M)."}


def _affine_gradient(layer, attribute: str, what: str) -> np.ndarray:
    """The dW or db that backward stored on the layer."""
    if not hasattr(layer, attribute):
        raise CheckFailed(f"Affine.backward should store the weight gradients on the layer as self.dW and "
                          f"self.db; after backward there is no {attribute}.")
    return to_numpy(getattr(layer, attribute), what)


def check_affine(Affine, seed: int = 0) -> None:
    """Affine(W, b): forward(x) = x @ W + b; backward(dout) returns dx, stores dW and db."""
    rng = np.random.default_rng(seed)
    for n, d, m in _affine_cases(seed):
        x, W, b, dout = (rng.normal(size=s) for s in ((n, d), (d, m), (m,), (n, m)))
        W_given, b_given = W.copy(), b.copy()
        layer = _new(Affine, (W_given, b_given), "Affine")
        sizes = f"x ({n}, {d}), W ({d}, {m})"
        out = to_numpy(_call(layer, "forward", x.copy(), name="Affine.forward"), f"Affine.forward(x) for {sizes}")
        ref_out, (ref_dx, ref_dW, ref_db) = _vjp(lambda x_, W_, b_: x_ @ W_ + b_, [x, W, b], dout)
        expect_shape(out, (n, m), f"Affine.forward(x) for {sizes}")
        _diagnose(out, ref_out, {"Affine.forward forgets the bias: x @ W + b.": x @ W}, f"Affine.forward(x) for {sizes}")
        returned = _call(layer, "backward", dout.copy(), name="Affine.backward", hints=MATMUL_HINTS)
        if isinstance(returned, (tuple, list)):
            raise CheckFailed("Affine.backward should return dx alone and store dW and db on the layer "
                              "(self.dW, self.db).")
        dx = to_numpy(returned, "Affine.backward(dout)")
        dW = _affine_gradient(layer, "dW", "Affine's dW")
        db = _affine_gradient(layer, "db", "Affine's db")
        for name, actual, expected, shape in (("dx", dx, ref_dx, (n, d)), ("dW", dW, ref_dW, (d, m)),
                                              ("db", db, ref_db, (m,))):
            mistakes = _affine_grad_mistakes(x, W, dout, name)
            if actual.shape != shape:
                for message, wrong in mistakes.items():
                    if wrong is not None and np.shape(wrong) == actual.shape and is_close(actual, wrong):
                        raise CheckFailed(message)
            expect_shape(actual, shape, f"Affine's {name} for {sizes}")
            _diagnose(actual, expected, mistakes, f"Affine's {name} for {sizes}, compared with tf.GradientTape")
        expect(np.array_equal(W_given, W) and np.array_equal(b_given, b),
               "Affine changed W or b during forward or backward: leave the weights to the training loop.")
        _call(layer, "forward", x.copy(), name="Affine.forward")
        _call(layer, "backward", dout.copy(), name="Affine.backward")
        again = _affine_gradient(layer, "dW", "Affine's dW")
        expect(not is_close(again, 2 * ref_dW), "Affine's dW adds up over backward calls (+=): assign "
                                               "self.dW = x.T @ dout, so each backward pass starts afresh.")
        expect_close(again, ref_dW, "Affine's dW after a second backward pass")

    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    layer = _new(Affine, (W, b), "Affine")
    W += 1.0  # what SGD does: params[key] -= learning_rate * grads[key], on the same array
    b -= 1.0
    out = to_numpy(_call(layer, "forward", x, name="Affine.forward"), "Affine.forward(x)")
    expect(is_close(out, x @ W + b), "Affine keeps a copy of W or b: keep the arrays it was given (self.W = W), so "
                                     "that a training loop's in-place update reaches the layer.")

    x1, x2, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    first = _new(Affine, (rng.normal(size=(3, 2)), np.zeros(2)), "Affine")
    second = _new(Affine, (rng.normal(size=(3, 2)), np.zeros(2)), "Affine")
    _call(first, "forward", x1, name="Affine.forward")
    _call(second, "forward", x2, name="Affine.forward")
    _call(first, "backward", dout, name="Affine.backward")
    dW = _affine_gradient(first, "dW", "Affine's dW")
    expect(not is_close(dW, x2.T @ dout), SHARED_STATE.format(name="Affine"))
    expect_close(dW, x1.T @ dout, "Affine's dW after a second Affine's forward")
    passed("Affine's forward and its dx, dW and db match tf.GradientTape, for N, D, M all different and "
           "all equal, with each layer keeping its own input")


# --- SoftmaxWithLoss --------------------------------------------------------------------------

def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


BACKWARD_HINTS = {"missing 1 required positional argument": "SoftmaxWithLoss.backward must work without "
                  "an argument: give dout a default, def backward(self, dout=1)."}
INTEGER_LABELS = ("SoftmaxWithLoss mishandles integer labels t of shape (N,): turn them into one-hot rows "
                  "first (np.eye(C)[t]), or pick each row's entry with y[np.arange(N), t].")
LABEL_HINTS = {"broadcast": INTEGER_LABELS, "index": INTEGER_LABELS, "out of bounds": INTEGER_LABELS}
ONE_HOT_LABELS = ("SoftmaxWithLoss.forward failed on one-hot labels t of shape (N, C): accept those as they are, "
                  "and turn only integer labels (N,) into one-hot rows (np.eye(C)[t]).")
ONE_HOT_HINTS = {"arrays used as indices": ONE_HOT_LABELS, "index": ONE_HOT_LABELS}


def check_softmax_with_loss(SoftmaxWithLoss, seed: int = 0) -> None:
    """forward(x, t) = mean cross-entropy of softmax(x), t integer or one-hot; backward() = (y - t) / N."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    n, c = [(5, 3), (4, 6), (6, 4)][seed % 3]
    x = rng.normal(scale=2.0, size=(n, c))
    labels = rng.integers(0, c, size=n)
    one_hot = np.eye(c)[labels]
    loss_ref, (dx_ref,) = _vjp(
        lambda s: tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(one_hot, s)), [x], None)
    y = _softmax(x)
    picked = y[np.arange(n), labels]
    for kind, t in (("one-hot", one_hot), ("integer", labels)):
        for shift, said in ((0.0, ""), (1000.0, " + 1000")):
            layer = _new(SoftmaxWithLoss, (), "SoftmaxWithLoss")
            what = f"SoftmaxWithLoss.forward(x{said}, t) with {kind} labels, x of shape ({n}, {c})"
            loss = to_numpy(_call(layer, "forward", x + shift, t.copy(), name="SoftmaxWithLoss.forward",
                                  hints=LABEL_HINTS if kind == "integer" else ONE_HOT_HINTS), what)
            if loss.size != 1:
                raise CheckFailed(f"{what} returned an array of shape {loss.shape}: return the loss, one number "
                                  "(keep the probabilities on self for backward).")
            loss = loss.reshape(())
            if shift and not np.isfinite(loss):
                raise CheckFailed("SoftmaxWithLoss overflows when the scores are large (x + 1000 gives "
                                  f"{float(loss)}): subtract each row's max before np.exp; softmax does not change.")
            _diagnose(loss, loss_ref, {
                "SoftmaxWithLoss.forward sums the loss over the batch: return the mean, divide by N.": n * loss_ref,
                "SoftmaxWithLoss.forward has the wrong sign: cross-entropy is -log(probability of the right "
                "class), a positive number.": -loss_ref,
                "SoftmaxWithLoss.forward takes the softmax over the batch (axis 0): normalise each row, over "
                "the classes (axis=1).": -np.mean(np.log(_softmax(x, axis=0)[np.arange(n), labels])),
                "SoftmaxWithLoss.forward normalises over the whole batch at once: divide each row's "
                "exponentials by that row's own sum (axis=1, keepdims=True).":
                    -np.mean(np.log((np.exp(x - x.max()) / np.exp(x - x.max()).sum())[np.arange(n), labels])),
                "SoftmaxWithLoss.forward averages over every entry, classes included: take -log of the right "
                "class's probability per example, then the mean over the N examples.": -np.log(picked).sum() / (n * c),
            }, what, rtol=1e-4, atol=1e-6, otherwise=INTEGER_LABELS if kind == "integer" else None)
            grad_what = f"SoftmaxWithLoss.backward() after forward(x{said}, t) with {kind} labels"
            dx = to_numpy(_call(layer, "backward", name="SoftmaxWithLoss.backward",
                                hints={**BACKWARD_HINTS, **LABEL_HINTS} if kind == "integer" else BACKWARD_HINTS),
                          grad_what)
            expect_shape(dx, (n, c), grad_what)
            _diagnose(dx, dx_ref, {
                "SoftmaxWithLoss.backward is not divided by the batch size: the loss is a mean over N "
                "examples, so dx = (y - t) / N.": y - one_hot,
                "SoftmaxWithLoss.backward has the wrong sign: dx = (y - t) / N, probabilities minus labels.":
                    (one_hot - y) / n,
                "SoftmaxWithLoss.backward forgets to subtract the labels: dx = (y - t) / N.": y / n,
            }, f"{grad_what}, compared with tf.GradientTape", otherwise=INTEGER_LABELS if kind == "integer" else None)

    layer = _new(SoftmaxWithLoss, (), "SoftmaxWithLoss")
    _call(layer, "forward", x, one_hot, name="SoftmaxWithLoss.forward")
    scaled = to_numpy(_call(layer, "backward", 0.5, name="SoftmaxWithLoss.backward"), "SoftmaxWithLoss.backward(0.5)")
    if not is_close(scaled, 0.5 * dx_ref) and is_close(scaled, dx_ref):
        raise CheckFailed("SoftmaxWithLoss.backward(dout) ignores dout: multiply by it, dx = dout * (y - t) / N "
                          "(dout is 1 only when the loss is the last step).")
    expect_close(scaled, 0.5 * dx_ref, "SoftmaxWithLoss.backward(0.5), compared with 0.5 times tf.GradientTape's")

    apart = x.copy()
    apart[0] += 1000.0  # one example's scores far above the others'
    far_loss = to_numpy(_call(_new(SoftmaxWithLoss, (), "SoftmaxWithLoss"), "forward", apart, one_hot,
                              name="SoftmaxWithLoss.forward"), "SoftmaxWithLoss.forward")
    expect(bool(np.all(np.isfinite(far_loss))),
           f"SoftmaxWithLoss.forward gives {float(np.ravel(far_loss)[0])} when one example's scores are 1000 above "
           "the others': subtract each row's own max (x.max(axis=1, keepdims=True)), not the largest score of "
           "the whole batch.")
    expect_close(far_loss.reshape(()), loss_ref, "SoftmaxWithLoss.forward with one example's scores raised by 1000 "
                 "(each row's softmax, and so the loss, does not change)", rtol=1e-4, atol=1e-6)

    first, second = _new(SoftmaxWithLoss, (), "SoftmaxWithLoss"), _new(SoftmaxWithLoss, (), "SoftmaxWithLoss")
    _call(first, "forward", x, one_hot, name="SoftmaxWithLoss.forward")
    _call(second, "forward", -x, np.roll(one_hot, 1, axis=1), name="SoftmaxWithLoss.forward")
    dx = to_numpy(_call(first, "backward", name="SoftmaxWithLoss.backward", hints=BACKWARD_HINTS),
                  "SoftmaxWithLoss.backward()")
    expect(not is_close(dx, (_softmax(-x) - np.roll(one_hot, 1, axis=1)) / n),
           SHARED_STATE.format(name="SoftmaxWithLoss"))
    expect_close(dx, dx_ref, "SoftmaxWithLoss.backward() after a second layer's forward")
    passed("SoftmaxWithLoss gives the mean cross-entropy and (y - t) / N like tf.GradientTape, for integer "
           "and one-hot labels, also for scores near 1000")


# --- relative_error ---------------------------------------------------------------------------

RELATIVE_EPS = 1e-8


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    """The reference: max over entries of |a - b| / max(|a| + |b|, 1e-8)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), RELATIVE_EPS)))


def _relative_cases(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pairs that tell the usual mistakes apart: a gradient and a near copy, zeros, signs, a scalar."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=SHAPES[seed % len(SHAPES)])
    near = a * (1 + rng.uniform(-1e-3, 1e-3, size=a.shape))
    near.flat[0] = a.flat[0] + 0.5 * abs(a.flat[0])  # one entry far off: the max must find it
    with_zeros = np.array([[0.0, 1.0, -2.0], [3.0, 0.0, 1e-3]])
    mixed = (np.array([1.0, 10.0, -3.0]), np.array([2.0, 4.0, -3.0]))  # |a| larger in one entry, |b| in another
    return [mixed, (a, near), (near, a), (with_zeros, with_zeros * 0.999), (np.array(2.5), np.array(-2.5)),
            (a, a.copy())]


def check_relative_error(relative_error, seed: int = 0) -> None:
    """relative_error(a, b) = the largest |a - b| / max(|a| + |b|, 1e-8) over all entries."""
    for a, b in _relative_cases(seed):
        a_given, b_given = a.copy(), b.copy()
        what = f"relative_error(a, b) for arrays of shape {a.shape}"
        value = to_numpy(attempt(relative_error, a_given, b_given, name="relative_error"), what)
        expect(np.array_equal(a_given, a) and np.array_equal(b_given, b),
               "relative_error changed the arrays it was given: compute on them, do not modify them.")
        expect(value.size == 1, f"{what} returned an array of shape {value.shape}: return one number, the "
                                "largest relative error over all entries.")
        value = value.reshape(())
        if not np.isfinite(value):
            raise CheckFailed(f"{what} returned {float(value)}: where both entries are 0 the ratio is 0/0; "
                              "divide by max(|a| + |b|, 1e-8).")
        ratio = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), RELATIVE_EPS)
        _diagnose(value, _relative(a, b), {
            "relative_error divides by the larger of |a| and |b|: divide by their sum, |a| + |b|.":
                np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), RELATIVE_EPS)),
            "relative_error divides by |a + b|: use |a| + |b|, or entries of opposite signs make the "
            "denominator tiny.": np.max(np.abs(a - b) / np.maximum(np.abs(a + b), RELATIVE_EPS)),
            "relative_error divides by |a| only: divide by |a| + |b|, so that the error is the same both ways "
            "round.": np.max(np.abs(a - b) / np.maximum(np.abs(a), RELATIVE_EPS)),
            "relative_error divides by |b| only: divide by |a| + |b|, so that the error is the same both ways "
            "round.": np.max(np.abs(a - b) / np.maximum(np.abs(b), RELATIVE_EPS)),
            "relative_error returns the mean over the entries: return the largest, so that one wrong entry "
            "cannot hide among many right ones.": ratio.mean(),
            "relative_error compares whole-array norms, ||a - b|| / (||a|| + ||b||): this lab's error is "
            "taken entry by entry, then the largest.":
                np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), RELATIVE_EPS),
            "relative_error has no absolute value in the numerator: use |a - b|.":
                np.max((a - b) / np.maximum(np.abs(a) + np.abs(b), RELATIVE_EPS)),
            "relative_error returns the largest absolute difference: divide each |a - b| by |a| + |b|.":
                np.max(np.abs(a - b)),
        }, what, rtol=1e-6, atol=1e-12)
    passed("relative_error gives the largest entrywise |a - b| / (|a| + |b|), symmetric, 0 for equal "
           "arrays and for 0 against 0, on arrays of any shape")


# --- TwoLayerNet ------------------------------------------------------------------------------

PARAM_SHAPES = {"W1": ("input_size", "hidden_size"), "b1": ("hidden_size",),
                "W2": ("hidden_size", "output_size"), "b2": ("output_size",)}


def _reference_scores(params: dict, x, hidden=None):
    """Scores of Affine -> ReLU -> Affine in TensorFlow (or with another hidden activation)."""
    tf = _tf()
    hidden = hidden or tf.nn.relu
    return hidden(x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def _reference_loss(params: dict, x, one_hot, hidden=None):
    tf = _tf()
    scores = _reference_scores(params, x, hidden)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(one_hot, scores))


def _net_params(net, sizes: dict) -> dict:
    """net.params, checked: a dict of NumPy arrays W1, b1, W2, b2 of the documented shapes."""
    params = getattr(net, "params", None)
    if not isinstance(params, dict):
        raise CheckFailed("TwoLayerNet should keep its weights in a dict, self.params, with keys "
                          "'W1', 'b1', 'W2', 'b2'.")
    for key, dims in PARAM_SHAPES.items():
        if key not in params:
            raise CheckFailed(f"TwoLayerNet.params has no '{key}': it needs 'W1', 'b1', 'W2' and 'b2'.")
        if not isinstance(params[key], np.ndarray):
            raise CheckFailed(f"TwoLayerNet.params['{key}'] should be a NumPy array, not "
                              f"{type(params[key]).__name__}.")
        expect_shape(params[key], tuple(sizes[dim] for dim in dims),
                     f"TwoLayerNet.params['{key}'] ({', '.join(dims)})")
    return params


def _grad_dict(value, sizes: dict) -> dict:
    expect(isinstance(value, dict), "TwoLayerNet.gradient(x, t) should return a dict with keys 'W1', 'b1', "
                                    "'W2', 'b2'.")
    grads = {}
    for key, dims in PARAM_SHAPES.items():
        expect(key in value, f"TwoLayerNet.gradient(x, t) has no '{key}': return all of 'W1', 'b1', 'W2', 'b2'.")
        grads[key] = to_numpy(value[key], f"TwoLayerNet.gradient(x, t)['{key}']")
        expect_shape(grads[key], tuple(sizes[dim] for dim in dims), f"TwoLayerNet.gradient(x, t)['{key}']")
    return grads


def _unmasked_gradients(params: dict, x: np.ndarray, one_hot: np.ndarray) -> dict:
    """The gradients a backward pass that forgets the Relu's mask computes (float64 NumPy)."""
    hidden = x @ params["W1"] + params["b1"]
    active = np.maximum(hidden, 0)
    dscores = (_softmax(active @ params["W2"] + params["b2"]) - one_hot) / len(x)
    dhidden = dscores @ params["W2"].T
    return {"W1": x.T @ dhidden, "b1": dhidden.sum(axis=0), "W2": active.T @ dscores, "b2": dscores.sum(axis=0)}


def _check_gradients(TwoLayerNet, seed: int) -> None:
    """A small net: structure, loss, predict and gradient against the tape on the same weights."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    sizes = {"input_size": 6, "hidden_size": 5, "output_size": 4}
    net = _new(TwoLayerNet, tuple(sizes.values()), "TwoLayerNet")
    params = _net_params(net, sizes)
    other = _net_params(_new(TwoLayerNet, tuple(sizes.values()), "TwoLayerNet"), sizes)
    expect(other is not params and all(other[key] is not params[key] for key in PARAM_SHAPES),
           "Two TwoLayerNet objects share their weights: create self.params and its arrays in __init__, not as "
           "a class attribute or a default argument.")
    for key in ("W1", "W2"):
        expect(np.ptp(params[key]) > 0, f"TwoLayerNet starts with every entry of {key} equal: then all hidden "
                                        "units compute the same thing and stay alike; draw the weights at random.")
    n = 7
    x = rng.normal(size=(n, sizes["input_size"]))
    labels = rng.integers(0, sizes["output_size"], size=n)
    one_hot = np.eye(sizes["output_size"])[labels]
    before = to_numpy(_call(net, "loss", x, one_hot, name="TwoLayerNet.loss"), "TwoLayerNet.loss(x, t)")
    expect(before.size == 1, f"TwoLayerNet.loss(x, t) returned shape {before.shape}: return one number, the "
                             "mean loss.")
    chosen = {key: rng.normal(scale=0.8, size=value.shape) for key, value in params.items()}
    for key, value in chosen.items():
        params[key][...] = value  # the training loop updates the arrays in place
    loss = to_numpy(_call(net, "loss", x, one_hot, name="TwoLayerNet.loss"), "TwoLayerNet.loss(x, t)").reshape(())
    expect(not is_close(loss, before), "TwoLayerNet.loss did not change when net.params changed in place: the "
                                       "layers must use the same arrays as self.params (Affine(self.params['W1'], "
                                       "self.params['b1']), with no copies), or SGD updates never reach them.")
    ref_loss = float(_reference_loss(chosen, x, one_hot))
    _diagnose(loss, ref_loss, {
        "TwoLayerNet uses a sigmoid between its Affine layers: this network is Affine -> Relu -> Affine -> "
        "SoftmaxWithLoss.": float(_reference_loss(chosen, x, one_hot, tf.sigmoid)),
        "TwoLayerNet has no activation between its Affine layers: put a Relu after the first Affine.":
            float(_reference_loss(chosen, x, one_hot, tf.identity)),
        "TwoLayerNet.loss sums over the batch: SoftmaxWithLoss returns the mean.": n * ref_loss,
    }, "TwoLayerNet.loss(x, t)", rtol=1e-4, atol=1e-6)
    scores = to_numpy(_call(net, "predict", x, name="TwoLayerNet.predict"), "TwoLayerNet.predict(x)")
    ref_scores = _reference_scores(chosen, x).numpy()
    _diagnose(scores, ref_scores, {
        "TwoLayerNet.predict returns probabilities: return the scores before the softmax (the last Affine's "
        "output); the loss layer applies the softmax.": _softmax(ref_scores),
    }, "TwoLayerNet.predict(x)")

    tensors = {key: tf.Variable(value) for key, value in chosen.items()}

    def tape_gradients(inputs):
        with tf.GradientTape() as tape:
            reference = _reference_loss(tensors, inputs, one_hot)
        return {key: g.numpy() for key, g in zip(tensors, tape.gradient(reference, list(tensors.values())))}

    ref_grads, stale_grads = tape_gradients(x), tape_gradients(-x)
    held = {key: value.copy() for key, value in params.items()}  # as stored, in the net's own dtype
    for kind, t in (("one-hot", one_hot), ("integer", labels)):
        _call(net, "loss", -x, one_hot, name="TwoLayerNet.loss")  # a gradient must not reuse this call's state
        grads = _grad_dict(_call(net, "gradient", x, t.copy(), name="TwoLayerNet.gradient"), sizes)
        expect(all(np.array_equal(params[key], held[key]) for key in held),
               "TwoLayerNet.gradient changed net.params: it should only compute the gradients; the training "
               "loop applies the update.")
        unmasked = _unmasked_gradients(chosen, x, one_hot)
        for key in PARAM_SHAPES:
            _diagnose(grads[key], ref_grads[key], {
                f"TwoLayerNet.gradient(x, t)['{key}'] skips the Relu on the way back: call the Relu layer's "
                "backward between the two Affine layers' backward passes.": unmasked[key],
                "TwoLayerNet.gradient(x, t) reuses the layers' state from an earlier call: run the forward "
                "pass on this x first (self.loss(x, t)), then the backward pass.": stale_grads[key],
                f"TwoLayerNet.gradient(x, t)['{key}'] is N times too large: the loss is a mean over the batch, "
                "so SoftmaxWithLoss.backward divides by N.": n * ref_grads[key],
                f"TwoLayerNet.gradient(x, t)['{key}'] has the wrong sign: it is the gradient of the loss, "
                "uphill; the training loop subtracts it.": -ref_grads[key],
            }, f"TwoLayerNet.gradient(x, t)['{key}'] with {kind} labels, compared with tf.GradientTape",
                rtol=1e-4, atol=1e-7)


def _trained_accuracy(TwoLayerNet, seed: int) -> float:
    """Held-out accuracy after the check's own plain-SGD run on the bundled MNIST split."""
    from course import data  # noqa: PLC0415
    from course.seed import set_seed  # noqa: PLC0415

    (x_train, y_train), (x_test, y_test) = data.load_mnist(source="bundled", verbose=False)
    x_train = x_train.reshape(len(x_train), -1) / 255.0
    x_test = x_test.reshape(len(x_test), -1) / 255.0
    set_seed(seed)
    net = _new(TwoLayerNet, (784, TRAINING["hidden_size"], 10), "TwoLayerNet")
    rng = np.random.default_rng(seed)
    size = TRAINING["batch_size"]
    for _ in range(TRAINING["epochs"]):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), size):
            batch = order[start:start + size]
            grads = _call(net, "gradient", x_train[batch], y_train[batch].astype(np.int64),
                          name="TwoLayerNet.gradient")
            for key in PARAM_SHAPES:
                net.params[key] -= TRAINING["learning_rate"] * np.asarray(grads[key])
    scores = to_numpy(_call(net, "predict", x_test, name="TwoLayerNet.predict"), "TwoLayerNet.predict(x_test)")
    return float(np.mean(scores.argmax(axis=1) == y_test))


def check_two_layer_net(TwoLayerNet, seed: int = 0, threshold: float = TWO_LAYER_ACCURACY_TARGET) -> None:
    """TwoLayerNet: Affine -> Relu -> Affine -> SoftmaxWithLoss, gradients equal to the tape's, and
    plain SGD on its gradients reaches ``threshold`` held-out accuracy on the bundled MNIST split."""
    _check_gradients(TwoLayerNet, seed)
    accuracy = _trained_accuracy(TwoLayerNet, seed)
    if not np.isfinite(accuracy) or accuracy < threshold:
        raise CheckFailed(
            f"TwoLayerNet's gradients match the tape's, but {TRAINING['epochs']} epochs of SGD (learning rate "
            f"{TRAINING['learning_rate']}, batches of {TRAINING['batch_size']}, {TRAINING['hidden_size']} hidden "
            f"units) reach only {accuracy:.1%} held-out accuracy, below {threshold:.0%}: start from small "
            "random weights (weight_init_std=0.01) and zero biases.")
    passed(f"TwoLayerNet's loss and gradients match tf.GradientTape, and SGD on its own backprop reaches "
           f"{accuracy:.1%} held-out accuracy on MNIST digits")
