# %% [markdown]
# # Lab 02 — From one layer to `keras.Sequential`
#
# In lab 01 you wrote one dense layer, a row of perceptrons. A neural network is several such
# layers in a row, each one feeding the next. Keras calls that arrangement a `Sequential` model.
# This lab builds networks with it, counts their parameters, and shows what goes wrong when the
# layers have no non-linearity between them.
#
# **Goals**
# - stack `Dense` layers into `keras.Sequential`: a network with one hidden layer, then a deep one;
# - count a network's weights and biases with a formula and compare with `model.count_params()`;
# - prove that a stack of layers without activations is just one linear layer, by collapsing it
#   into a single `(W, b)`;
# - watch a linear model fail on data that no straight line separates while a small ReLU
#   network succeeds, and draw both decision boundaries.
#
# **Time:** about 45 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt
import numpy as np

import course
import course.data

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import keras
from keras import layers

from course import plots
from course.checks import lab02_sequential as checks

print(course.environment_line())

# %% [markdown]
# ## 1. Layers in a row
#
# `keras.layers.Dense(units, activation=...)` is the `MyDenseLayer` of lab 01 with any number of
# units and any activation: it maps a batch of shape `(n, d)` to `(n, units)` by computing
# $g(\text{inputs}\,W + b)$. A network with **one hidden layer** feeds the inputs to a hidden
# layer of $h$ units and the hidden layer's outputs to an **output layer**:
#
# $$z^{(1)} = x\,W^{(1)} + b^{(1)}, \qquad a^{(1)} = g\big(z^{(1)}\big), \qquad
# \hat y = a^{(1)}\,W^{(2)} + b^{(2)},$$
#
# with $W^{(1)}$ of shape $(d, h)$ and $W^{(2)}$ of shape $(h, k)$ for $k$ outputs. As in lab 01,
# $z$ is the **pre-activation**, the weighted sum plus bias, and $a = g(z)$ is the
# **activation**, what the hidden layer passes on. The hidden layer is "hidden" because nobody
# supervises its values directly; only $\hat y$ is compared with a target.
#
# Here the output layer gets **no activation**: it returns raw scores (also called *logits*),
# any real numbers. Lab 03 turns scores into probabilities.
#
# Calling one layer on the output of the other is all a network does. `keras.Sequential` does
# the chaining for you; its list starts with `keras.Input(shape=(d,))`, which tells Keras the
# input size so that every weight can be created straight away.

# %%
course.set_seed(42)
hidden_layer = layers.Dense(4, activation="relu")
output_layer = layers.Dense(2)
x_batch = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")

by_hand = output_layer(hidden_layer(x_batch))  # (5, 3) -> (5, 4) -> (5, 2)
stacked = keras.Sequential([keras.Input(shape=(3,)), hidden_layer, output_layer])
print("shapes:", x_batch.shape, "->", tuple(by_hand.shape))
print("largest difference, by hand vs Sequential:",
      float(np.max(np.abs(np.asarray(by_hand) - np.asarray(stacked(x_batch))))))

# %% [markdown]
# **Your turn.** Write `build_single_layer_model(n_inputs, n_hidden, n_outputs)`: a
# `keras.Sequential` that starts with `keras.Input`, has one hidden `Dense` layer with a ReLU
# activation and an output `Dense` layer with no activation.

# %% nbgrader={"grade": false, "grade_id": "build_single_layer_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_single_layer_model(n_inputs, n_hidden, n_outputs):
    """A network with one hidden layer: inputs -> Dense(n_hidden, ReLU) -> Dense(n_outputs).

    Args:
        n_inputs: int, number of input features d; inputs have shape (n, d), float32.
        n_hidden: int, units in the hidden layer, which uses the ReLU activation.
        n_outputs: int, units in the output layer, which has no activation (raw scores).

    Returns:
        A keras.Sequential model that starts with keras.Input(shape=(n_inputs,)) and maps
        inputs of shape (n, n_inputs) to outputs of shape (n, n_outputs).
    """
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(n_inputs,)),
        layers.Dense(n_hidden, activation="relu"),
        layers.Dense(n_outputs),
    ])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_build_single_layer_model", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_build_single_layer_model(build_single_layer_model)
