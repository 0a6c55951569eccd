# %% [markdown]
# # Lab 09 — Weight initialization and batch normalization
#
# Before the first training step, every weight of a network has to hold some number. Which
# numbers you pick decides whether a deep network can learn at all: too large and the units
# saturate, too small and the signal fades away layer by layer. In this lab you watch that
# happen in the activations of a deep network, derive the two standard remedies (Xavier and He
# initialization), compare them with Keras's initializers, and then write **batch
# normalization**, the layer that keeps activations well spread whatever the weights do.
#
# **Goals**
# - see the activation histograms of a 5-layer network for weights with standard deviation
#   1, 0.01, Xavier and He, with sigmoid and with ReLU units;
# - write `xavier_std(fan_in, fan_out=None)` and `he_std(fan_in)` and check them against
#   `keras.initializers.GlorotNormal` and `HeNormal`;
# - measure, for each of the four initializations, the gradient that reaches each layer of a deep
#   network, and train the network from each to see which ones learn;
# - write `MyBatchNorm` as a Keras layer: batch statistics while training, moving averages at
#   inference, exactly like `keras.layers.BatchNormalization`;
# - train the same deep network on MNIST with and without batch normalization.
#
# **Time:** about 50 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import matplotlib.pyplot as plt
import numpy as np

import course

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import keras
from keras import layers

from course import data, plots
from course.checks import lab09_init_batchnorm as checks

print(course.environment_line())

# %% [markdown]
# ## 1. An experiment: what do the activations look like?
#
# Take a deep network of 5 dense layers with 100 units each (no biases, to keep it simple) and
# feed it 1,000 random inputs, each a vector of 100 standard normal numbers. Draw every weight
# from a normal distribution with mean 0 and some standard deviation `weight_std`, and look at
# the values each layer outputs — its **activations** — as a histogram. Nothing is trained
# here: we only look at the network as it is when training starts.
#
# `deep_activations` below runs the experiment in NumPy and returns the 5 arrays of
# activations; `show_histograms` draws one histogram per layer.

# %%
num_layers = 5
width = 100
x_random = np.random.default_rng(0).normal(size=(1000, width))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    return np.maximum(0.0, z)


def deep_activations(x, weight_std, activation, normalize=None, seed=0):
    """Activations of a deep network of num_layers dense layers of `width` units, no biases.

    Args:
        x: float array (n, width), the inputs.
        weight_std: standard deviation of the normal weights, a number.
        activation: element-wise function, e.g. sigmoid or relu.
        normalize: optional function applied to each layer's z = a @ W before the activation.
        seed: seed of the weights; the same seed gives the same weights (up to their scale).

    Returns:
        A list of num_layers float arrays, each (n, width).
    """
    rng = np.random.default_rng(seed)
    activations, a = [], x
    for _ in range(num_layers):
        W = rng.normal(0.0, 1.0, size=(a.shape[1], width)) * weight_std
        z = a @ W
        a = activation(z if normalize is None else normalize(z))
        activations.append(a)
    return activations


def show_histograms(activations, title, value_range=(0.0, 1.0), top=None):
    """One histogram per layer, all on the same axes limits.

    Args:
        activations: list of arrays, one per layer.
        title: the figure's title.
        value_range: (low, high) of the histograms' x axis.
        top: if given, cut the y axis at this fraction of the values of a layer.
    """
    fig, axes = plt.subplots(1, len(activations), figsize=(13, 2.3), sharey=True)
    for i, (ax, a) in enumerate(zip(axes, activations)):
        ax.hist(np.ravel(a), bins=30, range=value_range)
        if top is not None:
            ax.set_ylim(0, top * np.size(a))
        ax.set_title(f"layer {i + 1}", fontsize=9)
        ax.set_yticks([])
    fig.suptitle(title, y=1.05)
    plt.show()


def spread_table(runs):
    """Print the standard deviation of each layer's activations, one row per run."""
    print(f"{'':>24}" + "".join(f"  layer {i + 1}" for i in range(num_layers)))
    for name, activations in runs.items():
        print(f"{name:>24}" + "".join(f"{np.std(a):9.3g}" for a in activations))


# %% [markdown]
# First with sigmoid units and weights of standard deviation 1:

# %%
sigmoid_std1 = deep_activations(x_random, 1.0, sigmoid)
show_histograms(sigmoid_std1, "sigmoid, weight std 1")

