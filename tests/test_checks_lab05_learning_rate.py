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
    """np.subtract, a tuple of new params and a NumPy integer step."""
    step = np.int64(0 if state is None else state["step"])
    return tuple(np.subtract(p, np.multiply(learning_rate, g)) for p, g in zip(params, grads)), {"step": step + 1}


def sgd_kwargs(params, grads, state=None, **hyperparameters):
    """The hyperparameters through **kwargs, with the default in the body; tensors out."""
    learning_rate = hyperparameters.get("learning_rate", 0.01)
    state = dict(state or {"step": 0})
    new = [tf.constant(p) - learning_rate * tf.constant(g) for p, g in zip(params, grads)]
    return new, {**state, "step": state["step"] + 1}


def momentum_torch_style(params, grads, state=None, learning_rate=0.01, momentum=0.9):
    """PyTorch's form, b = mu * b + g and p - lr * b (the same path for a fixed learning rate), with
    the Keras velocity -lr * b kept in the state as documented, and an extra key."""
    state = state or {"step": 0, "buffers": [np.zeros_like(p) for p in params]}
    buffers = [momentum * b + g for b, g in zip(state["buffers"], grads)]
    new = [p - learning_rate * b for p, b in zip(params, buffers)]
    return new, {"step": state["step"] + 1, "buffers": buffers,
                 "velocity": [-learning_rate * b for b in buffers]}


def momentum_keras_ops(params, grads, state=None, learning_rate=0.01, momentum=0.9):
    """keras.ops throughout, tensors in the state and out, the velocity as a tuple."""
    ops = keras.ops
    if state is None:
        state = {"step": 0, "velocity": tuple(ops.zeros(ops.shape(p), dtype="float64") for p in params)}
    velocity = tuple(ops.subtract(ops.multiply(momentum, v), ops.multiply(learning_rate, g))
                     for v, g in zip(state["velocity"], grads))
    return [ops.add(p, v) for p, v in zip(params, velocity)], {"velocity": velocity, "step": state["step"] + 1}


def adagrad_ok(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.1,
               epsilon=1e-7):
    state = state or {"step": 0, "accumulator": tuple(np.full_like(p, initial_accumulator_value) for p in params)}
    h = tuple(hi + np.square(g) for hi, g in zip(state["accumulator"], grads))
    new = tuple(p - learning_rate * g * (hi + epsilon) ** -0.5 for p, g, hi in zip(params, grads, h))
    return new, {"step": state["step"] + 1, "accumulator": h}


