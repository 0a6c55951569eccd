# %% [markdown]
# # Lab 04 — Gradients and the training loop
#
# Training a network means walking downhill on its loss, and the direction downhill is
# given by the gradient. This lab computes gradients three ways and checks that they
# agree, then uses them: first in plain gradient descent, then in a Keras training step,
# then in a mini-batch training loop of the kind `model.fit` runs for you.
#
# **Goals**
# - approximate a gradient with the central difference, `numerical_gradient(f, x, h=1e-4)`,
#   and see on a log-log plot how its error depends on the step $h$;
# - get the same gradient from `tf.GradientTape`, and once more from the chain rule by hand
#   for a single sigmoid neuron;
# - write `gradient_descent(loss_fn, w0, learning_rate, num_steps)` and follow its path;
# - write a `@tf.function` `train_step(model, optimizer, loss_fn, x, y)`;
# - write `train_loop(...)`, which reshuffles the data every epoch and returns the loss
#   history, and compare full-batch, mini-batch and single-example training;
# - see why standardized features train faster: elongated versus round contours of the loss,
#   and gradient descent's path on each.
#
# **Time:** about 65 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import matplotlib.pyplot as plt
import numpy as np

import course

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import keras
import tensorflow as tf
from keras import layers

from course import data, plots
from course.checks import lab04_gradient_tape as checks

print(course.environment_line())

# %% [markdown]
# ## 1. A derivative from two values of the function
#
# The derivative of $f$ at $x$ is the limit of a slope,
#
# $$f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}.$$
#
# A computer cannot take the limit, but it can use a small $h$. Two choices of the two
# points:
#
# - **forward difference** $\dfrac{f(x + h) - f(x)}{h}$: the slope between $x$ and a point
#   to its right. A Taylor expansion shows its error is about $\tfrac{h}{2} f''(x)$,
#   proportional to $h$.
# - **central difference** $\dfrac{f(x + h) - f(x - h)}{2h}$: the slope between two points
#   placed symmetrically around $x$. The $f''$ terms cancel, and the error is about
#   $\tfrac{h^2}{6} f'''(x)$, proportional to $h^2$.
#
# Making $h$ tiny does not help forever: $f(x + h)$ and $f(x - h)$ then agree in almost all
# of their ~16 significant digits (float64), and their difference is mostly rounding noise.
# For the central difference the two errors balance somewhere around $h = 10^{-5}$;
# $h = 10^{-4}$ is a common, safe default.
#
# Here is $f(x) = x^3$ at $x = 2$, where the exact derivative is $3 \cdot 2^2 = 12$:

# %%
def cube(x):
    return x**3


print(f"{'h':>8} {'forward error':>15} {'central error':>15}")
for h in [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-12]:
    forward = (cube(2.0 + h) - cube(2.0)) / h
    central = (cube(2.0 + h) - cube(2.0 - h)) / (2 * h)
    print(f"{h:8.0e} {abs(forward - 12):15.2e} {abs(central - 12):15.2e}")

# %% [markdown]
# The forward error shrinks ten times for every tenfold smaller $h$, the central error a
# hundred times — until rounding noise takes over. The central error is smallest near
# $h = 10^{-5}$, the forward error near $10^{-8}$, and at $h = 10^{-12}$ both are wrong in
# the third decimal.
#
# The same errors for 49 values of $h$, on log-log axes. There an error proportional to
# $h^p$ is a straight line of slope $p$; the dashed guides have slopes 1 and 2. Rounding
# noise behaves differently: $f(x \pm h)$ are each off by about $10^{-16} \cdot f(x)$, and
# dividing by $h$ turns that into an error of about $10^{-15} / h$, which *grows* as $h$
# shrinks.

# %%
steps = np.logspace(-13, -1, 49)
forward_errors = np.abs((cube(2.0 + steps) - cube(2.0)) / steps - 12)
central_errors = np.abs((cube(2.0 + steps) - cube(2.0 - steps)) / (2 * steps) - 12)
ax = plots.plot_error_vs_step(steps, {course.tr("forward difference"): forward_errors,
                                      course.tr("central difference"): central_errors},
                              slopes={course.tr("forward difference"): 1, course.tr("central difference"): 2})
