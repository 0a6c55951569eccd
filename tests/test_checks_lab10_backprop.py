"""(d) lab10's checks: pass correct layers written differently from the solution, and fail
known-wrong ones with the message that names the mistake."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from course.checks import CheckFailed, NotAttempted
from course.checks import lab10_backprop as checks


class Stub:
    def __init__(self, *args):
        raise NotImplementedError()


def variant(base, **methods):
    """A subclass of ``base`` with some methods replaced: one known mistake each."""
    return type(f"{base.__name__}Variant", (base,), methods)


# --- MulLayer and AddLayer ---------------------------------------------------------------------

class Mul:
    """Correct: the solution's layer."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class MulWithNumpy:
    """Correct, written differently: np.multiply, a list for the pair, copies of the inputs."""

    def __init__(self):
        self.inputs = []

    def forward(self, x, y):
        self.inputs = [np.array(x, dtype=float), np.array(y, dtype=float)]
        return np.multiply(x, y)

    def backward(self, dout):
        x, y = self.inputs
        return [np.multiply(dout, y), np.multiply(dout, x)]


class MulShared(Mul):
    """Wrong: the inputs are kept on the class, shared by every instance."""

    def forward(self, x, y):
        MulShared.x, MulShared.y = x, y
        return x * y


class MulNoCache:
    """Wrong: forward stores nothing."""

    def forward(self, x, y):
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class Add:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout, dout


class AddCopies:
    """Correct, written differently: fresh arrays for both gradients."""

    def forward(self, x, y):
        return np.add(x, y)

    def backward(self, dout):
        return np.array(dout, dtype=float) * 1.0, np.array(dout, dtype=float) * 1.0


def test_mul_and_add_pass_correct_versions(capsys):
    for seed in range(3):
        checks.check_mul_layer(Mul, seed=seed)
        checks.check_mul_layer(MulWithNumpy, seed=seed)
        checks.check_add_layer(Add, seed=seed)
        checks.check_add_layer(AddCopies, seed=seed)
    assert capsys.readouterr().out.count("✔") == 12


@pytest.mark.parametrize("wrong, message", [
    (variant(Mul, backward=lambda self, dout: (dout * self.x, dout * self.y)), "swapped the two gradients"),
    (variant(Mul, backward=lambda self, dout: (self.y, self.x)), "ignores dout"),
    (variant(Mul, backward=lambda self, dout: (dout, dout)), "passes dout straight through"),
    (variant(Mul, forward=lambda self, x, y: (setattr(self, "x", x), setattr(self, "y", y), x + y)[2]), "adds"),
    (variant(Mul, backward=lambda self, dout: dout * self.y), r"two gradients, \(dx, dy\)"),
    (MulShared, "share their state"),
    (MulNoCache, "save what backward needs on self"),
])
def test_mul_layer_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_mul_layer(wrong)


@pytest.mark.parametrize("wrong, message", [
    (variant(Add, backward=lambda self, dout: (dout / 2, dout / 2)), "splits dout in two"),
    (variant(Add, backward=lambda self, dout: (np.ones_like(dout), np.ones_like(dout))), "ignores dout"),
    (variant(Add, forward=lambda self, x, y: x * y), "multiplies its inputs"),
    (variant(Add, backward=lambda self, dout: dout), r"two gradients"),
])
def test_add_layer_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_add_layer(wrong)


def test_add_layer_copying_the_multiply_rule_is_named():
    class AddLikeMul(Mul):
        def forward(self, x, y):
            self.x, self.y = x, y
            return x + y

    with pytest.raises(CheckFailed, match="multiply node's rule"):
        checks.check_add_layer(AddLikeMul)


def test_node_stubs_are_not_attempted():
    with pytest.raises(NotAttempted, match="MulLayer"):
        checks.check_mul_layer(Stub)
    with pytest.raises(NotAttempted, match="AddLayer.forward"):
        checks.check_add_layer(variant(Add, forward=lambda self, x, y: Stub()))


# --- Relu and Sigmoid -------------------------------------------------------------------------

class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class ReluFishBook(Relu):
    """Correct: the fish book's backward, which zeroes dout in place and returns it."""

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class ReluWhere:
    """Correct, written differently: np.maximum forward, a float mask of positives, np.where."""

    def forward(self, x):
        self.positive = (x > 0).astype(x.dtype)
        return np.maximum(x, 0)

    def backward(self, dout):
        return np.where(self.positive > 0, dout, 0.0)


