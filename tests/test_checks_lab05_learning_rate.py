"""(d) lab05's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab05_learning_rate as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- correct rules, written unlike the solution ----------------------------------------------

def sgd_ok(params, grads, state=None, learning_rate=0.01):
    return [np.subtract(p, np.multiply(learning_rate, g)) for p, g in zip(params, grads)], state


def momentum_torch_style(params, grads, state=None, learning_rate=0.01, momentum=0.9):
    """PyTorch's form, b = mu * b + g and p - lr * b: the same path for a fixed learning rate."""
    buffers = state["b"] if state else [np.zeros_like(p) for p in params]
    buffers = [momentum * b + g for b, g in zip(buffers, grads)]
    return [p - learning_rate * b for p, b in zip(params, buffers)], {"b": buffers}


def adagrad_ok(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.1,
               epsilon=1e-7):
    state = state or {"h": tuple(np.full_like(p, initial_accumulator_value) for p in params)}
    h = tuple(hi + np.square(g) for hi, g in zip(state["h"], grads))
    new = tuple(p - learning_rate * g * (hi + epsilon) ** -0.5 for p, g, hi in zip(params, grads, h))
    return new, {"h": h}


def rmsprop_tf(params, grads, state=None, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """Written with TensorFlow and returning tensors."""
    v = state["v"] if state else [tf.zeros_like(p) for p in params]
    v = [rho * vi + (1 - rho) * tf.square(g) for vi, g in zip(v, grads)]
    new = [p - learning_rate * g / tf.sqrt(vi + epsilon) for p, g, vi in zip(params, grads, v)]
    return new, {"v": v}


def adam_textbook_with_epsilon_hat(params, grads, state=None, learning_rate=0.001, beta_1=0.9,
                                   beta_2=0.999, epsilon=1e-7):
    """The textbook form with Keras's epsilon rescaled: the same numbers as Keras."""
    t, m, v = state["t"] if state else 0, *(state["mv"] if state else ([0.0] * len(params),) * 2)
    t += 1
    m = [beta_1 * mi + (1 - beta_1) * g for mi, g in zip(m, grads)]
    v = [beta_2 * vi + (1 - beta_2) * g * g for vi, g in zip(v, grads)]
    eps_hat = epsilon / math.sqrt(1 - beta_2**t)
    new = [p - learning_rate * (mi / (1 - beta_1**t)) / (np.sqrt(vi / (1 - beta_2**t)) + eps_hat)
           for p, mi, vi in zip(params, m, v)]
    return new, {"t": t, "mv": (m, v)}


@pytest.mark.parametrize("check, rule", [
    (checks.check_sgd_update, sgd_ok),
    (checks.check_momentum_update, momentum_torch_style),
    (checks.check_adagrad_update, adagrad_ok),
    (checks.check_rmsprop_update, rmsprop_tf),
    (checks.check_adam_update, adam_textbook_with_epsilon_hat),
])
@pytest.mark.parametrize("seed", [0, 1])
def test_correct_rules_pass(check, rule, seed, capsys):
    check(rule, seed=seed)
    out = capsys.readouterr()
    assert out.out.count("✔") == 1 and out.err == ""


@pytest.mark.parametrize("check", [checks.check_sgd_update, checks.check_momentum_update,
                                   checks.check_adagrad_update, checks.check_rmsprop_update,
                                   checks.check_adam_update])
def test_stubs_are_not_attempted(check):
    with pytest.raises(NotAttempted, match="not implemented yet"):
        check(stub)


# --- known mistakes ----------------------------------------------------------------------------

def sgd_in_place(params, grads, state=None, learning_rate=0.01):
    for p, g in zip(params, grads):
        p -= learning_rate * g
    return params, state


def momentum_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.01, momentum=0.9):
        v = [np.zeros_like(p) for p in params] if state is None or kind == "no_state" else state["v"]
        if kind == "ema":
            v = [momentum * vi + (1 - momentum) * g for vi, g in zip(v, grads)]
            return [p - learning_rate * vi for p, vi in zip(params, v)], {"v": v}
        if kind == "old":
            new = [p + vi for p, vi in zip(params, v)]
            return new, {"v": [momentum * vi - learning_rate * g for vi, g in zip(v, grads)]}
        sign = 1 if kind == "sign" else -1
        v = [momentum * vi + sign * learning_rate * g for vi, g in zip(v, grads)]
        new = [p + vi for p, vi in zip(params, v)]
        return new, (None if kind == "none_state" else {"v": v})
    return rule


