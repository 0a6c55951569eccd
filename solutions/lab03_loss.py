# %% [markdown]
# # Lab 03 — Losses: how wrong is a prediction?
#
# A freshly built network gives an answer to every question, but its weights are random, so
# the answers mean nothing. To train it we first need a number that says how wrong it is: the
# **loss**. This lab follows the lecture's example, a network that predicts whether a student
# passes a class, writes the common losses by hand, checks them against Keras, and then trains
# the network until its prediction makes sense.
#
# **Goals**
# - see that an untrained network's prediction for a student at [4, 5] is arbitrary;
# - write binary cross-entropy, mean squared error, a numerically stable softmax and categorical
#   cross-entropy in NumPy, and match `keras.losses` / `keras.ops`, including probabilities of
#   exactly 0 and 1 and very large logits, and see that softmax never changes the predicted class;
# - average a loss over a data set: the empirical risk;
# - train the pass/fail network with `compile` / `fit` until the student at [4, 5] gets a
#   confident "pass", and draw its loss curve and decision boundary.
#
# **Time:** about 50 minutes. Each answer cell is followed by a check cell: run it, and it
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
from course.checks import lab03_loss as checks

print(course.environment_line())

# %% [markdown]
# ## 1. Will I pass this class?
#
# The lecture's question: from two numbers about a student, $x_1$ = lectures attended and
# $x_2$ = hours spent on the final project, predict whether they pass. We have records of 200
# past students, each with a label $y = 1$ (passed) or $y = 0$ (failed).
#
# The labels come as a vector of shape `(200,)`, but a Keras model with one output returns
# shape `(n, 1)`. We reshape the labels to `(200, 1)` once, here, so that labels and predictions
# always have the same shape. Mixing `(n,)` and `(n, 1)` is a classic bug: NumPy broadcasts
# `(n,) - (n, 1)` to an `(n, n)` matrix without any error.
#
# In the plot, notice where the gold star, the student at [4, 5], sits: among mostly blue
# points, past students who passed.

# %%
x_train, y_train = course.data.load_pass_fail()
y_train = y_train.reshape(-1, 1)  # (200, 1), like a one-output model's predictions
you = np.array([[4.0, 5.0]], dtype="float32")  # 4 lectures, 5 hours on the project
print("x_train", x_train.shape, "y_train", y_train.shape, f"pass rate {y_train.mean():.0%}")

nearby = np.linalg.norm(x_train - you, axis=1) < 2
print(f"{nearby.sum()} past students within distance 2 of [4, 5]; {y_train[nearby].mean():.0%} of them passed")

plt.scatter(x_train[:, 0], x_train[:, 1], c=y_train.ravel(), cmap="RdBu", edgecolors="k")
plt.scatter(*you[0], marker="*", s=400, c="gold", edgecolors="k", label=course.tr("you: [4, 5]"))
plt.xlabel(course.tr("$x_1$: lectures attended"))
plt.ylabel(course.tr("$x_2$: hours on the final project"))
plt.title(course.tr("Past students: passed (blue) and failed (red)"))
plt.legend()
plt.show()

# %% [markdown]
# Now ask a network. This one has the lecture's shape, two inputs, a hidden layer of three
# units and one output squashed by a sigmoid into $(0, 1)$, read as the probability of passing.
# It has never seen the data. We build five of them, each from a different random seed:

# %%
def build_untrained_network():
    """The lecture's network: 2 inputs -> 3 ReLU units -> 1 sigmoid output, random weights."""
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(3, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


for seed in range(5):
    course.set_seed(seed)
    untrained_model = build_untrained_network()
    print(f"seed {seed}: untrained P(pass | [4, 5]) = {float(untrained_model(you)[0, 0]):.3f}")

# %% [markdown]
# Five networks, five unrelated answers: none of them was learned from anyone, they are just
# what random weights happen to produce. (Exactly 0.500 means that all three hidden units output
# 0 for this student, leaving only the output's bias, which starts at 0: $\sigma(0) = 0.5$.)
# The network does not yet know what passing means. To teach it, we need to tell it *how
# wrong* each of its predictions is: that is what a loss function does.

# %% [markdown]
# ## 2. Binary cross-entropy
#
# For a label $y \in \{0, 1\}$ and a predicted probability $p$ that $y = 1$, the **binary
# cross-entropy** is
#
# $$L(y, p) = -\big[\,y \log p + (1 - y) \log(1 - p)\,\big].$$
#
# Only one term is alive: for a pass ($y = 1$) the loss is $-\log p$, for a fail $-\log(1 - p)$.
# A confident right answer costs almost nothing; a confident wrong one costs a lot, and
# $p = 0$ for a student who passed would cost $-\log 0 = \infty$. To keep every number
# finite, clip $p$ into $[\varepsilon, 1 - \varepsilon]$ first, with a small
# $\varepsilon = 10^{-7}$ (the value of `keras.config.epsilon()`).
#
# **Shapes, for every loss in this lab.** `y_true` and `y_pred` have shape `(n, k)`: $n$
# examples with $k$ outputs each ($k = 1$ here). A loss returns shape `(n,)`, one number per
# example; when $k > 1$, binary cross-entropy and MSE *average* over the $k$ outputs (the last
# axis). This is exactly what the functions `keras.losses.binary_crossentropy`,
# `keras.losses.mean_squared_error` and `keras.losses.categorical_crossentropy` return. The
# classes `keras.losses.BinaryCrossentropy()` etc. go one step further and also average over
# the examples, giving one number (section 6).

# %%
y_example = np.array([[1.0], [1.0], [0.0]], dtype="float32")
p_example = np.array([[0.9], [0.1], [0.2]], dtype="float32")
print("by hand:", np.round([-np.log(0.9), -np.log(0.1), -np.log(1 - 0.2)], 4))
print("Keras:  ", np.round(np.asarray(keras.losses.binary_crossentropy(y_example, p_example)), 4))

# %% [markdown]
# **Your turn.** Write `binary_cross_entropy(y_true, y_pred)`.

# %% nbgrader={"grade": false, "grade_id": "binary_cross_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy of each example, like keras.losses.binary_crossentropy.

    Args:
        y_true: float array (n, k) of labels, 0 or 1.
        y_pred: float array (n, k) of predicted probabilities in [0, 1] (not logits); values of
            exactly 0 and 1 are allowed: clip them to [1e-7, 1 - 1e-7] before the log.

    Returns:
        Float array (n,): each example's loss, averaged over its k outputs (the last axis).
    """
    ### BEGIN SOLUTION
    eps = 1e-7
    y_true = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(y_pred, dtype=np.float64), eps, 1.0 - eps)
    losses = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    return losses.mean(axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_binary_cross_entropy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_binary_cross_entropy(binary_cross_entropy)
### BEGIN HIDDEN TESTS
checks.check_binary_cross_entropy(binary_cross_entropy, seed=6)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Mean squared error
#
# When the target is a number rather than a class — say, the final grade in percent — the usual
# loss is the **mean squared error**, the average of the squared differences over the outputs:
#
# $$L(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} (y_j - \hat y_j)^2.$$
#
# (Some books write $\tfrac12 \sum_j$ instead, which makes the derivative tidier; Keras, and
# this lab, use the plain mean.)

# %%
grades_true = np.array([[90.0], [80.0], [70.0]], dtype="float32")
grades_predicted = np.array([[30.0], [80.0], [85.0]], dtype="float32")
print("per student:", np.asarray(keras.losses.mean_squared_error(grades_true, grades_predicted)))

# %% [markdown]
# **Your turn.** Write `mean_squared_error(y_true, y_pred)`.

# %% nbgrader={"grade": false, "grade_id": "mean_squared_error", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mean_squared_error(y_true, y_pred):
    """Mean squared error of each example, like keras.losses.mean_squared_error.

    Args:
        y_true: float array (n, k) of targets.
        y_pred: float array (n, k) of predictions.

    Returns:
        Float array (n,): each example's squared error, averaged over its k outputs (last axis).
    """
    ### BEGIN SOLUTION
    difference = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return np.mean(np.square(difference), axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_mean_squared_error", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_mean_squared_error(mean_squared_error)
### BEGIN HIDDEN TESTS
checks.check_mean_squared_error(mean_squared_error, seed=8)
### END HIDDEN TESTS

# %% [markdown]
# Why not use MSE for pass/fail too? Both losses are smallest when $p = y$; the difference is
# how hard each one pushes the network when it is wrong. The network does not choose $p$
# directly: its output unit computes a score $z$ (the logit) and $p = \sigma(z)$, and training
# moves $z$ by changing the weights. So what matters is the gradient of the loss with respect to
# $z$. The sigmoid's own slope is $\dfrac{dp}{dz} = p(1 - p)$, and the chain rule gives, for one
# output:
#
# - **cross-entropy**: $\dfrac{\partial L}{\partial p} = \dfrac{p - y}{p(1 - p)}$, so
#   $\dfrac{\partial L}{\partial z} = p - y$: the sigmoid's slope cancels out;
# - **squared error** $(p - y)^2$: $\dfrac{\partial L}{\partial z} = 2(p - y)\,p(1 - p)$: the
#   sigmoid's slope stays in.
#
# Take a student who passed ($y = 1$) and a network that is confidently wrong: $z$ far below 0,
# so $p$ is close to 0. Cross-entropy's gradient is $p - 1 \approx -1$, a full-strength push
# towards "pass". The squared error's gradient carries the factor $p(1 - p) \approx 0$, because
# the sigmoid is flat there, so its push almost vanishes: once $p$ is below $1/3$, the more
# confidently wrong the network is, the *less* squared error corrects it. (The loss values tell
# the same story: squared error never exceeds 1, however wrong the answer; cross-entropy grows
# without bound.) That is one reason classification networks train faster with cross-entropy. The same
# $p - y$ comes out for a softmax output with categorical cross-entropy (sections 4 and 5), one
# entry per class.
#
# Both losses and both gradients for $y = 1$, against the logit $z$. Notice on the right how, at
# the far left, cross-entropy's gradient stays near $-1$ while squared error's sinks to 0:

# %%
z_grid = np.linspace(-8, 8, 321).reshape(-1, 1)  # logits of the output unit
p_grid = 1 / (1 + np.exp(-z_grid))  # p = sigmoid(z)
ones = np.ones_like(p_grid)  # the truth: this student passed, y = 1
grad_cross_entropy = p_grid - ones  # dL/dz = p - y
grad_squared_error = 2 * (p_grid - ones) * p_grid * (1 - p_grid)  # dL/dz = 2 (p - y) p (1 - p)

z_wrong = -6.0  # a confidently wrong network: P(pass) = sigmoid(-6) is about 0.0025
p_wrong = 1 / (1 + np.exp(-z_wrong))
print(f"at z = {z_wrong}: p = {p_wrong:.2g}, dL/dz is {p_wrong - 1:.4f} for cross-entropy "
      f"and {2 * (p_wrong - 1) * p_wrong * (1 - p_wrong):.2g} for squared error")

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(12, 4))
ax_loss.plot(z_grid, np.asarray(binary_cross_entropy(ones, p_grid)), label=course.tr("binary cross-entropy, $-\\log p$"))
ax_loss.plot(z_grid, np.asarray(mean_squared_error(ones, p_grid)), label=course.tr("squared error, $(1 - p)^2$"))
ax_loss.set(xlabel=course.tr("logit $z$, with $p = \\sigma(z)$"), ylabel=course.tr("loss"),
            title=course.tr("loss for a student who passed (y = 1)"))
ax_grad.axhline(0, color="0.8", linewidth=0.8)
ax_grad.plot(z_grid, grad_cross_entropy, label=course.tr("cross-entropy: $p - 1$"))
ax_grad.plot(z_grid, grad_squared_error, label=course.tr("squared error: $2(p - 1)\\,p(1 - p)$"))
ax_grad.set(xlabel=course.tr("logit $z$, with $p = \\sigma(z)$"), ylabel=course.tr("$\\partial L / \\partial z$"),
            title=course.tr("gradient with respect to the logit (y = 1)"))
ax_loss.legend()
ax_grad.legend()
plt.show()

# %% [markdown]
# ## 4. Softmax: probabilities for many classes
#
# With $k > 2$ classes (which digit is this?) the network ends with $k$ raw scores $z_j$, the
# **logits**, and the **softmax** turns them into $k$ probabilities that add up to 1:
#
# $$\operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{i=1}^{k} e^{z_i}}.$$
#
# The largest score gets the largest probability. For a batch of shape `(n, k)` each *row*
# is one example, so the sum runs over the last axis.
#
# Written literally, this formula breaks on large scores: $e^{1000}$ is `inf` in floating point
# and `inf / inf` is `nan`. The fix is free: subtracting the same number $c$ from every score of
# a row multiplies top and bottom by $e^{-c}$ and leaves the result unchanged. Choose $c$ = the
# row's maximum; then the largest exponent is $e^0 = 1$ and nothing overflows.

# %%
big_logits = np.array([[1000.0, 1001.0, 1002.0]], dtype="float32")
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big_logits) / np.exp(big_logits).sum(axis=-1, keepdims=True)
print("literal formula:", naive)
print("keras.ops.softmax:", np.asarray(keras.ops.softmax(big_logits, axis=-1)))

# %% [markdown]
# **Your turn.** Write a numerically stable `softmax(logits)` over the last axis.

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(logits):
    """Softmax over the last axis, stable for very large or very small logits.

    Args:
        logits: float array (n, k): k class scores for each of n examples. Do not modify it.

    Returns:
        Float array (n, k) of probabilities; each row is >= 0 and sums to 1.
    """
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=-1, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_softmax", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_softmax(softmax)
### BEGIN HIDDEN TESTS
checks.check_softmax(softmax, seed=2)
### END HIDDEN TESTS

# %% [markdown]
# The sigmoid is the two-class softmax: with scores $(z, 0)$, the first probability is
# $e^z / (e^z + 1) = \sigma(z)$. So a single sigmoid output and a two-unit softmax output
# describe the same model.

# %%
z_values = np.array([-3.0, 0.0, 2.0])
two_class = np.asarray(softmax(np.stack([z_values, np.zeros_like(z_values)], axis=1)))
print("softmax([z, 0])[:, 0]:", np.round(two_class[:, 0], 4))
print("sigmoid(z):           ", np.round(1 / (1 + np.exp(-z_values)), 4))

# %% [markdown]
# Softmax never changes which score is the largest: $e^{z}$ grows with $z$, and every entry
# of a row is divided by the same sum. So to *predict* a class you can take the largest logit
# and skip the softmax altogether. The probabilities matter for the loss during training, and
# whenever you want to know how sure the network is. On 1,000 random rows of 10 scores:

# %%
random_scores = np.random.default_rng(0).normal(size=(1000, 10))
same_class = np.asarray(softmax(random_scores)).argmax(axis=1) == random_scores.argmax(axis=1)
print(f"argmax of softmax(scores) equals argmax of the scores in {same_class.mean():.0%} of the rows")

# %% [markdown]
# ## 5. Categorical cross-entropy
#
# For $k$ classes the label is a **one-hot** row $t$ (1 for the true class, 0 elsewhere) and
# the prediction a row of probabilities $p$. The **categorical cross-entropy** is
#
# $$L(t, p) = -\sum_{j=1}^{k} t_j \log(p_j + \varepsilon),$$
#
# a *sum* over the classes in which only the true class's term survives: $-\log p_{\text{true}}$.
# The notes add a tiny $\varepsilon$ ($10^{-7}$) inside the log so that a probability of exactly
# 0 gives a large finite loss rather than $\infty$ (and $0 \cdot \log 0$ does not turn into
# `nan`). With $k = 2$ and one-hot labels this is the binary cross-entropy again.
#
# **Your turn.** Write `categorical_cross_entropy(y_true, y_pred)`. `y_pred` holds
# probabilities, for example the output of your `softmax`, not logits.

# %% nbgrader={"grade": false, "grade_id": "categorical_cross_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def categorical_cross_entropy(y_true, y_pred):
    """Categorical cross-entropy of each example, like keras.losses.categorical_crossentropy.

    Args:
        y_true: float array (n, k): one-hot labels (each row one 1 and k - 1 zeros).
        y_pred: float array (n, k): predicted probabilities (each row sums to 1), not logits;
            entries of exactly 0 are allowed: add eps = 1e-7 inside the log.

    Returns:
        Float array (n,): each example's loss, summed over the k classes (the last axis).
    """
    ### BEGIN SOLUTION
    eps = 1e-7
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    return -np.sum(t * np.log(p + eps), axis=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_categorical_cross_entropy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_categorical_cross_entropy(categorical_cross_entropy)
### BEGIN HIDDEN TESTS
checks.check_categorical_cross_entropy(categorical_cross_entropy, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# **Logits or probabilities?** Keras's cross-entropy losses take a `from_logits` flag.
# `from_logits=False` (the default) expects probabilities, as your functions do;
# `from_logits=True` expects raw scores and applies the softmax (or sigmoid) itself, in a
# numerically safer combined form. Giving logits to a loss that expects probabilities is a
# silent bug: no error, just a wrong number.

# %%
logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], dtype="float32")
labels = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype="float32")
yours = categorical_cross_entropy(labels, np.asarray(softmax(logits)))
print("yours, on softmax(logits):        ", np.round(np.asarray(yours), 4))
print("Keras, from_logits=True on logits:", np.round(np.asarray(
    keras.losses.categorical_crossentropy(labels, logits, from_logits=True)), 4))
print("Keras, logits given as if probabilities (wrong):", np.round(np.asarray(
    keras.losses.categorical_crossentropy(labels, logits)), 4))

# %% [markdown]
# ## 6. Empirical risk: the average loss over a data set
#
# One example's loss says how wrong the network is on that example. Training needs one number
# for the whole data set, the **empirical risk** (also called the cost or objective), the
# average loss over all $n$ examples:
#
# $$J(W) = \frac{1}{n} \sum_{i=1}^{n} L\big(y^{(i)}, f(x^{(i)}; W)\big).$$
#
# Training means finding the weights $W$ that make $J(W)$ small.
#
# **Your turn.** Write `empirical_risk(model, x, y, loss_fn)`: predict for all of `x` at once,
# compute the per-example losses with `loss_fn`, and average them.

# %% nbgrader={"grade": false, "grade_id": "empirical_risk", "locked": false, "schema_version": 3, "solution": true, "task": false}
def empirical_risk(model, x, y, loss_fn):
    """Mean loss of a model over a data set.

    Args:
        model: any callable mapping inputs x (n, d) to predictions (n, k), e.g. a Keras model
            (returning a tensor) or a NumPy function.
        x: float array (n, d) of inputs.
        y: float array (n, k) of targets, the same shape as the predictions.
        loss_fn: loss_fn(y_true, y_pred) -> array (n,) of per-example losses, e.g. your
            binary_cross_entropy or keras.losses.binary_crossentropy.

    Returns:
        float: the mean of the n per-example losses.
    """
    ### BEGIN SOLUTION
    y_pred = np.asarray(model(x))
    losses = np.asarray(loss_fn(y, y_pred), dtype=np.float64)
    return float(losses.mean())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_empirical_risk", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_empirical_risk(empirical_risk)
### BEGIN HIDDEN TESTS
checks.check_empirical_risk(empirical_risk, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# The risk of the last untrained network of section 1 on the 200 students, computed three ways:
# your two functions, Keras's per-example function averaged by yours, and the class
# `keras.losses.BinaryCrossentropy()`, which already averages over the examples.

# %%
def risk(model, loss_fn):
    """Your empirical_risk on the 200 students, as a plain float (whatever type it returns)."""
    return float(np.asarray(empirical_risk(model, x_train, y_train, loss_fn)).reshape(()))


print(f"yours:                        {risk(untrained_model, binary_cross_entropy):.5f}")
print(f"keras.losses function + mean: {risk(untrained_model, keras.losses.binary_crossentropy):.5f}")
print(f"keras.losses class:           {float(keras.losses.BinaryCrossentropy()(y_train, untrained_model(x_train))):.5f}")

# %% [markdown]
# ## 7. Training until the prediction flips
#
# Time to lower the risk. **Your turn.** Write `build_pass_fail_model()`, returning an
# *uncompiled* `keras.Sequential` for the pass/fail question: `keras.Input(shape=(2,))`, one
# hidden `Dense` layer of 8 ReLU units, and a `Dense(1, activation="sigmoid")` output, so the
# output reads as the probability of passing. (The lecture draws 3 hidden units; with so few, a
# ReLU unit that starts "dead" on all the data can stall training, so we use 8.)

# %% nbgrader={"grade": false, "grade_id": "build_pass_fail_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_pass_fail_model():
    """An uncompiled network predicting P(pass) from [lectures attended, project hours].

    Returns:
        A keras.Sequential, not compiled, that starts with keras.Input(shape=(2,)), has one
        hidden Dense layer of 8 ReLU units and a Dense(1) sigmoid output: it maps inputs of
        shape (n, 2) to probabilities of shape (n, 1), each in (0, 1).
    """
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    ### END SOLUTION


# %% [markdown]
# The check trains a fresh copy of your network with the recipe below and asks for a loss
# well below where it started and a confident pass (probability above 0.8) for [4, 5].

# %% nbgrader={"grade": true, "grade_id": "check_build_pass_fail_model", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_build_pass_fail_model(build_pass_fail_model)
### BEGIN HIDDEN TESTS
checks.check_build_pass_fail_model(build_pass_fail_model, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# `compile` chooses the loss (binary cross-entropy on probabilities, so `from_logits=False`) and
# the optimizer (Adam, which lab 05 takes apart); `fit` runs gradient descent on mini-batches of
# 16 students (lab 04 writes that loop by hand). A small callback records the prediction for
# [4, 5] after every epoch so we can watch it move. We use the seed 0, whose untrained network
# predicts a fail for [4, 5], like the lecture's.

# %%
course.set_seed(0)
model = build_pass_fail_model()
learning_rate, batch_size, num_epochs = 0.05, 16, 20
print(f"before training: P(pass | [4, 5]) = {float(model(you)[0, 0]):.3f}, "
      f"empirical risk {risk(model, binary_cross_entropy):.3f}")

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
    loss=keras.losses.BinaryCrossentropy(from_logits=False),
    metrics=["accuracy"],
)
your_prediction = [float(model(you)[0, 0])]  # epoch 0: before training
record = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: your_prediction.append(float(model(you)[0, 0]))
)
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=num_epochs, verbose=0, callbacks=[record])

print(f"after training:  P(pass | [4, 5]) = {float(model(you)[0, 0]):.3f}, "
      f"empirical risk {risk(model, binary_cross_entropy):.3f}, "
      f"training accuracy {history.history['accuracy'][-1]:.0%}")

# %% [markdown]
# The loss curve (the mean loss of each epoch), your predicted chance of passing after each
# epoch, and the learned decision boundary, with the black line where the predicted
# probability is 0.5. Notice that the prediction for [4, 5] crosses 0.5 early, while the loss
# keeps falling long after: training goes on improving the other students' predictions too.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
plots.plot_loss_curves(history, ax=axes[0])
axes[0].set_title(course.tr("training loss (binary cross-entropy)"))
axes[1].plot(np.arange(num_epochs + 1), your_prediction, marker="o")
axes[1].axhline(0.5, color="k", linestyle="--", linewidth=1)
axes[1].set(xlabel=course.tr("epoch"), ylabel=course.tr("P(pass | [4, 5])"), ylim=(0, 1),
            title=course.tr("your prediction during training"))
plots.plot_decision_boundary(lambda grid: model(grid), x_train, y_train, ax=axes[2])
axes[2].scatter(*you[0], marker="*", s=400, c="gold", edgecolors="k")
axes[2].set(xlabel=course.tr("lectures attended"), ylabel=course.tr("hours on the final project"),
            title=course.tr("learned P(pass)"))
plt.show()

# %% [markdown]
# ## Summary
#
# - An untrained network answers every question, but its answer comes from random weights; a
#   loss measures how wrong it is, and training lowers that loss.
# - Binary cross-entropy $-[y \log p + (1 - y)\log(1 - p)]$ for yes/no labels and probabilities;
#   mean squared error for numeric targets; categorical cross-entropy $-\sum_j t_j \log p_j$
#   over one-hot labels and softmax probabilities. Clip or add $\varepsilon$ before the log.
# - Softmax turns scores into probabilities; subtract each row's maximum first so that large
#   logits cannot overflow. It keeps the order of the scores, so the predicted class is the
#   largest logit with or without it. `from_logits=True` means "my predictions are raw scores".
# - Per-example losses have shape `(n,)`; their mean over the data set is the empirical risk
#   $J(W)$, which `compile`/`fit` minimise.
# - For a sigmoid (or softmax) output, cross-entropy's gradient with respect to the logit is
#   $p - y$, full strength when the network is confidently wrong; squared error's,
#   $2(p - y)\,p(1 - p)$, fades away exactly there.
#
# ## Try it
#
# Not graded, and each takes one edit and one re-run of a few seconds. Before you run, write
# down what you expect; afterwards, explain what you see. Undo the edit when you are done.
#
# 1. **Ten times more confident, and wrong.** In the example cell of §2, change the second
#    prediction in `p_example` from `0.1` to `0.01` (that student passed). Predict the new loss
#    on the `Keras:` line for that student before you run. How much does the loss grow each time the
#    wrong answer becomes ten times more confident?
# 2. **Even more wrong.** In the plot cell of §3, set `z_wrong = -12.0`. Predict both printed
#    gradients: does cross-entropy's change much? By roughly what factor does squared error's
#    shrink? (For very negative $z$, $p = \sigma(z) \approx e^{z}$.)
# 3. **Overflow's twin.** In the first cell of §4, change `big_logits` to
#    `[[-1000.0, -1001.0, -1002.0]]`. Predict what the literal formula prints now, and what
#    `keras.ops.softmax` prints. (Hint: $e^{-1000}$ is 0 in floating point. And which
#    probabilities does softmax give for scores $(0, -1, -2)$?) Once your `softmax` passes its
#    check, add `print(softmax(big_logits))` to that cell as well.
# 4. **Fewer, bigger batches.** In the training cell of §7, change the batch size in
#    `learning_rate, batch_size, num_epochs = 0.05, 16, 20` from 16 to 200, the whole data set
#    in one batch. How many weight updates do the 20 epochs make now, compared with
#    $20 \times 13 = 260$ before? Predict whether the final empirical risk ends up higher or
#    lower than with batches of 16, and how far P(pass | [4, 5]) gets. Lab 04 looks at this
#    trade-off.
#
# Next, lab 04 computes the gradients of $J(W)$ and writes gradient descent by hand.
