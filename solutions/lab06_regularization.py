# %% [markdown]
# # Lab 06 — Regularization: dropout, early stopping, weight penalties
#
# A network with far more weights than training examples can learn its training set by
# heart. Its training loss keeps falling while the loss on data it has never seen turns
# around and climbs: that is **overfitting**. In this lab you make the problem visible, then
# fix it three ways — by switching units off at random, by stopping at the right moment, and
# by charging the loss for large weights — and compare the three on the same network.
#
# **Goals**
# - see overfitting as a growing gap between the training and the validation loss, and
#   underfitting next to it: a model too simple, one about right and one too flexible, and
#   the error against the model's capacity;
# - write inverted dropout, `MyDropout(rate)`, as a Keras layer that obeys the `training` flag;
# - configure `keras.callbacks.EarlyStopping` with `make_early_stopping()`, see where it stops
#   on the validation curve, then write the same callback by hand, `MyEarlyStopping`;
# - compute the L1 and L2 weight penalties, `l1_penalty` and `l2_penalty`, compare them with
#   `keras.regularizers` and `model.losses`, and see what each (Lasso and Ridge, as statistics
#   calls them) does to the validation loss and to the weights;
# - see why an L2 penalty is weight decay under SGD but not under Adam, and what
#   `keras.optimizers.AdamW` does instead;
# - put dropout, early stopping and the weight penalties side by side in one table;
# - choose the learning rate and the weight decay by a random search on a log scale, scored on
#   validation data.
#
# **Time:** about 60 minutes. Each answer cell is followed by a check cell: run it, and it
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

from course import data, plots
from course.checks import lab06_regularization as checks

print(course.environment_line())

# %% [markdown]
# ## 1. Overfitting made visible
#
# To overfit on purpose, give a big network very little data: 500 MNIST digits for training
# (about 50 per class) and 1,000 other digits for **validation**. The validation images are
# never used to change the weights; they only tell us how well the network does on images it
# has not seen. Each image becomes a vector of 784 pixel values in $[0, 1]$.

# %%
(mnist_x, mnist_y), _ = data.load_mnist(source="bundled")
mnist_x = mnist_x.reshape(len(mnist_x), 784).astype("float32") / 255.0
x_train, y_train = mnist_x[:500], mnist_y[:500]
x_val, y_val = mnist_x[500:1500], mnist_y[500:1500]
print("x_train:", x_train.shape, " x_val:", x_val.shape)
print("training images per digit:", np.bincount(y_train))

# %% [markdown]
# The network: two hidden layers of 256 ReLU units and 10 output logits, trained by SGD with
# momentum (lab 05). That is about 270,000 weights for 500 images — more than 500 weights per
# training example. Every model
# in this lab is built by `build_model` below (the same architecture, the same starting
# weights), optionally with dropout after each hidden layer or with a weight penalty on every
# kernel. Besides the loss, each model reports `ce`, the plain cross-entropy: for a model
# with a weight penalty, Keras's `loss` also contains the penalty (section 4), so `ce` is the
# fair number to compare.

# %%
learning_rate = 0.05
batch_size = 128
num_epochs = 20


def build_model(dropout_rate=0.0, regularizer=None):
    """The lab's overfitting network: 784 -> 256 -> 256 -> 10 logits, compiled.

    Args:
        dropout_rate: if > 0, a MyDropout(dropout_rate) layer follows each hidden layer.
        regularizer: optional keras.regularizers object applied to every kernel.

    Returns:
        A compiled keras.Sequential model.
    """
    course.set_seed(42)
    model = keras.Sequential([keras.Input(shape=(784,))])
    for i in range(2):
        model.add(layers.Dense(256, activation="relu", kernel_regularizer=regularizer))
        if dropout_rate > 0:
            model.add(MyDropout(dropout_rate, seed=i))
    model.add(layers.Dense(10, kernel_regularizer=regularizer))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
        loss=loss_fn,
        metrics=[keras.metrics.SparseCategoricalCrossentropy(name="ce", from_logits=True), "accuracy"],
    )
    return model


def train(model, callbacks=None):
    """Fit on (x_train, y_train) for num_epochs, validating on (x_val, y_val) after each epoch."""
    return model.fit(
        x_train, y_train, validation_data=(x_val, y_val),
        validation_batch_size=len(x_val),  # the whole validation set in one batch: faster
        epochs=num_epochs, batch_size=batch_size, callbacks=callbacks, verbose=0,
    )


base_model = build_model()
print("weights:", base_model.count_params())
base_history = train(base_model)

# %% [markdown]
# Plot both losses against the epoch:

# %%
ax = plots.plot_loss_curves(base_history, keys=["loss", "val_loss"])
ax.set_title("no regularization")
plt.show()

base_val = np.array(base_history.history["val_ce"])
best_epoch = int(np.argmin(base_val)) + 1
print(f"lowest validation loss {base_val.min():.3f} at epoch {best_epoch}; "
      f"after epoch {num_epochs}: {base_val[-1]:.3f}")
