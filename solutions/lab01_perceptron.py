# %% [markdown]
# # Lab 01 — The perceptron
#
# A neural network is built from one small unit repeated many times: the **perceptron**.
# In this lab you write one from scratch, then the activation functions it can use, then
# logic gates made of perceptrons, and finally a Keras layer that is a whole row of them.
#
# **Goals**
# - compute a perceptron's output: dot product, plus bias, through a non-linearity;
# - write the sigmoid, tanh and ReLU activations and see their shapes;
# - compare them with the perceptron's original step function and with Leaky ReLU, and see from
#   their slopes why gradient descent needs an activation whose slope is not 0 (and how a ReLU
#   unit can die);
# - build AND, OR and NAND from single perceptrons, and XOR from two layers of them; see the
#   region each unit of the XOR network carves out of the plane, and add two bits with gates;
# - write `MyDenseLayer(input_dim, output_dim)` as a Keras 3 layer and compare it with
#   `keras.layers.Dense`.
#
# **Time:** about 40 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
import numpy as np

import course

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import keras
from keras import layers

from course import plots
from course.checks import lab01_perceptron as checks

print(course.environment_line())

# %% [markdown]
# ## 1. Three steps: dot product, bias, non-linearity
#
# A perceptron takes inputs $x_1, \dots, x_m$, multiplies each by a weight $w_i$, adds the
# products up, adds one more number, the **bias** $w_0$ (think of it as the weight of an input
# that is always 1), and passes the total $z$ through an **activation function** $g$:
#
# $$\hat y = g\Big(w_0 + \sum_{i=1}^m x_i w_i\Big) = g(w_0 + \mathbf{x}^\top \mathbf{w}).$$
#
# The lecture's example has $w_0 = 1$ and $\mathbf{w} = (3, -2)$, so
# $z = 1 + 3x_1 - 2x_2$. Everything on one side of the line $z = 0$ gets $\hat y > 0.5$,
# everything on the other side $\hat y < 0.5$. For the input $(-1, 2)$:

# %%
x_example = np.array([-1.0, 2.0])
w_example = np.array([3.0, -2.0])
b_example = 1.0

z_example = x_example @ w_example + b_example  # 1 + 3*(-1) - 2*2 = -6
print("z =", z_example, "-> g(z) =", 1 / (1 + np.exp(-z_example)))

# %% [markdown]
# The activation used here is the **sigmoid**, $\sigma(z) = \dfrac{1}{1 + e^{-z}}$, which squashes
# any real number into $(0, 1)$ — handy when the output should read as a probability.
#
# **Your turn.** Write `sigmoid(z)` for a NumPy array `z` of any shape (applied element by
# element), then `perceptron(x, w, b)`.

# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid(z):
    """Logistic function, element-wise.

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape as z, every value in (0, 1).
    """
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_sigmoid", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_sigmoid(sigmoid)
### BEGIN HIDDEN TESTS
checks.check_sigmoid(sigmoid, seed=7)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "perceptron", "locked": false, "schema_version": 3, "solution": true, "task": false}
def perceptron(x, w, b):
    """Output of one perceptron with a sigmoid activation: sigmoid(x @ w + b).

    Args:
        x: one example of shape (d,), or a batch of examples of shape (n, d).
        w: weights, shape (d,).
        b: bias, a number.

    Returns:
        A number for one example, or an array of shape (n,) for a batch.
    """
    ### BEGIN SOLUTION
    return sigmoid(np.dot(x, w) + b)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_perceptron", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_perceptron(perceptron)