# %% [markdown]
# Almost every activation sits at 0 or at 1. Each unit adds up 100 inputs times weights of
# size about 1, so $z$ has a standard deviation of about 10 in the first layer (about 7 in the
# next ones), far outside the sigmoid's narrow active zone around 0: the sigmoid is **saturated**: flat, with a slope near 0. Backpropagation multiplies by that slope
# at every layer, so the gradients that reach the first layers all but vanish — the
# **vanishing gradient** problem.
#
# Now make the weights small, standard deviation 0.01:

# %%
sigmoid_std001 = deep_activations(x_random, 0.01, sigmoid)
show_histograms(sigmoid_std001, "sigmoid, weight std 0.01")

# %% [markdown]
# No saturation any more, but every activation is practically 0.5: $z$ is close to 0 for
# every unit, so every unit outputs nearly the same thing. A hundred units that all say the
# same thing are worth one unit; the network has lost its **expressive power**. Neither
# extreme works: we want activations that are spread out, layer after layer.

# %% [markdown]
# ## 2. Xavier initialization
#
# Look at one unit: $z = \sum_{i=1}^{n} a_i w_i$ with $n$ inputs (the layer's **fan-in**).
# If the weights are independent of the inputs, have mean 0 and variance $\sigma^2$, then
#
# $$\operatorname{Var}(z) = n\,\sigma^2\,\mathbb{E}[a^2].$$
#
# To keep the variance the same from one layer to the next we need $n\sigma^2 = 1$, i.e.
# $\sigma = 1/\sqrt{n}$: the more inputs a unit has, the smaller its weights should be. The fish
# book calls this the **Xavier** initial value and states it exactly this way, with $n$ the
# number of units of the previous layer.
#
# Glorot and Bengio's paper (Xavier Glorot is the "Xavier") also looks at the backward pass,
# where the gradient of each unit sums over the $n_\text{out}$ units of the next layer (the
# **fan-out**), which asks for $n_\text{out}\sigma^2 = 1$. Their compromise averages the two
# fans:
#
# $$\sigma = \sqrt{\frac{2}{n_\text{in} + n_\text{out}}}\,,$$
#
# and this is what Keras's `glorot_normal` uses. The fish book's $1/\sqrt{n}$ is the special
# case $n_\text{in} = n_\text{out} = n$ (in our network every layer is 100 → 100, so the two
# agree); Keras calls the fan-in-only version `lecun_normal`.
#
# **Your turn.** Write `xavier_std(fan_in, fan_out=None)`. **Convention graded in this lab:**
# it returns Glorot's $\sqrt{2/(n_\text{in} + n_\text{out})}$; when `fan_out` is `None`, take
# `fan_out = fan_in`, which gives the fish book's $1/\sqrt{n_\text{in}}$.

# %% nbgrader={"grade": false, "grade_id": "xavier_std", "locked": false, "schema_version": 3, "solution": true, "task": false}
def xavier_std(fan_in, fan_out=None):
    """Standard deviation of Xavier (Glorot) normal initialization.

    Glorot's rule sqrt(2 / (fan_in + fan_out)), as in keras.initializers.GlorotNormal.
    With fan_out=None, fan_out is taken equal to fan_in, which gives the fish book's
    1 / sqrt(fan_in).

    Args:
        fan_in: int > 0, the number of inputs of each unit (units of the previous layer).
        fan_out: int > 0 or None, the number of units of the layer.

    Returns:
        A positive float.
    """
    ### BEGIN SOLUTION
    if fan_out is None:
        fan_out = fan_in
    return math.sqrt(2.0 / (fan_in + fan_out))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_xavier_std", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_xavier_std(xavier_std)