class ReluInPlace:
    """Wrong: zeroes the caller's x in place, then takes the mask with `x < 0`."""

    def forward(self, x):
        x[x <= 0] = 0
        self.mask = x < 0
        return x

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class ReluInPlaceGoodMask(Relu):
    """Wrong only in changing the caller's array: the mask is taken first."""

    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0
        return x


class ReluLocalMask(Relu):
    """Wrong: the mask never reaches self, which still holds __init__'s all-True placeholder."""

    def __init__(self):
        self.mask = True

    def forward(self, x):
        mask = x <= 0
        return np.where(mask, 0, x)


class ReluShared(Relu):
    def forward(self, x):
        ReluShared.mask = x <= 0
        return np.maximum(x, 0)


@pytest.mark.parametrize("wrong, message", [
    (ReluInPlace, "mask was taken after forward had already zeroed"),
    (ReluInPlaceGoodMask, "changed the array you passed in"),
    (variant(Relu, backward=lambda self, dout: dout * ~self.mask * 0 + dout), "passes dout through everywhere"),
    (variant(Relu, backward=lambda self, dout: dout * self.mask), "mask is inverted"),
    (variant(Relu, backward=lambda self, dout: (~self.mask).astype(float)), "ignores dout"),
    (variant(Relu, forward=lambda self, x: (setattr(self, "mask", x <= 0), x > 0)[1]), "returns the mask"),
    (ReluShared, "share their state"),
    (variant(Relu, backward=lambda self, dout: dout[self.mask]), "has shape"),
    (ReluLocalMask, "keep its mask in a local variable"),
])
def test_relu_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_relu(wrong)


class ReluTimesOutput(Relu):
    def forward(self, x):
        self.out = super().forward(x)
        return self.out

    def backward(self, dout):
        return dout * self.out


def test_relu_backward_times_the_output_is_named():
    with pytest.raises(CheckFailed, match="multiplies dout by the output"):
        checks.check_relu(ReluTimesOutput)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class Sigmoid:
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidFromInput:
    """Correct, written differently: keeps x and recomputes the sigmoid in backward, with tanh."""

    def forward(self, x):
        self.x = x.copy()
        return 0.5 * (1 + np.tanh(x / 2))

    def backward(self, dout):
        y = 0.5 * (1 + np.tanh(self.x / 2))
        return dout * (y - y**2)


class SigmoidLocalOutput(Sigmoid):
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = sigmoid(x)
        return out


class SigmoidFloat32(Sigmoid):
    """Correct within float32's precision: the lab works in float64, but float32 is not a mistake."""

    def forward(self, x):
        self.out = sigmoid(x.astype(np.float32))
        return self.out


class SigmoidShared(Sigmoid):
    def forward(self, x):
        SigmoidShared.out = sigmoid(x)
        return SigmoidShared.out


