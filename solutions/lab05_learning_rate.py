# %% [markdown]
# # Lab 05 — Learning rates and optimizers
#
# Gradient descent has one knob that matters more than any other: the **learning rate**, the
# size of the step taken against the gradient. In this lab you watch what a bad choice does,
# write the five classic update rules yourself and hold each one against the Keras optimizer of
# the same name, race them on a stretched bowl, build a warm-up-then-decay schedule, and finally
# let a sweep choose the learning rate of a real network.
#
# **Goals**
# - see a learning rate that is too small (crawls), too large (overshoots or diverges) and about
#   right, on the same loss;
# - write `sgd_update`, `momentum_update`, `adagrad_update`, `rmsprop_update` and `adam_update`,
#   one step each, and match `keras.optimizers.SGD`, `Adagrad`, `RMSprop` and `Adam` to the last
#   digit, including the places where Keras departs from the textbook;
# - compare their paths on $f(x, y) = x^2/20 + y^2$;
# - write `WarmupThenDecay`, a Keras learning-rate schedule with a linear warm-up followed by a
#   cosine or inverse-square-root decay;
# - pick the learning rate of an MNIST classifier from a sweep on validation data.
#
# **Time:** about 60 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import matplotlib.pyplot as plt
import numpy as np

import course
import course.data

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import keras
import tensorflow as tf
from keras import layers

from course.checks import lab05_learning_rate as checks

print(course.environment_line())

# %% [markdown]
# ## 1. Too small, too large, about right
#
# Gradient descent repeats one move: $w \leftarrow w - \eta\, \nabla L(w)$, where $\eta$ is the
# learning rate. Take the simplest loss with a minimum, $L(w) = (w - 3)^2$, whose gradient is
# $2(w - 3)$. One step multiplies the distance to the minimum by $(1 - 2\eta)$, so the whole story
# fits in one number:
#
# - $0 < \eta < 0.5$: the factor is between 0 and 1, every step lands on the same side, and a tiny
#   $\eta$ barely moves — it **crawls**;
# - $0.5 < \eta < 1$: the factor is negative, each step jumps past the minimum to the other side —
#   it **overshoots**, zig-zagging inwards;
# - $\eta > 1$: the factor is below $-1$, every jump lands further out than the last — it
#   **diverges**.
#
# Real losses are not parabolas, but near a minimum they look like one, so the same three
# behaviours appear in every network you train. Four runs of 30 steps from $w = -2$:

# %%
def loss_1d(w):
    """The loss L(w) = (w - 3)**2 for a number or an array of numbers."""
    return (w - 3.0) ** 2


def gradient_descent_1d(learning_rate, w_start=-2.0, num_steps=30):
    """Plain gradient descent on loss_1d; returns the num_steps + 1 visited points."""
    ws = [w_start]
    for _ in range(num_steps):
        ws.append(ws[-1] - learning_rate * 2.0 * (ws[-1] - 3.0))
    return np.array(ws)


def behaviour(ws):
    """Name what a run did: diverges, overshoots, crawls or converges."""
    losses = loss_1d(ws)
    if losses[-1] > losses[0]:
        return "diverges"
    if np.any(np.sign(ws[1:] - 3.0) != np.sign(ws[:-1] - 3.0)):
        return "overshoots"
    if losses[-1] > 0.01 * losses[0]:
        return "crawls"
    return "converges"


runs_1d = {learning_rate: gradient_descent_1d(learning_rate) for learning_rate in (0.01, 0.3, 0.9, 1.05)}
fig, axes = plt.subplots(2, 4, figsize=(15, 6.5))
w_grid = np.linspace(-6, 12, 200)
for column, (learning_rate, ws) in enumerate(runs_1d.items()):
    top, bottom = axes[0, column], axes[1, column]
    top.plot(w_grid, loss_1d(w_grid), color="0.7")
    shown = ws[:12] if behaviour(ws) == "diverges" else ws
    top.plot(shown, loss_1d(shown), "o-", markersize=4)
    top.set(title=f"η = {learning_rate}: {behaviour(ws)}", xlabel="w", ylim=(-5, 90))
    bottom.semilogy(loss_1d(ws), "o-", markersize=3)
    bottom.set(xlabel="step", ylabel=course.tr("loss (log scale)") if column == 0 else None,
               title=course.tr("loss per step"))
axes[0, 0].set_ylabel("L(w) with the visited points")
fig.suptitle(course.tr("Gradient descent on L(w) = (w − 3)² from w = −2, at four learning rates"))
fig.tight_layout()
plt.show()
for learning_rate, ws in runs_1d.items():
    print(f"η = {learning_rate:<5} {behaviour(ws):<11} loss {loss_1d(ws[0]):.1f} -> {loss_1d(ws[-1]):.3g}")