### BEGIN HIDDEN TESTS
checks.check_xavier_std(xavier_std, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# The same sigmoid network with Xavier weights, $\sigma = 1/\sqrt{100} = 0.1$:

# %%
def as_number(value):
    """A Python float from a number, a one-element array or a tensor."""
    return float(np.asarray(value).reshape(()))


sigmoid_xavier = deep_activations(x_random, as_number(xavier_std(width)), sigmoid)
show_histograms(sigmoid_xavier, f"sigmoid, Xavier (std {as_number(xavier_std(width)):.2g})")
spread_table({"sigmoid, std 1": sigmoid_std1, "sigmoid, std 0.01": sigmoid_std001,
              "sigmoid, Xavier": sigmoid_xavier})

# %% [markdown]
# Neither saturated nor collapsed: the activations spread around 0.5, and from the second
# layer on they keep about the same spread (the table). The first layer is wider because its
# inputs are standard normal numbers, with $\mathbb{E}[a^2] = 1$; sigmoid outputs lie in
# $(0, 1)$ with $\mathbb{E}[a^2]$ around 0.3, so the later layers get a smaller $z$ — the
# derivation above assumed inputs centred on 0.

# %% [markdown]
# ## 3. ReLU and He initialization
#
# ReLU sets every negative $z$ to 0, so about half of a layer's outputs are 0 and
# $\mathbb{E}[a^2]$ is only half of $\operatorname{Var}(z)$. To make up for the lost half, He et
# al. double the weights' variance:
#
# $$\sigma = \sqrt{\frac{2}{n_\text{in}}}\,.$$
#
# First the ReLU network with the two initializations we already have:

# %%
relu_std001 = deep_activations(x_random, 0.01, relu)
relu_xavier = deep_activations(x_random, as_number(xavier_std(width)), relu)
show_histograms(relu_std001, "ReLU, weight std 0.01", value_range=(0.0, 2.0), top=0.1)
show_histograms(relu_xavier, "ReLU, Xavier", value_range=(0.0, 2.0), top=0.1)

# %% [markdown]
# (The bar at 0 holds the units that ReLU switched off, about half of them: its top is cut off
# so that the rest stays visible.) With std 0.01 everything
# collapses onto 0 after the first layer. With Xavier the histograms shrink towards 0 layer by
# layer: each layer loses about half of its variance, so after many layers the signal is gone.
#
# **Your turn.** Write `he_std(fan_in)`.

# %% nbgrader={"grade": false, "grade_id": "he_std", "locked": false, "schema_version": 3, "solution": true, "task": false}
def he_std(fan_in):
    """Standard deviation of He normal initialization, for ReLU layers: sqrt(2 / fan_in).

    Args:
        fan_in: int > 0, the number of inputs of each unit (units of the previous layer).

    Returns:
        A positive float.
    """
    ### BEGIN SOLUTION
    return math.sqrt(2.0 / fan_in)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_he_std", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_he_std(he_std)
### BEGIN HIDDEN TESTS
checks.check_he_std(he_std, seed=3)
### END HIDDEN TESTS

# %%
relu_he = deep_activations(x_random, as_number(he_std(width)), relu)
show_histograms(relu_he, f"ReLU, He (std {as_number(he_std(width)):.3g})", value_range=(0.0, 2.0), top=0.1)
spread_table({"ReLU, std 0.01": relu_std001, "ReLU, Xavier": relu_xavier, "ReLU, He": relu_he})

# %% [markdown]
# With He weights every layer's histogram looks the same: the spread survives the depth.
# The rule of thumb: **Xavier for sigmoid and tanh, He for ReLU.**
#
# ## 4. Keras's initializers
#
# In Keras you name the rule instead of computing a number: `kernel_initializer="glorot_normal"`
# or `"he_normal"` (the default of `Dense` is `"glorot_uniform"`). Let us draw a weight matrix
# of a 784 → 100 layer with each and measure the standard deviation of the weights:

# %%
fan_in, fan_out = 784, 100
initializers = {
    "GlorotNormal": (keras.initializers.GlorotNormal(seed=0), as_number(xavier_std(fan_in, fan_out))),
    "HeNormal": (keras.initializers.HeNormal(seed=0), as_number(he_std(fan_in))),
    "LecunNormal": (keras.initializers.LecunNormal(seed=0), as_number(xavier_std(fan_in))),
}
print(f"{'':>13} {'target std':>11} {'measured':>9} {'largest |w| / std':>18}")
for name, (initializer, target) in initializers.items():
    weights = keras.ops.convert_to_numpy(initializer((fan_in, fan_out)))
    print(f"{name:>13} {target:11.5f} {weights.std():9.5f} {np.abs(weights).max() / target:18.3f}")

# %% [markdown]
# The measured standard deviations match our formulas (`LecunNormal` is the fish book's
# $1/\sqrt{n_\text{in}}$). The last column tells something more: no weight is larger than about
# 2.27 standard deviations, while among 78,400 normal draws a few would pass 4. Keras samples
# from a **truncated normal**: values beyond 2 standard deviations are thrown away and drawn
# again, so no single weight starts out huge. Cutting off the tails makes the spread smaller —
# a standard normal cut at ±2 has a standard deviation of only about 0.88 — so Keras first
# divides the standard deviation it asks for by that factor. Both numbers, computed:

# %%
cut = 2.0
density_at_cut = math.exp(-cut**2 / 2) / math.sqrt(2 * math.pi)
mass_inside = math.erf(cut / math.sqrt(2))
truncated_std = math.sqrt(1 - 2 * cut * density_at_cut / mass_inside)
print(f"std of a standard normal cut at ±2: {truncated_std:.5f}; Keras's largest weight: "
      f"{cut / truncated_std:.3f} × the target std")

plain = keras.ops.convert_to_numpy(keras.random.truncated_normal((fan_in, fan_out), stddev=0.05, seed=1))
print(f"keras.random.truncated_normal(stddev=0.05) without the correction: measured std {plain.std():.4f}")

# %% [markdown]
# ### The gradients, and training, with each initialization
#
# Sections 1–3 looked at the forward pass. Learning happens in the backward pass: each layer's
# weights move in proportion to the gradient of the loss that reaches them. Take a real
# network — the 784 pixels of an MNIST digit, 5 hidden layers of 100 units, 10 logits — build it
# with each of the four initializations, and, before any training, measure the mean absolute
# gradient of the cross-entropy on 500 digits with respect to each layer's weights, with sigmoid
# units and with ReLU units. On its way back the gradient is multiplied, layer after layer, by the
# weights and by the slopes of the activations; if that shrinks (or grows) it at every layer, the
# first layers learn far more slowly (or far more wildly) than the last.

# %%
import tensorflow as tf

(mnist_images, mnist_labels), (held_out_images, held_out_labels) = data.load_mnist(source="bundled")
x_digits = mnist_images[:2000].reshape(2000, 784).astype("float32") / 255.0
y_digits = mnist_labels[:2000]
x_held_out = held_out_images.reshape(len(held_out_images), 784).astype("float32") / 255.0
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

INITIALIZATIONS = {  # name -> a function making a fresh initializer (one per layer)
    course.tr("std 1"): lambda: keras.initializers.RandomNormal(stddev=1.0),
    course.tr("std 0.01"): lambda: keras.initializers.RandomNormal(stddev=0.01),
    course.tr("Xavier"): lambda: keras.initializers.GlorotNormal(),
    course.tr("He"): lambda: keras.initializers.HeNormal(),
}


def build_init_model(make_initializer, activation, depth=num_layers):
    """784 -> depth x Dense(width, activation) -> 10 logits, kernels from make_initializer()."""
    course.set_seed(42)
    model = keras.Sequential([keras.Input(shape=(784,))])
    for _ in range(depth):
        model.add(layers.Dense(width, activation=activation, kernel_initializer=make_initializer()))
    model.add(layers.Dense(10, kernel_initializer=make_initializer()))
    return model


def mean_abs_gradients(model, x, y):
    """The mean |dL/dW| of each layer's kernel W, first layer first; L is the mean cross-entropy."""
    kernels = [layer.kernel for layer in model.layers]
    with tf.GradientTape() as tape:
        loss = cross_entropy(y, model(x))
    return [float(keras.ops.mean(keras.ops.abs(gradient))) for gradient in tape.gradient(loss, kernels)]


fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, (activation, shown_name) in zip(axes, [("sigmoid", "sigmoid"), ("relu", "ReLU")]):
    gradients = {name: mean_abs_gradients(build_init_model(make, activation), x_digits[:500],
                                          y_digits[:500])
                 for name, make in INITIALIZATIONS.items()}
    plots.plot_per_layer(gradients, ax=ax)
    ax.set(xlabel=course.tr("layer (the last one is the output layer)"),
           ylabel=course.tr("mean |gradient| of the layer's weights"),
           title=course.tr("{activation} units, before training").format(activation=shown_name))
    print(f"{shown_name:>7}, first hidden layer's gradient / last hidden layer's: "
          + ", ".join(f"{name} {values[0] / values[-2]:.2g}" for name, values in gradients.items()))
fig.tight_layout()
plt.show()

# %% [markdown]
# With ReLU and He weights the gradient has about the same size in every layer, so every layer
# learns at the same pace; Xavier's line is just as flat, at a smaller size; std 0.01 leaves
# almost nothing to learn from, and std 1 makes the gradients enormous (they will blow training
# up). With sigmoid units, even Xavier's gradients shrink about fivefold per layer on the way
# back, since the sigmoid's slope is at most 1/4: the first layers hardly learn. That is the
# vanishing gradient, and the reason ReLU (or batch normalization, section 5) is needed in deep
# networks.
#
# Does that show in training? The fish book's experiment: the ReLU network trained with plain
# SGD (learning rate 0.1) for 5 epochs on 2,000 digits from each initialization.

# %%
init_losses = {}
for name, make in INITIALIZATIONS.items():
    model = build_init_model(make, "relu")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=cross_entropy)
    init_losses[name] = model.fit(x_digits, y_digits, epochs=5, batch_size=64, verbose=0).history["loss"]
    predicted = np.argmax(keras.ops.convert_to_numpy(model(x_held_out)), axis=1)
    print(f"{name:>8}: training loss {init_losses[name][-1]:.3g} after 5 epochs, "
          f"held-out accuracy {np.mean(predicted == held_out_labels):.3f}")