class SigmoidOverwritesInput:
    def forward(self, x):
        np.negative(x, out=x)
        np.exp(x, out=x)
        x += 1
        np.reciprocal(x, out=x)
        self.out = x
        return x

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidBackwardFromX(Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * self.x * (1 - self.x)


def test_activations_pass_correct_versions(capsys):
    for seed in range(3):
        for relu in (Relu, ReluFishBook, ReluWhere):
            checks.check_relu(relu, seed=seed)
        for layer in (Sigmoid, SigmoidFromInput, SigmoidFloat32):
            checks.check_sigmoid(layer, seed=seed)
    assert capsys.readouterr().out.count("✔") == 18


@pytest.mark.parametrize("wrong, message", [
    (SigmoidBackwardFromX, "uses its input x where the output belongs"),
    (variant(Sigmoid, backward=lambda self, dout: dout * self.out), r"missing the factor \(1 - y\)"),
    (variant(Sigmoid, backward=lambda self, dout: dout * (1 - self.out)), "missing the factor y"),
    (variant(Sigmoid, backward=lambda self, dout: self.out * (1 - self.out)), "ignores dout"),
    (variant(Sigmoid, forward=lambda self, x: (setattr(self, "out", sigmoid(-x)), self.out)[1]), "exponent is -x"),
    (SigmoidShared, "share their state"),
    (SigmoidOverwritesInput, "changed the array you passed in"),
    (variant(Sigmoid, forward=lambda self, x: sigmoid(x)), "save what backward needs on self"),
    (SigmoidLocalOutput, "found None where forward's values belong"),
    (variant(Sigmoid, backward=lambda self, dout: dout * sigmoid(self.out) * (1 - sigmoid(self.out))),
     "applies the sigmoid again"),
])
def test_sigmoid_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_sigmoid(wrong)


# --- Affine -----------------------------------------------------------------------------------

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class AffineEinsum:
    """Correct, written differently: einsum, np.dot, a copy of x, gradients by keyword."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = self.db = None

    def forward(self, x):
        self.x_seen = np.array(x, copy=True)
        return np.dot(x, self.W) + self.b[np.newaxis, :]

    def backward(self, dout):
        self.dW = np.einsum("nd,nm->dm", self.x_seen, dout)
        self.db = np.einsum("nm->m", dout)
        return np.einsum("nm,dm->nd", dout, self.W)


def affine_backward(dW, db, dx):
    """An Affine whose backward uses the given formulas, each f(x, W, dout)."""

    def backward(self, dout):
        self.dW = dW(self.x, self.W, dout)
        self.db = db(dout)
        return dx(self.x, self.W, dout)

    return variant(Affine, backward=backward)


RIGHT_DW = lambda x, W, dout: x.T @ dout  # noqa: E731
RIGHT_DB = lambda dout: dout.sum(axis=0)  # noqa: E731
RIGHT_DX = lambda x, W, dout: dout @ W.T  # noqa: E731


class AffineSquareOnlyDW(Affine):
    """Wrong: dout @ x.T, which only runs when the shapes happen to fit."""

    def backward(self, dout):
        self.db = dout.sum(axis=0)
        self.dW = dout @ self.x.T if dout.shape[1] == self.x.shape[0] else self.x.T @ dout
        return dout @ self.W.T


class AffineAccumulates(Affine):
    def backward(self, dout):
        if not hasattr(self, "dW"):
            self.dW, self.db = 0, 0
        self.dW = self.dW + self.x.T @ dout
        self.db = self.db + dout.sum(axis=0)
        return dout @ self.W.T


class AffineShared(Affine):
    def forward(self, x):
        AffineShared.x = x
        return x @ self.W + self.b


class AffineReturnsAll(Affine):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.W.T, self.dW, self.db


class AffineNoStore(Affine):
    def backward(self, dout):
        return dout @ self.W.T


class AffineUpdatesWeights(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.W -= 0.1 * self.dW
        return dx


def test_affine_passes_correct_versions(capsys):
    for seed in range(3):
        checks.check_affine(Affine, seed=seed)
        checks.check_affine(AffineEinsum, seed=seed)
    assert capsys.readouterr().out.count("✔") == 6


@pytest.mark.parametrize("wrong, message", [
    (affine_backward(lambda x, W, d: d.T @ x, RIGHT_DB, RIGHT_DX), "dW is transposed"),
    (affine_backward(lambda x, W, d: x.T @ d / len(x), RIGHT_DB, RIGHT_DX), "dW is divided by the batch size"),
    (AffineSquareOnlyDW, r"dW is built as dout @ x.T"),
    (affine_backward(RIGHT_DW, lambda d: d, RIGHT_DX), "db is not summed over the batch"),
    (affine_backward(RIGHT_DW, lambda d: d.mean(axis=0), RIGHT_DX), "db is the batch mean"),
    (affine_backward(RIGHT_DW, lambda d: d.sum(axis=1), RIGHT_DX), "db is summed over the wrong axis"),
    (affine_backward(RIGHT_DW, lambda d: d.sum(), RIGHT_DX), "db is summed over everything"),
    (affine_backward(RIGHT_DW, RIGHT_DB, lambda x, W, d: d @ W if W.shape[0] == W.shape[1] else d @ W.T),
     "dx uses W without transposing it"),
    (affine_backward(RIGHT_DW, RIGHT_DB, lambda x, W, d: x.T @ d), "returns dW where dx belongs"),
    (variant(Affine, forward=lambda self, x: (setattr(self, "x", x), x @ self.W)[1]), "forgets the bias"),
    (AffineAccumulates, r"adds up over backward calls"),
    (AffineShared, "share their state"),
    (AffineReturnsAll, "return dx alone"),
    (AffineNoStore, "self.dW and self.db"),
    (AffineUpdatesWeights, "changed W or b"),
    (variant(Affine, __init__=lambda self, W, b: setattr(self, "W", W.copy()) or setattr(self, "b", b.copy())),
     "keeps a copy of W or b"),
    (affine_backward(lambda x, W, d: d @ x.T, RIGHT_DB, RIGHT_DX), r"dW is built as dout @ x.T"),
    (affine_backward(RIGHT_DW, RIGHT_DB, lambda x, W, d: d @ W), "dx uses W without transposing it"),
])
def test_affine_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_affine(wrong)


def test_affine_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="Affine"):
        checks.check_affine(Stub)


# --- SoftmaxWithLoss --------------------------------------------------------------------------

def softmax(x, axis=1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class SoftmaxLoss:
    def forward(self, x, t):
        t = np.asarray(t)
        self.t = np.eye(x.shape[1])[t] if t.ndim == 1 else t
        self.y = softmax(x)
        return -np.mean(np.sum(self.t * np.log(self.y), axis=1))

    def backward(self, dout=1):
        return dout * (self.y - self.t) / len(self.y)


class SoftmaxLossFishBook:
    """Correct: the fish book's layer, with its 1e-7 inside the log and integer labels by index
    (and dout, which the book's backward leaves out, multiplied in)."""

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        if t.ndim == 2:
            t = t.argmax(axis=1)
        batch = self.y.shape[0]
        return -np.sum(np.log(self.y[np.arange(batch), t] + 1e-7)) / batch

    def backward(self, dout=1):
        batch = self.t.shape[0]
        if self.t.size == self.y.size:
            return dout * (self.y - self.t) / batch
        dx = self.y.copy()
        dx[np.arange(batch), self.t] -= 1
        return dout * dx / batch


class SoftmaxLogSumExp:
    """Correct, written differently: log-softmax by logsumexp, float labels, a Python float."""

    def forward(self, x, t):
        shifted = x - x.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        labels = np.asarray(t)
        if labels.ndim == 1:
            labels = (labels[:, None] == np.arange(x.shape[1])).astype(float)
        self.cache = (np.exp(log_probs), labels)
        return float(-(labels * log_probs).sum() / len(x))

    def backward(self, dout=1.0):
        y, t = self.cache
        return (y - t) * (dout / y.shape[0])


def softmax_variant(loss=None, grad=None, softmax_fn=softmax):
    """SoftmaxLoss with one formula replaced: loss(y, t) and grad(y, t) on one-hot t."""

    class Variant(SoftmaxLoss):
        def forward(self, x, t):
            t = np.asarray(t)
            self.t = np.eye(x.shape[1])[t] if t.ndim == 1 else t
            self.y = softmax_fn(x)
            return loss(self.y, self.t) if loss else -np.mean(np.sum(self.t * np.log(self.y), axis=1))

        def backward(self, dout=1):
            return grad(self.y, self.t) if grad else (self.y - self.t) / len(self.y)

    return Variant


class SoftmaxOneHotOnly(SoftmaxLoss):
    def forward(self, x, t):
        self.t, self.y = t, softmax(x)
        return -np.mean(np.sum(t * np.log(self.y), axis=1))


class SoftmaxArgmaxAlways(SoftmaxLossFishBook):
    def forward(self, x, t):
        return super().forward(x, t.argmax(axis=1))


class SoftmaxIgnoresDout(SoftmaxLoss):
    def backward(self, dout=1):
        return (self.y - self.t) / len(self.y)


class SoftmaxGlobalMax(SoftmaxLoss):
    """Shifts every row by the batch's largest score: other rows underflow to 0 / 0."""

    def forward(self, x, t):
        t = np.asarray(t)
        self.t = np.eye(x.shape[1])[t] if t.ndim == 1 else t
        e = np.exp(x - x.max())
        self.y = e / e.sum(axis=1, keepdims=True)
        return -np.mean(np.sum(self.t * np.log(self.y + 1e-7), axis=1))


class SoftmaxIntegerOnly(SoftmaxLoss):
    def forward(self, x, t):
        self.t, self.y = np.eye(x.shape[1])[t], softmax(x)
        return -np.mean(np.log(self.y[np.arange(len(x)), t]))


class SoftmaxNoDefault(SoftmaxLoss):
    def backward(self, dout):
        return dout * (self.y - self.t) / len(self.y)


class SoftmaxShared(SoftmaxLoss):
    """Wrong: the probabilities and labels are kept on the class."""

    def forward(self, x, t):
        t = np.asarray(t)
        SoftmaxShared.t = np.eye(x.shape[1])[t] if t.ndim == 1 else t
        SoftmaxShared.y = softmax(x)
        return -np.mean(np.sum(SoftmaxShared.t * np.log(SoftmaxShared.y), axis=1))


def unstable_softmax(x, axis=1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_with_loss_passes_correct_versions(capsys):
    for seed in range(3):
        for layer in (SoftmaxLoss, SoftmaxLossFishBook, SoftmaxLogSumExp):
            checks.check_softmax_with_loss(layer, seed=seed)
    assert capsys.readouterr().out.count("✔") == 9


@pytest.mark.parametrize("wrong, message", [
    (softmax_variant(grad=lambda y, t: y - t), "not divided by the batch size"),
    (softmax_variant(grad=lambda y, t: (t - y) / len(y)), "backward has the wrong sign"),
    (softmax_variant(grad=lambda y, t: y / len(y)), "forgets to subtract the labels"),
    (softmax_variant(loss=lambda y, t: -np.sum(t * np.log(y))), "sums the loss over the batch"),
    (softmax_variant(loss=lambda y, t: np.mean(np.sum(t * np.log(y), axis=1))), "forward has the wrong sign"),
    (softmax_variant(loss=lambda y, t: -np.mean(t * np.log(y))), "averages over every entry"),
    (softmax_variant(softmax_fn=lambda x: softmax(x, axis=0)), r"softmax over the batch \(axis 0\)"),
    (softmax_variant(softmax_fn=unstable_softmax), "subtract each row's max"),
    (softmax_variant(softmax_fn=lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum()),
     "normalises over the whole batch at once"),
    (SoftmaxArgmaxAlways, "mishandles integer labels"),
    (softmax_variant(loss=lambda y, t: y), "return the loss, one number"),
    (SoftmaxOneHotOnly, "mishandles integer labels"),
    (SoftmaxNoDefault, "give dout a default"),
    (SoftmaxIgnoresDout, "ignores dout"),
    (SoftmaxGlobalMax, "each row's own max"),
    (SoftmaxIntegerOnly, "failed on one-hot labels"),
    (SoftmaxShared, "share their state"),
])
def test_softmax_with_loss_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_softmax_with_loss(wrong)


# --- relative_error ---------------------------------------------------------------------------

def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def relative_error_loop(a, b):
    """Correct, written differently: a loop over flat entries, 0 for two zeros."""
    worst = 0.0
    for u, v in zip(np.ravel(a), np.ravel(b)):
        worst = max(worst, abs(u - v) / max(abs(u) + abs(v), 1e-8))
    return worst


@pytest.mark.parametrize("wrong, message", [
    (lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8)), r"divides by \|a\| only"),
    (lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-8)), r"divides by \|b\| only"),
    (lambda a, b: np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)), "returns the mean"),
    (lambda a, b: np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)), "whole-array norms"),
    (lambda a, b: np.max((a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)), r"no absolute value"),
    (lambda a, b: np.max(np.abs(a - b)), "largest absolute difference"),
    (lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))), "0/0"),
    (lambda a, b: np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8), "return one number"),
    (lambda a, b: np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)),
     r"divides by the larger of \|a\| and \|b\|"),
    (lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(a + b), 1e-8)), r"divides by \|a \+ b\|"),
])
def test_relative_error_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_relative_error(wrong)