# %% [markdown]
# With $\eta = 0.01$ the point is still far from the minimum after 30 steps (the loss has only
# fallen from 25 to about 7); $\eta = 0.3$ is essentially done after 10; $\eta = 0.9$ gets there
# too, bouncing across the valley; $\eta = 1.05$ bounces outwards and the loss grows without limit.
# The good range is narrow, and it depends on the curvature of the loss: the steeper the valley,
# the smaller the largest safe step. That is why the rest of this lab is about choosing, adapting
# and scheduling $\eta$.
#
# ## 2. Update rules by hand, checked against Keras
#
# An optimizer is an update rule plus some memory. Every rule in this section has the same shape:
#
# ```python
# new_params, new_state = rule(params, grads, state, **hyperparameters)
# ```
#
# - `params`: a list of float NumPy arrays, one per parameter tensor (any shapes);
# - `grads`: the gradient of the loss for each of them, same shapes, same order;
# - `state`: a dict holding the rule's memory (velocities, running averages, the step counter
#   `"step"`); pass `None` on the first call and the rule creates it;
# - hyperparameters: keyword arguments with Keras's names and defaults (`learning_rate`,
#   `momentum`, `rho`, `beta_1`, `beta_2`, `epsilon`, ...).
#
# A rule returns **new** arrays and leaves the ones it was given untouched (write `p - step`, not
# `p -= step`, which would overwrite the caller's array). Running a rule for several steps means
# feeding the returned state back in:
#
# ```python
# state = None
# for grads in gradient_stream:
#     params, state = adam_update(params, grads, state, learning_rate=0.01)
# ```
#
# The reference is Keras. A Keras optimizer holds the same memory in its own variables and
# changes `tf.Variable`s in place through `apply_gradients`, which takes (gradient, variable)
# pairs. One SGD step on a two-number variable:

# %%
w = tf.Variable([1.0, -2.0])
optimizer = keras.optimizers.SGD(learning_rate=0.1)
optimizer.apply_gradients([(tf.constant([0.5, -1.0]), w)])
print("after one SGD step:", w.numpy(), "  steps taken:", int(optimizer.iterations))

# %% [markdown]
# The checks below do exactly this for five steps with random gradients, in float64, and demand
# that your arrays agree with Keras's variables after every step.
#
# ### 2.1 Stochastic gradient descent
#
# The plain rule, $p \leftarrow p - \eta\, g$ for every parameter array $p$ with gradient $g$.
# It keeps no memory; return a small state anyway (the step count) so that all five rules can
# be used the same way.
#
# **Your turn.** Write `sgd_update`.

# %% nbgrader={"grade": false, "grade_id": "sgd_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sgd_update(params, grads, state=None, learning_rate=0.01):
    """One step of plain gradient descent, as keras.optimizers.SGD computes it.

        p <- p - learning_rate * g

    Args:
        params: list of k float arrays; params[i] has any shape s_i.
        grads: list of k float arrays; grads[i] has shape s_i, the gradient for params[i].
        state: dict returned by the previous call, or None on the first call.
        learning_rate: float, the step size.

    Returns:
        (new_params, new_state): new_params is a list of k new arrays of shapes s_i (the inputs
        are left unchanged); new_state is a dict, here just {"step": number of steps taken}.
    """
    ### BEGIN SOLUTION
    step = 0 if state is None else state["step"]
    new_params = [p - learning_rate * g for p, g in zip(params, grads)]
    return new_params, {"step": step + 1}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_sgd_update", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_sgd_update(sgd_update)