ax = plots.plot_loss_curves(init_losses, logy=True)
ax.set(xlabel=course.tr("epoch"), ylabel=course.tr("training loss (log scale)"),
       title=course.tr("5 ReLU layers on MNIST, SGD, by initialization"))
plt.show()

# %% [markdown]
# He learns fastest, Xavier follows more slowly, std 0.01 stays at $\ln 10 \approx 2.3$ (the
# loss of a uniform guess: its gradients are too small to move anything), and std 1 does not
# appear at all: its activations overflow and its loss is not a number (`nan`) from the first
# epoch. That is the fish book's figure, and the rule of thumb again: He for ReLU.

# %% [markdown]
# ## 5. Batch normalization
#
# Good initial weights help only at the start: as training changes the weights, the
# distribution of each layer's inputs moves again. **Batch normalization** fixes the spread
# inside the network, at every step. Why that helps has been explained in two ways:
#
# - Ioffe and Szegedy, who introduced it in 2015, blamed slow training on that drift, which
#   they called *internal covariate shift*: each layer keeps chasing inputs whose distribution
#   changes under it.
# - The lecture looks at the **error surface**. When the features a layer receives have very
#   different scales, the loss is steep in some directions and flat in others — a long, narrow
#   valley like the stretched bowl of lab 05 — and one learning rate cannot suit them all. Such
#   a rugged surface is hard to train, so batch normalization "flattens" it: with every feature
#   brought to the same range the valley becomes rounder and easier to descend.
#
# Later experiments side with the second view. Santurkar et al. (2018) added random noise after
# each normalization layer, changing its outputs' mean and variance at every step — the drift
# re-created on purpose — and the networks trained about as well as with plain batch
# normalization. What batch normalization does change is the smoothness of the loss: the loss
# and its gradient vary much less abruptly from point to point, so the gradient stays a
# reliable guide over a longer step. That is why batch-normalized networks tolerate larger
# learning rates and need fewer epochs.
#
# The layer standardises each feature over the current mini-batch. For a batch of $m$ values
# $x_1, \dots, x_m$ of one feature:
#
# $$\mu_B = \frac{1}{m}\sum_{i=1}^m x_i, \qquad
# \sigma_B^2 = \frac{1}{m}\sum_{i=1}^m (x_i - \mu_B)^2, \qquad
# \hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad
# y_i = \gamma\,\hat x_i + \beta .$$
#
# - $\hat x$ has mean 0 and variance (almost) 1; the small $\epsilon$ keeps a feature whose
#   values are all equal from dividing by 0. Note that $\sigma_B^2$ divides by $m$ (the
#   *biased* variance, what `np.var` and `keras.ops.var` compute), not by $m - 1$.
# - $\gamma$ (scale, starting at 1) and $\beta$ (shift, starting at 0) are trainable, one per
#   feature, so the network can undo the normalization where that helps.
# - Each feature is one entry of the **last axis**. For a batch of vectors `(m, features)` the
#   statistics run over the batch axis; for images `(m, height, width, channels)` there is one
#   $\mu$ and one $\sigma^2$ per channel, taken over the batch, height and width.
# - The layer usually sits between a dense (or convolution) layer and its activation, so it
#   normalises $z$; the lecture recommends that in particular for sigmoid units.
#
# In NumPy, for a batch of 8 examples with three features of very different scales:

# %%
rng = np.random.default_rng(1)
batch = rng.normal(loc=[5.0, -3.0, 0.0], scale=[2.0, 0.5, 0.01], size=(8, 3))
epsilon = 1e-3
batch_mean, batch_variance = batch.mean(axis=0), batch.var(axis=0)
normalised = (batch - batch_mean) / np.sqrt(batch_variance + epsilon)
print("batch means:", batch_mean.round(3), " stds:", batch.std(axis=0).round(3))
print("after:      ", normalised.mean(axis=0).round(3), " stds:", normalised.std(axis=0).round(3))

# %% [markdown]
# The first two features come out with mean 0 and standard deviation 1. The third spreads by
# only a few thousandths, so its variance is far below $\epsilon = 10^{-3}$: $\epsilon$ dominates the
# denominator and the feature is only partly blown up: $\epsilon$ decides how small a spread
# is still treated as signal.
#
# **At inference** there is a problem: a prediction for one example should not depend on
# which other examples share its batch (and there may be a batch of one). So the layer also
# keeps **moving averages** of the batch statistics, updated at every training step,
#
# $$\text{moving\_mean} \leftarrow \text{moving\_mean}\cdot p + \mu_B\,(1 - p), \qquad
# \text{moving\_variance} \leftarrow \text{moving\_variance}\cdot p + \sigma_B^2\,(1 - p),$$
#
# with the **momentum** $p$ (Keras's default is 0.99: keep 99 % of the old value), and uses
# them instead of $\mu_B, \sigma_B^2$ when it is not training. They start at 0 and 1. (PyTorch
# calls $1 - p$ the momentum, with default 0.1: the same rule, the other way round.) A large
# momentum gives a smooth average but needs many steps to forget its starting value:

# %%
moving_mean = 0.0
for step in range(1, 501):
    moving_mean = moving_mean * 0.99 + 5.0 * (1 - 0.99)  # every batch has mean 5
    if step in (10, 100, 500):
        print(f"after {step:3d} steps: moving_mean = {moving_mean:.3f}")

# %% [markdown]
# **Your turn.** Write `MyBatchNorm(momentum=0.99, epsilon=1e-3)`, a Keras layer that does
# what `keras.layers.BatchNormalization()` does with its default `axis=-1`:
# - `__init__`: raise a `ValueError` unless `0 <= momentum <= 1` and `epsilon > 0`; store both;
# - `build(input_shape)`: four weights of shape `(input_shape[-1],)`, made with
#   `self.add_weight(shape=..., initializer=..., name=...)` and stored as `self.gamma`
#   (`"ones"`), `self.beta` (`"zeros"`), `self.moving_mean` (`"zeros"`) and
#   `self.moving_variance` (`"ones"`); the two moving averages with `trainable=False`, since
#   the optimizer must not touch them;
# - `call(inputs, training=None)`: when `training` is true, normalise with the batch mean and
#   (biased) variance over every axis but the last (`keras.ops.moments(inputs, axes)` gives
#   both) and update the moving averages in place with `self.moving_mean.assign(...)`;
#   otherwise (`False` or `None`) normalise with the moving averages. Then scale by
#   `self.gamma` and shift by `self.beta`;
# - `get_config`: add `momentum` and `epsilon` to `super().get_config()`.
#
# Use `keras.ops` (not NumPy) inside `call`: `model.fit` compiles it into a graph.

