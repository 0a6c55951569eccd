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


def numgrad_flat_iter(f, x, h=0.0001):
    """Correct: x.flat on a float64 copy, the default written another way."""
    work = np.array(x, dtype=np.float64, copy=True)
    grad = np.empty_like(work)
    for i in range(work.size):
        keep = work.flat[i]
        work.flat[i] = keep + h
        up = float(f(work))
        work.flat[i] = keep - h
        down = float(f(work))
        work.flat[i] = keep
        grad.flat[i] = (up - down) / (2 * h)
    return grad


def numgrad_list(f, x, h=1e-4):
    """Correct: a nested list of partial derivatives (shape kept), built with np.ndindex."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out.tolist() if x.ndim else float(out)


@pytest.mark.parametrize("right", [numgrad_flat, numgrad_in_place, numgrad_flat_iter, numgrad_list])
def test_numerical_gradient_passes_other_correct_versions(right, capsys):
    for seed in range(3):
        checks.check_numerical_gradient(right, seed=seed)
    assert capsys.readouterr().out.count("✔") == 3


def numgrad_by_rows(f, x, h=1e-4):
    """Wrong for x of rank 0 (len() of a 0-d array) and 2 (perturbs whole rows)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(len(x)):
        keep = x[i].copy()
        x[i] = keep + h
        up = f(x)
        x[i] = keep - h
        down = f(x)
        x[i] = keep
        grad[i] = (up - down) / (2 * h)
    return grad


def numgrad_default_h(f, x, h=1e-3):
    return numgrad_flat(f, x, h)


def numgrad_returns_float32(f, x, h=1e-4):
    return numgrad_flat(f, x, h).astype(np.float32)


def numgrad_gives_tensors(f, x, h=1e-4):
    return numgrad_flat(lambda v: f(tf.constant(v)), x, h)


def helper_stub(*args):
    raise NotImplementedError()


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
    (numgrad_default_h, "default step is h=0.001"),
    (lambda f, x, h: numgrad_flat(f, x, h), "needs its default"),
    (numgrad_returns_float32, "returns a float32 array"),
    (numgrad_gives_tensors, "called f with a EagerTensor"),
    (numgrad_by_rows, "is off|raised TypeError"),
    (lambda f, x, h=1e-4: helper_stub(), "calls `helper_stub`, which still raises"),
])
def test_numerical_gradient_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_numerical_gradient(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_numerical_gradient_checks_every_rank():
    # right for a vector (seed 1 has x of shape (4,)), wrong for the 0-d x every check adds
    with pytest.raises(CheckFailed, match="raised TypeError"):
        checks.check_numerical_gradient(numgrad_by_rows, seed=1)


def test_numerical_gradient_stub_is_not_attempted():
    def numerical_gradient(f, x, h=1e-4):
        raise NotImplementedError()

    with pytest.raises(NotAttempted, match="numerical_gradient"):
        checks.check_numerical_gradient(numerical_gradient)


# --- gradient_descent --------------------------------------------------------------------------

def descent_watch(loss_fn, w0, learning_rate, num_steps, dtype=tf.float64):
    """Correct, unlike the solution: constants and tape.watch, a list of arrays."""
    w = tf.constant(w0, dtype=dtype)
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
        for _ in range(max(num_steps, 1) if kind == "at_least_one" else num_steps):
            with tf.GradientTape() as tape:
                loss = loss_fn(w)
            grad = tape.gradient(loss, w)
            if kind == "ascent":
                w.assign_add(learning_rate * grad)
            elif kind == "fixed_rate":
                w.assign_sub(0.01 * grad)
            elif kind == "nan":
                w.assign_sub(learning_rate * grad * np.nan)
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


def descent_keras_sgd(loss_fn, w0, learning_rate, num_steps):
    """Correct: the tape, and keras's plain SGD (exactly w - learning_rate * g) to apply it."""
    w = tf.Variable(w0)
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    path = np.empty((num_steps + 1, *np.shape(w0)))
    path[0] = w0
    for k in range(num_steps):
        with tf.GradientTape() as tape:
            loss = loss_fn(w)
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
        path[k + 1] = w.numpy()
    return path


def descent_flattened(loss_fn, w0, learning_rate, num_steps):
    """Wrong for a 0-d w0: the weights become a vector of one."""
    w = tf.Variable(np.reshape(w0, (-1,)) if np.ndim(w0) == 0 else w0)
    path = [w.numpy()]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = loss_fn(w)
        w.assign_sub(learning_rate * tape.gradient(loss, w))
        path.append(w.numpy())
    return np.array(path)


@pytest.mark.parametrize("right", [descent_watch, descent_keras_sgd, descent("correct")])
def test_gradient_descent_passes_other_versions(right, capsys):
    checks.check_gradient_descent(right)
    checks.check_gradient_descent(right, seed=3)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (descent("ascent"), "loss goes up along your path"),
    (descent("no_w0"), "should start with w0"),
    (descent("alias"), "append a copy of w"),
    (descent("no_update"), "never moves"),
    (descent("fixed_rate"), "off from step 1"),
    (descent_in_place, "changed the w0 you passed in"),
    (descent_numerical, "never evaluates loss_fn inside a tf.GradientTape"),
    (descent_unwatched, "tape.gradient returned None"),
    (lambda *args: descent_watch(*args, dtype=tf.float32), "the path is float32"),
    (descent("nan"), "nan or inf from step 1"),
    (descent("at_least_one"), "num_steps=0"),
    (descent_flattened, r"0-d w0.*has shape|shape \(5, 1\)"),
    (lambda *args: helper_stub(), "calls `helper_stub`, which still raises"),
])
def test_gradient_descent_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_gradient_descent(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_gradient_descent_numerically_inside_a_tape_is_caught_by_its_calls():
    def numerical_in_tape(loss_fn, w0, learning_rate, num_steps):
        with tf.GradientTape():
            return descent_numerical(loss_fn, w0, learning_rate, num_steps)

    with pytest.raises(CheckFailed, match="not numerically"):
        checks.check_gradient_descent(numerical_in_tape)


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
            predictions = model(x, training=kind != "no_training")
            loss = loss_fn(predictions, y) if kind == "swapped" else loss_fn(y, predictions)
        if kind == "loss_outside":
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, variables)
        rate = optimizer.learning_rate
        if kind == "ascent":
            for v, g in zip(variables, grads):
                v.assign_add(rate * g)
        elif kind == "first_only":
            variables[0].assign_sub(rate * grads[0])
        elif kind == "by_hand":
            for v, g in zip(variables, grads):
                v.assign_sub(rate * g)
        elif kind == "twice":
            optimizer.apply_gradients(zip(grads, variables))
            optimizer.apply_gradients(zip(grads, variables))
        elif kind != "no_apply":
            optimizer.apply_gradients(zip(grads, variables))
        if kind == "loss_after":
            return loss_fn(y, model(x, training=True))
        if kind == "no_return":
            return None
        if kind == "numpy":
            return loss.numpy()
        if kind == "as_vector":
            return tf.reshape(loss, [1])
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


