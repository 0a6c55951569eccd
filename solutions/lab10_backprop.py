# %% [markdown]
# # Lab 10 — Backpropagation by hand
#
# In lab 04, `tf.GradientTape` gave you every gradient for free. This lab opens the box. You
# draw a calculation as a **computational graph**, and then every gradient comes from one
# rule used again and again: each node multiplies the gradient arriving from above by its
# own local derivative. Then you write the layers of a neural network as small classes. Each
# one has a `forward` pass and a `backward` pass. You check them against numerical
# differences and against the tape, and stack them into a two-layer network that learns to
# read MNIST digits with no help from TensorFlow.
#
# **Goals**
# - draw the lecture's shopping example as a graph and push gradients through it, using
#   `MulLayer` and `AddLayer`;
# - write the activation layers `Relu` and `Sigmoid`, and the `Affine` layer $xW + b$, each
#   with a `backward` pass;
# - write `SoftmaxWithLoss`, and see why its gradient is simply $(y - t)/N$ and why
#   classifiers use cross-entropy rather than squared error;
# - measure how far apart two gradients are with `relative_error`, and gradient-check every
#   layer;
# - build `TwoLayerNet` from these layers, train it with plain SGD to over 92 % accuracy on
#   held-out digits, and time backprop against numerical differentiation.
#
# **Time:** about 75 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import matplotlib.pyplot as plt
import numpy as np

import course

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import tensorflow as tf

from course import data, plots
from course.checks import lab10_backprop as checks

print(course.environment_line())

# %% [markdown]
# ## 1. A computational graph: going shopping
#
# The lecture's example: you buy 2 apples at 100 each and 3 oranges at 150 each, and pay
# 10 % sales tax. From left to right the bill is
#
# $$\text{total} = (\underbrace{100 \times 2}_{\text{apples}} + \underbrace{150 \times 3}_{\text{oranges}}) \times 1.1 = 715.$$
#
# As a graph, each operation is a node and the numbers flow along the edges:
#
# ```
#  apple price 100 ──┐
#                    (×)── 200 ──┐
#  apples        2 ──┘           │
#                               (+)── 650 ──┐
#  orange price 150 ─┐           │          (×)── 715
#                    (×)── 450 ──┘          │
#  oranges       3 ──┘                      │
#  tax         1.1 ─────────────────────────┘
# ```
#
# Computing the total from left to right is the **forward pass**. Now ask: how much does the
# total change when one input changes a little? That is a partial derivative, such as
# $\partial\,\text{total} / \partial\,\text{apple price}$. The **backward pass** finds all of
# them in one sweep from right to left. Start with $1$ at the output
# ($\partial\,\text{total}/\partial\,\text{total} = 1$). Each node takes the gradient arriving
# from its right, `dout`, multiplies it by its local derivative, and sends the result to
# each of its inputs. That is the chain rule, applied one node at a time:
#
# - a **multiply node** $z = xy$ has $\partial z/\partial x = y$ and $\partial z/\partial y = x$:
#   each input gets `dout` times the *other* input. So the node must remember its inputs
#   from the forward pass;
# - an **add node** $z = x + y$ has both local derivatives equal to 1: it passes `dout` on
#   unchanged to both inputs and needs to remember nothing.
#
# At the tax node, the apple-plus-orange total gets $1 \times 1.1 = 1.1$ and the tax gets
# $1 \times 650 = 650$. The add node hands $1.1$ to both branches. The apple node then gives
# the price $1.1 \times 2 = 2.2$ and the count $1.1 \times 100 = 110$. So one more yen on
# the apple price adds 2.2 to the bill, and one more apple adds 110.
#
# **Your turn.** Write `MulLayer`. `forward(x, y)` returns $xy$ and stores both inputs on
# `self`. `backward(dout)` returns the pair `(dx, dy)`. It must work for plain numbers and
# for NumPy arrays of the same shape, where the product is taken entry by entry.