def test_relative_error_passes_correct_versions(capsys):
    for seed in range(3):
        checks.check_relative_error(relative_error, seed=seed)
        checks.check_relative_error(relative_error_loop, seed=seed)
    assert capsys.readouterr().out.count("✔") == 6


# --- TwoLayerNet ------------------------------------------------------------------------------

def two_layer_net(hidden=Relu, affine=Affine, loss_layer=SoftmaxLoss, init=0.01, copy_params=False):
    """A TwoLayerNet class from the given layers, in the fish book's style (an OrderedDict)."""

    class Net:
        def __init__(self, input_size, hidden_size, output_size, weight_init_std=init):
            self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size),
                           "b1": np.zeros(hidden_size),
                           "W2": weight_init_std * np.random.randn(hidden_size, output_size),
                           "b2": np.zeros(output_size)}
            own = {k: v.copy() for k, v in self.params.items()} if copy_params else self.params
            self.layers = OrderedDict(
                [("Affine1", affine(own["W1"], own["b1"])), ("Hidden", hidden()),
                 ("Affine2", affine(own["W2"], own["b2"]))])
            self.last_layer = loss_layer()

        def predict(self, x):
            for layer in self.layers.values():
                x = layer.forward(x)
            return x

        def loss(self, x, t):
            return self.last_layer.forward(self.predict(x), t)

        def gradient(self, x, t):
            self.loss(x, t)
            dout = self.last_layer.backward(1)
            for layer in reversed(list(self.layers.values())):
                dout = layer.backward(dout)
            return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                    "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}

    return Net