# %% nbgrader={"grade": false, "grade_id": "MyBatchNorm", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyBatchNorm(keras.layers.Layer):
    """Batch normalization over every axis but the last (like BatchNormalization(axis=-1)).

    Args:
        momentum: float in [0, 1]; moving = moving * momentum + batch * (1 - momentum).
        epsilon: float > 0, added to the variance inside the square root.

    Weights (made in build, shape (channels,) with channels = input_shape[-1]):
        gamma (ones) and beta (zeros), trainable; moving_mean (zeros) and
        moving_variance (ones), not trainable.

    Call args:
        inputs: float32 tensor (batch_size, channels) or (batch_size, ..., channels).
        training: True inside model.fit: normalise with the batch's mean and biased
            variance and update the moving averages; False or None: use the moving averages.

    Returns:
        A float32 tensor of the same shape as inputs.
    """

    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        if not epsilon > 0.0:
            raise ValueError(f"epsilon must be positive, got {epsilon}")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        shape = (input_shape[-1],)
        self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(
            shape=shape, initializer="zeros", trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape=shape, initializer="ones", trainable=False, name="moving_variance"
        )
        ### END SOLUTION

    def call(self, inputs, training=None):
        ### BEGIN SOLUTION
        if training:
            axes = list(range(len(inputs.shape) - 1))
            mean, variance = keras.ops.moments(inputs, axes=axes)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
            )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        normalised = (inputs - mean) / keras.ops.sqrt(variance + self.epsilon)
        return self.gamma * normalised + self.beta
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_MyBatchNorm", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
checks.check_my_batch_norm(MyBatchNorm)
### BEGIN HIDDEN TESTS
checks.check_my_batch_norm(MyBatchNorm, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Your layer next to Keras's on a batch of images `(16, 5, 5, 3)`, both phases, after a few
# training calls so that the moving averages have moved away from 0 and 1:

# %%
images = np.random.default_rng(2).normal(loc=3.0, scale=2.0, size=(16, 5, 5, 3)).astype("float32")
my_bn = MyBatchNorm(momentum=0.9)
keras_bn = layers.BatchNormalization(momentum=0.9)
for _ in range(3):
    my_train, keras_train = my_bn(images, training=True), keras_bn(images, training=True)
my_infer, keras_infer = my_bn(images, training=False), keras_bn(images, training=False)

print("largest difference, training: ", float(np.max(np.abs(np.asarray(my_train) - np.asarray(keras_train)))))
print("largest difference, inference:", float(np.max(np.abs(np.asarray(my_infer) - np.asarray(keras_infer)))))
print("moving_mean:", np.asarray(my_bn.moving_mean).round(4), "vs", np.asarray(keras_bn.moving_mean).round(4))
print("trainable:", [w.name for w in my_bn.trainable_weights],
      " not trainable:", [w.name for w in my_bn.non_trainable_weights])

# %% [markdown]
# Back to the experiment of section 1, the worst case: sigmoid units with weights of standard
# deviation 1. Put a batch normalization (in training mode, i.e. with the statistics of the
# 1,000 inputs) between each layer's $z$ and its sigmoid:

# %%
def batch_normalize(z):
    """MyBatchNorm in training mode on one layer's z: (n, width) -> (n, width)."""
    return np.asarray(MyBatchNorm()(z.astype("float32"), training=True), dtype=np.float64)


sigmoid_std1_bn = deep_activations(x_random, 1.0, sigmoid, normalize=batch_normalize)
show_histograms(sigmoid_std1_bn, "sigmoid, weight std 1, batch normalization before each sigmoid")
spread_table({"std 1": sigmoid_std1, "std 1 + batch norm": sigmoid_std1_bn})

# %% [markdown]
# The same bad weights, and yet every layer's activations are spread over $(0, 1)$ again:
# whatever the weights do to the scale of $z$, the normalization undoes it.
#
# ## 6. Training with and without batch normalization
#
# Now a real task: the bundled MNIST subset (4,000 training and 1,000 validation digits), and
# the deep network of this lab — 5 hidden sigmoid layers of 100 units, Xavier
# (`glorot_normal`) weights — trained for 5 epochs with plain SGD. The batch-normalized
# versions put a `MyBatchNorm` or a `keras.layers.BatchNormalization` between each dense layer
# and its sigmoid; those dense layers drop their bias, since $\beta$ does its job. We use
# momentum 0.9 instead of 0.99: 5 epochs are only 160 steps, too few for a 0.99 average to
# forget its starting values (see the moving-average example above).

# %%
(mnist_x, y_train), (mnist_val, y_val) = data.load_mnist(source="bundled")
x_train = mnist_x.reshape(len(mnist_x), 784).astype("float32") / 255.0
x_val = mnist_val.reshape(len(mnist_val), 784).astype("float32") / 255.0
learning_rate = 0.1
batch_size = 128
num_epochs = 5


def build_deep_model(normalization=None):
    """784 -> 5 x [Dense(100) (-> batch norm) -> sigmoid] -> 10 logits, compiled.

    Args:
        normalization: None, "mine" (MyBatchNorm) or "keras" (keras.layers.BatchNormalization).

    Returns:
        A compiled keras.Sequential model.
    """
    course.set_seed(42)
    model = keras.Sequential([keras.Input(shape=(784,))])
    for _ in range(5):
        model.add(layers.Dense(100, use_bias=normalization is None, kernel_initializer="glorot_normal"))
        if normalization == "mine":
            model.add(MyBatchNorm(momentum=0.9))
        elif normalization == "keras":
            model.add(layers.BatchNormalization(momentum=0.9))
        model.add(layers.Activation("sigmoid"))
    model.add(layers.Dense(10))
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


histories = {}
for name, normalization in (("no batch norm", None), ("MyBatchNorm", "mine"),
                            ("keras BatchNormalization", "keras")):
    model = build_deep_model(normalization)
    histories[name] = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=num_epochs,
                                batch_size=batch_size, verbose=0).history
    print(f"{name:>25}: training loss {histories[name]['loss'][-1]:.3f}, "
          f"validation accuracy {histories[name]['val_accuracy'][-1]:.3f}")