# %% nbgrader={"grade": false, "grade_id": "MulLayer", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MulLayer:
    """A multiply node of a computational graph, z = x * y (entry by entry for arrays).

    forward(x, y): x and y are floats or float arrays of one shape; returns x * y and
        stores x and y for the backward pass.
    backward(dout): dout is the gradient of the final output with respect to z (the
        shape of z); returns (dx, dy) = (dout * y, dout * x), shaped like x and y.
    """

    def __init__(self):
        ### BEGIN SOLUTION
        self.x = None
        self.y = None
        ### END SOLUTION

    def forward(self, x, y):
        ### BEGIN SOLUTION
        self.x, self.y = x, y
        return x * y
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        return dout * self.y, dout * self.x  # each input gets dout times the other input
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_MulLayer", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_mul_layer(MulLayer)
### BEGIN HIDDEN TESTS
checks.check_mul_layer(MulLayer, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# **Your turn.** Write `AddLayer`, the add node: `forward(x, y)` returns $x + y$ and
# `backward(dout)` returns `(dx, dy)`.

# %% nbgrader={"grade": false, "grade_id": "AddLayer", "locked": false, "schema_version": 3, "solution": true, "task": false}
class AddLayer:
    """An add node of a computational graph, z = x + y.

    forward(x, y): x and y are floats or float arrays of one shape; returns x + y.
    backward(dout): dout is the gradient with respect to z; returns (dx, dy) =
        (dout, dout), since both local derivatives are 1.
    """

    def forward(self, x, y):
        ### BEGIN SOLUTION
        return x + y
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        return dout, dout
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_AddLayer", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_add_layer(AddLayer)
### BEGIN HIDDEN TESTS
checks.check_add_layer(AddLayer, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# The whole shopping trip, built from your nodes. The forward pass goes left to right. The
# backward pass calls `backward` on the same nodes in the opposite order, starting from
# `dout = 1`. Then `tf.GradientTape` computes the same five derivatives on its own:

# %%
apple_price, apples, orange_price, oranges, tax = 100.0, 2.0, 150.0, 3.0, 1.1
apple_node, orange_node, sum_node, tax_node = MulLayer(), MulLayer(), AddLayer(), MulLayer()

apple_cost = apple_node.forward(apple_price, apples)
orange_cost = orange_node.forward(orange_price, oranges)
before_tax = sum_node.forward(apple_cost, orange_cost)
total = tax_node.forward(before_tax, tax)

d_before_tax, d_tax = tax_node.backward(1.0)
d_apple_cost, d_orange_cost = sum_node.backward(d_before_tax)
d_apple_price, d_apples = apple_node.backward(d_apple_cost)
d_orange_price, d_oranges = orange_node.backward(d_orange_cost)

inputs = [tf.Variable(v, dtype=tf.float64) for v in (apple_price, apples, orange_price, oranges, tax)]
with tf.GradientTape() as tape:
    taped_total = (inputs[0] * inputs[1] + inputs[2] * inputs[3]) * inputs[4]
taped = [float(g) for g in tape.gradient(taped_total, inputs)]

print(f"total: {total:.1f} (tape: {float(taped_total):.1f})")
print(f"{'input':>14} {'backward pass':>14} {'tf.GradientTape':>16}")
names = ["apple price", "apples", "orange price", "oranges", "tax"]
mine = [d_apple_price, d_apples, d_orange_price, d_oranges, d_tax]
for name, by_hand, by_tape in zip(names, mine, taped):
    print(f"{name:>14} {by_hand:14.2f} {by_tape:16.2f}")

# %% [markdown]
# Every number took one multiplication, and none needed the others to be recomputed. That
# is the whole trick of backpropagation. A neural network is the same kind of graph, only
# bigger and with arrays on its edges.
#
# ## 2. Activation layers
#
# **ReLU**, $y = \max(x, 0)$, has local derivative 1 where $x > 0$ and 0 where $x \le 0$.
# (At exactly 0 it has no derivative; the convention, also TensorFlow's, is 0.) So
# `backward` lets `dout` through where the input was positive and blocks it elsewhere. All it
# needs from the forward pass is a boolean **mask** of where $x \le 0$. Two traps:
#
# - take the mask from the input *before* anything changes it. If `forward` zeroes the
#   negative entries of `x` in place, the caller's array changes. A mask built from it
#   afterwards, with `x < 0`, then finds no negative entries at all;
# - keep the mask on `self`. Every `Relu` object is a separate layer with its own input, so
#   two layers must never share one mask.
#
# **Your turn.** Write `Relu` for arrays of any shape. Leave the caller's `x` unchanged.

# %% nbgrader={"grade": false, "grade_id": "Relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Relu:
    """ReLU as a layer, y = max(x, 0), for float arrays of any shape.

    forward(x): returns a new array shaped like x (x itself is left unchanged) and
        stores the mask of entries where x <= 0.
    backward(dout): dout is shaped like x; returns dx = dout where x > 0, 0 elsewhere.
    """

    def __init__(self):
        ### BEGIN SOLUTION
        self.mask = None
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Relu", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_relu(Relu)
### BEGIN HIDDEN TESTS
checks.check_relu(Relu, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# **Sigmoid**, $y = \sigma(x) = 1 / (1 + e^{-x})$, has a derivative that can be written in
# terms of its own output:
#
# $$\frac{\partial y}{\partial x} = \frac{e^{-x}}{(1 + e^{-x})^2} = y\,(1 - y).$$
#
# So `backward` needs only the output $y$, which `forward` has just computed: store it,
# and `backward` is `dout * y * (1 - y)`. Mind that this is the output $y$, not the input
# $x$. The largest this factor gets is $\tfrac14$, at $x = 0$, and for $|x| > 5$ it is below
# $0.01$. A deep stack of sigmoids therefore shrinks the gradient at every layer, which is
# the vanishing gradient you met in lab 09.
#
# **Your turn.** Write `Sigmoid` for arrays of any shape.

# %% nbgrader={"grade": false, "grade_id": "Sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Sigmoid:
    """The logistic sigmoid as a layer, y = 1 / (1 + exp(-x)), for float arrays of any shape.

    forward(x): returns y, an array shaped like x, and stores y.
    backward(dout): dout is shaped like x; returns dx = dout * y * (1 - y).
    """

    def __init__(self):
        ### BEGIN SOLUTION
        self.out = None
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        self.out = 1 / (1 + np.exp(-x))
        return self.out
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        return dout * self.out * (1 - self.out)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Sigmoid", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_sigmoid(Sigmoid)
### BEGIN HIDDEN TESTS
checks.check_sigmoid(Sigmoid, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The Affine layer: a dense layer, forward and backward
#
# A dense layer without its activation computes $Y = XW + b$ for a whole batch at once.
# $X$ has shape $(N, D)$ (N examples, D inputs each), $W$ has shape $(D, M)$, the bias $b$
# has shape $(M,)$ and is added to every row, and $Y$ has shape $(N, M)$. The fish book
# calls this the **Affine** layer. Given $\partial L/\partial Y$ (`dout`, shape $(N, M)$),
# the chain rule gives, written as matrices:
#
# $$\frac{\partial L}{\partial X} = \frac{\partial L}{\partial Y}\, W^\top \;(N, D), \qquad
#   \frac{\partial L}{\partial W} = X^\top\, \frac{\partial L}{\partial Y} \;(D, M), \qquad
#   \frac{\partial L}{\partial b} = \sum_{n=1}^{N} \left(\frac{\partial L}{\partial Y}\right)_{n,:} \;(M,).$$
#
# Each gradient has the shape of the thing it belongs to, and that is the easiest way to
# remember the formulas. Only one product of the available matrices has shape $(D, M)$:
# $X^\top$ times `dout`. The bias is a sum because the same $b$ is added to all $N$ rows,
# so its gradient collects a contribution from every example. Summing over the batch is
# also what the copying does in reverse: copying $b$ to N rows going forward means adding
# N gradients coming back.
#
# **Your turn.** Write `Affine(W, b)`. Keep `W` and `b` as `self.W` and `self.b`: the same
# arrays you are given, not copies, so that a training loop that updates them in place is
# seen by the layer. `forward(x)` stores `x`. `backward(dout)` returns `dx` and stores the
# weight gradients as `self.dW` and `self.db`.

# %% nbgrader={"grade": false, "grade_id": "Affine", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Affine:
    """A fully connected layer without activation, y = x @ W + b.

    Args:
        W: float array (D, M), kept as self.W (the same array, not a copy).
        b: float array (M,), kept as self.b.

    forward(x): x is a float array (N, D); returns x @ W + b, shape (N, M), and stores x.
    backward(dout): dout is a float array (N, M); returns dx = dout @ W.T, shape (N, D),
        and stores self.dW = x.T @ dout (D, M) and self.db = dout summed over the batch (M,).
    """

    def __init__(self, W, b):
        ### BEGIN SOLUTION
        self.W, self.b = W, b
        self.x = None
        self.dW, self.db = None, None
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        self.x = x
        return x @ self.W + self.b
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Affine", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_affine(Affine)
### BEGIN HIDDEN TESTS
checks.check_affine(Affine, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Softmax with cross-entropy: the output layer
#
# A classifier with C classes ends with a softmax. It turns a row of scores $x$ into
# probabilities $y_k = e^{x_k} / \sum_j e^{x_j}$. The loss is the cross-entropy with the
# one-hot label $t$: $L = -\sum_k t_k \log y_k$, which is $-\log$ of the probability given to
# the right class. Putting both in one layer, `SoftmaxWithLoss`, pays off on the way back.
# Differentiate $L = -\sum_k t_k x_k + \log \sum_j e^{x_j}$ with respect to the score $x_i$:
#
# $$\frac{\partial L}{\partial x_i} = -t_i + \frac{e^{x_i}}{\sum_j e^{x_j}} = y_i - t_i,$$
#
# using $\sum_k t_k = 1$. The gradient is just *prediction minus label*. It is large when the
# network is confidently wrong and vanishes as it becomes right. The two functions were made
# for each other: the exponentials of the softmax cancel against the logarithm of the loss.
# For a batch the loss is the mean over its N examples, so each row's gradient is divided by
# N:
#
# $$\frac{\partial L}{\partial x} = \frac{y - t}{N}.$$
#
# **Why not squared error?** Take one sigmoid output $p = \sigma(z)$ for a label
# $y \in \{0, 1\}$. With cross-entropy, the same cancellation gives $\partial L/\partial z = p - y$.
# With the squared error $(p - y)^2$, the chain rule multiplies in the sigmoid's derivative:
# $\partial L/\partial z = 2(p - y)\,p\,(1 - p)$. When the model is *confidently wrong*
# ($y = 1$ but $z$ very negative, so $p \approx 0$), the factor $p(1 - p)$ is almost zero.
# Squared error then barely pushes at all, exactly when the push is needed most:

# %%
z = np.linspace(-8, 8, 321)
p = 1 / (1 + np.exp(-z))
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(z, p - 1, label=course.tr("cross-entropy: $p - y$"))
ax.plot(z, 2 * (p - 1) * p * (1 - p), label=course.tr("squared error: $2(p - y)\\,p(1 - p)$"))
ax.axhline(0, color="0.8", linewidth=0.8)
ax.set(xlabel=course.tr("score $z$ (the true label is $y = 1$)"), ylabel=course.tr("$\\partial L / \\partial z$"),
       title=course.tr("Gradient with respect to the score, for a positive example"))
ax.legend()
plt.show()
print("Notice: at z = -6 the model is confidently wrong; cross-entropy's gradient is about -1, "
      f"squared error's only {2 * (p[80] - 1) * p[80] * (1 - p[80]):.4f}.")

# %% [markdown]
# Computing the softmax needs one precaution. $e^{x}$ overflows for scores above about 709
# in float64. Subtracting each row's largest score first changes nothing, since the common
# factor cancels between top and bottom, and keeps every exponent at or below 0. Labels come
# either as integers (shape $(N,)$, one class index per example) or one-hot (shape $(N, C)$);
# `np.eye(C)[t]` turns the first kind into the second.
#
# **Your turn.** Write `SoftmaxWithLoss`. `forward(x, t)` returns the mean cross-entropy
# (one number) and stores what `backward` needs. `backward(dout=1)` returns $(y - t)/N$,
# times `dout`.

# %% nbgrader={"grade": false, "grade_id": "SoftmaxWithLoss", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy over a batch, as the last layer.

    forward(x, t): x is a float array (N, C) of scores; t holds the labels, as integers
        (N,) or one-hot (N, C). Returns the loss, a float: the mean over the batch of
        -log(softmax(x)[n, label of n]). Stores the probabilities y and the one-hot t.
    backward(dout=1): returns dx = dout * (y - t) / N, shape (N, C).
    """

    def __init__(self):
        ### BEGIN SOLUTION
        self.y, self.t = None, None
        ### END SOLUTION

    def forward(self, x, t):
        ### BEGIN SOLUTION
        t = np.asarray(t)
        if t.ndim == 1:  # integer labels: one-hot rows
            t = np.eye(x.shape[1])[t]
        exp = np.exp(x - x.max(axis=1, keepdims=True))  # no overflow: every exponent <= 0
        self.y, self.t = exp / exp.sum(axis=1, keepdims=True), t
        return float(-np.mean(np.sum(t * np.log(self.y + 1e-12), axis=1)))
        ### END SOLUTION

    def backward(self, dout=1):
        ### BEGIN SOLUTION
        return dout * (self.y - self.t) / len(self.y)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_SoftmaxWithLoss", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_softmax_with_loss(SoftmaxWithLoss)
### BEGIN HIDDEN TESTS
checks.check_softmax_with_loss(SoftmaxWithLoss, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Gradient checking
#
# A backward pass can be wrong in ways that still run: a missing transpose, a sum over the
# wrong axis. Training then goes on, only badly, and nothing tells you why. So every new
# backward pass gets tested against a slow method that cannot be wrong in the same way. That
# is a **gradient check**. Two referees are at hand: the numerical gradient of lab 04
# (central differences), and `tf.GradientTape`.
#
# To compare two gradients, an absolute difference means little: $10^{-4}$ is tiny next to
# 1000 and huge next to $10^{-6}$. The usual measure is the **relative error**, entry by
# entry, and then the worst entry:
#
# $$\text{relative\_error}(a, b) = \max_i \frac{|a_i - b_i|}{\max(|a_i| + |b_i|,\ 10^{-8})}.$$
#
# The floor of $10^{-8}$ makes two zeros count as equal instead of giving $0/0$. Taking the
# largest entry stops one wrong entry from hiding among thousands of right ones. As a rule of
# thumb in float64, backprop against the tape gives about $10^{-12}$ or less. Against central
# differences, $10^{-7}$ or less is fine. Around $10^{-2}$ or more, something is wrong.
#
# **Your turn.** Write `relative_error(a, b)`.

# %% nbgrader={"grade": false, "grade_id": "relative_error", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relative_error(a, b):
    """Largest entrywise relative difference between two arrays.

    Args:
        a: float array of any shape.
        b: float array of the same shape.

    Returns:
        float: the maximum over all entries of |a - b| / max(|a| + |b|, 1e-8); 0 when a
        and b are equal.
    """
    ### BEGIN SOLUTION
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_relative_error", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_relative_error(relative_error)
### BEGIN HIDDEN TESTS
checks.check_relative_error(relative_error, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Now the check itself. A layer's output is an array, not one number, so we check the
# gradient of the scalar $\sum(\text{output} \times \text{dout})$ for a random `dout`. Its
# gradient is exactly what `backward(dout)` returns. The tape computes the same thing as
# `tape.gradient(output, inputs, output_gradients=dout)` (a *vector–Jacobian product*).
#
# The numerical gradient below works like lab 04's, with one difference. It nudges each
# entry of an array **in place** and calls `f()` with no arguments. That way it can
# differentiate with respect to anything a layer reads, its weights included, and it puts
# every entry back afterwards.
#
# The shapes are chosen so that mistakes show: N = 4, D = 3, M = 5 are all different. A
# transposed `dW` or an unsummed `db` then fails on its shape, and not only on its values.

# %%
def numerical_gradient(f, x, h=1e-5):
    """Central differences of f() with respect to the array x, nudged in place and restored.

    Args:
        f: function of no arguments returning a float; it reads x (an input or a weight).
        x: float64 array of any shape.
        h: the step.

    Returns:
        float64 array shaped like x.
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f()
        x[index] = original - h
        f_minus = f()
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def tape_vjp(function, inputs, dout):
    """tf.GradientTape's gradients of sum(function(*inputs) * dout), one per input."""
    tensors = [tf.Variable(a) for a in inputs]
    with tf.GradientTape() as tape:
        out = function(*tensors)
    return [g.numpy() for g in tape.gradient(out, tensors, output_gradients=dout)]


rng = np.random.default_rng(0)
n, d, m = 4, 3, 5
x_in, dout_in = rng.normal(size=(n, d)), rng.normal(size=(n, d))
W, b, dout_affine = rng.normal(size=(d, m)), rng.normal(size=m), rng.normal(size=(n, m))
scores, labels = rng.normal(size=(n, m)), rng.integers(0, m, size=n)

rows = []
for name, layer, reference in [("Relu", Relu(), tf.nn.relu), ("Sigmoid", Sigmoid(), tf.sigmoid)]:
    layer.forward(x_in)
    backprop = layer.backward(dout_in)
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x_in) * dout_in)), x_in)
    (taped_dx,) = tape_vjp(reference, [x_in], dout_in)
    rows.append((f"{name} dx", backprop, numeric, taped_dx))

affine = Affine(W, b)
affine.forward(x_in)
affine_dx = affine.backward(dout_affine)
taped_affine = tape_vjp(lambda x_, W_, b_: x_ @ W_ + b_, [x_in, W, b], dout_affine)
for label, backprop, array, taped_grad in [("Affine dx", affine_dx, x_in, taped_affine[0]),
                                           ("Affine dW", affine.dW, W, taped_affine[1]),
                                           ("Affine db", affine.db, b, taped_affine[2])]:
    numeric = numerical_gradient(lambda: float(np.sum(Affine(W, b).forward(x_in) * dout_affine)), array)
    rows.append((label, backprop, numeric, taped_grad))

loss_layer = SoftmaxWithLoss()
loss_layer.forward(scores, labels)
softmax_dx = loss_layer.backward()
numeric = numerical_gradient(lambda: SoftmaxWithLoss().forward(scores, labels), scores)
(taped_dx,) = tape_vjp(lambda s: tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, s)),
                       [scores], None)
