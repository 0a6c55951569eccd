"""(d) lab04's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab04_gradient_tape as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- numerical_gradient ------------------------------------------------------------------------

def numgrad_flat(f, x, h=1e-4):
    """Correct, unlike the solution: a fresh perturbed copy per entry, flat indexing."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty(x.size)
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        step = step.reshape(x.shape)
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad.reshape(x.shape)


def numgrad_in_place(f, x, h=1e-4):
    """Correct: perturbs the caller's array in place with nditer and restores every entry."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        keep = x[i]
        x[i] = keep + h
        up = f(x)
        x[i] = keep - h
        down = f(x)
        x[i] = keep
        grad[i] = (up - down) / (2 * h)
        it.iternext()
    return grad


def numgrad_variant(kind):
    """Known-wrong numerical gradients."""

    def numerical_gradient(f, x, h=1e-4):
        x = np.array(x, dtype=np.float64)
        grad = np.zeros_like(x)
        f0 = f(x)
        for i in np.ndindex(x.shape):
            keep = x[i]
            x[i] = keep + h
            up = f(x)
            x[i] = keep - h
            down = f(x)
            x[i] = keep
            grad[i] = {"forward": (up - f0) / h, "backward": (f0 - down) / h, "sign": (down - up) / (2 * h),
                       "over_h": (up - down) / h}[kind]
        return grad

    return numerical_gradient


def numgrad_no_restore_copy(f, x, h=1e-4):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        grad[i] = (up - f(x)) / (2 * h)
    return grad


def numgrad_no_restore_in_place(f, x, h=1e-4):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        grad[i] = (up - f(x)) / (2 * h)
    return grad


def numgrad_float32(f, x, h=1e-4):
    return numgrad_flat(lambda v: f(v.astype(np.float32)), x, h)


def numgrad_fixed_h(f, x, h=1e-4):
    return numgrad_flat(f, x, 1e-4)


def numgrad_flattened(f, x, h=1e-4):
    return numgrad_flat(f, np.ravel(x), h).reshape(np.shape(x))


def numgrad_eps(f, x, eps=1e-4):
    return numgrad_flat(f, x, eps)


def test_numerical_gradient_passes_other_correct_versions(capsys):
    for seed in range(3):
        checks.check_numerical_gradient(numgrad_flat, seed=seed)
        checks.check_numerical_gradient(numgrad_in_place, seed=seed)
    assert capsys.readouterr().out.count("✔") == 6


@pytest.mark.parametrize("wrong, message", [
    (numgrad_variant("forward"), r"one-sided difference, \(f\(x \+ h\) - f\(x\)\) / h"),
    (numgrad_variant("backward"), r"one-sided difference, \(f\(x\) - f\(x - h\)\) / h"),
    (numgrad_variant("sign"), "wrong sign"),
    (numgrad_variant("over_h"), "divide by 2h"),
    (numgrad_no_restore_copy, "put its original value back before moving to the next entry"),
    (numgrad_no_restore_in_place, "changed the x you passed in"),
    (numgrad_float32, "dtype float32"),
    (numgrad_fixed_h, "ignores its argument h"),
    (numgrad_flattened, r"array of shape \(6,\)"),
    (numgrad_eps, "named h"),
    (lambda f, x, h=1e-4: None, "forget the `return`"),
    (lambda f, x, h=1e-4: float(numgrad_flat(f, x, h).sum()), "has shape"),
])
def test_numerical_gradient_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_numerical_gradient(wrong)


def test_numerical_gradient_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="numerical_gradient"):
        checks.check_numerical_gradient(lambda f, x, h=1e-4: stub())


# --- gradient_descent --------------------------------------------------------------------------

def descent_watch(loss_fn, w0, learning_rate, num_steps):
    """Correct, unlike the solution: float32 constants and tape.watch, list of arrays."""
    w = tf.constant(w0, dtype=tf.float32)
    path = [w0.copy()]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            tape.watch(w)
            loss = loss_fn(w)
        w = w - learning_rate * tape.gradient(loss, w)
        path.append(w.numpy())
    return path


def descent(kind):
    """Known-wrong gradient descent."""

    def gradient_descent(loss_fn, w0, learning_rate, num_steps):
        w = tf.Variable(w0)
        path = [w] if kind == "alias" else [w.numpy()]
        for _ in range(num_steps):
            with tf.GradientTape() as tape:
                loss = loss_fn(w)
            grad = tape.gradient(loss, w)
            if kind == "ascent":
                w.assign_add(learning_rate * grad)
            elif kind == "fixed_rate":
                w.assign_sub(0.01 * grad)
            elif kind != "no_update":
                w.assign_sub(learning_rate * grad)
            path.append(w if kind == "alias" else w.numpy())
        if kind == "no_w0":
            path = path[1:]
        return np.array(path)

    return gradient_descent


def descent_in_place(loss_fn, w0, learning_rate, num_steps):
    path = [w0.copy()]
    for _ in range(num_steps):
        w = tf.Variable(w0)
        with tf.GradientTape() as tape:
            loss = loss_fn(w)
        w0 -= learning_rate * tape.gradient(loss, w).numpy()
        path.append(w0.copy())
    return np.array(path)


def descent_numerical(loss_fn, w0, learning_rate, num_steps):
    w = np.array(w0, dtype=np.float64)
    path = [w.copy()]
    for _ in range(num_steps):
        w = w - learning_rate * numgrad_flat(lambda v: float(loss_fn(tf.constant(v))), w)
        path.append(w.copy())
    return np.array(path)


def descent_unwatched(loss_fn, w0, learning_rate, num_steps):
    w = tf.constant(w0)
    path = [w0]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = loss_fn(w)
        w = w - learning_rate * tape.gradient(loss, w)
        path.append(w.numpy())
    return np.array(path)


def test_gradient_descent_passes_a_float32_watch_version(capsys):
    checks.check_gradient_descent(descent_watch)
    checks.check_gradient_descent(descent_watch, seed=3)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (descent("ascent"), "loss goes up along your path"),
    (descent("no_w0"), "should start with w0"),
    (descent("alias"), "append a copy of w"),
    (descent("no_update"), "never moves"),
    (descent("fixed_rate"), "off from step 1"),
    (descent_in_place, "changed the w0 you passed in"),
    (descent_numerical, "not numerically"),
    (descent_unwatched, "tape.gradient returned None"),
])
def test_gradient_descent_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_gradient_descent(wrong)


def test_gradient_descent_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="gradient_descent"):
        checks.check_gradient_descent(stub)


# --- train_step --------------------------------------------------------------------------------

@tf.function(reduce_retracing=True)
def step_apply(model, optimizer, loss_fn, x, y):
    """Correct, unlike the solution: optimizer.apply and model.trainable_weights."""
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
    return loss


def make_step(kind):
    """Known-wrong train steps, each a fresh tf.function."""

    def train_step(model, optimizer, loss_fn, x, y):
        variables = model.weights if kind == "all_weights" else model.trainable_variables
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=kind != "no_training"))
        if kind == "loss_outside":
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, variables)
        rate = optimizer.learning_rate
        if kind == "ascent":
            for v, g in zip(variables, grads):
                v.assign_add(rate * g)
        elif kind == "first_only":
            variables[0].assign_sub(rate * grads[0])
        elif kind != "no_apply":
            optimizer.apply_gradients(zip(grads, variables))
        if kind == "loss_after":
            return loss_fn(y, model(x, training=True))
        if kind == "no_return":
            return None
        if kind == "numpy":
            return loss.numpy()
        return loss

    return tf.function(train_step)


@tf.function
def step_stub(model, optimizer, loss_fn, x, y):
    raise NotImplementedError()


def plain_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def test_train_step_passes_an_apply_version(capsys):
    checks.check_train_step(step_apply)
    checks.check_train_step(step_apply, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (plain_step, "put @tf.function"),
    (make_step("no_apply"), "did not change the weights"),
    (make_step("all_weights"), "changed a frozen layer"),
    (make_step("first_only"), "left `.*` unchanged"),
    (make_step("ascent"), "uphill"),
    (make_step("loss_after"), "loss after the update"),
    (make_step("no_return"), "returned None"),
    (make_step("no_training"), "training=True"),
    (make_step("loss_outside"), "inside the `with tf.GradientTape"),
    (make_step("numpy"), r"no \.numpy\(\)"),
])
def test_train_step_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_train_step(wrong)


def test_train_step_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="train_step"):
        checks.check_train_step(step_stub)


# --- train_loop --------------------------------------------------------------------------------

@tf.function
def good_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


@tf.function
def untrained_step(model, optimizer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def loop_split(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    """Correct, unlike the solution: RandomState.shuffle, array_split, plain mean, array result."""
    state = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    history = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        state.shuffle(indices)
        batches = np.array_split(indices, -(-len(indices) // batch_size))
        history[epoch] = np.mean([float(good_step(model, optimizer, loss_fn, x_train[b], y_train[b]))
                                  for b in batches])
    return history


def make_loop(kind):
    """Known-wrong training loops."""

    def train_loop(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
        n = len(x_train)
        rng = np.random.default_rng(seed)
        once = rng.permutation(n)
        history, per_batch = [], []
        for _ in range(num_epochs):
            if kind == "fresh_rng":
                rng = np.random.default_rng(seed)
            order = {"once": once, "never": np.arange(n), "unseeded": np.random.permutation(n),
                     "replacement": rng.integers(0, n, size=n)}.get(kind, None)
            if order is None:
                order = rng.permutation(n)
            stop = n - n % batch_size if kind == "drop_last" else n
            starts = list(range(0, stop, batch_size))
            if kind == "batch_order":
                starts = [starts[i] for i in rng.permutation(len(starts))]
                order = np.arange(n)
            losses = []
            for start in starts:
                batch = order[start:start + batch_size]
                step = untrained_step if kind == "no_training" else good_step
                if kind != "no_step":
                    losses.append(float(step(model, optimizer, loss_fn, x_train[batch], y_train[batch])))
                else:
                    losses.append(0.0)
            per_batch += losses
            value = {"last": losses[-1], "sum": sum(losses)}.get(kind, np.mean(losses))
            history.append(value)
        return per_batch if kind == "per_batch" else history

    return train_loop


def loop_with_evaluation(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    """Correct: weighted epoch mean, plus a full-data evaluation after each epoch (not returned)."""
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(num_epochs):
        order = rng.permutation(len(x_train))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        losses = [good_step(model, optimizer, loss_fn, x_train[b], y_train[b]) for b in batches]
        history.append(tf.add_n([l * len(b) for l, b in zip(losses, batches)]) / len(order))
        loss_fn(y_train, model(x_train, training=False))
    return history


def test_train_loop_passes_other_correct_versions(capsys):
    checks.check_train_loop(loop_split)
    checks.check_train_loop(loop_split, seed=1)
    checks.check_train_loop(loop_with_evaluation, seed=2)
    assert capsys.readouterr().out.count("✔") == 3


@pytest.mark.parametrize("kind, message", [
    ("once", "shuffles only once"),
    ("fresh_rng", "shuffles only once"),
    ("never", "never shuffles"),
    ("batch_order", "same batches come back every epoch"),
    ("drop_last", "drops the last, shorter batch"),
    ("replacement", "used twice and others never"),
    ("unseeded", "same seed gave a different batch order"),
    ("per_batch", "one per batch"),
    ("last", "last batch only"),
    ("sum", "sum of the batch losses"),
    ("no_training", "training=True"),
    ("no_step", "never trained the model"),
])
def test_train_loop_names_the_mistake(kind, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_train_loop(make_loop(kind))


def test_train_loop_that_ignores_the_seed():
    def loop(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
        return make_loop("correct")(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, 7)

    with pytest.raises(CheckFailed, match="different seed gave the same batch order"):
        checks.check_train_loop(loop)


def test_train_loop_with_other_argument_names():
    def loop(model, x, y, epochs, batch_size, optimizer, loss_fn, seed):
        return []

    with pytest.raises(CheckFailed, match="with exactly these names"):
        checks.check_train_loop(loop)


def test_train_loop_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="train_loop"):
        checks.check_train_loop(stub)


def test_checks_write_nothing_to_stderr(capfd):
    checks.check_train_step(step_apply)
    checks.check_train_loop(loop_split)
    with pytest.raises(CheckFailed):
        checks.check_train_step(make_step("numpy"))
    assert capfd.readouterr().err == ""
    assert keras.backend.backend() == "tensorflow"