@tf.function
def step_converted(model, optimizer, loss_fn, x, y):
    """Correct: explicit tensors, trainable_weights, a list of pairs."""
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    with tf.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(list(zip(grads, model.trainable_weights)))
    return tf.identity(loss)


@pytest.mark.parametrize("right", [step_apply, step_converted, make_step("correct")])
def test_train_step_passes_other_versions(right, capsys):
    checks.check_train_step(right)
    checks.check_train_step(right, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (plain_step, "put @tf.function"),
    (make_step("no_apply"), "did not change the weights"),
    (make_step("all_weights"), "gradients of model.trainable_variables"),
    (make_step("by_hand"), "without the optimizer it was given"),
    (make_step("twice"), "applied the optimizer 2 times"),
    (make_step("first_only"), "left `.*` unchanged"),
    (make_step("ascent"), "uphill"),
    (make_step("loss_after"), "loss after the update"),
    (make_step("no_return"), "returned None"),
    (make_step("no_training"), "training=True"),
    (make_step("loss_outside"), "inside the `with tf.GradientTape"),
    (make_step("numpy"), r"no \.numpy\(\)"),
    (make_step("as_vector"), r"returned an array of shape \(1,\)"),
])
def test_train_step_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_train_step(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_train_step_with_the_loss_arguments_swapped():
    # harmless for the symmetric MSE of seed 0, caught with the cross-entropy of seed 1
    with pytest.raises(CheckFailed, match="the targets come first"):
        checks.check_train_step(make_step("swapped"), seed=1)


def test_train_step_that_changes_frozen_weights_by_hand():
    @tf.function
    def step(model, optimizer, loss_fn, x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.weights)
        optimizer.apply_gradients(zip(grads[:2], model.weights[:2]))
        for v, g in zip(model.weights[2:], grads[2:]):
            v.assign_sub(0.1 * g)
        return loss

    with pytest.raises(CheckFailed, match="changed a frozen layer"):
        checks.check_train_step(step)


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
    """Correct, unlike the solution: a local RandomState, shuffle in place, an array result."""
    state = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    history = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        state.shuffle(indices)
        batches = [indices[i:i + batch_size] for i in range(0, len(indices), batch_size)]
        losses = [float(good_step(model, optimizer, loss_fn, x_train[b], y_train[b])) for b in batches]
        history[epoch] = np.average(losses, weights=[len(b) for b in batches])
    return history


def loop_inline(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    """Correct results, but the step is written out eagerly instead of calling train_step."""
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(num_epochs):
        order = rng.permutation(len(x_train))
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            with tf.GradientTape() as tape:
                loss = loss_fn(y_train[batch], model(x_train[batch], training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            total += float(loss) * len(batch)
        history.append(total / len(order))
    return history


def loop_fit(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=optimizer, loss=loss_fn)
    return model.fit(x_train, y_train, batch_size=batch_size, epochs=num_epochs, verbose=0).history["loss"]


def loop_own_optimizer(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    return make_loop("correct")(model, x_train, y_train, num_epochs, batch_size,
                                OWN_OPTIMIZER, loss_fn, seed)


OWN_OPTIMIZER = keras.optimizers.SGD(learning_rate=0.1)


@tf.function
def train_step(model, optimizer, loss_fn, x, y):  # the notebook's train_step, still a stub
    raise NotImplementedError()


def make_loop(kind, step=None):
    """Known-wrong training loops."""

    def train_loop(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
        n = len(x_train)
        rng = np.random.default_rng(seed)
        once = rng.permutation(n) if kind == "once" else None
        if kind == "global_seed":
            np.random.seed(seed)
        history, per_batch = [], []
        for _ in range(num_epochs):
            if kind == "fresh_rng":
                rng = np.random.default_rng(seed)
            if kind == "once":
                order = once
            elif kind == "never":
                order = np.arange(n)
            elif kind in ("unseeded", "global_seed"):
                order = np.random.permutation(n)
            elif kind == "replacement":
                order = rng.integers(0, n, size=n)
            else:
                order = rng.permutation(n)
            stop = n - n % batch_size if kind == "drop_last" else n
            starts = list(range(0, stop, batch_size))
            if kind == "empty_last":
                starts = [i * batch_size for i in range(n // batch_size + 1)]
            if kind == "short_first":
                starts = [0] + list(range(n % batch_size or batch_size, n, batch_size))
            if kind == "batch_order":
                perm = rng.permutation(len(starts))
                perm = perm[::-1] if np.array_equal(perm, np.sort(perm)) else perm
                starts = [starts[i] for i in perm]
                order = np.arange(n)
            losses, sizes = [], []
            ends = starts[1:] + [n] if kind == "short_first" else [start + batch_size for start in starts]
            if kind == "array_split":
                pieces = np.array_split(order, -(-n // batch_size))
                starts = [sum(map(len, pieces[:i])) for i in range(len(pieces))]
                ends = [start + len(piece) for start, piece in zip(starts, pieces)]
            for start, end in zip(starts, ends):
                batch = order[start:end]
                chosen = step or (untrained_step if kind == "no_training" else good_step)
                if kind != "no_step":
                    losses.append(float(chosen(model, optimizer, loss_fn, x_train[batch], y_train[batch])))
                else:
                    losses.append(0.0)
                sizes.append(len(batch))
            per_batch += losses
            weighted = float(np.dot(losses, sizes) / max(sum(sizes), 1))
            value = {"last": losses[-1], "sum": sum(losses), "plain_mean": float(np.mean(losses))}.get(kind, weighted)
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


def loop_choice(model, x_train, y_train, num_epochs, batch_size, optimizer, loss_fn, seed):
    """Correct: rng.choice without replacement, the data arrays shuffled, tensors in the history."""
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(num_epochs):
        order = rng.choice(len(x_train), size=len(x_train), replace=False)
        xs, ys = x_train[order], y_train[order]
        total = 0.0
        for start in range(0, len(xs), batch_size):
            loss = good_step(model, optimizer, loss_fn, xs[start:start + batch_size], ys[start:start + batch_size])
            total += loss * len(xs[start:start + batch_size])
        history.append(total / len(xs))
    return history


@pytest.mark.parametrize("right", [loop_with_evaluation, make_loop("correct"), loop_choice])
def test_train_loop_passes_other_correct_versions(right, capsys):
    for seed in range(3):
        checks.check_train_loop(right, seed=seed)
    out = capsys.readouterr().out
    assert out.count("✔") == 3 and "though" not in out


def test_train_loop_with_another_generator_passes_but_says_so(capsys):
    checks.check_train_loop(loop_split)  # a local RandomState: reproducible, but not default_rng
    assert "though its shuffling does not come from np.random.default_rng(seed)" in capsys.readouterr().out


def test_train_loop_without_train_step_passes_but_says_so(capsys):
    checks.check_train_loop(loop_inline)
    assert "though it trains eagerly instead of through your @tf.function train_step" in capsys.readouterr().out


@pytest.mark.parametrize("kind, message", [
    ("once", "shuffles only once"),
    ("fresh_rng", "shuffles only once"),
    ("never", "never shuffles"),
    ("batch_order", "same batches come back every epoch"),
    ("drop_last", "drops the last, shorter batch"),
    ("replacement", "used twice and others never"),
    ("unseeded", "global random state"),
    ("global_seed", "global random state"),
    ("plain_mean", "plain mean of the batch losses"),
    ("empty_last", "empty batch"),
    ("short_first", "only the last batch is shorter"),
    ("array_split", "only the last batch is shorter"),
    ("per_batch", "one per batch"),
    ("last", "last batch only"),
    ("sum", "sum of the batch losses"),
    ("no_training", "training=True"),
    ("no_step", "never trained the model"),
])
def test_train_loop_names_the_mistake(kind, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_train_loop(make_loop(kind))


@pytest.mark.parametrize("wrong, message", [
    (loop_fit, "calls fit"),
    (loop_own_optimizer, "took 0 steps"),
    (make_loop("correct", step=train_step), "calls `train_step`, which still raises NotImplementedError"),
    (make_loop("correct", step=make_step("no_return")), "train_loop"),
])
def test_train_loop_names_other_mistakes(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_train_loop(wrong)
    assert not isinstance(caught.value, NotAttempted)


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