ax = plots.plot_loss_curves({name: history["loss"] for name, history in histories.items()})
ax.lines[-1].set_linestyle("--")  # Keras's curve lies on top of MyBatchNorm's
ax.set(ylabel="training loss", title="5 sigmoid layers on MNIST, SGD")
plt.show()

# %% [markdown]
# Without batch normalization the loss stays at about $\ln 10 \approx 2.3$, the loss of a
# uniform guess: through five sigmoid layers the gradients reaching the first layers are tiny,
# and 5 epochs of SGD do not get it going. With batch normalization the same network, with the
# same learning rate, learns at once and ends near 90 % validation accuracy. Your layer and
# Keras's give practically the same curve. (Validation runs in inference mode, through the
# moving averages — that is what they are for.)

# %% [markdown]
# ## Summary
#
# - The scale of the initial weights decides the activations of a deep network: too large
#   saturates sigmoid units (vanishing gradients), too small makes every unit alike.
# - Xavier keeps the variance from layer to layer: $1/\sqrt{n_\text{in}}$ in the fish book,
#   $\sqrt{2/(n_\text{in} + n_\text{out})}$ in Glorot's paper and Keras's `glorot_normal`.
#   He, $\sqrt{2/n_\text{in}}$, makes up for the half of the units ReLU switches off.
# - Keras's normal initializers sample a truncated normal (cut at 2 standard deviations) and
#   correct its standard deviation, so the measured spread is the formula's.
# - The same holds for the gradients: with ReLU and He they keep their size from the last layer
#   back to the first, std 0.01 starves them and std 1 makes them explode; with sigmoid units they
#   shrink at every layer even with Xavier. Trained from each, the ReLU network learns fastest
#   from He, more slowly from Xavier, and not at all from the other two.
# - Batch normalization standardises each feature with the batch's mean and biased variance
#   while training, then scales by $\gamma$ and shifts by $\beta$; at inference it uses moving
#   averages updated as `moving * momentum + batch * (1 - momentum)`.
# - It was first motivated by internal covariate shift; the lecture's view, that it flattens
#   the error surface, fits later experiments better (Santurkar et al., 2018): it makes the loss
#   smoother, so larger learning rates work. With it, a deep sigmoid network that plain SGD
#   could not move trains in a few epochs.
#
# ## Try it
#
# Ungraded: one edit, a prediction, one re-run (a few seconds; the last one about ten), an
# explanation. Undo each edit afterwards.
#
# 1. **Slightly too large for ReLU.** In the cell after `check_he_std` (§3), replace
#    `as_number(he_std(width))` by `0.2` in the `relu_he = ...` line. He's rule gives 0.14; by
#    what factor should the spread grow from one layer to the next now? Compare with the table.
# 2. **A shorter memory.** In the moving-average cell of §5, use `0.9` instead of `0.99` (both
#    places). Work out the value after 10 steps, $5\,(1 - 0.9^{10})$, before you run. Which
#    momentum would you pick for a training run of only 50 steps?
# 3. **The wrong phase.** In the `batch_normalize` cell of §5, change `training=True` to
#    `training=False`. What do the histograms look like now, and why? (Think about the values
#    the moving averages of a fresh layer hold.)
# 4. **Deeper.** In the gradient cell at the end of §4, replace `build_init_model(make, activation)`
#    by `build_init_model(make, activation, depth=10)`. Predict first: for sigmoid with Xavier,
#    by roughly what factor should the first layer's gradient now fall short of the last one's
#    (the cell prints the ratio)? Does He with ReLU stay flat?
# 5. **A ten times larger step.** In the training cell of §6, set `learning_rate = 1.0`. Predict
#    the final training loss of each of the three networks. Which of them make good use of the
#    larger step, and does it help the network without batch normalization?