def rmsprop_tf(params, grads, state=None, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """Written with TensorFlow and returning tensors (the step a tensor too)."""
    v = state["velocity"] if state else [tf.zeros_like(p) for p in params]
    step = state["step"] if state else tf.constant(0)
    v = [rho * vi + (1 - rho) * tf.square(g) for vi, g in zip(v, grads)]
    new = [p - learning_rate * g / tf.sqrt(vi + epsilon) for p, g, vi in zip(params, grads, v)]
    return new, {"velocity": v, "step": step + 1}


def adam_textbook_with_epsilon_hat(params, grads, state=None, learning_rate=0.001, beta_1=0.9,
                                   beta_2=0.999, epsilon=1e-7):
    """The textbook form with Keras's epsilon rescaled: the same numbers as Keras."""
    if state is None:
        state = {"step": 0, "m": [0.0] * len(params), "v": [0.0] * len(params)}
    t = state["step"] + 1
    m = [beta_1 * mi + (1 - beta_1) * g for mi, g in zip(state["m"], grads)]
    v = [beta_2 * vi + (1 - beta_2) * g * g for vi, g in zip(state["v"], grads)]
    eps_hat = epsilon / math.sqrt(1 - beta_2**t)
    new = [p - learning_rate * (mi / (1 - beta_1**t)) / (np.sqrt(vi / (1 - beta_2**t)) + eps_hat)
           for p, mi, vi in zip(params, m, v)]
    return new, {"step": t, "m": m, "v": v}


def adam_float32_keywords(params, grads, state=None, *, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                          epsilon=1e-7):
    """Keyword-only hyperparameters, the moments as tuples of float64 arrays, alpha with numpy."""
    state = state or dict(step=0, m=tuple(np.zeros(np.shape(p)) for p in params),
                          v=tuple(np.zeros(np.shape(p)) for p in params))
    t = state["step"] + 1
    m = tuple(np.add(beta_1 * a, (1 - beta_1) * g) for a, g in zip(state["m"], grads))
    v = tuple(np.add(beta_2 * b, (1 - beta_2) * np.square(g)) for b, g in zip(state["v"], grads))
    alpha = learning_rate * np.sqrt(1 - np.power(beta_2, t)) / (1 - np.power(beta_1, t))
    return [p - alpha * a / (np.sqrt(b) + epsilon) for p, a, b in zip(params, m, v)], dict(step=t, m=m, v=v)


@pytest.mark.parametrize("check, rule", [
    (checks.check_sgd_update, sgd_ok),
    (checks.check_sgd_update, sgd_kwargs),
    (checks.check_momentum_update, momentum_torch_style),
    (checks.check_momentum_update, momentum_keras_ops),
    (checks.check_adagrad_update, adagrad_ok),
    (checks.check_rmsprop_update, rmsprop_tf),
    (checks.check_adam_update, adam_textbook_with_epsilon_hat),
    (checks.check_adam_update, adam_float32_keywords),
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

def counted(state):
    """The step count a wrong rule carries on correctly (so that only its own mistake shows)."""
    return 1 if state is None else state["step"] + 1


def sgd_in_place(params, grads, state=None, learning_rate=0.01):
    for p, g in zip(params, grads):
        p -= learning_rate * g
    return params, {"step": counted(state)}


def helper_stub(*args):
    raise NotImplementedError()


def sgd_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.01):
        step = {"step": counted(state)}
        if kind == "only_params":
            return [p - learning_rate * g for p, g in zip(params, grads)]
        if kind == "first_only":
            return params[0] - learning_rate * grads[0], step
        if kind == "none_state":
            return [p - learning_rate * g for p, g in zip(params, grads)], None
        if kind == "empty_state":
            return [p - learning_rate * g for p, g in zip(params, grads)], {}
        if kind == "step_stuck":
            return [p - learning_rate * g for p, g in zip(params, grads)], {"step": 1}
        if kind == "elementwise":  # iterates over each array's entries: fails for a 0-d parameter
            return [np.array([pi - learning_rate * gi for pi, gi in zip(p, g)]) for p, g in zip(params, grads)], step
        if kind == "helper_stub":
            return helper_stub(params, grads), step
        if kind == "later_stub" and state is not None:
            raise NotImplementedError()
        lr = 0.01 if kind == "fixed_lr" else learning_rate
        shift = 1e-3 if kind == "off" else 0.0
        sign = 1 if kind == "sign" else -1
        return [p + sign * lr * g + shift for p, g in zip(params, grads)], step
    return rule


def sgd_default_lr(params, grads, state=None, learning_rate=0.1):
    return sgd_ok(params, grads, state, learning_rate)


def sgd_kwargs_default(params, grads, state=None, **hp):
    return sgd_ok(params, grads, state, hp.get("learning_rate", 0.001))


def sgd_state_required(params, grads, state, learning_rate=0.01):
    return sgd_ok(params, grads, state, learning_rate)


def momentum_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.01, momentum=0.9):
        fresh = [np.zeros_like(p) for p in params]
        v = fresh if state is None or kind == "no_state" else state["velocity"]
        step = counted(state)
        if kind == "ema":
            v = [momentum * vi + (1 - momentum) * g for vi, g in zip(v, grads)]
            return [p - learning_rate * vi for p, vi in zip(params, v)], {"step": step, "velocity": v}
        if kind == "old":
            new = [p + vi for p, vi in zip(params, v)]
            return new, {"step": step, "velocity": [momentum * vi - learning_rate * g for vi, g in zip(v, grads)]}
        if kind == "nesterov":
            v = [momentum * vi - learning_rate * g for vi, g in zip(v, grads)]
            new = [p + momentum * vi - learning_rate * g for p, vi, g in zip(params, v, grads)]
            return new, {"step": step, "velocity": v}
        sign = 1 if kind == "sign" else -1
        v = [momentum * vi + sign * learning_rate * g for vi, g in zip(v, grads)]
        new = [p + vi for p, vi in zip(params, v)]
        if kind == "none_state":
            return new, None
        if kind == "no_velocity_key":
            return new, {"step": step, "v": v}
        if kind == "flat_velocity":
            return new, {"step": step, "velocity": [vi.ravel() for vi in v]}
        if kind == "one_array":
            return new, {"step": step, "velocity": np.concatenate([vi.ravel() for vi in v])}
        return new, {"step": step, "velocity": v}
    return rule


def momentum_default(momentum_default):
    def rule(params, grads, state=None, learning_rate=0.01, momentum=momentum_default):
        return momentum_wrong("right")(params, grads, state, learning_rate, momentum)
    return rule


def momentum_kwargs_default(params, grads, state=None, **hp):
    """The default momentum forgotten (0), invisible in a first step."""
    return momentum_wrong("right")(params, grads, state, hp.get("learning_rate", 0.01), hp.get("momentum", 0.0))


def adagrad_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        start = 0.0 if kind in ("zero", "textbook") else initial_accumulator_value
        h = [np.full_like(p, start) for p in params] if state is None else state["accumulator"]
        if kind == "old":  # steps with the accumulator before adding this gradient
            new = [p - learning_rate * g / np.sqrt(hi + epsilon) for p, g, hi in zip(params, grads, h)]
            return new, {"step": counted(state), "accumulator": [hi + g**2 for hi, g in zip(h, grads)]}
        h = [hi + g**2 for hi, g in zip(h, grads)]
        if kind == "no_sqrt":
            new = [p - learning_rate * g / (hi + epsilon) for p, g, hi in zip(params, grads, h)]
        elif kind in ("eps_out", "textbook"):
            new = [p - learning_rate * g / (np.sqrt(hi) + epsilon) for p, g, hi in zip(params, grads, h)]
        else:
            new = [p - learning_rate * g / np.sqrt(hi + epsilon) for p, g, hi in zip(params, grads, h)]
        return new, {"step": counted(state), "accumulator": h}
    return rule


def adagrad_textbook_epsilon(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.1,
                             epsilon=1e-8):
    """Keras's rule with the textbook's default epsilon: invisible in the numbers, wrong in the contract."""
    return adagrad_wrong("right")(params, grads, state, learning_rate, initial_accumulator_value, epsilon)


def adagrad_zero_default(params, grads, state=None, learning_rate=0.001, initial_accumulator_value=0.0,
                         epsilon=1e-7):
    return adagrad_wrong("right")(params, grads, state, learning_rate, initial_accumulator_value, epsilon)


def rmsprop_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        v = [np.zeros_like(p) for p in params] if state is None or kind == "no_state" else state["velocity"]
        if kind == "swapped":
            v = [(1 - rho) * vi + rho * g**2 for vi, g in zip(v, grads)]
        elif kind == "adagrad":
            v = [vi + g**2 for vi, g in zip(v, grads)]
        elif kind == "minus":  # a sign slip: v goes negative and its square root is nan
            v = [rho * vi - (1 - rho) * g**2 for vi, g in zip(v, grads)]
        elif kind == "no_one_minus":
            v = [rho * vi + g**2 for vi, g in zip(v, grads)]
        elif kind == "old":  # steps with the average from before this gradient
            new = [p - learning_rate * g / np.sqrt(vi + epsilon) for p, g, vi in zip(params, grads, v)]
            return new, {"step": counted(state), "velocity": [rho * vi + (1 - rho) * g**2 for vi, g in zip(v, grads)]}
        else:
            v = [rho * vi + (1 - rho) * g**2 for vi, g in zip(v, grads)]
        eps = 1e-7 if kind == "fixed_eps" else epsilon
        root = {"eps_out": lambda x: np.sqrt(x) + eps, "no_sqrt": lambda x: x + eps}.get(kind, lambda x: np.sqrt(x + eps))
        new = [p - learning_rate * g / root(vi) for p, g, vi in zip(params, grads, v)]
        return new, {"step": counted(state), "velocity": v}
    return rule


def rmsprop_default_rho(params, grads, state=None, learning_rate=0.001, rho=0.99, epsilon=1e-7):
    return rmsprop_wrong("right")(params, grads, state, learning_rate, rho, epsilon)


def rmsprop_kwargs_epsilon(params, grads, state=None, **hp):
    """epsilon's default is 1e-8 here: it shows only where the gradients are tiny."""
    return rmsprop_wrong("right")(params, grads, state, hp.get("learning_rate", 0.001), hp.get("rho", 0.9),
                                  hp.get("epsilon", 1e-8))


def adam_wrong(kind):
    def rule(params, grads, state=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        if state is None or kind == "no_state":
            state = {"step": 0, "m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}
        t = 1 if kind == "stuck" else state["step"] + 1
        if kind == "t_zero":  # uses the counter before adding 1: t = 0 on the first call
            t = state["step"]
        keep_1, keep_2 = (1, 1) if kind == "no_one_minus" else (1 - beta_1, 1 - beta_2)
        m = [beta_1 * mi + keep_1 * g for mi, g in zip(state["m"], grads)]
        v = [beta_2 * vi + keep_2 * g**2 for vi, g in zip(state["v"], grads)]
        if kind == "no_sqrt":
            alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            new = [p - alpha * mi / (vi + epsilon) for p, mi, vi in zip(params, m, v)]
        elif kind == "no_bias":
            new = [p - learning_rate * mi / (np.sqrt(vi) + epsilon) for p, mi, vi in zip(params, m, v)]
        elif kind == "textbook":
            new = [p - learning_rate * (mi / (1 - beta_1**t)) / (np.sqrt(vi / (1 - beta_2**t)) + epsilon)
                   for p, mi, vi in zip(params, m, v)]
        else:
            alpha = learning_rate * math.sqrt(1 - beta_2**t) / (1 - beta_1**t) if t else np.nan
            sign = 1 if kind == "sign" else -1
            new = [p + sign * alpha * mi / (np.sqrt(vi) + epsilon) for p, mi, vi in zip(params, m, v)]
        step = state["step"] + 1 if kind in ("stuck", "t_zero", "no_state") else t
        if kind == "t_key":
            return new, {"t": t, "m": m, "v": v}
        return new, {"step": step, "m": m, "v": v}
    return rule


def adam_default_epsilon(params, grads, state=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                         epsilon=1e-8):
    return adam_wrong("right")(params, grads, state, learning_rate, beta_1, beta_2, epsilon)


def adam_kwargs_beta(params, grads, state=None, **hp):
    """beta_1's default is 0.99 here: the bias correction hides it in the first step."""
    hp = {"learning_rate": 0.001, "beta_1": 0.99, "beta_2": 0.999, "epsilon": 1e-7, **hp}
    return adam_wrong("right")(params, grads, state, **hp)


@pytest.mark.parametrize("check, rule, message", [
    (checks.check_sgd_update, sgd_wrong("sign"), "up the gradient"),
    (checks.check_sgd_update, sgd_in_place, "in place"),
    (checks.check_sgd_update, sgd_wrong("fixed_lr"), "ignores its `learning_rate` argument"),
    (checks.check_sgd_update, sgd_wrong("only_params"), r"return a pair \(new_params, new_state\)"),
    (checks.check_sgd_update, sgd_wrong("first_only"), "one array per parameter"),
    (checks.check_sgd_update, sgd_wrong("off"), "does not match keras.optimizers.SGD"),
    (checks.check_sgd_update, sgd_wrong("none_state"), r"state as a dict .*\{\"step\": number of steps"),
    (checks.check_sgd_update, sgd_wrong("empty_state"), 'has no "step" entry'),
    (checks.check_sgd_update, sgd_wrong("step_stuck"), r'new_state\["step"\] is 1 after 2 call'),
    (checks.check_sgd_update, sgd_wrong("elementwise"), "raised TypeError"),
    (checks.check_sgd_update, sgd_wrong("helper_stub"), "calls `helper_stub`, which still raises"),
    (checks.check_sgd_update, sgd_wrong("later_stub"), "although an earlier call worked"),
    (checks.check_sgd_update, sgd_default_lr, "default learning_rate=0.1 is not Keras's 0.01"),
    (checks.check_sgd_update, sgd_kwargs_default, "with its default arguments does not match"),
    (checks.check_sgd_update, sgd_state_required, "keep state=None"),
    (checks.check_momentum_update, momentum_wrong("sign"), "up the gradient"),
    (checks.check_momentum_update, momentum_wrong("ema"), "averages the gradients"),
    (checks.check_momentum_update, momentum_wrong("old"), "previous step's velocity"),
    (checks.check_momentum_update, momentum_wrong("nesterov"), "Nesterov's look-ahead"),
    (checks.check_momentum_update, momentum_wrong("no_state"), "does not carry its velocity"),
    (checks.check_momentum_update, momentum_wrong("none_state"), "state as a dict"),
    (checks.check_momentum_update, momentum_wrong("no_velocity_key"), 'has no "velocity" entry'),
    (checks.check_momentum_update, momentum_wrong("flat_velocity"), r'new_state\["velocity"\]\[0\] has shape'),
    (checks.check_momentum_update, momentum_wrong("one_array"), "should be a list with one array per parameter"),
    (checks.check_momentum_update, momentum_default(0.5), "default momentum=0.5 is not Keras's 0.9"),
    (checks.check_momentum_update, momentum_kwargs_default, "with its default arguments does not match"),
    (checks.check_adagrad_update, adagrad_wrong("zero"), "starts the accumulator at 0"),
    (checks.check_adagrad_update, adagrad_wrong("textbook"), "starts the accumulator at 0"),
    (checks.check_adagrad_update, adagrad_wrong("eps_out"), r"outside the square root, sqrt\(h\)"),
    (checks.check_adagrad_update, adagrad_wrong("old"), "accumulator from before this step"),
    (checks.check_adagrad_update, adagrad_wrong("no_sqrt"), r"divides by h \+ epsilon itself"),
    (checks.check_adagrad_update, adagrad_textbook_epsilon, "default epsilon=1e-08 is not Keras's 1e-07"),
    (checks.check_adagrad_update, adagrad_zero_default, "default initial_accumulator_value=0.0"),
    (checks.check_rmsprop_update, rmsprop_wrong("eps_out"), r"outside the square root, sqrt\(v\)"),
    (checks.check_rmsprop_update, rmsprop_wrong("swapped"), "swaps rho and 1 - rho"),
    (checks.check_rmsprop_update, rmsprop_wrong("adagrad"), "like Adagrad"),
    (checks.check_rmsprop_update, rmsprop_wrong("no_state"), "does not carry"),
    (checks.check_rmsprop_update, rmsprop_wrong("no_one_minus"), "adds the whole grad"),
    (checks.check_rmsprop_update, rmsprop_wrong("old"), "average from before this step"),
    (checks.check_rmsprop_update, rmsprop_wrong("no_sqrt"), r"divides by v \+ epsilon itself"),
    (checks.check_rmsprop_update, rmsprop_wrong("fixed_eps"), "ignores its `epsilon` argument"),
    (checks.check_rmsprop_update, rmsprop_wrong("minus"), "contain NaN or inf after step 1"),
    (checks.check_rmsprop_update, rmsprop_default_rho, "default rho=0.99 is not Keras's 0.9"),
    (checks.check_rmsprop_update, rmsprop_kwargs_epsilon, "with its default arguments does not match"),
    (checks.check_adam_update, adam_wrong("no_bias"), "bias correction"),
    (checks.check_adam_update, adam_wrong("textbook"), "bias-corrected sqrt"),
    (checks.check_adam_update, adam_wrong("stuck"), "step counter"),
    (checks.check_adam_update, adam_wrong("no_state"), "does not carry m, v and t"),
    (checks.check_adam_update, adam_wrong("sign"), "up the gradient"),
    (checks.check_adam_update, adam_wrong("no_one_minus"), "adds the whole grad and grad"),
    (checks.check_adam_update, adam_wrong("no_sqrt"), r"divides by v \+ epsilon: divide by the square root"),
    (checks.check_adam_update, adam_wrong("t_zero"), "first step gives NaN or inf"),
    (checks.check_adam_update, adam_wrong("t_key"), 'has no "step" entry'),
    (checks.check_adam_update, adam_default_epsilon, "default epsilon=1e-08"),
    (checks.check_adam_update, adam_kwargs_beta, "with its default arguments does not match"),
])
def test_update_mistakes_are_named(check, rule, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        check(rule)
    assert not isinstance(caught.value, NotAttempted)


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


class CondSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Correct, unlike the solution: tf.cond between the phases, the arguments in one dict,
    keyword-only decay checked with a set, no warm-up handled by a separate branch."""

    def __init__(self, peak_learning_rate, warmup_steps, decay_steps, decay="cosine"):
        if decay not in {"inverse_sqrt", "cosine"}:
            raise ValueError(f"unknown decay {decay}")
        self.args = dict(peak_learning_rate=peak_learning_rate, warmup_steps=warmup_steps,
                         decay_steps=decay_steps, decay=decay)

    def __call__(self, step):
        a = self.args
        t = tf.cast(step, tf.float32)
        peak, w, d = (tf.constant(float(a[k]), tf.float32) for k in ("peak_learning_rate", "warmup_steps",
                                                                      "decay_steps"))
        if a["decay"] == "cosine":
            down = lambda: peak * 0.5 * (1.0 + tf.cos(math.pi * tf.clip_by_value((t - w) / d, 0.0, 1.0)))
        else:
            down = lambda: peak * tf.math.rsqrt(1.0 + tf.nn.relu(t - w) / d)
        if a["warmup_steps"] == 0:
            return down()
        return tf.cond(t < w, lambda: peak * t / w, down)

    def get_config(self):
        return dict(self.args)


@pytest.mark.parametrize("schedule", [make_schedule(), CondSchedule])
def test_schedule_passes_correct_versions(schedule, capsys):
    for seed in (0, 1, 4):
        checks.check_warmup_then_decay(schedule, seed=seed)
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


def multiplied_warmup(t, p, w, d, k):
    """lr = min(step / W, 1) * decay: right for W > 0, 0 / 0 = nan at step 0 when W = 0."""
    ops = keras.ops
    if k == "cosine":
        down = p * (1 + cos(math.pi * ops.clip((t - w) / d, 0, 1))) / 2
    else:
        down = p * ops.rsqrt(1 + ops.maximum(t - w, 0) / d)
    return ops.minimum(t / w, 1.0) * down


class MultipliedWarmup(make_schedule()):
    def __call__(self, step):
        t = keras.ops.cast(step, "float32")
        return multiplied_warmup(t, self.peak_learning_rate, float(self.warmup_steps), float(self.decay_steps),
                                 self.decay)


class Float64Schedule(make_schedule()):
    def __call__(self, step):
        return tf.cast(super().__call__(step), tf.float64)


class ListSchedule(make_schedule()):
    def __call__(self, step):
        return keras.ops.reshape(super().__call__(step), (1,))


class InverseByDefault(make_schedule()):
    def __init__(self, peak_learning_rate, warmup_steps, decay_steps, decay="inverse_sqrt"):
        super().__init__(peak_learning_rate, warmup_steps, decay_steps, decay)


class ConfigStub(make_schedule()):
    def get_config(self):
        raise NotImplementedError()


class CallStub(make_schedule()):
    def __call__(self, step):
        raise NotImplementedError()


@pytest.mark.parametrize("schedule, message", [
    (make_schedule(rising=lambda t, p, w: p * (t + 1) / w), "one step ahead"),
    (make_schedule(rising=lambda t, p, w: p + 0 * t), "no warm-up"),
    (make_schedule(rising=lambda t, p, w: p * (t / w) ** 2), "not linear"),
    (make_schedule(rising=lambda t, p, w: p * t / (w - 1)), "during the warm-up lr"),
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
    (MultipliedWarmup, "warmup_steps=0.*do not divide by warmup_steps"),
    (Float64Schedule, "float64 value: the learning rate should be a float32 tensor"),
    (ListSchedule, r"has shape \(1,\): return a scalar"),
    (InverseByDefault, 'keep the default decay="cosine"'),
    (ConfigStub, "`ConfigStub.get_config` still raises NotImplementedError"),
    (CallStub, "`CallStub.__call__` still raises NotImplementedError"),
])
def test_schedule_mistakes_are_named(schedule, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_warmup_then_decay(schedule)
    assert not isinstance(caught.value, NotAttempted)


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