def adagrad_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        start = 0.0 if kind in ("zero", "textbook") else initial_accumulator_value
        h = [np.full_like(p, start) for p in params] if state is None else state["h"]
        h = [hi + g**2 for hi, g in zip(h, grads)]
        if kind in ("eps_out", "textbook"):
            new = [p - learning_rate * g / (np.sqrt(hi) + epsilon) for p, g, hi in zip(params, grads, h)]
        else:
            new = [p - learning_rate * g / np.sqrt(hi + epsilon) for p, g, hi in zip(params, grads, h)]
        return new, {"h": h}
    return rule


def rmsprop_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        v = [np.zeros_like(p) for p in params] if state is None or kind == "no_state" else state["v"]
        if kind == "swapped":
            v = [(1 - rho) * vi + rho * g**2 for vi, g in zip(v, grads)]
        elif kind == "adagrad":
            v = [vi + g**2 for vi, g in zip(v, grads)]
        else:
            v = [rho * vi + (1 - rho) * g**2 for vi, g in zip(v, grads)]
        eps = 1e-7 if kind == "fixed_eps" else epsilon
        root = (lambda x: np.sqrt(x) + eps) if kind == "eps_out" else (lambda x: np.sqrt(x + eps))
        return [p - learning_rate * g / root(vi) for p, g, vi in zip(params, grads, v)], {"v": v}
    return rule


def adam_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        if state is None or kind == "no_state":
            state = {"t": 0, "m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}
        t = 1 if kind == "stuck" else state["t"] + 1
        m = [beta_1 * mi + (1 - beta_1) * g for mi, g in zip(state["m"], grads)]
        v = [beta_2 * vi + (1 - beta_2) * g**2 for vi, g in zip(state["v"], grads)]
        if kind == "no_bias":
            new = [p - learning_rate * mi / (np.sqrt(vi) + epsilon) for p, mi, vi in zip(params, m, v)]
        elif kind == "textbook":
            new = [p - learning_rate * (mi / (1 - beta_1**t)) / (np.sqrt(vi / (1 - beta_2**t)) + epsilon)
                   for p, mi, vi in zip(params, m, v)]
        else:
            alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            sign = 1 if kind == "sign" else -1
            new = [p + sign * alpha * mi / (np.sqrt(vi) + epsilon) for p, mi, vi in zip(params, m, v)]
        return new, {"t": t, "m": m, "v": v}
    return rule


def sgd_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.01):
        if kind == "only_params":
            return [p - learning_rate * g for p, g in zip(params, grads)]
        if kind == "first_only":
            return params[0] - learning_rate * grads[0], state
        lr = 0.01 if kind == "fixed_lr" else learning_rate
        shift = 1e-3 if kind == "off" else 0.0
        sign = 1 if kind == "sign" else -1
        return [p + sign * lr * g + shift for p, g in zip(params, grads)], state
    return rule