### BEGIN HIDDEN TESTS
checks.check_sgd_update(sgd_update, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.2 Momentum
#
# A ball rolling downhill keeps some of its speed. Momentum gives each parameter a **velocity**
# $v$ (zero at the start) that remembers past steps:
#
# $$v \leftarrow \mu\, v - \eta\, g, \qquad p \leftarrow p + v,$$
#
# with $\mu$ (`momentum`, typically 0.9) deciding how much of the old velocity survives. Where
# successive gradients agree, the steps grow (up to $1/(1-\mu)$ times); where they flip sign,
# they cancel. In Keras this is `keras.optimizers.SGD(learning_rate=η, momentum=μ)`, with exactly
# this formula.
#
# You will meet two other ways of writing momentum. PyTorch keeps $b \leftarrow \mu b + g$ and
# steps $p \leftarrow p - \eta b$: for a fixed $\eta$ that is the same path ($b = -v/\eta$).
# Some courses average instead, $v \leftarrow \mu v + (1-\mu) g$ and $p \leftarrow p - \eta v$:
# that is a different rule, with steps $1 - \mu$ times smaller, and it does **not** match Keras.
#
# **Your turn.** Write `momentum_update`; keep the velocities in the state.

# %% nbgrader={"grade": false, "grade_id": "momentum_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def momentum_update(params, grads, state=None, learning_rate=0.01, momentum=0.9):
    """One step of SGD with momentum, as keras.optimizers.SGD(momentum=...) computes it.

        v <- momentum * v - learning_rate * g        (v starts at zero)
        p <- p + v

    Args:
        params: list of k float arrays; params[i] has any shape s_i.
        grads: list of k float arrays; grads[i] has shape s_i, the gradient for params[i].
        state: dict returned by the previous call, or None on the first call.
        learning_rate: float, the step size.
        momentum: float in [0, 1), how much of the old velocity is kept.

    Returns:
        (new_params, new_state): new_params is a list of k new arrays of shapes s_i (the inputs
        are left unchanged); new_state is a dict {"step": int, "velocity": list of k arrays}.
    """
    ### BEGIN SOLUTION
    if state is None:
        state = {"step": 0, "velocity": [np.zeros(np.shape(p)) for p in params]}
    velocity = [momentum * v - learning_rate * g for v, g in zip(state["velocity"], grads)]
    new_params = [p + v for p, v in zip(params, velocity)]
    return new_params, {"step": state["step"] + 1, "velocity": velocity}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_momentum_update", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_momentum_update(momentum_update)
### BEGIN HIDDEN TESTS
checks.check_momentum_update(momentum_update, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.3 AdaGrad
#
# One learning rate for every parameter is a compromise: a parameter whose gradients are always
# large wants small steps, one whose gradients are tiny wants large ones. AdaGrad gives each
# parameter entry its own scale by dividing by the root of the sum of all its squared gradients
# so far:
#
# $$h \leftarrow h + g^2, \qquad p \leftarrow p - \eta\, \frac{g}{\sqrt{h + \epsilon}}$$
#
# (squares, roots and divisions element by element). Steep directions soon get a large $h$ and
# slow down; flat ones keep moving. Since $h$ only grows, every step size shrinks over time —
# AdaGrad has a learning-rate decay built in, and may stop too early on long runs.
#
# Keras differs from the textbook form (the fish book's, for instance) in two places:
#
# | | textbook | `keras.optimizers.Adagrad` |
# |---|---|---|
# | start of $h$ | $0$ | `initial_accumulator_value` $= 0.1$ |
# | $\epsilon$ | outside the root: $\sqrt{h} + \epsilon$ | inside the root: $\sqrt{h + \epsilon}$, $\epsilon = 10^{-7}$ |
#
# The starting value changes the first steps a lot (with $h_0 = 0$ the first step is exactly
# $\eta$ times the sign of $g$); the place of $\epsilon$ matters only when $h$ is about as small as
# $\epsilon$. Follow Keras.
#
# **Your turn.** Write `adagrad_update`.

# %% nbgrader={"grade": false, "grade_id": "adagrad_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adagrad_update(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.1,
                   epsilon=1e-7):
    """One step of AdaGrad, as keras.optimizers.Adagrad computes it.

        h <- h + g**2                      (h starts at initial_accumulator_value)
        p <- p - learning_rate * g / sqrt(h + epsilon)

    Args:
        params: list of k float arrays; params[i] has any shape s_i.
        grads: list of k float arrays; grads[i] has shape s_i, the gradient for params[i].
        state: dict returned by the previous call, or None on the first call.
        learning_rate: float, the step size.
        initial_accumulator_value: float >= 0, the starting value of every entry of h.
        epsilon: small float added inside the square root.

    Returns:
        (new_params, new_state): new_params is a list of k new arrays of shapes s_i (the inputs
        are left unchanged); new_state is a dict {"step": int, "accumulator": list of k arrays}.
    """
    ### BEGIN SOLUTION
    if state is None:
        state = {"step": 0,
                 "accumulator": [np.full(np.shape(p), initial_accumulator_value) for p in params]}
    accumulator = [h + g**2 for h, g in zip(state["accumulator"], grads)]
    new_params = [p - learning_rate * g / np.sqrt(h + epsilon)
                  for p, g, h in zip(params, grads, accumulator)]
    return new_params, {"step": state["step"] + 1, "accumulator": accumulator}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_adagrad_update", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_adagrad_update(adagrad_update)
### BEGIN HIDDEN TESTS
checks.check_adagrad_update(adagrad_update, seed=7)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.4 RMSProp
#
# RMSProp fixes AdaGrad's ever-shrinking steps by forgetting: instead of the sum of all squared
# gradients it keeps an exponential moving average, so recent gradients count and old ones fade.
# With decay factor $\rho$ (`rho`, 0.9 by default; the lecture calls it $\alpha$):
#
# $$v \leftarrow \rho\, v + (1 - \rho)\, g^2, \qquad p \leftarrow p - \eta\, \frac{g}{\sqrt{v + \epsilon}},$$
#
# with $v$ starting at zero. When the slope gets steeper, $v$ grows within a few steps and the
# steps shrink; when it flattens, they grow again. As in Adagrad, Keras puts $\epsilon$ **inside**
# the square root, where many texts write $\sqrt{v} + \epsilon$.
#
# **Your turn.** Write `rmsprop_update`.

# %% nbgrader={"grade": false, "grade_id": "rmsprop_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rmsprop_update(params, grads, state=None, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """One step of RMSProp, as keras.optimizers.RMSprop computes it (no momentum, not centred).

        v <- rho * v + (1 - rho) * g**2    (v starts at zero)
        p <- p - learning_rate * g / sqrt(v + epsilon)

    Args:
        params: list of k float arrays; params[i] has any shape s_i.
        grads: list of k float arrays; grads[i] has shape s_i, the gradient for params[i].
        state: dict returned by the previous call, or None on the first call.
        learning_rate: float, the step size.
        rho: float in [0, 1), the decay factor of the moving average.
        epsilon: small float added inside the square root.

    Returns:
        (new_params, new_state): new_params is a list of k new arrays of shapes s_i (the inputs
        are left unchanged); new_state is a dict {"step": int, "velocity": list of k arrays}.
    """
    ### BEGIN SOLUTION
    if state is None:
        state = {"step": 0, "velocity": [np.zeros(np.shape(p)) for p in params]}
    velocity = [rho * v + (1.0 - rho) * g**2 for v, g in zip(state["velocity"], grads)]
    new_params = [p - learning_rate * g / np.sqrt(v + epsilon)
                  for p, g, v in zip(params, grads, velocity)]
    return new_params, {"step": state["step"] + 1, "velocity": velocity}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_rmsprop_update", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_rmsprop_update(rmsprop_update)
### BEGIN HIDDEN TESTS
checks.check_rmsprop_update(rmsprop_update, seed=2)
### END HIDDEN TESTS

# %% [markdown]
# ### 2.5 Adam
#
# Adam is momentum and RMSProp together: a moving average $m$ of the gradients (the direction)
# and a moving average $v$ of their squares (the scale), both starting at zero, with step counter
# $t = 1, 2, \dots$:
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2.$$
#
# Because both start at zero, they are too small in the first steps (after one step $m$ is only
# $(1-\beta_1) g$). **Bias correction** divides that out. The textbook (and the first form in the
# Adam paper) writes
#
# $$\hat m = \frac{m}{1 - \beta_1^t}, \quad \hat v = \frac{v}{1 - \beta_2^t}, \quad
#   p \leftarrow p - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}.$$
#
# Keras uses the paper's cheaper second form: it folds both corrections into the step size and
# adds $\epsilon$ to the *uncorrected* root,
#
# $$\alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
#   p \leftarrow p - \alpha_t\, \frac{m}{\sqrt{v} + \epsilon}.$$
#
# Both are the same except for $\epsilon$: Keras's $\epsilon$ acts like a textbook $\epsilon$ that is
# $1/\sqrt{1 - \beta_2^t}$ times larger (about 30 times at $t = 1$ with $\beta_2 = 0.999$). With
# $\epsilon = 10^{-7}$ and ordinary gradients you will not see it; with a large $\epsilon$ you do, and the
# check tries one. Follow Keras.
#
# | | textbook | Keras 3 |
# |---|---|---|
# | Momentum | $v \leftarrow \mu v - \eta g$, $p \leftarrow p + v$ | the same (`SGD(momentum=μ)`) |
# | AdaGrad | $h_0 = 0$, $\sqrt{h} + \epsilon$ | $h_0 = 0.1$, $\sqrt{h + \epsilon}$ |
# | RMSProp | $\sqrt{v} + \epsilon$ | $\sqrt{v + \epsilon}$ |
# | Adam | $\hat m / (\sqrt{\hat v} + \epsilon)$ | $\alpha_t\, m / (\sqrt{v} + \epsilon)$ |
# | $\epsilon$ default | often $10^{-8}$ | $10^{-7}$ for all of them |
#
# **Your turn.** Write `adam_update`; the step counter lives in the state.

# %% nbgrader={"grade": false, "grade_id": "adam_update", "locked": false, "schema_version": 3, "solution": true, "task": false}
def adam_update(params, grads, state=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                epsilon=1e-7):
    """One step of Adam, as keras.optimizers.Adam computes it (amsgrad off).

        t <- t + 1                         (t starts at 0, so the first step has t = 1)
        m <- beta_1 * m + (1 - beta_1) * g (m and v start at zero)
        v <- beta_2 * v + (1 - beta_2) * g**2
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p <- p - alpha * m / (sqrt(v) + epsilon)

    Args:
        params: list of k float arrays; params[i] has any shape s_i.
        grads: list of k float arrays; grads[i] has shape s_i, the gradient for params[i].
        state: dict returned by the previous call, or None on the first call.
        learning_rate: float, the step size.
        beta_1: float in [0, 1), decay of the moving average of the gradients.
        beta_2: float in [0, 1), decay of the moving average of the squared gradients.
        epsilon: small float added to sqrt(v).

    Returns:
        (new_params, new_state): new_params is a list of k new arrays of shapes s_i (the inputs
        are left unchanged); new_state is a dict {"step": t, "m": list of k arrays,
        "v": list of k arrays}.
    """
    ### BEGIN SOLUTION
    if state is None:
        state = {"step": 0, "m": [np.zeros(np.shape(p)) for p in params],
                 "v": [np.zeros(np.shape(p)) for p in params]}
    t = state["step"] + 1
    m = [beta_1 * m_i + (1.0 - beta_1) * g for m_i, g in zip(state["m"], grads)]
    v = [beta_2 * v_i + (1.0 - beta_2) * g**2 for v_i, g in zip(state["v"], grads)]
    alpha = learning_rate * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    new_params = [p - alpha * m_i / (np.sqrt(v_i) + epsilon) for p, m_i, v_i in zip(params, m, v)]
    return new_params, {"step": t, "m": m, "v": v}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_adam_update", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_adam_update(adam_update)
### BEGIN HIDDEN TESTS
checks.check_adam_update(adam_update, seed=9)
### END HIDDEN TESTS

# %% [markdown]
# All five side by side with Keras, on a small weight matrix and bias with random gradients, for
# 20 steps. The differences are tiny but not zero: Keras turns hyperparameters such as the
# learning rate, the momentum and the betas into float32 numbers before using them, even for
# float64 variables (0.1 becomes 0.10000000149...). Adam shows it most, because
# $1 - \beta_2^t$ with the float32 version of $\beta_2 = 0.999$ is off by about $10^{-5}$ relative;
# that is why the checks allow a relative tolerance of $10^{-4}$.

# %%
def compare_with_keras(update, keras_optimizer, hyperparameters, num_steps=20, seed=0):
    """Largest |difference| between update's parameters and keras_optimizer's over num_steps."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(4, 3)), rng.normal(size=(3,))]
    variables = [tf.Variable(p) for p in params]
    state, largest = None, 0.0
    for _ in range(num_steps):
        grads = [rng.normal(size=p.shape) for p in params]
        params, state = update(params, grads, state, **hyperparameters)
        params = [np.asarray(p, dtype=np.float64) for p in params]  # arrays or tensors: both fine
        keras_optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        largest = max(largest, *(np.max(np.abs(p - v.numpy())) for p, v in zip(params, variables)))
    return largest


rules = {
    "SGD": (sgd_update, keras.optimizers.SGD(learning_rate=0.1), {"learning_rate": 0.1}),
    "Momentum": (momentum_update, keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                 {"learning_rate": 0.1, "momentum": 0.9}),
    "AdaGrad": (adagrad_update, keras.optimizers.Adagrad(learning_rate=0.1), {"learning_rate": 0.1}),
    "RMSProp": (rmsprop_update, keras.optimizers.RMSprop(learning_rate=0.1), {"learning_rate": 0.1}),
    "Adam": (adam_update, keras.optimizers.Adam(learning_rate=0.1), {"learning_rate": 0.1}),
}
for label, (update, keras_optimizer, hyperparameters) in rules.items():
    print(f"{label:<9} largest difference from Keras over 20 steps: "
          f"{compare_with_keras(update, keras_optimizer, hyperparameters):.1e}")

# %% [markdown]
# ## 3. Five paths across a stretched bowl
#
# The function $f(x, y) = \dfrac{x^2}{20} + y^2$ has its minimum at $(0, 0)$, but the bowl is
# twenty times steeper across $y$ than along $x$: the gradient is $(x / 10,\ 2y)$. At the start
# $(-7, 2)$ the gradient points mostly in the $y$ direction, not towards the minimum. That is the
# trouble with a single learning rate: one large enough to travel along $x$ makes $y$ bounce.
#
# Each rule gets 100 steps from the same start, with the learning rates that suit it (those of
# the fish book's comparison; RMSProp's is our choice). We count the steps until the point is
# within 0.1 of the minimum.

# %%
def f_bowl(x, y):
    """f(x, y) = x**2 / 20 + y**2, element-wise on arrays."""
    return x**2 / 20.0 + y**2


def run_on_bowl(update, hyperparameters, start=(-7.0, 2.0), num_steps=100):
    """The points visited by an update rule on f_bowl: array (num_steps + 1, 2)."""
    params, state = [np.array(start)], None
    path = [params[0]]
    for _ in range(num_steps):
        x, y = params[0]
        params, state = update(params, [np.array([x / 10.0, 2.0 * y])], state, **hyperparameters)
        params = [np.asarray(params[0], dtype=np.float64)]  # arrays or tensors: both fine
        path.append(params[0])
    return np.array(path)


bowl_settings = {
    "SGD": (sgd_update, {"learning_rate": 0.95}),
    "Momentum": (momentum_update, {"learning_rate": 0.1, "momentum": 0.9}),
    "AdaGrad": (adagrad_update, {"learning_rate": 1.5}),
    "RMSProp": (rmsprop_update, {"learning_rate": 0.1}),
    "Adam": (adam_update, {"learning_rate": 0.3}),
}
xx, yy = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 200))
fig, axes = plt.subplots(1, 5, figsize=(20, 3.8), sharey=True)
for ax, (label, (update, hyperparameters)) in zip(axes, bowl_settings.items()):
    path = run_on_bowl(update, hyperparameters)
    distance = np.linalg.norm(path, axis=1)
    close = np.flatnonzero(distance < 0.1)
    steps = f"{close[0]} steps to within 0.1" if close.size else "not within 0.1 in 100 steps"
    ax.contour(xx, yy, f_bowl(xx, yy), levels=np.geomspace(0.05, 25, 12), colors="0.75")
    ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=2, linewidth=1)
    ax.plot(0, 0, "+", color="k", markersize=12)
    ax.set(title=f"{label}: {steps}", xlabel="x", xlim=(-10, 10), ylim=(-5, 5),
           xticks=[-10, -5, 0, 5, 10])
    print(f"{label:<9} {hyperparameters}  {steps};  distance after 100 steps {distance[-1]:.2g}")