rows.append(("SoftmaxWithLoss dx", softmax_dx, numeric, taped_dx))

print(f"{'gradient':>18} {'shape':>8} {'vs numerical':>13} {'vs tape':>10}")
for label, backprop, numeric, taped_grad in rows:
    print(f"{label:>18} {str(np.shape(backprop)):>8} {relative_error(backprop, numeric):13.1e} "
          f"{relative_error(backprop, taped_grad):10.1e}")

# %% [markdown]
# Against the tape, the errors are at the level of float64 rounding, $10^{-16}$ or exactly 0.
# Against central differences they lie between about $10^{-8}$ and $10^{-12}$: that is the
# error of the difference formula itself plus rounding, not a mistake in the layers. (`Relu`
# is piecewise linear, so only rounding is left there; no input sits within $h$ of its kink
# at 0, where the numerical gradient would be meaningless.)
#
# ## 6. A two-layer network from your layers
#
# Now stack the layers: `Affine → Relu → Affine → SoftmaxWithLoss`. The forward pass calls
# `forward` on each layer in order. The backward pass calls `backward` in reverse order,
# starting from `dout = 1`, and each layer hands its `dx` to the layer before it. Afterwards
# each `Affine` holds its `dW` and `db`. The network doesn't know any calculus of its own;
# it only asks each layer for its local rule.
#
# The weights live in one dict, `self.params`. The `Affine` layers are built from those same
# arrays, so when a training loop updates `net.params["W1"]` in place (with `-=`), the layer
# sees the change. Start the weights small and random (standard deviation
# `weight_init_std`, 0.01 as in the fish book), and the biases at zero.
#
# **Your turn.** Write `TwoLayerNet`. `predict(x)` returns the scores before the softmax,
# `loss(x, t)` the mean cross-entropy, and `gradient(x, t)` a dict with the same keys as
# `params`, filled by backprop.