class NetWithOwnBackprop:
    """Correct, written differently: no layer objects, the backward pass in one method, He init."""

    def __init__(self, input_size, hidden_size, output_size):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.normal(0, np.sqrt(2 / input_size), (input_size, hidden_size)),
                       "b1": np.zeros(hidden_size),
                       "W2": rng.normal(0, np.sqrt(2 / hidden_size), (hidden_size, output_size)),
                       "b2": np.zeros(output_size)}

    def predict(self, x):
        p = self.params
        return np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]

    def loss(self, x, t):
        return SoftmaxLogSumExp().forward(self.predict(x), t)

    def gradient(self, x, t):
        p = self.params
        hidden = x @ p["W1"] + p["b1"]
        active = np.maximum(hidden, 0)
        last = SoftmaxLogSumExp()
        last.forward(active @ p["W2"] + p["b2"], t)
        dscores = last.backward()
        dactive = dscores @ p["W2"].T * (hidden > 0)
        return {"W1": x.T @ dactive, "b1": dactive.sum(0), "W2": active.T @ dscores, "b2": dscores.sum(0)}


class NetUpdatesInGradient(NetWithOwnBackprop):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        for key in self.params:
            self.params[key] -= 0.1 * grads[key]
        return grads


class NetZeroInit(NetWithOwnBackprop):
    def __init__(self, *sizes):
        super().__init__(*sizes)
        for value in self.params.values():
            value[...] = 0