### BEGIN HIDDEN TESTS
checks.check_perceptron(perceptron, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# The perceptron draws a straight line through the input space. Here is the lecture's
# perceptron $\hat y = \sigma(1 + 3x_1 - 2x_2)$ coloured over the plane (blue where
# $\hat y > 0.5$, red where $\hat y < 0.5$), with the black line $z = 0$ where $\hat y = 0.5$.
# Each of the four points is labelled with the class this perceptron gives it: class 1 where
# $z > 0$, class 0 where $z < 0$. Notice that every point sits in the region of its own colour,
# and that $(-1, 2)$, the example above with $z = -6$, lies deep in the red side.

# %%
grid_points = np.array([[-3.0, -3.0], [3.0, 3.0], [-1.0, 2.0], [2.0, -1.0]])
grid_labels = np.array([0, 1, 0, 1])  # z = -2, 4, -6, 9: class 1 exactly where z > 0
print("z at the four points:", grid_points @ w_example + b_example)
plots.plot_decision_boundary(lambda x: perceptron(x, w_example, b_example), grid_points, grid_labels)
plt.title(course.tr("sigmoid(1 + 3·x1 − 2·x2)"))
plt.show()

# %% [markdown]
# ## 2. Why a non-linearity, and which one
#
# Without $g$, a perceptron is a linear function of its inputs, and so is any stack of them: a
# linear function of a linear function is still linear. Real data — the red and green points
# of the lecture that no straight line separates — need curved boundaries, and the activation
# function is what bends them. Three common choices:
#
# | name | formula | range | notes |
# |---|---|---|---|
# | sigmoid | $1 / (1 + e^{-z})$ | $(0, 1)$ | probabilities; flat for large $\lvert z \rvert$ |
# | tanh | $(e^{z} - e^{-z}) / (e^{z} + e^{-z})$ | $(-1, 1)$ | centred on 0; $\tanh(z) = 2\sigma(2z) - 1$ |
# | ReLU | $\max(0, z)$ | $[0, \infty)$ | cheap, does not saturate for $z > 0$; a unit stuck at $z < 0$ stops learning |
#
# Sigmoid and tanh flatten out for large inputs, so their slope (gradient) nearly vanishes
# there; ReLU keeps a slope of 1 for every positive input, which is why deep networks use it.
#
# **Your turn.** Write `tanh(z)` and `relu(z)`, element-wise, for arrays of any shape.

# %% nbgrader={"grade": false, "grade_id": "tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tanh(z):
    """Hyperbolic tangent, element-wise.

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape as z, every value in (-1, 1).
    """
    ### BEGIN SOLUTION
    return 2.0 * sigmoid(2.0 * np.asarray(z, dtype=np.float64)) - 1.0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_tanh", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_tanh(tanh)
### BEGIN HIDDEN TESTS
checks.check_tanh(tanh, seed=11)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu(z):
    """Rectified linear unit, element-wise: max(0, z).

    Args:
        z: array of any shape.

    Returns:
        Array of the same shape as z.
    """
    ### BEGIN SOLUTION
    return np.maximum(0.0, z)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_relu", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_relu(relu)
### BEGIN HIDDEN TESTS
checks.check_relu(relu, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# All three side by side. Notice where each one flattens out (its slope near 0) and where it
# keeps rising:

# %%
plots.plot_activations({"sigmoid": sigmoid, "tanh": tanh, "ReLU": relu})
plt.show()

# %% [markdown]
# ### The step function, Leaky ReLU, and the slopes that training needs
#
# The first perceptron (Rosenblatt's, 1958) used none of these three. Its non-linearity was a
# **step**: 1 when $z > 0$, 0 otherwise (you will use it for logic gates in §3). The sigmoid is
# a smoothed step: $\sigma(kz)$ gets closer and closer to the step as $k$ grows.
#
# Why smooth it? Training (lab 04) changes each weight according to a **slope**: nudge the
# weight a little and see how much the loss changes. By the chain rule that slope contains the
# activation's own slope $g'(z)$. The step is flat everywhere except at $z = 0$, where it jumps,
# so $g'(z) = 0$ wherever it is defined: a small nudge changes nothing, and gradient descent gets
# no signal about which way to move. The sigmoid's slope,
# $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$, is small far from 0 but never exactly 0.
#
# ReLU has the same weakness on half of its inputs: its slope is 0 for every $z < 0$. A ReLU
# unit whose $z$ is negative for *every* example outputs 0 for all of them and gets a gradient
# of exactly 0, so its weights never change again: the unit is **dead** (the "dying ReLU"
# problem; a single large update that pushes the bias far down can cause it). **Leaky ReLU**
# keeps a small slope $\alpha$ on the negative side: $g(z) = z$ for $z > 0$ and
# $g(z) = \alpha z$ for $z \le 0$, with a small $\alpha$ such as 0.01. A unit whose inputs are
# all negative then still gets a weak gradient and can come back to life (in Keras:
# `layers.LeakyReLU(negative_slope=0.01)`).
#
# Below, left: the five activations (the plot uses $\alpha = 0.1$ so that the leaky slope is
# visible); right: their slopes, which `plots.plot_function_derivatives` estimates from two
# nearby values of each function, $(g(z + h) - g(z - h)) / 2h$ (lab 04 explains this formula).

# %%
def step(z):
    """The perceptron's original activation, element-wise: 1 where z > 0, else 0."""
    return (np.asarray(z) > 0).astype(np.float64)


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU, element-wise: z where z > 0, alpha * z elsewhere."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, z, alpha * z)


five_activations = {"step": step, "sigmoid": sigmoid, "tanh": tanh, "ReLU": relu,
                    "Leaky ReLU (α = 0.1)": lambda z: leaky_relu(z, alpha=0.1)}
fig, (ax_values, ax_slopes) = plt.subplots(1, 2, figsize=(13, 4.5))
plots.plot_activations(five_activations, ax=ax_values)
plots.plot_function_derivatives(five_activations, ax=ax_slopes)
ax_slopes.set_ylim(-0.1, 1.15)
plt.show()

# %% [markdown]
# *Notice:* on the right, the step's slope is 0 everywhere but at its jump, ReLU's is 0 for all $z < 0$,
# Leaky ReLU's never drops below $\alpha$, and the sigmoid's is at most 0.25 (at $z = 0$) and
# nearly 0 beyond $\lvert z \rvert \approx 5$.
#
# **A dead unit, by hand.** Take 200 random inputs $(x_1, x_2)$ and one unit
# $z = x_1 + x_2 + b$ whose bias starts at $b = -6$. Here $x_1 + x_2$ never exceeds about 4, so
# $z < 0$ for every input. We ask the unit to learn "make your average output 1", with the loss
# $L = (\bar a - 1)^2$ where $\bar a$ is the mean of $g(z)$ over the inputs, and we train only
# the bias. Every $z$ moves one for one with $b$, so the slope of the loss is
# $dL/db = 2(\bar a - 1)\cdot\overline{g'(z)}$, with $\overline{g'(z)}$ the mean slope of the
# activation over the inputs. Gradient descent repeats $b \leftarrow b - 0.5 \cdot dL/db$, 300
# times:

# %%
x_unit = np.random.default_rng(0).normal(size=(200, 2))
print(f"largest x1 + x2 among the inputs: {x_unit.sum(axis=1).max():.2f}")


def train_bias(g, g_slope, b=-6.0, learning_rate=0.5, num_steps=300):
    """Gradient descent on b for L = (mean of g(x1 + x2 + b) - 1)^2; returns b every 100 steps."""
    biases = [b]
    for step_number in range(1, num_steps + 1):
        z = x_unit.sum(axis=1) + b
        b -= learning_rate * 2 * (np.mean(g(z)) - 1) * np.mean(g_slope(z))
        if step_number % 100 == 0:
            biases.append(b)
    return biases


for name, g, g_slope in [("ReLU", relu, lambda z: (z > 0) * 1.0),
                         ("Leaky ReLU (α = 0.01)", leaky_relu, lambda z: np.where(z > 0, 1.0, 0.01))]:
    biases = train_bias(g, g_slope)
    z_final = x_unit.sum(axis=1) + biases[-1]
    print(f"{name:21} b after 0, 100, 200, 300 steps: {', '.join(f'{b:5.2f}' for b in biases)};  "
          f"z > 0 for {np.mean(z_final > 0):.0%} of the inputs, mean output {np.mean(g(z_final)):.2f}")

# %% [markdown]
# The ReLU unit's bias never moves: all 200 slopes are 0, so every gradient is exactly 0, and
# a million more steps would not change that. The leaky unit's gradient is a hundred times
# weaker than it would be with slope 1, so for 200 steps its bias only creeps up; as soon as
# $z$ turns positive for some inputs, the full slope 1 takes over and the unit reaches its goal.

# %% [markdown]
# ## 3. Logic gates from perceptrons
#
# Swap the sigmoid for a **step**: output 1 when $\mathbf{x}^\top\mathbf{w} + b > 0$, else 0.
# With two binary inputs, such a perceptron can act as a logic gate. For example the weights
# $(1, -1)$ and bias $-0.5$ fire only for $(1, 0)$: "$x_1$ and not $x_2$".

# %%
def step_perceptron(x, weights):
    """Step perceptron: 1 where x @ w + b > 0, else 0. x: (n, 2); weights: (w, b)."""
    w, b = weights
    w = np.asarray(w, dtype=np.float64).reshape(-1)  # any pair of weights: a list, (2,) or (2, 1)
    b = np.asarray(b, dtype=np.float64).item()  # a number, or an array holding one
    return (np.asarray(x) @ w + b > 0).astype(int)


binary_inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
print("x1 and not x2:", step_perceptron(binary_inputs, (np.array([1.0, -1.0]), -0.5)))

# %% [markdown]
# **Your turn.** Choose a pair `(w, b)` — `w` a NumPy array of two weights, `b` a number — for
# each gate so that the step perceptron above reproduces its truth table:
#
# | $x_1$ | $x_2$ | AND | OR | NAND |
# |---|---|---|---|---|
# | 0 | 0 | 0 | 0 | 1 |
# | 0 | 1 | 0 | 1 | 1 |
# | 1 | 0 | 0 | 1 | 1 |
# | 1 | 1 | 1 | 1 | 0 |

# %% nbgrader={"grade": false, "grade_id": "gate_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
AND_WEIGHTS = None  # replace each None by (np.array([w1, w2]), b)
OR_WEIGHTS = None
NAND_WEIGHTS = None
### BEGIN SOLUTION
AND_WEIGHTS = (np.array([0.5, 0.5]), -0.7)
OR_WEIGHTS = (np.array([0.5, 0.5]), -0.2)
NAND_WEIGHTS = (np.array([-0.5, -0.5]), 0.7)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "check_gate_weights", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_gate_weights(AND_WEIGHTS, OR_WEIGHTS, NAND_WEIGHTS)

# %% [markdown]
# **XOR** (1 when exactly one input is 1) is different: its two "1" corners sit diagonally
# opposite each other, and no single straight line separates them from the two "0" corners.
# A brute-force search over a grid of weights and biases finds perceptrons for AND but none
# for XOR:

# %%
xor_table = np.array([0, 1, 1, 0])
candidates = np.arange(-2.0, 2.01, 0.25)
matches = {"AND": 0, "XOR": 0}
for w1 in candidates:
    for w2 in candidates:
        for b in candidates:
            outputs = step_perceptron(binary_inputs, (np.array([w1, w2]), b))
            matches["AND"] += np.array_equal(outputs, [0, 0, 0, 1])
            matches["XOR"] += np.array_equal(outputs, xor_table)
print("single perceptrons that compute each gate:", matches)

# %% [markdown]
# Two layers do it: XOR is "OR and NAND" — the first layer computes OR and NAND of the inputs,
# the second layer ANDs them. This is the first multi-layer network of the course, and the
# reason stacking layers adds power.

# %%
def xor_gate(x):
    """XOR of binary inputs x: (n, 2), from two layers of step perceptrons."""
    hidden = np.stack([step_perceptron(x, OR_WEIGHTS), step_perceptron(x, NAND_WEIGHTS)], axis=1)
    return step_perceptron(hidden, AND_WEIGHTS)


print("XOR from two layers:", xor_gate(binary_inputs), "expected:", xor_table)

# %% [markdown]
# Where in the plane does this network answer 1? Give it every point, not only the four
# corners. Each hidden unit draws one straight line and fires on one side of it: OR on the side
# of $(0, 1)$, $(1, 0)$ and $(1, 1)$, NAND on the side of $(0, 0)$, $(0, 1)$ and $(1, 0)$. The
# output unit ANDs the two, so it fires only where both do. Below, each panel shades the plane
# by one unit's output (blue 1, red 0) and colours the four corners by that gate's truth table:

# %%
def or_unit(x):
    return step_perceptron(x, OR_WEIGHTS)


def nand_unit(x):
    return step_perceptron(x, NAND_WEIGHTS)


panels = [(course.tr("hidden unit 1: OR"), or_unit, [0, 1, 1, 1]),
          (course.tr("hidden unit 2: NAND"), nand_unit, [1, 1, 1, 0]),
          (course.tr("output: AND(OR, NAND) = XOR"), xor_gate, xor_table)]
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
for ax, (name, unit, truth_table) in zip(axes, panels):
    plots.plot_decision_boundary(unit, binary_inputs, np.array(truth_table), ax=ax, padding=0.75)
    ax.set_title(name)
plt.show()

# %% [markdown]
# *Notice:* each hidden unit cuts the plane with a single line, and every corner lies in the
# region of its own colour; the output keeps only the region between the two lines, which holds
# $(0, 1)$ and $(1, 0)$ but neither $(0, 0)$ nor $(1, 1)$.
#
# Gates are where computers start. With XOR and AND you can add two bits: the sum bit is
# $x_1$ XOR $x_2$ and the carry bit is $x_1$ AND $x_2$ (a **half adder**). Chaining such adders
# adds numbers of any length, and NAND on its own is enough to build every other gate, so
# networks of step perceptrons can in principle compute anything a computer can. What they
# cannot do is *learn* their weights by gradient descent, for the reason seen in §2: the step
# has no useful slope.

# %%
def half_adder(x):
    """Add two bits with perceptrons only. x: (n, 2) of 0/1; returns (n, 2): carry, sum."""
    return np.stack([step_perceptron(x, AND_WEIGHTS), xor_gate(x)], axis=1)


for (x1, x2), (carry, bit) in zip(binary_inputs, half_adder(binary_inputs)):
    print(f"{x1} + {x2} = {carry}{bit} in binary = {2 * carry + bit}")

# %% [markdown]
# ## 4. A layer of perceptrons: `MyDenseLayer`
#
# Put `output_dim` perceptrons side by side, all reading the same `input_dim` inputs, and you
# have a **dense** (fully connected) layer. Their weight vectors become the columns of a matrix
# $W$ of shape `(input_dim, output_dim)`, their biases a vector $b$ of shape `(output_dim,)`,
# and a whole batch of inputs of shape `(n, input_dim)` goes through in one matrix product:
#
# $$\text{output} = \sigma(\text{inputs}\, W + b), \qquad \text{shape } (n, \text{output\_dim}).$$
#
# In Keras 3 a layer is a class with four parts:
# - `__init__`: check and store the configuration (here `input_dim`, `output_dim`);
# - `build(input_shape)`: create the weights once with
#   `self.add_weight(shape=..., initializer=..., name=...)`;
# - `call(inputs)`: the forward pass, written with `keras.ops` (or TensorFlow) operations so
#   that gradients flow back to the weights;
# - `get_config()`: the arguments needed to make the same layer again.
#
# **Your turn.** Write `MyDenseLayer`. Initialise `W` with `"glorot_uniform"` and `b` with
# `"zeros"`.

# %% nbgrader={"grade": false, "grade_id": "MyDenseLayer", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyDenseLayer(keras.layers.Layer):
    """A dense layer of sigmoid perceptrons.

    Args:
        input_dim: number of input features d; inputs have shape (n, d).
        output_dim: number of perceptrons k; outputs have shape (n, k).
    """

    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        if int(input_dim) < 1 or int(output_dim) < 1:
            raise ValueError("input_dim and output_dim must be positive integers")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        self.W = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer="glorot_uniform", name="W"
        )
        self.b = self.add_weight(shape=(self.output_dim,), initializer="zeros", name="b")
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        z = keras.ops.matmul(inputs, self.W) + self.b
        return keras.ops.sigmoid(z)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim}
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_MyDenseLayer", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_my_dense_layer(MyDenseLayer)
### BEGIN HIDDEN TESTS
checks.check_my_dense_layer(MyDenseLayer, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Your layer and Keras's own `Dense` layer compute the same thing. Give a `Dense` layer with a
# sigmoid activation the same weights and compare the outputs on one batch:

# %%
course.set_seed(42)
my_layer = MyDenseLayer(3, 2)
x_batch = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
my_output = my_layer(x_batch)

# Find your W and b by their shapes, whatever their names or the order you created them in.
my_weights = list(my_layer.trainable_weights)
my_W = next(v for v in my_weights if tuple(v.shape) == (3, 2))
my_b = next(v for v in my_weights if v is not my_W)

keras_layer = layers.Dense(2, activation="sigmoid")
keras_layer.build((None, 3))
keras_layer.set_weights([my_W.numpy(), my_b.numpy().reshape(-1)])
keras_output = keras_layer(x_batch)

print("output shape:", tuple(my_output.shape))
print("largest difference:", float(np.max(np.abs(np.asarray(my_output) - np.asarray(keras_output)))))

# %% [markdown]
# ## Summary
#
# - A perceptron computes $g(\mathbf{x}^\top\mathbf{w} + b)$: a dot product, a bias and a
#   non-linearity. Without the non-linearity, any stack of layers collapses to one linear map.
# - Sigmoid squashes into $(0, 1)$, tanh into $(-1, 1)$, ReLU keeps positive values as they are.
# - Gradient descent follows slopes: the perceptron's original step has slope 0 everywhere but
#   at its jump, so it gives no signal, and a ReLU unit whose $z$ is negative on every example gets a zero
#   gradient forever (a dead unit). Leaky ReLU's slope $\alpha$ (e.g. 0.01) for $z \le 0$ keeps
#   such a unit learning.
# - One perceptron draws one straight line: enough for AND, OR and NAND, not for XOR. Two
#   layers compute XOR: the output keeps the region between the hidden units' two lines. Gates
#   combine into adders and, in principle, into any computation.
# - A dense layer is many perceptrons at once, `sigmoid(inputs @ W + b)`; in Keras 3 you
#   create its weights in `build`, compute in `call` and describe it in `get_config`.
#
# ## Try it
#
# Not graded, and each takes one edit and one re-run. Before you run, write down what you
# expect; afterwards, explain what you see. Undo the edit when you are done.
#
# 1. **Flip the perceptron.** In the plot cell of §1, change the `lambda` to
#    `perceptron(x, -w_example, -b_example)`. Predict: does the black line move? What happens
#    to the colours, and how many of the four points are now on the wrong side? (Hint:
#    $\sigma(-z) = 1 - \sigma(z)$.)
# 2. **Sharpen the sigmoid.** In the same cell, use `perceptron(x, 10 * w_example,
#    10 * b_example)`. The line $z = 0$ stays where it is, since multiplying $z$ by 10 does not
#    change its sign, but the shading changes: how, and why does the perceptron now look almost
#    like the step perceptron of §3?
# 3. **Check an identity.** In the first plot cell of §2 (sigmoid, tanh and ReLU), add the entry
#    `"2·sigmoid(2z) − 1": lambda z: 2 * sigmoid(2 * z) - 1` to the dictionary. According to
#    the table in §2, which of the other curves should disappear exactly under the new one?
# 4. **A finer search for XOR.** In the brute-force cell of §3, change the step of
#    `candidates` from `0.25` to `0.1` (41 values instead of 17, so about 14 times as many
#    perceptrons; still about a second). Predict both counts before you run. Why can no
#    grid, however fine, ever find a perceptron for XOR?
# 5. **Not quite dead.** In the dead-unit cell of §2, change the starting bias in `train_bias`
#    from `b=-6.0` to `b=-3.0`. Now $z > 0$ for only 3 of the 200 inputs. Predict: does the ReLU
#    unit learn this time, and where is its bias after 100 steps? What exactly has to be true
#    for a ReLU unit to be dead?
#
# Next, lab 02 stacks such layers with `keras.Sequential`.