# %% nbgrader={"grade": false, "grade_id": "TwoLayerNet", "locked": false, "schema_version": 3, "solution": true, "task": false}
class TwoLayerNet:
    """Affine -> Relu -> Affine -> SoftmaxWithLoss, with gradients by backpropagation.

    Args:
        input_size: D, inputs per example (784 for a flattened MNIST digit).
        hidden_size: H, units in the hidden layer.
        output_size: C, number of classes.
        weight_init_std: standard deviation of the random initial weights.

    Attributes:
        params: dict of NumPy float arrays, "W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,);
            the layers use these same arrays, so in-place updates reach them.

    predict(x): x (N, D) -> scores (N, C), before the softmax.
    loss(x, t): t integer (N,) or one-hot (N, C) labels -> the mean cross-entropy, a float.
    gradient(x, t): -> dict with the keys of params, each gradient shaped like its
        parameter, by one forward and one backward pass (params are left unchanged).
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        ### BEGIN SOLUTION
        self.params = {
            "W1": weight_init_std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }
        self.affine1 = Affine(self.params["W1"], self.params["b1"])
        self.relu = Relu()
        self.affine2 = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()
        ### END SOLUTION

    def predict(self, x):
        ### BEGIN SOLUTION
        return self.affine2.forward(self.relu.forward(self.affine1.forward(x)))
        ### END SOLUTION

    def loss(self, x, t):
        ### BEGIN SOLUTION
        return self.last_layer.forward(self.predict(x), t)
        ### END SOLUTION

    def gradient(self, x, t):
        ### BEGIN SOLUTION
        self.loss(x, t)  # forward: every layer stores what its backward pass needs
        dout = self.last_layer.backward(1)
        dout = self.affine2.backward(dout)
        dout = self.relu.backward(dout)
        self.affine1.backward(dout)
        return {"W1": self.affine1.dW, "b1": self.affine1.db, "W2": self.affine2.dW, "b2": self.affine2.db}
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_TwoLayerNet", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_two_layer_net(TwoLayerNet)
### BEGIN HIDDEN TESTS
checks.check_two_layer_net(TwoLayerNet, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# The whole network, gradient-checked on a small random problem. Its backprop gradients
# are compared with `tf.GradientTape` on the same weights:

# %%
course.set_seed(0)
small_net = TwoLayerNet(input_size=6, hidden_size=5, output_size=3, weight_init_std=1.0)
x_small, t_small = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
by_backprop = small_net.gradient(x_small, t_small)

weights = {key: tf.Variable(value) for key, value in small_net.params.items()}
with tf.GradientTape() as tape:
    hidden = tf.nn.relu(x_small @ weights["W1"] + weights["b1"])
    taped_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        t_small, hidden @ weights["W2"] + weights["b2"]))
by_tape = dict(zip(weights, tape.gradient(taped_loss, list(weights.values()))))
for key in small_net.params:
    print(f"{key}: relative error backprop vs tape = {relative_error(by_backprop[key], by_tape[key].numpy()):.1e}")

# %% [markdown]
# Now train it on the bundled MNIST digits: 4,000 training images and 1,000 held-out ones,
# each flattened to 784 pixel values scaled to [0, 1]. The loop is plain mini-batch SGD, as in
# lab 04. Shuffle every epoch, take batches of 100, and for each batch subtract the learning
# rate times the gradient from every parameter. TensorFlow takes no part in it; every
# gradient comes from your `backward` methods.

# %%
(x_train, y_train), (x_test, y_test) = data.load_mnist(source="bundled")
x_train = x_train.reshape(len(x_train), -1) / 255.0
x_test = x_test.reshape(len(x_test), -1) / 255.0


def accuracy(net, x, labels):
    """Fraction of examples whose highest score is the true class."""
    return float(np.mean(net.predict(x).argmax(axis=1) == labels))


course.set_seed(0)
network = TwoLayerNet(input_size=784, hidden_size=100, output_size=10)
learning_rate, batch_size, num_epochs = 0.5, 100, 20
history = {"train loss": [], "held-out loss": []}
accuracies = {"train": [], "held-out": []}
order_rng = np.random.default_rng(0)
start = time.perf_counter()
for epoch in range(num_epochs):
    order = order_rng.permutation(len(x_train))
    for first in range(0, len(order), batch_size):
        batch = order[first:first + batch_size]
        grads = network.gradient(x_train[batch], y_train[batch])
        for key in network.params:
            network.params[key] -= learning_rate * grads[key]  # in place: the layers see it
    history["train loss"].append(network.loss(x_train, y_train))
    history["held-out loss"].append(network.loss(x_test, y_test))
    accuracies["train"].append(accuracy(network, x_train, y_train))
    accuracies["held-out"].append(accuracy(network, x_test, y_test))
seconds = time.perf_counter() - start

print(f"{num_epochs} epochs in {seconds:.1f} s; accuracy: training {accuracies['train'][-1]:.1%}, "
      f"held-out {accuracies['held-out'][-1]:.1%}")
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
plots.plot_loss_curves(history, ax=ax_loss)
ax_loss.set(title=course.tr("cross-entropy during training"), ylabel=course.tr("mean cross-entropy"))
plots.plot_loss_curves(accuracies, ax=ax_acc, keys=["train", "held-out"])
ax_acc.set(title=course.tr("accuracy during training"), ylabel=course.tr("accuracy"))
plt.show()
print("Notice: the training accuracy climbs towards 100 % while the held-out accuracy stalls a few "
      "points lower; that gap is the network memorising its 4,000 training images.")

# %% [markdown]
# Fewer than 80,000 weights and a few seconds of NumPy get about 19 out of 20 unseen digits
# right. The convolutional network of lab 07 does better, but every gradient here came from
# the five small `backward` methods you wrote.
#
# ## 7. Why backpropagation is fast
#
# The numerical gradient needs two forward passes *per parameter*, so its cost grows with
# the size of the network times the number of parameters. Backprop needs one forward pass
# and one backward pass for *all* parameters together. The backward pass does about twice
# the work of the forward pass: for each `Affine` layer it computes two matrix products, `dx`
# and `dW`, against the forward pass's one. Below, both methods run on the same
# mini-batch of 100 digits, shrunk to 14×14 pixels to keep the numerical gradient bearable,
# for networks of growing hidden size:

# %%
x_batch = x_train[:100].reshape(100, 28, 28)[:, ::2, ::2].reshape(100, -1)  # every second pixel: 196 inputs
t_batch = y_train[:100]


def best_time(function, repeats=5):
    """The fastest of a few runs, in seconds (the least disturbed by other programs)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