print(f"accuracy after epoch {num_epochs}: training {base_history.history['accuracy'][-1]:.3f}, "
      f"validation {base_history.history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# Both curves fall together for the first few epochs: the network is learning what digits
# look like. Then they part. The training loss heads for zero — the network now recognises
# every one of its 500 images — but the validation loss reaches its lowest point and starts to
# rise, because the network is learning details of those particular 500 images (a stray
# stroke, an unusual slant) that do not carry over to new ones. The distance between the two
# curves is the **generalization gap**. Every technique below tries to keep it small.

# %% [markdown]
# ### Too simple, about right, too flexible
#
# Overfitting has an opposite. A model that is too simple for its data cannot even fit the
# training set: the training and the validation loss stay high, and close together. That is
# **underfitting**, and no regularization cures it: the model needs more capacity, or more
# training. A curve through a few noisy points shows both failures at once. Take 15 points of
# the wave $y = \sin(2\pi x)$ plus noise, fit polynomials of every degree from 0 to 12 by least
# squares (`np.polynomial.Polynomial.fit`), and score each on 200 other points from the same
# wave. The degree plays the part of the capacity: a polynomial of degree $d$ has $d + 1$
# coefficients to fit, just as a network has its weights.

# %%
wave_rng = np.random.default_rng(0)


def wave(x):
    """The true function behind the points: sin(2 pi x) for an array x."""
    return np.sin(2 * np.pi * x)


x_points = np.sort(wave_rng.uniform(0, 1, 15))
y_points = wave(x_points) + wave_rng.normal(0, 0.25, 15)
x_other = wave_rng.uniform(0, 1, 200)  # validation points, never fitted
y_other = wave(x_other) + wave_rng.normal(0, 0.25, 200)

degrees = np.arange(13)
polynomials = [np.polynomial.Polynomial.fit(x_points, y_points, degree) for degree in degrees]
train_mse = [np.mean((p(x_points) - y_points) ** 2) for p in polynomials]
val_mse = [np.mean((p(x_other) - y_other) ** 2) for p in polynomials]
best_degree = int(degrees[np.argmin(val_mse)])

fig, (ax_fits, ax_capacity) = plt.subplots(1, 2, figsize=(12, 4))
plots.plot_fits_1d(
    x_points, y_points,
    {course.tr("degree 1: too simple"): polynomials[1],
     course.tr("degree {degree}: about right").format(degree=best_degree): polynomials[best_degree],
     course.tr("degree 12: too flexible"): polynomials[12]},
    ax=ax_fits, truth=wave,
    data_label=course.tr("15 training points"), truth_label=course.tr("the true wave"),
)
ax_fits.set(xlabel=course.tr("x"), ylabel=course.tr("y"),
            title=course.tr("Three polynomials fitted to the same points"))
plots.plot_capacity_curve(
    degrees, train_mse, val_mse, ax=ax_capacity,
    labels=(course.tr("training error"), course.tr("validation error")),
    regions=(course.tr("underfitting"), course.tr("overfitting")),
    best_label=course.tr("lowest validation error: degree {capacity:g}"),
)
ax_capacity.set(xlabel=course.tr("polynomial degree (capacity)"),
                ylabel=course.tr("mean squared error (log scale)"), title=course.tr("Error against capacity"))
fig.tight_layout()
plt.show()
for degree in (1, best_degree, 12):
    print(f"degree {degree:2d}: training error {train_mse[degree]:.4f}, "
          f"validation error {val_mse[degree]:.4f}")

# %% [markdown]
# Left, the straight line misses the wave even at the points it was fitted to (underfitting),
# degree 12 passes through almost every point and swings wildly between them (overfitting), and
# the degree with the lowest validation error follows the wave. Right, the training error only
# falls as the capacity grows, while the validation error falls, bottoms out and climbs: the
# same U as the validation loss against the epoch above, with capacity in place of training
# time. The MNIST network of this lab, with more than 500 weights per training image, sits far
# on the right.

# %% [markdown]
# ## 2. Dropout
#
# **Dropout** switches off a random subset of units at every training step: each unit's
# output is set to 0 with probability `rate`, independently of the others and afresh at every
# step. No unit can count on a particular neighbour being there, so the network cannot build
# fragile combinations of units that only fit the training set; in effect it trains a huge
# family of thinned networks that share their weights.
#
# At inference we want the whole network. The catch: with dropout, each unit used to see only
# a fraction $1 - \text{rate}$ of its inputs' total, and without dropout it would suddenly see
# all of it. **Inverted dropout** fixes this during training — the units that survive are
# divided by $1 - \text{rate}$:
#
# $$y_i = \begin{cases} x_i / (1 - \text{rate}) & \text{with probability } 1 - \text{rate} \\
# 0 & \text{with probability rate} \end{cases}
# \qquad\Rightarrow\qquad \mathbb{E}[y_i] = (1-\text{rate})\,\frac{x_i}{1-\text{rate}} = x_i .$$
#
# The average output is unchanged, so at inference the layer does nothing at all. (The
# original form of dropout did not rescale during training and multiplied by $1 - \text{rate}$
# at test time instead; the inverted form keeps inference free.) Here is the rule on ten
# numbers with `rate = 0.5`:

# %%
rng = np.random.default_rng(0)
activations = np.arange(1.0, 11.0)
example_rate = 0.5
keep = rng.uniform(size=activations.shape) >= example_rate  # True with probability 1 - rate
print("kept:   ", keep.astype(int))
print("outputs:", np.where(keep, activations / (1 - example_rate), 0.0))

many_units = rng.uniform(0.0, 2.0, size=100_000)
keep_many = rng.uniform(size=many_units.shape) >= example_rate
dropped_out = np.where(keep_many, many_units / (1 - example_rate), 0.0)
print(f"100,000 units: mean in {many_units.mean():.4f}, mean out {dropped_out.mean():.4f}")

# %% [markdown]
# Ten numbers give a noisy mean; over many units the mean is preserved.
#
# Keras tells every layer which phase it is in through the `training` argument of
# `call(inputs, training=None)`: `model.fit` passes `training=True`, while `model.predict`,
# `model.evaluate` and a plain call `layer(x)` pass `False` or `None`. Dropout must drop only
# when `training` is `True`.
#
# For the randomness, create a `keras.random.SeedGenerator(seed)` once in `__init__`, store it
# as `self.seed_generator`, and pass it as `seed=` to `keras.random.uniform(shape, ...)`. The generator moves on after every
# draw, so each call (and each training step inside `fit`) gets a new mask, and two layers made
# with the same seed draw the same masks — a reproducible experiment. NumPy's random numbers
# would not work inside `fit`: Keras compiles the training step into a graph once, and a NumPy
# mask would be frozen into it.
#
# **Your turn.** Write `MyDropout(rate, seed=None)`:
# - `__init__`: raise a `ValueError` unless `0 <= rate < 1`; store `rate` and `seed`; create
#   the seed generator;
# - `call(inputs, training=None)`: when `training` is true, draw uniform numbers of the
#   inputs' shape (`keras.ops.shape(inputs)`), keep the units whose number is `>= rate`,
#   divide them by `1 - rate` and set the rest to 0 (`keras.ops.where` helps); otherwise
#   return `inputs` unchanged;
# - `get_config`: add `rate` and `seed` to `super().get_config()`.
#
# Write the mask yourself: no `keras.random.dropout`, `keras.layers.Dropout` or
# `tf.nn.dropout`.

# %% nbgrader={"grade": false, "grade_id": "MyDropout", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyDropout(keras.layers.Layer):
    """Inverted dropout.

    Args:
        rate: float in [0, 1), the probability that a unit is set to 0 during training.
        seed: optional int; two layers with the same seed draw the same masks.

    Call args:
        inputs: float tensor of any shape, e.g. (batch_size, units).
        training: True inside model.fit; False or None at inference.

    Returns:
        A tensor of the same shape and dtype as inputs: with training=True each entry is
        0 with probability rate, otherwise the input divided by (1 - rate); else inputs.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must satisfy 0 <= rate < 1, got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        ### END SOLUTION

    def call(self, inputs, training=None):
        ### BEGIN SOLUTION
        if not training or self.rate == 0.0:
            return inputs
        uniform = keras.random.uniform(keras.ops.shape(inputs), seed=self.seed_generator)
        keep = uniform >= self.rate
        return keras.ops.where(keep, inputs / (1.0 - self.rate), keras.ops.zeros_like(inputs))
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_MyDropout", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_my_dropout(MyDropout)
### BEGIN HIDDEN TESTS
checks.check_my_dropout(MyDropout, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# The same layer, the same input, the two phases:

# %%
dropout_layer = MyDropout(0.5, seed=0)
x_ones = np.ones((2, 8), dtype="float32")
print("training=True:\n", keras.ops.convert_to_numpy(dropout_layer(x_ones, training=True)))
print("training=False:\n", keras.ops.convert_to_numpy(dropout_layer(x_ones, training=False)))

# %% [markdown]
# Now the overfitting network with `MyDropout(0.5)` after each hidden layer. Its training loss
# is measured with dropout on (a handicapped network), so compare the validation curves:

# %%
dropout_model = build_model(dropout_rate=0.5)
dropout_history = train(dropout_model)

ax = plots.plot_loss_curves({"no regularization": base_history.history["val_ce"],
                             "dropout 0.5": dropout_history.history["val_ce"]})
ax.set(ylabel="validation loss", title="validation loss with and without dropout")
plt.show()

# %% [markdown]
# With dropout the validation loss falls more slowly — every step trains a thinned network —
# but it goes lower and stays low instead of climbing.

# %% [markdown]
# ## 3. Early stopping
#
# The validation curve of section 1 has a lowest point. **Early stopping** watches the
# validation loss after every epoch, remembers the weights from the best epoch so far, stops
# once the loss has failed to improve for `patience` epochs in a row, and puts the best
# weights back. Waiting a few epochs matters because the validation loss is noisy: one bad
# epoch does not mean the network has started to overfit.
#
# Keras has this as a callback: an object whose methods `fit` calls at fixed moments (start
# and end of training, end of every epoch, ...).
#
# **Your turn.** Write `make_early_stopping(patience=5)`, returning a
# `keras.callbacks.EarlyStopping` that monitors the validation loss, waits `patience` epochs,
# and restores the best weights at the end (`restore_best_weights=True`).

# %% nbgrader={"grade": false, "grade_id": "make_early_stopping", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_early_stopping(patience=5):
    """An EarlyStopping callback on the validation loss that restores the best weights.

    Args:
        patience: int >= 1, how many epochs without improvement to wait before stopping.

    Returns:
        A keras.callbacks.EarlyStopping instance.
    """
    ### BEGIN SOLUTION
    return keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_make_early_stopping", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_make_early_stopping(make_early_stopping)
### BEGIN HIDDEN TESTS
checks.check_make_early_stopping(make_early_stopping, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Train the overfitting network again, from the same starting weights, with the callback.
# `model.evaluate` afterwards shows which weights the model ended with:

# %%
early_model = build_model()
early_history = train(early_model, callbacks=[make_early_stopping(patience=5)])

early_val = np.array(early_history.history["val_ce"])
print(f"ran {len(early_val)} of {num_epochs} epochs; best validation loss {early_val.min():.3f} "
      f"at epoch {int(np.argmin(early_val)) + 1}")
print(f"validation loss of the model we are left with: "
      f"{early_model.evaluate(x_val, y_val, verbose=0, return_dict=True)['ce']:.3f}")

# %% [markdown]
# Where did it stop? The run with the callback retraces the first epochs of the run without it
# (same starting weights, same batches), so both lie on the validation curve of section 1:

# %%
stopped_epoch = len(early_val)
ax = plots.plot_validation_curves(
    {course.tr("validation loss, no early stopping"): base_history.history["val_ce"]},
    stopped_at={course.tr("validation loss, no early stopping"): stopped_epoch},
    best_label=course.tr("best epoch {epoch}: its weights are restored"),
    stop_label=course.tr("training stops after epoch {epoch}"),
)
ax.axvspan(stopped_epoch, num_epochs, color="0.9", zorder=0,
           label=course.tr("epochs early stopping saves"))
ax.legend(fontsize=8)
ax.set(xlabel=course.tr("epoch"), ylabel=course.tr("validation loss (cross-entropy)"),
       title=course.tr("Early stopping (patience 5) on the validation curve"))
plt.show()
same = np.allclose(early_val, base_val[:stopped_epoch], rtol=1e-3)
print(f"the early-stopping run follows this curve until it stops: {same}")

# %% [markdown]
# The star marks the epoch whose weights early stopping hands back; the dotted line, `patience`
# epochs later, is where it gives up; in the grey band the validation loss only gets worse, so
# nothing is lost by not training there.

# %% [markdown]
# Training ended `patience` epochs after the best one, and the model we are left with is the
# one from the best epoch, not from the last.
#
# Now write the callback yourself. A `keras.callbacks.Callback` subclass can override
# - `on_train_begin(logs)`: called once when `fit` starts — reset your state here, so the same
#   callback object can be used for several `fit` calls;
# - `on_epoch_end(epoch, logs)`: called after every epoch; `epoch` counts from 0 and `logs` is
#   a dict such as `{"loss": 0.31, "val_loss": 0.45, ...}`;
# - `on_train_end(logs)`: called once when `fit` finishes, whether it stopped early or not.
#
# Inside these methods `self.model` is the model being trained. `self.model.get_weights()`
# returns a *copy* of all its weights as NumPy arrays, `self.model.set_weights(...)` writes them
# back, and setting `self.model.stop_training = True` makes `fit` stop after the current epoch.
#
# Follow Keras's rule exactly: an epoch **improves** when its value is strictly smaller than
# the best so far; count the epochs since the last improvement, and stop as soon as that count
# reaches `patience`. At the end of training, always restore the weights of the best epoch.
#
# **Your turn.** Write `MyEarlyStopping(patience=5, monitor="val_loss")`.

# %% nbgrader={"grade": false, "grade_id": "MyEarlyStopping", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyEarlyStopping(keras.callbacks.Callback):
    """Early stopping written by hand: stop after `patience` epochs without a new best value.

    Args:
        patience: int >= 1, epochs without improvement to wait before stopping.
        monitor: str, the key of logs to minimise, e.g. "val_loss".

    At the end of training the model holds the weights of the epoch with the lowest
    monitored value.
    """

    def __init__(self, patience=5, monitor="val_loss"):
        super().__init__()
        ### BEGIN SOLUTION
        self.patience = int(patience)
        self.monitor = monitor
        ### END SOLUTION

    def on_train_begin(self, logs=None):
        ### BEGIN SOLUTION
        self.best = np.inf
        self.best_weights = None
        self.epochs_since_best = 0
        ### END SOLUTION

    def on_epoch_end(self, epoch, logs=None):
        ### BEGIN SOLUTION
        current = float(logs[self.monitor])
        if current < self.best:
            self.best = current
            self.best_weights = self.model.get_weights()
            self.epochs_since_best = 0
            return
        self.epochs_since_best += 1
        if self.epochs_since_best >= self.patience:
            self.model.stop_training = True
        ### END SOLUTION

    def on_train_end(self, logs=None):
        ### BEGIN SOLUTION
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_MyEarlyStopping", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_my_early_stopping(MyEarlyStopping)
### BEGIN HIDDEN TESTS
checks.check_my_early_stopping(MyEarlyStopping, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Your callback on the same network should stop at the same epoch as Keras's and leave the
# same model behind:

# %%
my_early_model = build_model()
my_early_history = train(my_early_model, callbacks=[MyEarlyStopping(patience=5)])
for name, history, model in [("keras EarlyStopping", early_history, early_model),
                             ("MyEarlyStopping", my_early_history, my_early_model)]:
    final = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["ce"]
    print(f"{name:20s} ran {len(history.history['loss'])} epochs, final validation loss {final:.3f}")

# %% [markdown]
# ## 4. Weight penalties: L1 and L2
#
# The third fix changes the loss itself. Overfitting networks tend to have large weights —
# large weights let a small change in the input make a large change in the output — so add a
# **penalty** that grows with the weights:
#
# $$L_{\text{total}} = L_{\text{data}} + \underbrace{\lambda_1 \sum_j |w_j|}_{\text{L1}}
# \qquad\text{or}\qquad L_{\text{total}} = L_{\text{data}} + \underbrace{\lambda_2 \sum_j w_j^2}_{\text{L2}},$$
#
# summed over every weight of every penalised kernel (biases are usually left alone). The
# coefficient $\lambda$ sets how much a large weight costs compared with a wrong prediction:
# too small does nothing, too large and the network cannot fit anything. (Some texts write the
# L2 penalty as $\tfrac{1}{2}\lambda W^2$; the $\tfrac12$ only rescales $\lambda$. Keras uses no
# $\tfrac12$, and so do we.)
#
# With plain gradient descent, L2 is also called **weight decay**. One step on the penalised
# loss is
#
# $$w \leftarrow w - \eta\,\big(\nabla L_{\text{data}} + 2\lambda_2 w\big)
#   = (1 - 2\eta\lambda_2)\, w - \eta\, \nabla L_{\text{data}}:$$
#
# the usual step, plus a shrink of every weight by the same fraction $2\eta\lambda_2$. (With
# momentum, as in `build_model`, the shrink is carried by the velocity too, still at the same
# rate for every weight.) This holds for SGD only; section 4 ends with what changes under Adam.
#
# In Keras a penalty is attached to a layer, `layers.Dense(..., kernel_regularizer=
# keras.regularizers.L2(0.01))`. The layer then reports its penalty, computed from the
# current weights, in `model.losses`, and `fit` adds `sum(model.losses)` to the loss it
# minimises. A regularizer object is itself a function of a weight array:

# %%
w_example = np.array([[0.5, -1.0], [0.0, 2.0]], dtype="float32")
print(f"L1(0.1)(w) = {float(keras.regularizers.L1(0.1)(w_example)):.4f}   = 0.1 * (0.5 + 1 + 0 + 2)")
print(f"L2(0.1)(w) = {float(keras.regularizers.L2(0.1)(w_example)):.4f}   = 0.1 * (0.25 + 1 + 0 + 4)")

# %% [markdown]
# **Your turn.** Write `l1_penalty(weights, l1)` and `l2_penalty(weights, l2)`. Here `weights`
# is a **list** of arrays (for instance the kernels of several layers), each of its own shape;
# the penalty adds up over all of them. NumPy or `keras.ops` both work — your functions should
# accept NumPy arrays and Keras variables alike. Write the sums yourself: the check compares your
# functions with `keras.regularizers.L1` and `L2`, so calling those does not count.

# %% nbgrader={"grade": false, "grade_id": "l1_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def l1_penalty(weights, l1):
    """L1 penalty: l1 times the sum of |w| over every entry of every array.

    Args:
        weights: list of float arrays (NumPy arrays or Keras variables), any shapes,
            e.g. [kernel of shape (784, 256), kernel of shape (256, 10)].
        l1: float >= 0, the penalty coefficient.

    Returns:
        A scalar (Python float, NumPy or tensor scalar).
    """
    ### BEGIN SOLUTION
    return l1 * sum(keras.ops.sum(keras.ops.abs(w)) for w in weights)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_l1_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_l1_penalty(l1_penalty)
### BEGIN HIDDEN TESTS
checks.check_l1_penalty(l1_penalty, seed=1)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "l2_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def l2_penalty(weights, l2):
    """L2 penalty (weight decay): l2 times the sum of w**2 over every entry of every array.

    Args:
        weights: list of float arrays (NumPy arrays or Keras variables), any shapes.
        l2: float >= 0, the penalty coefficient.

    Returns:
        A scalar (Python float, NumPy or tensor scalar).
    """
    ### BEGIN SOLUTION
    return l2 * sum(keras.ops.sum(keras.ops.square(w)) for w in weights)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_l2_penalty", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_l2_penalty(l2_penalty)
### BEGIN HIDDEN TESTS
checks.check_l2_penalty(l2_penalty, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# Your penalties on a real model: train the overfitting network with an L2 penalty and with
# an L1 penalty on every kernel, then compare `sum(model.losses)` with your functions applied
# to the models' kernels.

# %%
l2_model = build_model(regularizer=keras.regularizers.L2(1e-2))
l2_history = train(l2_model)
l1_model = build_model(regularizer=keras.regularizers.L1(1e-3))
l1_history = train(l1_model)


def as_number(value):
    """A Python float from a number, a one-element array or a tensor."""
    return float(np.asarray(keras.ops.convert_to_numpy(value)).reshape(()))


for name, model, penalty, coefficient in [("L2", l2_model, l2_penalty, 1e-2), ("L1", l1_model, l1_penalty, 1e-3)]:
    kernels = [layer.kernel for layer in model.layers]
    print(f"{name}: sum(model.losses) = {as_number(sum(model.losses)):.4f}, "
          f"yours = {as_number(penalty(kernels, coefficient)):.4f}")

# %% [markdown]
# Both penalties are older than neural networks. In statistics, least-squares regression with
# an L1 penalty is the **Lasso** (Tibshirani, 1996: "least absolute shrinkage and selection
# operator") and with an L2 penalty **ridge regression** (Hoerl and Kennard, 1970), so you will
# often read of *Lasso (L1)* and *Ridge (L2)* regularization: the same two penalties, here on a
# network's weights. What do they do to the validation loss? (We plot `val_ce`, the plain
# cross-entropy, since `val_loss` would include each model's own penalty.)

# %%
ax = plots.plot_validation_curves(
    {course.tr("no penalty"): base_history.history["val_ce"],
     course.tr("L1 (Lasso), λ₁ = 1e-3"): l1_history.history["val_ce"],
     course.tr("L2 (Ridge), λ₂ = 1e-2"): l2_history.history["val_ce"]},
    best_label=course.tr("lowest: epoch {epoch}"),
)
ax.set(xlabel=course.tr("epoch"), ylabel=course.tr("validation loss (cross-entropy)"),
       title=course.tr("Validation loss with L1 and L2 penalties"))
plt.show()
for name, history in [("no penalty", base_history), ("L1", l1_history), ("L2", l2_history)]:
    val_ce = np.array(history.history["val_ce"])
    print(f"{name:10s}: lowest {val_ce.min():.3f} at epoch {int(np.argmin(val_ce)) + 1:2d}, "
          f"last {val_ce[-1]:.3f}")

# %% [markdown]
# Without a penalty the validation loss bottoms out early and climbs; with either penalty it
# reaches a slightly lower level and stays there, so its lowest point comes late and the model
# after the last epoch is as good as the best one. At these strengths L1 and L2 do about equally
# well on the loss; where they differ is in the weights they leave behind.

# %% [markdown]
# The two penalties push the weights differently. The L1 gradient is $\lambda_1\,\text{sign}(w)$:
# the same pull towards 0 however small a weight already is, so every weight the data does not
# really need is driven all the way to zero — L1 makes the weights **sparse**. The L2 gradient
# $2\lambda_2 w$ weakens as the weight shrinks, so weights get small but almost never reach
# zero. Look at the first layer's 200,704 weights:

# %%
first_kernels = {"no penalty": base_model, "L1 (1e-3)": l1_model, "L2 (1e-2)": l2_model}
fig, axes = plt.subplots(1, 3, figsize=(12, 3), sharex=True, sharey=True)
bins = np.linspace(-0.12, 0.12, 61)
for ax, (name, model) in zip(axes, first_kernels.items()):
    kernel = keras.ops.convert_to_numpy(model.layers[0].kernel).ravel()
    ax.hist(kernel, bins=bins)
    ax.set(title=name, xlabel="weight", yscale="log")
    print(f"{name:11s}: |w| < 0.001 for {np.mean(np.abs(kernel) < 1e-3):6.1%} of the weights, "
          f"median |w| = {np.median(np.abs(kernel)):.4f}")
axes[0].set_ylabel("count (log scale)")
plt.show()

# %% [markdown]
# With L1 a large share of the first-layer weights ends up below $10^{-3}$, a hundred times
# smaller than a typical weight of the unpenalised network: whatever the data gives no strong
# reason to keep is pulled to zero at a constant speed (train longer and more of them arrive).
# Gradient descent does not land exactly on 0 — each step overshoots a little and the next
# one pulls back — so these are zeros up to about one step size. With L2 hardly any weight is
# that small, but the whole distribution is narrower than without a penalty: all weights
# small, none of them zero.
#
# ### L2 under Adam, and decoupled weight decay
#
# "L2 = weight decay" needs plain SGD. Adam (lab 05) divides each weight's gradient by that
# weight's own running scale $\sqrt{v}$ — and the penalty's part $2\lambda_2 w$ is inside that
# gradient, so it is divided too. A weight with large gradients has a large $\sqrt{v}$ and is
# hardly decayed; a weight whose data gradient is tiny (say, a first-layer weight of a border
# pixel that is always 0) has a small $\sqrt{v}$, and the penalty drags it towards zero at full
# step size. The penalty is no longer a uniform shrink of all weights, and in practice Adam
# with an L2 penalty regularises worse than SGD with the same penalty.
#
# Loshchilov and Hutter's **decoupled weight decay** leaves the loss alone and shrinks the
# weights directly, apart from the gradient step: every step does
# $w \leftarrow w - \eta\,\lambda\, w$, and then the optimizer's usual update with the data
# gradient only. In Keras that is `keras.optimizers.AdamW(learning_rate, weight_decay=λ)`, or
# the `weight_decay=` argument that every Keras optimizer takes (e.g.
# `keras.optimizers.Adam(1e-3, weight_decay=1e-4)`); it shrinks every trainable variable,
# biases included, and adds nothing to `model.losses`. (For plain SGD,
# `SGD(η, weight_decay=2λ₂)` makes exactly the same steps as the L2 penalty $\lambda_2$.)
#
# Two weights starting at 1, 100 steps of Adam: the first gets large, noisy data gradients, the
# second none at all. How much does the decay shrink each, compared with the same run without
# it?

# %%
num_decay_steps, step_size, decay = 100, 0.02, 0.05
data_gradients = np.random.default_rng(0).normal(size=(num_decay_steps, 2)) * np.array([10.0, 0.0])


def adam_run(optimizer, l2=0.0):
    """The two weights after num_decay_steps steps from (1, 1); l2 > 0 adds the L2 gradient 2*l2*w."""
    w = keras.Variable(np.ones(2))
    for gradient in data_gradients:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient) + 2 * l2 * w, w)])
    return keras.ops.convert_to_numpy(w)


undecayed = adam_run(keras.optimizers.Adam(step_size))
decayed = {f"Adam + L2 penalty ({decay})": adam_run(keras.optimizers.Adam(step_size), l2=decay),
           f"AdamW (weight_decay={decay})": adam_run(keras.optimizers.AdamW(step_size, weight_decay=decay))}
print(f"{'':30s} {'busy weight':>12s} {'idle weight':>12s}")
for name, w in decayed.items():
    shrink = 1 - w / undecayed
    print(f"{name:30s} {shrink[0]:12.0%} {shrink[1]:12.0%}")
print(f"uniform decay (1 - η·λ)^steps would shrink both by {1 - (1 - step_size * decay)**num_decay_steps:.0%}")

# %% [markdown]
# With the penalty in the loss, Adam barely decays the busy weight and drives the idle one all
# the way to 0 (a shrink of about 100 %: its last steps jitter around zero). AdamW shrinks both
# by the same 9–10 %, the fraction its formula promises, whatever their gradients.

# %% [markdown]
# ## 5. The three fixes side by side
#
# One table for the same network trained from the same starting weights: the lowest
# validation loss and the epoch it was reached, how many epochs ran, and the validation loss
# of the model each run leaves behind.

# %%
runs = {
    "no regularization": (base_history, base_model),
    "dropout 0.5": (dropout_history, dropout_model),
    "early stopping (patience 5)": (early_history, early_model),
    "L2 penalty (1e-2)": (l2_history, l2_model),
    "L1 penalty (1e-3)": (l1_history, l1_model),
}
print(f"{'':28s} {'best val loss':>13s} {'at epoch':>8s} {'epochs run':>10s} {'final model':>11s}")
for name, (history, model) in runs.items():
    val_ce = np.array(history.history["val_ce"])
    final = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["ce"]
    print(f"{name:28s} {val_ce.min():13.3f} {int(np.argmin(val_ce)) + 1:8d} {len(val_ce):10d} {final:11.3f}")

# %% [markdown]
# Reading the table:
# - without regularization, the model you are left with after the last epoch is clearly
#   worse than the best one seen along the way;
# - early stopping does not make the network any better — its best epoch is the same as the
#   unregularized run's — but it stops there, saves the remaining epochs, and hands back the
#   best model;
# - dropout and the weight penalties change what the network learns: the validation loss
#   stops climbing, so the final model is about as good as the best one. Dropout reaches the
#   lowest validation loss here.
#
# The techniques combine: dropout or weight decay to make the network generalise, plus early
# stopping to pick the epoch. Which coefficient (`rate`, $\lambda$) works best is itself chosen
# on validation data — never on the test set, or the test score stops meaning anything.

# %% [markdown]
# ## 6. Choosing hyperparameters: a random search on validation data
#
# The learning rate, $\lambda$, the dropout rate, the patience: none of them is learned by
# gradient descent. They are **hyperparameters**, set by hand before training, and the only
# way to know a good setting is to try several. Each try is scored on the **validation** set.
# Scoring them on the test set would pick the setting that happens to suit those test images,
# and the test score would no longer say how the model does on new data: the hyperparameters
# would have overfitted the test set.
#
# Which settings to try? Two habits, both from the fish book's notes:
#
# - **A log scale.** A good learning rate may be 0.001 or 0.5; what matters is its order of
#   magnitude. So draw the exponent uniformly and take $10^{u}$, $u \sim \text{Uniform}(a, b)$:
#   every power of ten in the range gets as many tries.
# - **Random, not a grid.** A 4 × 4 grid tries only 4 values of each hyperparameter; 16 random
#   pairs try 16 values of each. When only one of the two really matters (often the case), the
#   random search has explored it four times more finely (Bergstra and Bengio, 2012).
#
# Then narrow the ranges around the best tries and search again.
#
# Here: 20 tries of the learning rate $\eta = 10^{u}$, $u \sim \text{Uniform}(-3, 0.5)$, and
# the weight decay $\lambda = 10^{u}$, $u \sim \text{Uniform}(-5, -0.5)$, for a tiny network
# (784 → 32 ReLU → 10) trained for 10 epochs on the 500 training images with plain SGD and
# weight decay, $w \leftarrow w - \eta\,(\nabla L + \lambda w)$ (the step of section 4, with
# $\lambda = 2\lambda_2$). To keep 20 trainings down to a couple of seconds, the training step
# is written with a tape (lab 04) and compiled once by `tf.function`; each try puts the same
# starting weights back, and `model.fit` would compile a new step for every new model.

# %%
import tensorflow as tf

course.set_seed(42)
search_model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                                 layers.Dense(10)])
search_start = search_model.get_weights()  # every try starts from these weights
search_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function  # compiled once; the rates come in as tensors, so new values need no new compile
def search_step(x, y, learning_rate, weight_decay):
    """One step of SGD with weight decay on search_model: w <- w - lr * (gradient + weight_decay * w)."""
    with tf.GradientTape() as tape:
        loss = search_loss(y, search_model(x, training=True))
    weights = search_model.trainable_variables
    for w, gradient in zip(weights, tape.gradient(loss, weights)):
        w.assign_sub(learning_rate * (gradient + weight_decay * w))


def search_trial(learning_rate, weight_decay, num_epochs=10, batch_size=50):
    """Train search_model from search_start on (x_train, y_train); return its validation accuracy."""
    search_model.set_weights(search_start)
    order_rng = np.random.default_rng(0)  # the same batches for every try
    rates = tf.constant(learning_rate, tf.float32), tf.constant(weight_decay, tf.float32)
    for _ in range(num_epochs):
        order = order_rng.permutation(len(x_train))
        for start in range(0, len(x_train), batch_size):
            batch = order[start:start + batch_size]
            search_step(x_train[batch], y_train[batch], *rates)
    predicted = np.argmax(keras.ops.convert_to_numpy(search_model(x_val)), axis=1)
    return float(np.mean(predicted == y_val))


search_rng = np.random.default_rng(1)
num_tries = 20
learning_rates = 10 ** search_rng.uniform(-3, 0.5, num_tries)
weight_decays = 10 ** search_rng.uniform(-5, -0.5, num_tries)
val_accuracies = np.array([search_trial(lr, wd) for lr, wd in zip(learning_rates, weight_decays)])

ax = plots.plot_search_scatter(learning_rates, weight_decays, val_accuracies,
                               score_label=course.tr("validation accuracy"),
                               best_label=course.tr("best: {score:.3g}"))
ax.set(xlabel=course.tr("learning rate η (log scale)"), ylabel=course.tr("weight decay λ (log scale)"),
       title=course.tr("Random search: 20 tries, each scored on the validation set"))
plt.show()
ranking = np.argsort(-val_accuracies)
print(f"{'':4s} {'learning rate':>13s} {'weight decay':>12s} {'val accuracy':>12s}")
for place, i in enumerate(ranking[:5], start=1):
    print(f"{place:4d} {learning_rates[i]:13.3g} {weight_decays[i]:12.2g} {val_accuracies[i]:12.3f}")
print(f"worst: {val_accuracies.min():.3f} (learning rate {learning_rates[ranking[-1]]:.3g}, "
      f"weight decay {weight_decays[ranking[-1]]:.2g})")

# %% [markdown]
# Notice the good region: learning rates from a few hundredths to about 1, with a weight decay
# below about $10^{-2}$. Too small a learning rate barely moves in 10 epochs (dark points on the
# left), above about 1 the steps diverge, and a strong weight decay (top) shrinks the weights
# faster than the data can grow them. The next search would sample only that region.
#
# Only once the search is over does the test set come out, once, for the setting that won:

# %%
_, (test_x, test_y) = data.load_mnist(source="bundled")
test_x = test_x.reshape(len(test_x), 784).astype("float32") / 255.0
best = ranking[0]
search_trial(learning_rates[best], weight_decays[best])  # retrain the winner (the same run again)
test_predicted = np.argmax(keras.ops.convert_to_numpy(search_model(test_x)), axis=1)
print(f"best try: validation accuracy {val_accuracies[best]:.3f}, "
      f"test accuracy {np.mean(test_predicted == test_y):.3f}")

# %% [markdown]
# The two numbers need not agree. The winner's validation accuracy is a little optimistic —
# it is the best of 20 scores on the very images used to choose, so part of its lead is luck —
# while the test images played no part in the choice. The test accuracy is the number to
# report, and it is honest only because it was looked at once.

# %% [markdown]
# ## Summary
#
# - Overfitting shows up as a validation loss that turns around and rises while the training
#   loss keeps falling; the gap between them is what regularization shrinks. Underfitting is
#   the opposite failure, both errors high: against capacity the validation error is U-shaped,
#   too simple on the left, too flexible on the right.
# - Inverted dropout zeroes each unit with probability `rate` during training and divides the
#   survivors by `1 - rate`, so the mean is unchanged and inference is the identity. Keras
#   passes `training=True` to `call` inside `fit` and `False` in `predict`/`evaluate`.
# - Early stopping watches `val_loss`, stops after `patience` epochs without a new best, and
#   with `restore_best_weights=True` returns the best epoch's weights (the lowest point of the
#   validation curve), stopping `patience` epochs after it. A callback does it by
#   hand with `on_train_begin`, `on_epoch_end` (`get_weights`, `stop_training`) and
#   `on_train_end` (`set_weights`).
# - The L1 penalty $\lambda_1\sum|w|$ drives unneeded weights to zero (sparse); the L2 penalty
#   $\lambda_2\sum w^2$ makes all weights small. In Keras they are `kernel_regularizer`s, and
#   their current values are in `model.losses`. In statistics they are the Lasso (L1) and
#   Ridge (L2) penalties.
# - Under plain SGD the L2 penalty is weight decay, a uniform shrink of every weight. Under
#   Adam it is not: the penalty's gradient is divided by each weight's own scale. Decoupled
#   weight decay (`keras.optimizers.AdamW`, or `weight_decay=` on any Keras optimizer) shrinks
#   the weights directly, $w \leftarrow w - \eta\lambda w$, apart from the gradient step.
# - Hyperparameters are chosen on validation data, never on the test set: sample them at
#   random on a log scale, $10^{u}$ with $u$ uniform, score every try on the validation set,
#   narrow the ranges around the best and search again; the test set is used once, at the end.
#
# ## Try it
#
# Ungraded: change one thing, predict, re-run that one cell (seconds), explain. Undo the change
# afterwards, since later cells use these results.
#
# 1. **Heavy dropout, one layer.** In the cell that shows "the two phases" (§2), use
#    `MyDropout(0.9, seed=0)`. Before running: about how many of the 16 ones do you expect to
#    survive, and what value would a survivor have? After running: how likely was what you got
#    (work out $0.9^{16}$)? Why are 16 numbers far too few to see that the mean is preserved?
# 2. **Heavy dropout, whole network.** In the cell that trains `dropout_model` (§2), use
#    `build_model(dropout_rate=0.9)`. Predict the validation curve, then explain what you see:
#    why does a network that keeps only one unit in ten learn so slowly in 20 epochs? Compare
#    its curve with $\ln 10 \approx 2.3$, the loss of a uniform guess.
# 3. **Impatient stopping.** In the cell that trains `early_model` (§3), use
#    `make_early_stopping(patience=1)`. At which epoch does it stop, and does it still end with
#    the best model? Look at the validation curve of §1: what would one unlucky, noisy epoch
#    right after the start have done to this run?
# 4. **A little gradient for the idle weight.** In the Adam/AdamW cell at the end of §4,
#    replace `np.array([10.0, 0.0])` by `np.array([10.0, 0.1])`. Which of the four percentages
#    change? Does Adam with the L2 penalty still treat the two weights differently, and does
#    AdamW?
# 5. **Narrow the search.** In the random-search cell (§6), replace the two ranges by a
#    narrower pair around the best tries of the scatter (for example $u \in (-1.5, 0)$ for the
#    learning rate and $(-5, -2)$ for the weight decay). Predict: does the best validation
#    accuracy go up, and by how much compared with the spread between the top five tries? Why
#    does a gain that small say little about the test set?
#
# Next, lab 07 builds convolutional networks for images.