ax.set(title=course.tr("error of the numerical derivative of $x^3$ at $x = 2$"), ylabel=course.tr("|estimate − 12|"))
plt.show()

# %% [markdown]
# *Notice:* on the right each curve follows its guide (slope 1 forward, slope 2 central);
# further left each one turns into a ragged line rising with slope −1, the rounding noise,
# and the bottom of each V is the best $h$: near $10^{-8}$ forward, $10^{-5}$ central.
#
# For a function of many numbers, $f(\mathbf{x})$ with $\mathbf{x}$ an array, the
# **gradient** $\nabla f$ is the array of partial derivatives $\partial f / \partial x_i$,
# one per entry, with the same shape as $\mathbf{x}$. Each partial derivative is a central
# difference in which only $x_i$ moves: nudge entry $i$ up by $h$, evaluate $f$; nudge it
# down by $h$, evaluate $f$; **put it back**; go to the next entry.
#
# **Your turn.** Write `numerical_gradient(f, x, h=1e-4)`. `np.ndindex(x.shape)` walks over
# every index of an array of any shape. Do not change the caller's `x` (work on a float64
# copy, or restore every entry).

# %% nbgrader={"grade": false, "grade_id": "numerical_gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_gradient(f, x, h=1e-4):
    """Gradient of f at x by central differences, one entry of x at a time.

    Args:
        f: function mapping a float64 array shaped like x to a scalar (a float).
        x: float64 array of any shape, the point where the gradient is taken.
            It must be unchanged when the function returns.
        h: the step, a small positive float.

    Returns:
        float64 array of the same shape as x; entry i is
        (f(x + h e_i) - f(x - h e_i)) / (2 h), where e_i is 1 at index i and 0 elsewhere.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)  # a private copy: the caller's x is never touched
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = float(f(x))
        x[index] = original - h
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_numerical_gradient", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_numerical_gradient(numerical_gradient)
### BEGIN HIDDEN TESTS
checks.check_numerical_gradient(numerical_gradient, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Automatic differentiation with `tf.GradientTape`
#
# The numerical gradient costs two evaluations of $f$ per entry of $\mathbf{x}$. A network
# with a million weights would need two million forward passes for a single step. TensorFlow
# does it differently: inside a `with tf.GradientTape() as tape:` block it records every
# operation of the forward pass, and `tape.gradient(result, sources)` walks that record
# backwards, applying the chain rule at each operation. That is **backpropagation**
# (reverse-mode automatic differentiation). One backward pass delivers the partial derivatives
# for *all* the sources at once: the loss and its whole gradient together cost a small multiple
# of one forward pass, typically two to three times, however many weights there are. The price
# is memory: the tape keeps the intermediate results of the forward pass (every layer's
# outputs, for instance) until the backward pass has used them.
#
# The tape follows `tf.Variable`s automatically; a plain tensor must be added with
# `tape.watch(...)`.

# %%
w = tf.Variable(3.0)
with tf.GradientTape() as tape:
    loss = w**2
print("d(w²)/dw at w = 3:", float(tape.gradient(loss, w)))

x_const = tf.constant(2.0)
with tf.GradientTape() as tape:
    tape.watch(x_const)  # a constant is not followed unless watched
    y_cube = x_const**3
print("d(x³)/dx at x = 2:", float(tape.gradient(y_cube, x_const)))

# %% [markdown]
# On an array, the tape returns one partial derivative per entry, just like
# `numerical_gradient`. Both on $f(\mathbf{x}) = \sum_i \sin(x_i)\, x_i^2$:

# %%
def sin_x_squared(x):
    """sum(sin(x) * x**2); works on NumPy arrays and on TensorFlow tensors."""
    return tf.reduce_sum(tf.sin(x) * x**2)


x_point = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -2.5]])
numeric = np.asarray(numerical_gradient(lambda x: float(sin_x_squared(x)), x_point), dtype=np.float64)

x_var = tf.Variable(x_point)
with tf.GradientTape() as tape:
    value = sin_x_squared(x_var)
taped = tape.gradient(value, x_var).numpy()

print("numerical:\n", numeric.round(6))
print("tf.GradientTape:\n", taped.round(6))
print("largest difference:", np.max(np.abs(numeric - taped)))

# %% [markdown]
# ## 3. The chain rule by hand: one sigmoid neuron
#
# What does the tape do on the way back? Take one neuron with two inputs, a sigmoid, and
# a squared-error loss for one example $(\mathbf{x}, y)$:
#
# $$z = \mathbf{w}^\top \mathbf{x} + b, \qquad \hat y = \sigma(z), \qquad L = (\hat y - y)^2.$$
#
# As a computational graph: $\mathbf{w}, b \to z \to \hat y \to L$. Going backwards, every
# node multiplies the derivative arriving from above by its own local derivative:
#
# - $\dfrac{\partial L}{\partial \hat y} = 2(\hat y - y)$,
# - $\dfrac{\partial \hat y}{\partial z} = \sigma(z)\,(1 - \sigma(z)) = \hat y (1 - \hat y)$,
# - $\dfrac{\partial z}{\partial \mathbf{w}} = \mathbf{x}$ and $\dfrac{\partial z}{\partial b} = 1$,
#
# so
#
# $$\frac{\partial L}{\partial \mathbf{w}} = 2(\hat y - y)\,\hat y(1 - \hat y)\,\mathbf{x},
# \qquad \frac{\partial L}{\partial b} = 2(\hat y - y)\,\hat y(1 - \hat y).$$
#
# Take the lecture's student at $[4, 5]$: 4 lectures attended, 5 hours on the final project.
# The lecture never says how this student did (it only points out that $[4, 5]$ lies where most
# past students passed), so for this exercise **suppose the student passed, $y = 1$**. With
# weights $\mathbf{w} = (0.1, -0.2)$ and $b = 0.3$, all three methods give the same three
# numbers:

# %%
x_student = np.array([4.0, 5.0])
y_student = 1.0  # an assumption for this exercise: suppose the student passed
params = np.array([0.1, -0.2, 0.3])  # (w1, w2, b)


def neuron_loss(params):
    """Squared error of one sigmoid neuron on the student above; params = (w1, w2, b)."""
    z = tf.reduce_sum(params[:2] * x_student) + params[2]
    return (tf.sigmoid(z) - y_student) ** 2


# 1. numerical
grad_numeric = np.asarray(numerical_gradient(lambda p: float(neuron_loss(p)), params), dtype=np.float64)

# 2. tf.GradientTape
params_var = tf.Variable(params)
with tf.GradientTape() as tape:
    loss = neuron_loss(params_var)
grad_tape = tape.gradient(loss, params_var).numpy()

# 3. chain rule by hand
z = params[:2] @ x_student + params[2]
y_hat = 1 / (1 + np.exp(-z))
dL_dz = 2 * (y_hat - y_student) * y_hat * (1 - y_hat)
grad_chain = np.append(dL_dz * x_student, dL_dz)

print(f"{'':12} {'dL/dw1':>12} {'dL/dw2':>12} {'dL/db':>12}")
for name, grad in [("numerical", grad_numeric), ("GradientTape", grad_tape), ("chain rule", grad_chain)]:
    print(f"{name:12} " + " ".join(f"{g:12.8f}" for g in grad))

# %% [markdown]
# The numerical gradient is the slow but simple referee: use it to test any gradient you
# derive or implement (a "gradient check"). The tape is what training uses.
#
# ## 4. Gradient descent from scratch
#
# The gradient points uphill, towards the steepest increase of the loss. Gradient descent
# takes a step the other way, scaled by the **learning rate** $\eta$, and repeats:
#
# $$\mathbf{w} \leftarrow \mathbf{w} - \eta\, \nabla L(\mathbf{w}).$$
#
# **Your turn.** Write `gradient_descent(loss_fn, w0, learning_rate, num_steps)`. Keep the
# weights in a `tf.Variable`, take each gradient with a tape, update with
# `w.assign_sub(...)`, and return the whole path: `w0` followed by the weights after each
# step.

# %% nbgrader={"grade": false, "grade_id": "gradient_descent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent(loss_fn, w0, learning_rate, num_steps):
    """Plain gradient descent, w <- w - learning_rate * gradient, with tf.GradientTape.

    Args:
        loss_fn: function mapping a tf.Variable w (shape of w0) to a scalar tensor.
        w0: float64 NumPy array of any shape, the starting point (left unchanged).
        learning_rate: the step size, a positive float.
        num_steps: how many updates to make, an int >= 0.

    Returns:
        float64 NumPy array of shape (num_steps + 1, *w0.shape): row 0 is w0, row k the
        weights after k steps.
    """
    ### BEGIN SOLUTION
    w = tf.Variable(np.array(w0, dtype=np.float64))
    path = [w.numpy()]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:  # records loss_fn's operations on w
            loss = loss_fn(w)
        w.assign_sub(learning_rate * tape.gradient(loss, w))
        path.append(w.numpy())
    return np.stack(path)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_gradient_descent", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_gradient_descent(gradient_descent)
### BEGIN HIDDEN TESTS
checks.check_gradient_descent(gradient_descent, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# A classic test function is the long, shallow valley
# $f(w_1, w_2) = \tfrac{1}{20} w_1^2 + w_2^2$: twenty times steeper across ($w_2$) than
# along ($w_1$). With a learning rate of 0.9, the steep direction overshoots and bounces
# from wall to wall while the shallow direction creeps towards the minimum at $(0, 0)$.
# Notice, on the left, the zigzag across the valley, and on the right, the loss falling
# steadily anyway:

# %%
def valley(w):
    return w[0] ** 2 / 20 + w[1] ** 2


learning_rate = 0.9
path = np.asarray(gradient_descent(valley, np.array([-7.0, 2.0]), learning_rate=learning_rate, num_steps=40),
                  dtype=np.float64)
path_losses = [float(valley(tf.constant(p))) for p in path]

fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
grid_1, grid_2 = np.meshgrid(np.linspace(-8, 8, 200), np.linspace(-3, 3, 200))
ax_path.contour(grid_1, grid_2, grid_1**2 / 20 + grid_2**2, levels=15, cmap="Greys")
ax_path.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3)
ax_path.plot(0, 0, "k+", markersize=12)
ax_path.set(xlabel=course.tr("$w_1$"), ylabel=course.tr("$w_2$"), title=f"gradient descent, learning rate {learning_rate}")
ax_loss.plot(path_losses, "o-", markersize=3)
ax_loss.set(yscale="log", xlabel=course.tr("step"), ylabel=course.tr("loss"), title=course.tr("loss along the path"))
plt.show()

# %% [markdown]
# ## 5. One training step for a Keras model
#
# For a Keras model the weights are `model.trainable_variables` (kernels and biases of all
# trainable layers), and one training step on a batch `(x, y)` is:
#
# 1. inside a tape, run the model with `training=True` (as `fit` does: layers like dropout
#    behave differently in training) and compute the loss, `loss_fn(y, predictions)`;
# 2. `grads = tape.gradient(loss, model.trainable_variables)`;
# 3. `optimizer.apply_gradients(zip(grads, model.trainable_variables))`: for
#    `keras.optimizers.SGD` this is exactly $\mathbf{w} \leftarrow \mathbf{w} - \eta\,\mathbf{g}$
#    for every variable; other optimizers (lab 05) use the gradients more cleverly;
# 4. return the loss, the one computed before the update.
#
# Decorated with `@tf.function`, the Python function is **traced** once into a TensorFlow
# graph, and later calls run the graph without going through Python line by line — much
# faster for small steps. A new trace happens for every new model or optimizer object and
# every new batch shape. Inside the traced function, use TensorFlow operations only (no
# `.numpy()`, no `float(...)`).
#
# **Your turn.** Write `train_step(model, optimizer, loss_fn, x, y)`.

# %% nbgrader={"grade": false, "grade_id": "train_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
@tf.function
def train_step(model, optimizer, loss_fn, x, y):
    """One gradient step on one batch.

    Args:
        model: a keras.Model mapping x to predictions of the shape of y.
        optimizer: a keras.optimizers.Optimizer, e.g. keras.optimizers.SGD(learning_rate=0.1).
        loss_fn: function (y_true, y_pred) -> scalar tensor, e.g. keras.losses.MeanSquaredError().
        x: float32 array or tensor of shape (batch_size, ...), the inputs.
        y: float32 array or tensor of shape (batch_size, ...), the targets.

    Returns:
        Scalar float32 tensor: loss_fn(y, model(x, training=True)) before the update.
    """
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:  # the forward pass, recorded
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_train_step", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_train_step(train_step)
### BEGIN HIDDEN TESTS
checks.check_train_step(train_step, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Back to the pass/fail data from lab 03: 200 students, features (lectures attended, hours
# on the project), label passed or not. We rescale each feature to mean 0 and standard
# deviation 1 (features far from 0 or on very different scales make one fixed learning rate
# a poor fit for all weights; §8 shows why), build a small network and take ten full-batch
# steps. Then we time 50 steps with the traced `train_step` and with its plain Python version
# (`train_step.python_function`, run eagerly, operation by operation):

# %%
x_raw, y_pass = data.load_pass_fail()
x_train = ((x_raw - x_raw.mean(axis=0)) / x_raw.std(axis=0)).astype("float32")
y_train = y_pass.reshape(-1, 1)


def build_model():
    """A small pass/fail classifier: 2 inputs -> 8 ReLU units -> 1 sigmoid output."""
    course.set_seed(0)
    return keras.Sequential([
        keras.Input((2,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


model = build_model()
optimizer = keras.optimizers.SGD(learning_rate=0.5)
loss_fn = keras.losses.BinaryCrossentropy()
for step in range(10):
    loss = train_step(model, optimizer, loss_fn, x_train, y_train)
    print(f"step {step}: loss {np.asarray(loss).item():.4f}")

for name, step_function in [("@tf.function", train_step), ("eager", train_step.python_function)]:
    start = time.perf_counter()
    for _ in range(50):
        step_function(model, optimizer, loss_fn, x_train, y_train)
    print(f"{name:>12}: {(time.perf_counter() - start) * 1000 / 50:.2f} ms per step")

# %% [markdown]
# ## 6. A mini-batch training loop
#
# One **epoch** is one pass over all training examples. Computing the gradient on all of
# them for every step is slow for big data sets, so a training loop cuts them into
# **mini-batches** and takes one step per batch; the batch gradient is a noisy but cheap
# estimate of the full one. Which examples share a batch should change from epoch to
# epoch, so the loop **shuffles** at the start of every epoch: draw a fresh permutation of
# the indices, then cut it into consecutive slices of `batch_size`. When `batch_size` does
# not divide the number of examples, the last slice is shorter; keep it, so that every
# example is used exactly once per epoch (as `fit` does).
#
# Two epochs of 10 examples in batches of 4, from one generator made once, before the first
# epoch:

# %%
rng = np.random.default_rng(0)
for epoch in range(2):
    order = rng.permutation(10)
    print(f"epoch {epoch}:", [order[start:start + 4].tolist() for start in range(0, 10, 4)])

# %% [markdown]
# The loop reports one number per epoch: the mean of the epoch's batch losses, each
# weighted by its batch size (so the short batch counts less). That is also what `fit`
# prints as `loss`. The losses are measured while the weights are still changing, so this
# is an average over the epoch, not the loss at its end.
#
# **Your turn.** Write `train_loop(model, x_train, y_train, num_epochs, batch_size,
# optimizer, loss_fn, seed)`. Make `rng = np.random.default_rng(seed)` once, draw a new
# permutation every epoch, call your `train_step` for each batch, and return the list of
# epoch losses.

# %% nbgrader={"grade": false, "grade_id": "train_loop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_loop(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    """Mini-batch training that reshuffles the examples at the start of every epoch.

    Args:
        model: a keras.Model.
        x_train: float32 NumPy array of shape (n, ...), the inputs.
        y_train: float32 NumPy array of shape (n, ...), the targets.
        num_epochs: number of passes over the data, an int >= 1.
        batch_size: examples per step, an int >= 1; the last batch of an epoch holds the
            n % batch_size leftover examples when batch_size does not divide n.
        optimizer: a keras.optimizers.Optimizer.
        loss_fn: function (y_true, y_pred) -> scalar tensor.
        seed: int; the shuffling comes from np.random.default_rng(seed), so the same seed
            gives the same batches.

    Returns:
        List of num_epochs floats: for each epoch, the mean of its batch losses weighted
        by batch size.
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)  # made once: each epoch draws a new permutation
    n = len(x_train)
    history = []
    for _ in range(num_epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = train_step(model, optimizer, loss_fn, x_train[batch], y_train[batch])
            total += float(loss) * len(batch)
        history.append(total / n)
    return history
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_train_loop", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_train_loop(train_loop)
### BEGIN HIDDEN TESTS
checks.check_train_loop(train_loop, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Full batch, mini-batch, one example at a time
#
# The batch size decides how many examples each step averages over:
#
# - **full batch** (`batch_size` = all 200): one exact gradient per epoch, one step;
# - **mini-batch** (here 32): 7 steps per epoch, each with a somewhat noisy gradient;
# - **stochastic gradient descent** in its original sense (`batch_size=1`): 200 steps
#   per epoch, each from a single example, so very noisy.
#
# Same model, same starting weights, same optimizer settings, 10 epochs each:

# %%
num_epochs = 10
histories, rows = {}, []
for label, batch_size in [("full batch", len(x_train)), ("mini-batch", 32), ("single example", 1)]:
    model = build_model()
    start = time.perf_counter()
    history = train_loop(model, x_train, y_train, num_epochs, batch_size,
                         keras.optimizers.SGD(learning_rate=0.1), keras.losses.BinaryCrossentropy(), seed=0)
    history = np.asarray(history, dtype=np.float64).ravel()  # one loss per epoch
    seconds = time.perf_counter() - start
    histories[f"{label} ({batch_size})"] = history
    rows.append((label, batch_size, -(-len(x_train) // batch_size), history[-1], seconds / num_epochs))

print(f"{'':15} {'batch size':>10} {'steps/epoch':>11} {'final loss':>10} {'s/epoch':>8}")
for label, batch_size, steps, final_loss, per_epoch in rows:
    print(f"{label:15} {batch_size:10d} {steps:11d} {final_loss:10.4f} {per_epoch:8.3f}")

ax = plots.plot_loss_curves(histories)
ax.set(title=course.tr("epoch loss for three batch sizes (SGD, learning rate 0.1)"), ylabel=course.tr("binary cross-entropy"))
plt.show()

# %% [markdown]
# Per epoch, the single-example run takes 200 steps and its loss drops fastest, but each
# epoch is also the slowest: every step has a fixed cost (a Python call, launching the
# graph), and here that cost dominates. The full batch takes one step per epoch: its epochs
# are the quickest and its curve the smoothest, but it barely moves in 10 epochs. The
# mini-batch sits in between and is what practice uses (batches of tens to hundreds). On a
# GPU a larger batch costs hardly more time per step, because the examples of a batch are
# processed in parallel; that favours larger batches, while the noise of smaller ones can
# help training escape poor regions. (The times include the one-off tracing of
# `train_step` for each new model.)

# %% [markdown]
# ## 8. Why standardize the features: the shape of the loss
#
# §5 rescaled the pass/fail features to mean 0 and standard deviation 1 before training. To
# see why that helps, take the simplest model with a weight and a bias, so that its loss is a
# map of two parameters we can draw: a straight line $\hat y = w x + b$ fitted to the pass
# labels $y$ from one feature, $x$ = lectures attended, with the mean squared error
#
# $$L(w, b) = \frac{1}{n} \sum_{i=1}^{n} (w x_i + b - y_i)^2.$$
#
# This loss is a bowl, and the data decide its shape. Changing $b$ by $\delta$ moves every
# prediction by $\delta$; changing $w$ by $\delta$ moves prediction $i$ by $\delta x_i$, and
# the lectures attended run from 0 to 12 (mean 6.4). So the bowl curves about
# $\overline{x^2} \approx 56$ times more steeply along $w$ than along $b$, and because every
# $x_i$ is positive, raising $w$ while lowering $b$ nearly cancels out: the bowl is a long,
# narrow, tilted valley (the two effects together make its steepest direction about 219 times
# as curved as its shallowest, as printed below). Gradient descent must take a learning rate small enough for the steep
# direction (on a bowl with curvature $\lambda$ along some direction, steps larger than
# $2 / \lambda$ overshoot further each time), and then it crawls along the shallow one.
#
# Standardizing, $x' = (x - \mu) / \sigma$, gives the feature mean 0 and variance 1. The
# bowl then curves equally in every direction, its contours become circles, and the gradient
# points straight at the minimum. Both panels below fit the same family of lines, since
# $w x + b = (w\sigma)\,x' + (b + w\mu)$; only the coordinates differ. Each run starts at
# $w = b = 0$ and takes 40 steps of your `gradient_descent`:

# %%
lectures = x_raw[:, 0].astype(np.float64)  # the raw feature of §5, 0 to 12 lectures
targets = y_pass.astype(np.float64)  # passed (1) or not (0)
standardized = (lectures - lectures.mean()) / lectures.std()


def line_loss(w, b, feature):
    """Mean squared error of the line w * feature + b; w and b broadcast, e.g. (m, 1) for a grid."""
    return tf.reduce_mean((w * feature + b - targets) ** 2, axis=-1)


runs = [("raw feature", lectures, 0.016), ("standardized feature", standardized, 0.3)]
fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
for ax, (name, feature, learning_rate) in zip(axes, runs):
    design = np.column_stack([feature, np.ones_like(feature)])  # one row (x_i, 1) per student
    curvatures = np.linalg.eigvalsh(2 * design.T @ design / len(feature))  # of the bowl, along its axes
    best = np.linalg.lstsq(design, targets, rcond=None)[0]  # the exact minimum (w, b)
    path = np.asarray(gradient_descent(lambda params, f=feature: line_loss(params[0], params[1], f),
                                       np.zeros(2), learning_rate=learning_rate, num_steps=40), dtype=np.float64)
    plots.plot_contours_with_path(lambda points, f=feature: line_loss(points[:, :1], points[:, 1:], f),
                                  path, ax=ax, minimum=best)
    ax.set(xlabel=course.tr("weight $w$"), ylabel=course.tr("bias $b$"), title=f"{name}: learning rate {learning_rate}")
    ratio = curvatures[1] / curvatures[0]
    print(f"{name:21} curvatures {curvatures[1]:6.2f} and {curvatures[0]:4.2f} (ratio {ratio:3.0f}),"
          f" largest stable learning rate {2 / curvatures[1]:.4f};  distance to the minimum"
          f" {np.linalg.norm(path[0] - best):.2f} at the start, {np.linalg.norm(path[-1] - best):.2g} after 40 steps")
plt.show()

# %% [markdown]
# *Notice:* on the left the contours are long thin ellipses and the path zigzags across the
# valley, then creeps along it, still far from the + after 40 steps; on the right they are
# circles and the path runs straight to the minimum, within 0.01 of it after five steps.
#
# The raw run cannot simply take bigger steps: its learning rate 0.016 is already close to
# the limit $2 / \lambda \approx 0.0176$ set by the steep direction. With several features the
# same happens whenever they have different scales or sit far from 0. Standardizing is cheap
# and done once, before training; compute $\mu$ and $\sigma$ on the training data and apply
# the same numbers to any new data. (Lab 09's batch normalization does the same inside the
# network, for the inputs of every layer.)

# %% [markdown]
# ## Summary
#
# - The central difference $(f(x+h) - f(x-h)) / 2h$ approximates a derivative with an
#   error proportional to $h^2$ (the forward difference's is proportional to $h$) until
#   rounding noise, about $10^{-16} f(x) / h$, takes over; one per entry gives a numerical gradient —
#   slow, but a trustworthy check.
# - `tf.GradientTape` records the forward pass and applies the chain rule backwards
#   (backpropagation): all the partial derivatives at once for a small multiple (about 2–3×)
#   of one forward pass, paid for with the memory the tape keeps for the backward pass. For
#   one sigmoid neuron, the hand-derived $2(\hat y - y)\,\hat y(1-\hat y)\,\mathbf{x}$ gives
#   the same numbers.
# - Gradient descent repeats $\mathbf{w} \leftarrow \mathbf{w} - \eta \nabla L$; a learning
#   rate too large for the steepest direction makes the path zigzag.
# - A training step is tape, `tape.gradient` on `model.trainable_variables`,
#   `optimizer.apply_gradients`; `@tf.function` makes it fast.
# - A training loop shuffles every epoch, steps through mini-batches (keeping the short last
#   one) and records one mean loss per epoch — what `model.fit` does for you.
# - A feature far from 0 or on a large scale stretches the loss into a narrow valley: the
#   learning rate is capped by the steep direction and progress along the shallow one is slow.
#   Standardizing the features, $(x - \mu)/\sigma$, makes the contours round and the path
#   straight.
#
# ## Try it
#
# Not graded, and each takes one edit and one re-run of a few seconds. Before you run, write
# down what you expect; afterwards, explain what you see. Undo the edit when you are done.
#
# 1. **Forget to watch.** In the first code cell of §2, delete the line `tape.watch(x_const)`.
#    Predict what `tape.gradient(y_cube, x_const)` returns now, and so what the `print` line
#    does. Why does `w` not need the same line?
# 2. **Suppose the other label.** In the code cell of §3, set `y_student = 0.0`: suppose this
#    time that the student failed. Predict the signs of the three gradients before you run, and
#    whether they get larger or smaller in size. (Hint: $\hat y \approx 0.43$ here; look at the
#    factor $\hat y - y$.) Which way would one gradient-descent step move $w_1$, $w_2$ and $b$?
# 3. **Tune the step on the valley.** In the plot cell of §4, set `learning_rate = 0.5`, then
#    `learning_rate = 1.05`. Along $w_2$ each step multiplies $w_2$ by $1 - 2\eta$, and along
#    $w_1$ it multiplies $w_1$ by $1 - \eta / 10$. Use these factors to predict each path:
#    where does $w_2$ go after one step with 0.5, and what happens to the loss with 1.05?
# 4. **One more batch size.** In the comparison cell of §7, add `("mini-batch", 8)` to the
#    list of runs. Predict its number of steps per epoch and where its final loss lands
#    compared with the other three, then compare its seconds per epoch with the single-example
#    run.
# 5. **Push each bowl.** In the cell of §8, change the raw run's learning rate from `0.016` to
#    `0.018`, just above the printed stable limit: predict the distance after 40 steps. Then set
#    the standardized run's to `0.5`. On that bowl the gradient is $2\,(\mathbf{w} -
#    \mathbf{w}^*)$ exactly (curvature 2 in every direction): where does the first step land?
#
# Next, lab 05 looks at the learning rate and at optimizers smarter than plain SGD.