timing_rows = []
for hidden_size in (5, 10, 20, 40):
    course.set_seed(0)
    net = TwoLayerNet(input_size=196, hidden_size=hidden_size, output_size=10)
    num_params = sum(p.size for p in net.params.values())
    forward = best_time(lambda: net.loss(x_batch, t_batch), repeats=20)
    backprop = best_time(lambda: net.gradient(x_batch, t_batch), repeats=20)
    numeric = best_time(lambda: [numerical_gradient(lambda: net.loss(x_batch, t_batch), p)
                                 for p in net.params.values()], repeats=1)
    timing_rows.append((num_params, forward, backprop, numeric))

print(f"{'parameters':>10} {'forward':>10} {'backprop':>10} {'numerical':>10} {'backprop/forward':>17} "
      f"{'numerical/backprop':>19}")
for num_params, forward, backprop, numeric in timing_rows:
    print(f"{num_params:10d} {forward * 1e3:8.2f}ms {backprop * 1e3:8.2f}ms {numeric:9.2f}s "
          f"{backprop / forward:17.1f} {numeric / backprop:19.0f}")

counts = [row[0] for row in timing_rows]
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(counts, [row[2] for row in timing_rows], "o-", label=course.tr("backprop (one forward + one backward)"))
ax.plot(counts, [row[3] for row in timing_rows], "s-", label=course.tr("numerical (two forward passes per parameter)"))
ax.set(xscale="log", yscale="log", xlabel=course.tr("number of parameters"), ylabel=course.tr("seconds per gradient"),
       title=course.tr("Cost of one gradient of the two-layer network"))