### BEGIN HIDDEN TESTS
checks.check_build_single_layer_model(build_single_layer_model, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# `model.summary()` lists the layers with their output shapes and parameter counts. `None` in
# a shape stands for the batch size, which can be anything.

# %%
course.set_seed(42)
model = build_single_layer_model(2, 3, 1)
model.summary()

# %% [markdown]
# ## 2. Deep networks
#
# A **deep** network has several hidden layers: each one takes the previous layer's outputs as
# its inputs. Nothing else changes: the list given to `keras.Sequential` just gets longer.
#
# **Your turn.** Write `build_deep_model(n_inputs, hidden_sizes, n_outputs)` with one hidden
# ReLU layer per entry of the list `hidden_sizes`, in order, followed by the output layer (no
# activation). With `hidden_sizes=[]` there is no hidden layer at all: the model is one `Dense`
# layer, a purely linear model; section 5 uses it.

# %% nbgrader={"grade": false, "grade_id": "build_deep_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_deep_model(n_inputs, hidden_sizes, n_outputs):
    """A network with one hidden ReLU layer per entry of hidden_sizes, then a linear output layer.

    Args:
        n_inputs: int, number of input features d; inputs have shape (n, d), float32.
        hidden_sizes: list of ints, the units of each hidden layer in order (may be empty);
            do not modify this list.
        n_outputs: int, units in the output layer, which has no activation (raw scores).

    Returns:
        A keras.Sequential model that starts with keras.Input(shape=(n_inputs,)) and maps
        inputs of shape (n, n_inputs) to outputs of shape (n, n_outputs).
    """
    ### BEGIN SOLUTION
    model = keras.Sequential()
    model.add(keras.Input(shape=(n_inputs,)))
    for units in hidden_sizes:
        model.add(layers.Dense(units, activation="relu"))
    model.add(layers.Dense(n_outputs))
    return model
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_build_deep_model", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_build_deep_model(build_deep_model)
### BEGIN HIDDEN TESTS
checks.check_build_deep_model(build_deep_model, seed=2)
### END HIDDEN TESTS

# %% [markdown]
# Each layer's output size is the next layer's input size. (If you wrote the ReLU as a layer of
# its own, `layers.ReLU()` or `layers.Activation("relu")`, it shows up here as a layer with no
# weights: it only applies $g$.)

# %%
course.set_seed(42)
deep_model = build_deep_model(2, [16, 16], 1)
for layer in deep_model.layers:
    weights = ", ".join(f"{v.name} {tuple(v.shape)}" for v in layer.weights) or "no weights"
    activation = getattr(layer, "activation", layer)  # a ReLU layer is its own activation
    activation = getattr(activation, "__name__", type(activation).__name__)
    print(f"{layer.name:12s} {weights:30s} activation {activation}")

# %% [markdown]
# ## 3. Counting parameters
#
# A `Dense` layer from $a$ inputs to $m$ units holds an $a \times m$ kernel and $m$ biases:
# $(a + 1)\,m$ numbers. A whole network with layer sizes
# $s_0 = d, s_1, \dots, s_L = k$ (inputs, hidden layers, outputs) has
#
# $$\sum_{l=1}^{L} (s_{l-1} + 1)\, s_l \ \text{ parameters.}$$
#
# For example a digit classifier with 784 inputs, 128 hidden units and 10 outputs has
# $(784 + 1) \cdot 128 + (128 + 1) \cdot 10 = 101{,}770$ of them. Almost all sit in the
# first layer, because it sees every input.
#
# **Your turn.** Write `count_dense_params(n_inputs, hidden_sizes, n_outputs)` from the
# formula, for the network `build_deep_model` would build — without building it.

# %% nbgrader={"grade": false, "grade_id": "count_dense_params", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_dense_params(n_inputs, hidden_sizes, n_outputs):
    """Number of weights plus biases of build_deep_model(n_inputs, hidden_sizes, n_outputs).

    Args:
        n_inputs: int, number of input features.
        hidden_sizes: list of ints, units of each hidden layer (may be empty); not modified.
        n_outputs: int, units in the output layer.

    Returns:
        int, the total number of parameters.
    """
    ### BEGIN SOLUTION
    sizes = [n_inputs, *hidden_sizes, n_outputs]
    return int(sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_count_dense_params", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_count_dense_params(count_dense_params)
### BEGIN HIDDEN TESTS
checks.check_count_dense_params(count_dense_params, seed=9)
### END HIDDEN TESTS

# %% [markdown]
# The formula against Keras's own count for a few networks:

# %%
for n_inputs, hidden_sizes, n_outputs in [(2, [3], 1), (2, [16, 16], 1), (784, [128], 10), (784, [256, 128, 64], 10)]:
    keras_count = build_deep_model(n_inputs, hidden_sizes, n_outputs).count_params()
    formula_count = int(np.asarray(count_dense_params(n_inputs, hidden_sizes, n_outputs)).item())
    print(f"{n_inputs} -> {hidden_sizes} -> {n_outputs}: formula {formula_count:>7,}, Keras {keras_count:>7,}")

# %% [markdown]
# ## 4. Without activations, depth buys nothing
#
# Take two `Dense` layers with no activation. Feeding one into the other gives
#
# $$(x\,W_1 + b_1)\,W_2 + b_2 = x\,(W_1 W_2) + (b_1 W_2 + b_2),$$
#
# which is again one linear layer, with kernel $W = W_1 W_2$ and bias $b = b_1 W_2 + b_2$.
# Repeat the argument and *any* number of activation-free layers collapses into a single one:
# stacking them adds parameters but no power. The activation function between the layers is
# what stops this collapse.
#
# **Your turn.** Write `collapse_linear_stack(dense_layers)`: given the `Dense` layers of a
# stack without activations, in order (for example `model.layers` of such a `Sequential`),
# return the one `(W, b)` that computes the same map. Read a layer's weights with
# `layer.kernel.numpy()` and `layer.bias.numpy()` (or `layer.get_weights()`), and do not change
# them.

# %% nbgrader={"grade": false, "grade_id": "collapse_linear_stack", "locked": false, "schema_version": 3, "solution": true, "task": false}
def collapse_linear_stack(dense_layers):
    """One linear map (W, b) equal to a stack of Dense layers without activations.

    Args:
        dense_layers: list of built keras.layers.Dense layers with no activation, in order;
            layer i has a kernel of shape (d_i, d_{i+1}) and a bias of shape (d_{i+1},).

    Returns:
        W: NumPy array of shape (d_0, d_L), the combined kernel.
        b: NumPy array of shape (d_L,), the combined bias, so that for inputs x of shape
            (n, d_0), x @ W + b equals the stack's output, shape (n, d_L).
    """
    ### BEGIN SOLUTION
    first = dense_layers[0]
    W = first.kernel.numpy().astype(np.float64)
    b = first.bias.numpy().astype(np.float64)
    for layer in dense_layers[1:]:
        kernel = layer.kernel.numpy().astype(np.float64)
        W = W @ kernel
        b = b @ kernel + layer.bias.numpy()
    return W, b
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_collapse_linear_stack", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_collapse_linear_stack(collapse_linear_stack)
### BEGIN HIDDEN TESTS
checks.check_collapse_linear_stack(collapse_linear_stack, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# A three-layer network without activations, and the single layer it really is:

# %%
course.set_seed(42)
linear_stack = keras.Sequential(
    [keras.Input(shape=(2,)), layers.Dense(8), layers.Dense(8), layers.Dense(1)]
)
W, b = collapse_linear_stack(linear_stack.layers)
W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64).reshape(-1)
x_check = np.random.default_rng(1).normal(size=(1000, 2)).astype("float32")
print(f"{linear_stack.count_params()} parameters in the stack, {W.size + b.size} in the collapsed layer")
print("largest difference between the stack and x @ W + b:",
      float(np.max(np.abs(np.asarray(linear_stack(x_check)) - (x_check @ W + b)))))

# %% [markdown]
# ## 5. Why the non-linearity matters
#
# Here is a data set of two interleaved classes: class 1 around the top-left and bottom-right
# corners, class 0 around the other two — the XOR pattern of lab 01 with noise added. No
# straight line puts the two classes on different sides. We keep the last 200 points aside as
# **held-out** (validation) data, to measure how well each model does on points it never
# trained on.

# %%
x, y = course.data.make_xor_blobs(800, noise=0.4, seed=0)
x_train, y_train = x[:600], y[:600]
x_val, y_val = x[600:], y[600:]

plt.scatter(x_train[:, 0], x_train[:, 1], c=y_train, cmap="RdBu", edgecolors="k")
plt.title(course.tr("XOR blobs: class 1 (blue) on opposite corners"))
plt.xlabel(course.tr("$x_1$"))
plt.ylabel(course.tr("$x_2$"))
plt.show()

# %% [markdown]
# Two models, trained with the same recipe: a linear one (`build_deep_model(2, [], 1)`, a
# single `Dense` layer; by section 4, as strong as any activation-free stack) and a ReLU network
# with two hidden layers of 16 units. Training is the topic of labs 03 and 04; for now,
# `compile` picks a loss and an optimizer and `fit` adjusts the weights. Both models output a
# score; a positive score means class 1.

# %%
def train_xor_model(model):
    """Train a one-output model on (x_train, y_train); return its held-out accuracy."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.02),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=0)
    scores = np.asarray(model(x_val)).ravel()
    return float(np.mean((scores > 0) == (y_val == 1)))


course.set_seed(42)
linear_model = build_deep_model(2, [], 1)
linear_accuracy = train_xor_model(linear_model)
course.set_seed(42)
relu_model = build_deep_model(2, [16, 16], 1)
relu_accuracy = train_xor_model(relu_model)
print(f"held-out accuracy: linear {linear_accuracy:.1%}, ReLU network {relu_accuracy:.1%}")

# %% [markdown]
# The linear model's boundary is a straight line, and however it is placed, each side keeps
# plenty of points of both classes: training leaves it near 50 %, no better than a coin toss.
# The ReLU network bends its boundary around the corners. (The shading is the sigmoid of the score, the predicted
# probability of class 1, and the black line is where it crosses 0.5.)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, trained, name, accuracy in [(axes[0], linear_model, "linear model", linear_accuracy),
                                    (axes[1], relu_model, "ReLU network [16, 16]", relu_accuracy)]:
    plots.plot_decision_boundary(lambda grid, m=trained: keras.ops.sigmoid(m(grid)), x_val, y_val, ax=ax)
    ax.set_title(f"{name}: {accuracy:.0%} held-out")
plt.show()

# %% [markdown]
# The check below builds a fresh `build_deep_model(2, [16, 16], 1)`, trains it on new XOR
# data, and asks for at least 90 % held-out accuracy.

# %% nbgrader={"grade": true, "grade_id": "check_xor_accuracy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_xor_accuracy(build_deep_model)
### BEGIN HIDDEN TESTS
checks.check_xor_accuracy(build_deep_model, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - `keras.Sequential([keras.Input(shape=(d,)), layers.Dense(...), ...])` chains layers: each
#   layer's output is the next layer's input. Hidden layers get a non-linear activation (here
#   ReLU); the output layer returns raw scores.
# - A `Dense` layer from $a$ inputs to $m$ units has $(a + 1)\,m$ parameters; a network's
#   count is the sum over its layers, which is what `model.count_params()` reports.
# - Without activations, any stack of layers equals one layer:
#   $W = W_1 W_2 \cdots$, and each bias is carried through the later kernels.
# - On data that no line separates, a linear model stays near chance, while a small ReLU
#   network draws a bent boundary and classifies held-out points well.
#
# ## Try it
#
# Not graded, and each takes one edit and one re-run of a few seconds. Before you run, write
# down what you expect; afterwards, explain what you see. Undo the edit when you are done.
#
# 1. **Read a summary before you see it.** In the `model.summary()` cell of §1, build
#    `build_single_layer_model(2, 30, 1)` instead. Work out the `Param #` of each layer and the
#    total with $(a + 1)\,m$ first, then run and compare.
# 2. **Twice as wide.** In the comparison cell of §3, add `(784, [256], 10)` to the list. Is the
#    count exactly twice the 101,770 of `(784, [128], 10)`? Predict the number, then explain
#    the small gap: which parameters do not double when the hidden layer does?
# 3. **Break the collapse.** In the demo cell of §4, give the middle layer an activation:
#    `layers.Dense(8, activation="relu")`. Your `collapse_linear_stack` still returns some
#    `(W, b)`. Predict what happens to the "largest difference" line, and explain why no single
#    `(W, b)` can match this stack on every input.
# 4. **Too small a step.** In the training cell of §5, change `learning_rate=0.02` to `0.0002`
#    inside `train_xor_model`. Predict both held-out accuracies. The ReLU network still *can*
#    draw the bent boundary; what stops it from getting there in 10 epochs? (Lab 05 is about
#    choosing this number.)
#
# Next, lab 03 turns scores into probabilities and measures how wrong a prediction is: the loss.