@pytest.mark.parametrize("check, rule, message", [
    (checks.check_sgd_update, sgd_wrong("sign"), "up the gradient"),
    (checks.check_sgd_update, sgd_in_place, "in place"),
    (checks.check_sgd_update, sgd_wrong("fixed_lr"), "ignores its `learning_rate` argument"),
    (checks.check_sgd_update, sgd_wrong("only_params"), r"return a pair \(new_params, new_state\)"),
    (checks.check_sgd_update, sgd_wrong("first_only"), "one array per parameter"),
    (checks.check_sgd_update, sgd_wrong("off"), "does not match keras.optimizers.SGD"),
    (checks.check_momentum_update, momentum_wrong("sign"), "up the gradient"),
    (checks.check_momentum_update, momentum_wrong("ema"), "averages the gradients"),
    (checks.check_momentum_update, momentum_wrong("old"), "previous step's velocity"),
    (checks.check_momentum_update, momentum_wrong("no_state"), "does not carry its velocity"),
    (checks.check_momentum_update, momentum_wrong("none_state"), "state as a dict"),
    (checks.check_adagrad_update, adagrad_wrong("zero"), "starts the accumulator at 0"),
    (checks.check_adagrad_update, adagrad_wrong("textbook"), "starts the accumulator at 0"),
    (checks.check_adagrad_update, adagrad_wrong("eps_out"), r"outside the square root, sqrt\(h\)"),
    (checks.check_rmsprop_update, rmsprop_wrong("eps_out"), r"outside the square root, sqrt\(v\)"),
    (checks.check_rmsprop_update, rmsprop_wrong("swapped"), "swaps rho and 1 - rho"),
    (checks.check_rmsprop_update, rmsprop_wrong("adagrad"), "like Adagrad"),
    (checks.check_rmsprop_update, rmsprop_wrong("no_state"), "does not carry"),
    (checks.check_rmsprop_update, rmsprop_wrong("fixed_eps"), "ignores its `epsilon` argument"),
    (checks.check_adam_update, adam_wrong("no_bias"), "bias correction"),
    (checks.check_adam_update, adam_wrong("textbook"), "bias-corrected sqrt"),
    (checks.check_adam_update, adam_wrong("stuck"), "step counter"),
    (checks.check_adam_update, adam_wrong("no_state"), "does not carry m, v and t"),
    (checks.check_adam_update, adam_wrong("sign"), "up the gradient"),
])
def test_update_mistakes_are_named(check, rule, message):
    with pytest.raises(CheckFailed, match=message):
        check(rule)


def test_numpy_reference_is_keras():
    """The checks' NumPy rule (used to name mistakes) agrees with Keras, so a diagnosis is fair."""
    rng = np.random.default_rng(0)
    params0 = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    grads_seq = [[rng.normal(size=p.shape) for p in params0] for _ in range(4)]
    for name, runs in checks.RUNS.items():
        for hp in runs:
            assert checks._paths_close(checks._reference_path(name, params0, grads_seq, hp),
                                       checks._keras_path(name, params0, grads_seq, hp), params0), name


# --- WarmupThenDecay ---------------------------------------------------------------------------

def make_schedule(rising=None, falling=None, config_keys=None, validate=True, base=None):
    """A WarmupThenDecay variant; the defaults give a correct schedule written with keras.ops."""
    ops = keras.ops

    class Schedule(base or keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak_learning_rate, warmup_steps, decay_steps, decay="cosine"):
            if validate and decay not in {"cosine", "inverse_sqrt"}:
                raise ValueError(decay)
            self.peak_learning_rate, self.warmup_steps = peak_learning_rate, warmup_steps
            self.decay_steps, self.decay = decay_steps, decay

        def __call__(self, step):
            t = ops.cast(step, "float32")
            peak, w, d = self.peak_learning_rate, float(self.warmup_steps), float(self.decay_steps)
            up = rising(t, peak, w) if rising else peak * t / w
            if falling:
                down = falling(t, peak, w, d, self.decay)
            elif self.decay == "cosine":
                down = peak * (1 + ops.cos(math.pi * ops.clip((t - w) / d, 0.0, 1.0))) / 2
            else:
                down = peak * ops.rsqrt(1 + ops.maximum(t - w, 0.0) / d)
            return ops.where(t < w, up, down)

        def get_config(self):
            config = {"peak_learning_rate": self.peak_learning_rate, "warmup_steps": self.warmup_steps,
                      "decay_steps": self.decay_steps, "decay": self.decay}
            return {key: config[key] for key in (config_keys or config)}

    return Schedule