axes[0].set_ylabel("y")
fig.suptitle(course.tr("100 steps of each rule on f(x, y) = x²/20 + y², from (−7, 2); + is the minimum"))
fig.tight_layout()
plt.show()

# %% [markdown]
# What the pictures show:
#
# - **SGD** zig-zags across the narrow $y$ direction while it creeps along $x$;
# - **Momentum** swings wide like a ball in a bowl, but its speed along $x$ builds up;
# - **AdaGrad** divides the big $y$ gradients down and the small $x$ gradients up, so it heads
#   almost straight for the minimum;
# - **RMSProp** also straightens the path, but its steps never shrink below about $\eta$: it
#   reaches the neighbourhood quickly and then keeps jittering around the minimum (its
#   distance after 100 steps is still several hundredths) — a job for a decaying learning rate;
# - **Adam** rolls like momentum with RMSProp's per-coordinate scale.
#
# No rule wins on every problem (and these step counts change with the learning rates). Adam is
# the usual first choice because it works over a wide range of learning rates; plain SGD with
# momentum and a good schedule is still hard to beat on many vision models.
#
# ## 4. A schedule: warm up, then decay
#
# The learning rate need not be constant. Two changes over time help in practice:
#
# - **warm-up**: start small and raise it linearly over the first few hundred steps. At the
#   start the weights are random and an adaptive optimizer's averages are built from a handful
#   of gradients, so large steps are risky; transformers, and many ResNets, are trained this way;
# - **decay**: once the loss is close to a minimum, smaller steps settle into it instead of
#   bouncing around (remember RMSProp's jitter above).
#
# With peak rate $\eta_{\max}$, $W$ warm-up steps and a decay time scale $D$, at step $t = 0, 1, 2, \dots$:
#
# $$\eta(t) = \begin{cases}
#   \eta_{\max}\, t / W & t < W \quad\text{(linear warm-up from 0)}\\
#   \tfrac12\, \eta_{\max} \big(1 + \cos(\pi \min(t - W, D) / D)\big) & t \ge W,\ \text{cosine: to 0 over } D \text{ steps, then 0}\\
#   \eta_{\max} / \sqrt{1 + (t - W)/D} & t \ge W,\ \text{inverse square root: slower, never reaches 0}
# \end{cases}$$
#
# Both decays start at $\eta_{\max}$ at $t = W$, so the curve is continuous. Note that the very
# first step ($t = 0$) has learning rate 0: it leaves the weights unchanged, and that is fine.
#
# A Keras schedule is a subclass of `keras.optimizers.schedules.LearningRateSchedule` with:
#
# - `__call__(step)`: the learning rate at `step`. Keras calls it with the optimizer's step
#   counter, an **integer tensor**, often inside a compiled `tf.function` where Python's `if`,
#   `math.cos` or NumPy cannot look at its value — use TensorFlow operations (`tf.cast`,
#   `tf.cos`, `tf.sqrt`, `tf.minimum`, `tf.where`);
# - `get_config()`: the constructor's arguments as plain numbers and strings, so a saved model
#   or optimizer can rebuild the schedule (`from_config(config)` is inherited: it calls
#   `cls(**config)`).
#
# A built-in example to model yours on, Keras's own exponential decay:

# %%
example_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5)
print("lr at steps 0, 100, 200:", [float(example_schedule(step)) for step in (0, 100, 200)])
print("config:", example_schedule.get_config())

# %% [markdown]
# **Your turn.** Write `WarmupThenDecay(peak_learning_rate, warmup_steps, decay_steps,
# decay="cosine")`. Raise `ValueError` for a `decay` other than `"cosine"` or `"inverse_sqrt"`.

# %% nbgrader={"grade": false, "grade_id": "WarmupThenDecay", "locked": false, "schema_version": 3, "solution": true, "task": false}
class WarmupThenDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to a peak learning rate, then a cosine or inverse-sqrt decay.

    Args:
        peak_learning_rate: float > 0, the learning rate at step warmup_steps.
        warmup_steps: int >= 0, length W of the linear warm-up (0: no warm-up).
        decay_steps: int > 0, the decay's time scale D (the cosine reaches 0 after D steps).
        decay: "cosine" or "inverse_sqrt"; anything else raises ValueError.

    Calling the schedule:
        schedule(step) with step a Python int or a scalar integer or float tensor (Keras passes
        the optimizer's int64 step counter) returns the learning rate, a scalar float32 tensor.
    """

    def __init__(self, peak_learning_rate, warmup_steps, decay_steps, decay="cosine"):
        super().__init__()
        ### BEGIN SOLUTION
        if decay not in ("cosine", "inverse_sqrt"):
            raise ValueError(f'decay must be "cosine" or "inverse_sqrt", got {decay!r}')
        if peak_learning_rate <= 0 or warmup_steps < 0 or decay_steps <= 0:
            raise ValueError("need peak_learning_rate > 0, warmup_steps >= 0 and decay_steps > 0")
        self.peak_learning_rate = float(peak_learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.decay_steps = int(decay_steps)
        self.decay = decay
        ### END SOLUTION

    def __call__(self, step):
        ### BEGIN SOLUTION
        step = tf.cast(step, tf.float32)
        peak = tf.constant(self.peak_learning_rate, tf.float32)
        warmup = float(self.warmup_steps)
        rising = peak * step / max(warmup, 1.0)
        since_peak = tf.maximum(step - warmup, 0.0)
        if self.decay == "cosine":
            progress = tf.minimum(since_peak / self.decay_steps, 1.0)
            falling = 0.5 * peak * (1.0 + tf.cos(math.pi * progress))
        else:
            falling = peak / tf.sqrt(1.0 + since_peak / self.decay_steps)
        return tf.where(step < warmup, rising, falling)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {"peak_learning_rate": self.peak_learning_rate, "warmup_steps": self.warmup_steps,
                "decay_steps": self.decay_steps, "decay": self.decay}
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_WarmupThenDecay", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_warmup_then_decay(WarmupThenDecay)
### BEGIN HIDDEN TESTS
checks.check_warmup_then_decay(WarmupThenDecay, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# Both decays over 1,000 steps with 100 warm-up steps, and a schedule in use as an optimizer's
# learning rate (Keras calls it with its own step counter):

# %%
def learning_rate_at(schedule, step):
    """The schedule's learning rate at one step as a Python float (from a tensor or a number)."""
    return float(np.asarray(schedule(step)).reshape(()))


some_steps = range(0, 1001, 10)
fig, ax = plt.subplots(figsize=(7, 3.5))
for decay in ("cosine", "inverse_sqrt"):
    # peak 1e-3, 100 warm-up steps, decay time scale 900 (cosine) or 100 (inverse sqrt)
    schedule = WarmupThenDecay(1e-3, 100, 900 if decay == "cosine" else 100, decay=decay)
    ax.plot(some_steps, [learning_rate_at(schedule, step) for step in some_steps], label=decay)
ax.axvline(100, color="0.7", linestyle="--", linewidth=1)
ax.set(xlabel="step", ylabel="learning rate", title="WarmupThenDecay (warm-up 100 steps)")
ax.legend()
plt.show()

optimizer = keras.optimizers.Adam(learning_rate=WarmupThenDecay(1e-3, 100, 900))
rebuilt = keras.optimizers.Adam.from_config(optimizer.get_config(),
                                            custom_objects={"WarmupThenDecay": WarmupThenDecay})
print("rebuilt from the optimizer's config:", rebuilt.get_config()["learning_rate"]["config"])

# %% [markdown]
# Both curves climb in a straight line to the peak during the 100 warm-up steps (left of the
# dashed line); after it the cosine glides smoothly down to 0 at step 1,000, while the inverse
# square root drops fast at first and then ever more slowly, still at a third of the peak at the
# end and never reaching 0.

# %% [markdown]
# ## 5. Choosing the learning rate with a sweep
#
# The honest way to choose a learning rate is to try several and keep the one that does best on
# **validation** data — data the model does not train on, kept apart from the test set, which
# must stay untouched until the very end. Learning rates that work span orders of magnitude, so
# the candidates are spaced evenly on a log scale.
#
# The model is a small classifier of MNIST digits (one hidden layer of 32 ReLU units) trained
# with plain SGD for 3 epochs at each rate. We use the bundled 4,000-image training split,
# 3,000 for training and 1,000 for validation, so the whole sweep takes a few seconds.

# %%
(x_all, y_all), _ = course.data.load_mnist(source="bundled")
x_all = x_all.reshape(len(x_all), -1).astype("float32") / 255.0
x_train, y_train = x_all[:3000], y_all[:3000]
x_val, y_val = x_all[3000:], y_all[3000:]
batch_size, num_epochs = 128, 3


def final_validation_loss(learning_rate):
    """Train a fresh small MLP with SGD at learning_rate; return its validation loss (a float)."""
    course.set_seed(42)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss_fn)
    model.fit(x_train, y_train, batch_size=batch_size, epochs=num_epochs, verbose=0)
    return float(model.evaluate(x_val, y_val, batch_size=1000, verbose=0))