ax.legend()
plt.show()
print("Notice: the numerical line climbs steeply with the number of parameters (the forward pass "
      "itself grows too); backprop stays a few forward passes' worth, thousands of times cheaper.")

# %% [markdown]
# Backprop costs a small constant number of forward passes: the table shows a ratio of
# about 2, a little less for the smallest networks, where Python's fixed cost per call
# weighs most. The numerical gradient's cost grows with the number of parameters: already
# thousands of times slower for these toy networks, and hopeless for the millions of weights of
# a real one. Backprop does pay in memory: every layer keeps its input (or mask, or output)
# until the backward pass has used it. `tf.GradientTape` makes the same trade, which is why
# training needs far more memory than prediction.
#
# ## Summary
#
# - A computational graph splits a calculation into nodes. The backward pass sends the
#   gradient from the output to the inputs, and each node multiplies it by its local
#   derivative (the chain rule). A multiply node sends each input `dout` times the other
#   input. An add node passes `dout` on unchanged.
# - Each layer caches in `forward` what its `backward` needs: `Relu` a mask, `Sigmoid` its
#   output ($y(1-y)$), `Affine` its input ($dW = x^\top\,dout$, $db = \sum_n dout$,
#   $dx = dout\,W^\top$). Each gradient has the shape of what it belongs to.
# - Softmax with cross-entropy has the gradient $(y - t)/N$. With a sigmoid, cross-entropy
#   gives $p - y$ while squared error gives $2(p-y)p(1-p)$, which vanishes when the model is
#   confidently wrong. That is why classifiers use cross-entropy.
# - A gradient check compares backprop with numerical differences and with the tape,
#   using the largest entrywise relative error. Use shapes where every size differs.
# - One forward plus one backward pass costs a few forward passes for *all* parameters;
#   numerical differences cost two forward passes *per* parameter.
#
# ## Try it
#
# 1. In §5's gradient-check cell, change `n, d, m = 4, 3, 5` to `n, d, m = 3, 3, 3` and add a
#    row for a classic mistake just before the table is printed:
#    `rows.append(("dW transposed", affine.dW.T, rows[3][2], rows[3][3]))`. Predict its two
#    relative errors, then run. Now go back to 4, 3, 5: what happens to that row, and why is a
#    square case alone a poor test?
# 2. In §6, train with `learning_rate = 0.05` instead of 0.5. Predict the held-out accuracy
#    after 20 epochs, then run the cell. How many epochs would it need to catch up?
# 3. In §6, build the network with `weight_init_std=1.0`. Predict what happens to the first
#    epoch's loss, then look at the curves. Why do large starting weights hurt here?
# 4. In §6's training cell, right after `network = TwoLayerNet(...)`, replace the hidden
#    activation with a sigmoid: `network.relu = Sigmoid()` (use the attribute name your class
#    gives its `Relu` layer). Predict which network is ahead after 20 epochs, run, and explain
#    it with §2's remark that $y(1-y) \le \tfrac14$.
# 5. In §5, set `h=1e-2` and then `h=1e-9` in `numerical_gradient`, and run the
#    gradient-check table again. Which rows change, and why does one kind of layer not care?