def test_schedule_passes_a_keras_ops_version(capsys):
    for seed in (0, 1, 4):
        checks.check_warmup_then_decay(make_schedule(), seed=seed)
    out = capsys.readouterr()
    assert out.out.count("✔") == 3 and out.err == ""


class PythonIfSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_learning_rate, warmup_steps, decay_steps, decay="cosine"):
        if decay not in ("cosine", "inverse_sqrt"):
            raise ValueError(decay)
        self.args = (peak_learning_rate, warmup_steps, decay_steps, decay)

    def __call__(self, step):
        peak, w, d, decay = self.args
        step = tf.cast(step, tf.float32)
        if step < w:
            return peak * step / w
        since = tf.minimum(step - w, d)
        if decay == "cosine":
            return peak * (1 + tf.cos(math.pi * since / d)) / 2
        return peak / tf.sqrt(1 + (step - w) / d)

    def get_config(self):
        return dict(zip(("peak_learning_rate", "warmup_steps", "decay_steps", "decay"), self.args))


class MathModuleSchedule(PythonIfSchedule):
    def __call__(self, step):
        peak, w, d, decay = self.args
        step = float(step)
        if step < w:
            return peak * step / w
        if decay == "cosine":
            return peak * (1 + math.cos(math.pi * min(step - w, d) / d)) / 2
        return peak / math.sqrt(1 + (step - w) / d)


cos = keras.ops.cos


@pytest.mark.parametrize("schedule, message", [
    (make_schedule(rising=lambda t, p, w: p * (t + 1) / w), "one step ahead"),
    (make_schedule(rising=lambda t, p, w: p + 0 * t), "no warm-up"),
    (make_schedule(rising=lambda t, p, w: p * (t / w) ** 2), "not linear"),
    (make_schedule(rising=lambda t, p, w: 0.5 * p * t / w,
                   falling=lambda t, p, w, d, k: 0.5 * p * (1 + cos(math.pi * keras.ops.clip((t - w) / d, 0, 1))) / 2),
     "should equal peak_learning_rate"),
    (make_schedule(falling=lambda t, p, w, d, k: p * (1 + cos(math.pi * (t - w) / d)) / 2), "clamp the progress"),
    (make_schedule(falling=lambda t, p, w, d, k: p * (1 + cos(math.pi * keras.ops.clip((t - w) / d, 0, 1))) / 2
                   if k == "cosine" else p * keras.ops.rsqrt(1 + keras.ops.maximum(t - w, 0) / d) ** 2),
     'decay="inverse_sqrt"'),
    (make_schedule(validate=False), "should raise ValueError"),
    (make_schedule(config_keys=("peak_learning_rate", "warmup_steps", "decay_steps")), "from_config"),
    (make_schedule(base=object), "subclass keras.optimizers.schedules.LearningRateSchedule"),
    (PythonIfSchedule, "Python `if`"),
    (MathModuleSchedule, "symbolic tensor"),
])
def test_schedule_mistakes_are_named(schedule, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_warmup_then_decay(schedule)


def test_schedule_decay_from_step_zero_is_named():
    def falling(t, p, w, d, k):
        if k == "cosine":
            return p * (1 + cos(math.pi * keras.ops.clip(t / d, 0, 1))) / 2
        return p * keras.ops.rsqrt(1 + t / d)

    with pytest.raises(CheckFailed, match="measured from step 0"):
        checks.check_warmup_then_decay(make_schedule(falling=falling))


def test_schedule_stub_is_not_attempted():
    class Stub(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak_learning_rate, warmup_steps, decay_steps, decay="cosine"):
            super().__init__()
            raise NotImplementedError()

    with pytest.raises(NotAttempted, match="WarmupThenDecay"):
        checks.check_warmup_then_decay(Stub)