class NetSharedParams(NetWithOwnBackprop):
    params = {}

    def __init__(self, input_size, hidden_size, output_size):
        self.params["W1"] = np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)


class NetSkipsRelu(NetWithOwnBackprop):
    def gradient(self, x, t):
        p = self.params
        active = np.maximum(x @ p["W1"] + p["b1"], 0)
        last = SoftmaxLoss()
        last.forward(active @ p["W2"] + p["b2"], t)
        dscores = last.backward()
        dactive = dscores @ p["W2"].T
        return {"W1": x.T @ dactive, "b1": dactive.sum(0), "W2": active.T @ dscores, "b2": dscores.sum(0)}


def net_without_forward():
    """Wrong: gradient() runs the backward pass without running the layers forward first."""
    base = two_layer_net()

    def gradient(self, x, t):
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}

    return variant(base, gradient=gradient)


NetNoForward = net_without_forward()



class NetSoftmaxPredict(NetWithOwnBackprop):
    def predict(self, x):
        return softmax(super().predict(x))

    def loss(self, x, t):
        return SoftmaxLogSumExp().forward(super().predict(x), t)


@pytest.mark.slow
def test_two_layer_net_passes_correct_versions(capsys):
    for seed in range(2):
        checks.check_two_layer_net(two_layer_net(), seed=seed)
        checks.check_two_layer_net(NetWithOwnBackprop, seed=seed)
    checks.check_two_layer_net(two_layer_net(hidden=ReluFishBook, affine=AffineEinsum,
                                             loss_layer=SoftmaxLossFishBook))
    assert capsys.readouterr().out.count("✔") == 5


@pytest.mark.parametrize("wrong, message", [
    (two_layer_net(hidden=Sigmoid), "uses a sigmoid between its Affine layers"),
    (two_layer_net(copy_params=True), "did not change when net.params changed in place"),
    (two_layer_net(loss_layer=softmax_variant(grad=lambda y, t: y - t)), "N times too large"),
    (two_layer_net(affine=affine_backward(RIGHT_DW, lambda d: d, RIGHT_DX)), r"\['b1'\] has shape"),
    (NetUpdatesInGradient, "changed net.params"),
    (NetZeroInit, "every entry of W1 equal"),
    (NetSoftmaxPredict, "predict returns probabilities"),
    (NetSharedParams, "share their weights"),
    (NetSkipsRelu, "skips the Relu on the way back"),
    (NetNoForward, "reuses the layers' state from an earlier call"),
])
def test_two_layer_net_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_two_layer_net(wrong)


def test_two_layer_net_that_does_not_learn_fails_on_accuracy():
    """Right gradients, but weights so large that SGD at the check's learning rate diverges."""
    with pytest.raises(CheckFailed, match=r"reach only .* held-out accuracy"):
        checks.check_two_layer_net(two_layer_net(init=3.0), threshold=0.92)


def test_two_layer_net_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="TwoLayerNet"):
        checks.check_two_layer_net(Stub)