learning_rates = [0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
val_losses = np.array([final_validation_loss(learning_rate) for learning_rate in learning_rates])
best = learning_rates[int(np.nanargmin(np.where(np.isfinite(val_losses), val_losses, np.nan)))]

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(learning_rates, val_losses, "o-")
ax.axvline(best, color="tab:green", linestyle="--", label=f"best: {best:g}")
ax.set(xlabel="learning rate (log scale)", ylabel=f"validation loss after {num_epochs} epochs",
       title="Learning-rate sweep, SGD on MNIST")
ax.legend()
plt.show()
for learning_rate, val_loss in zip(learning_rates, val_losses):
    print(f"learning_rate = {learning_rate:<6g} validation loss {val_loss:.3f}"
          + ("   <- best" if learning_rate == best else ""))

# %% [markdown]
# The curve has the lecture's shape: at 0.001 the network has hardly moved from its random start
# (a loss near $\ln 10 \approx 2.30$, the loss of guessing uniformly among ten digits); the loss
# falls as the rate grows, bottoms out, and rises again when the steps become too large, until
# at 3 training falls apart and the loss is back at guessing level. A finer grid around the best
# value, or longer training, would move the optimum a little — the sweep tells you the right
# order of magnitude, which is what matters most.
#
# ## Summary
#
# - The learning rate sets the step size of gradient descent: too small and training crawls,
#   too large and it overshoots or diverges. On a quadratic the safe range follows from the
#   curvature.
# - Momentum adds a velocity; AdaGrad and RMSProp scale each parameter by the root of (a sum or a
#   moving average of) its squared gradients; Adam combines momentum with RMSProp's scaling and
#   corrects the bias of its zero-started averages.
# - Keras departs from the textbook in small, checkable ways: Adagrad's accumulator starts at
#   0.1, $\epsilon$ sits inside the root for Adagrad and RMSProp, and Adam folds the bias
#   correction into the step size and adds $\epsilon$ to the uncorrected $\sqrt{v}$.
# - A `LearningRateSchedule` changes the rate with the step counter; warm-up protects the first
#   steps, decay settles the last ones. Write it with TensorFlow operations and a `get_config`.
# - Choose the learning rate by a sweep on a log scale, judged on validation data.
#
# ## Try it
#
# Ungraded, one edit and one re-run each (a few seconds). Write down your prediction first,
# then run the cell and explain what you see; undo the edit afterwards.
#
# 1. **The border case.** In §1, replace `1.05` by `1.0` in the tuple of learning rates. What
#    is the factor $1 - 2\eta$ now, and where does every step land? The title will say
#    "overshoots": is this run getting any closer to the minimum? Which value of $\eta$ separates
#    overshooting from diverging?
# 2. **The steepest direction sets the limit.** In §3, set SGD's learning rate to `0.5`, then to
#    `1.05`. Along $y$ one step multiplies $y$ by $1 - 2\eta$, along $x$ it multiplies $x$ by
#    $1 - \eta/10$. Predict the shape of each path and whether it beats the 43 steps of
#    $\eta = 0.95$. Why can no single learning rate be good for both directions of this bowl?
# 3. **How much memory?** In §3, set Momentum's `momentum` to `0.5`, then to `0.95` (keep the
#    learning rate 0.1). Which one swings wider, which one reaches the minimum within 100 steps,
#    and why is neither better than 0.9 here?
# 4. **The best rate belongs to the optimizer.** In §5, inside `final_validation_loss`, replace
#    `keras.optimizers.SGD(learning_rate=learning_rate)` by
#    `keras.optimizers.Adam(learning_rate=learning_rate)` and re-run the sweep. Does the best
#    learning rate move up or down, and what happens at 1 and 3? Think of the size of Adam's
#    step (about $\eta$ per weight, whatever the gradient) compared with SGD's.
#
# Next, lab 06 turns to the gap between training and validation loss: overfitting and how to
# fight it.
