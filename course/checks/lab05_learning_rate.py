"""Checks for lab05_learning_rate: five update rules by hand, and a warm-up-then-decay schedule.

Every update rule is run for several steps on random parameters and gradients
and compared, step by step, with the matching ``keras.optimizers`` class
applied to ``tf.Variable`` copies of the same parameters (float64, so the
comparison can be tight). When the student's path does not match, it is
compared with NumPy versions of the known mistakes (wrong sign, state not
carried, textbook epsilon placement, missing bias correction, ...) so the
message can name the mistake. The schedule is compared with its defining
formula, inside and outside ``tf.function`` and as an optimizer's learning rate.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import warnings

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    expect,
    expect_shape,
    one_line,
    passed,
    to_numpy,
)

NUM_STEPS = 5

# The contract: each function's hyperparameters and their defaults (Keras's own, except
# momentum_update's momentum, which Keras's SGD leaves at 0).
DEFAULTS = {
    "sgd_update": {"learning_rate": 0.01},
    "momentum_update": {"learning_rate": 0.01, "momentum": 0.9},
    "adagrad_update": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "rmsprop_update": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "adam_update": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
# Hyperparameters for the several-step comparison: far from the defaults, so a fixed number
# in place of an argument shows; the second set (adaptive methods) makes epsilon large enough
# that where it is added matters.
RUNS = {
    "sgd_update": [{"learning_rate": 0.1}],
    "momentum_update": [{"learning_rate": 0.05, "momentum": 0.8}],
    "adagrad_update": [
        {"learning_rate": 0.2, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        {"learning_rate": 0.2, "initial_accumulator_value": 0.3, "epsilon": 0.5},
    ],
    "rmsprop_update": [
        {"learning_rate": 0.05, "rho": 0.8, "epsilon": 1e-7},
        {"learning_rate": 0.05, "rho": 0.8, "epsilon": 0.5},
    ],
    "adam_update": [
        {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-7},
        {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 0.5},
    ],
}
KERAS_NAMES = {
    "sgd_update": "SGD",
    "momentum_update": "SGD",
    "adagrad_update": "Adagrad",
    "rmsprop_update": "RMSprop",
    "adam_update": "Adam",
}
STATE_WORD = {
    "sgd_update": "number of steps taken",
    "momentum_update": "velocity",
    "adagrad_update": "accumulator of squared gradients",
    "rmsprop_update": "moving average of squared gradients",
    "adam_update": "moments m and v and its step counter",
}
# The contract's state: "step" (the number of calls so far) and these lists of one array per parameter.
STATE_KEYS = {
    "sgd_update": (),
    "momentum_update": ("velocity",),
    "adagrad_update": ("accumulator",),
    "rmsprop_update": ("velocity",),
    "adam_update": ("m", "v"),
}
STATE_DOC = {
    "sgd_update": '{"step": number of steps taken}',
    "momentum_update": '{"step": int, "velocity": list of k arrays}',
    "adagrad_update": '{"step": int, "accumulator": list of k arrays}',
    "rmsprop_update": '{"step": int, "velocity": list of k arrays}',
    "adam_update": '{"step": t, "m": list of k arrays, "v": list of k arrays}',
}


# --- NumPy references: the Keras rule and the recognisable mistakes -----------------------

def _reference_path(name: str, params0: list, grads_seq: list, hp: dict, variant: str = "keras") -> list:
    """Parameters after each step of one update rule (float64 NumPy).

    Args:
        name: which rule, e.g. "adam_update".
        params0: list of float64 arrays, the starting parameters.
        grads_seq: one list of gradient arrays (same shapes as params0) per step.
        hp: the hyperparameters (missing ones take the contract's defaults).
        variant: "keras" for the rule as Keras computes it, or the name of a mistake.

    Returns:
        One list of arrays per step.
    """
    hp = {**DEFAULTS[name], **hp}
    lr = hp["learning_rate"]
    params = [p.astype(np.float64).copy() for p in params0]
    zeros = [np.zeros_like(p) for p in params]
    a = [z.copy() for z in zeros]  # first slot: velocity / accumulator / m
    b = [z.copy() for z in zeros]  # second slot: Adam's v
    if name == "adagrad_update":
        a = [z + (0.0 if variant in ("zero_init", "textbook") else hp["initial_accumulator_value"])
             for z in zeros]
    path = []
    for t, grads in enumerate(grads_seq, start=1):
        if variant == "no_state":  # every call starts from a fresh state
            t = 1
            a = [z + (hp["initial_accumulator_value"] if name == "adagrad_update" else 0.0) for z in zeros]
            b = [z.copy() for z in zeros]
        if variant == "step_stuck":
            t = 1
        sign = 1.0 if variant == "sign" else -1.0  # "sign": moves up the gradient
        for i, g in enumerate(grads):
            g = g.astype(np.float64)
            if name == "sgd_update":
                params[i] = params[i] + sign * lr * g
            elif name == "momentum_update":
                m = hp["momentum"]
                if variant == "ema":
                    a[i] = m * a[i] + (1 - m) * g
                    params[i] = params[i] - lr * a[i]
                elif variant == "old_velocity":
                    params[i] = params[i] + a[i]
                    a[i] = m * a[i] - lr * g
                elif variant == "nesterov":
                    a[i] = m * a[i] - lr * g
                    params[i] = params[i] + m * a[i] - lr * g
                else:
                    a[i] = m * a[i] + sign * lr * g
                    params[i] = params[i] + a[i]
            elif name in ("adagrad_update", "rmsprop_update"):
                eps, old = hp["epsilon"], a[i]
                if name == "adagrad_update" or variant == "no_decay":
                    a[i] = a[i] + g**2
                elif variant == "rho_swapped":
                    a[i] = (1 - hp["rho"]) * a[i] + hp["rho"] * g**2
                elif variant == "no_one_minus":
                    a[i] = hp["rho"] * a[i] + g**2
                else:
                    a[i] = hp["rho"] * a[i] + (1 - hp["rho"]) * g**2
                scale = old if variant == "old_average" else a[i]
                if variant == "no_sqrt":
                    root = scale + eps
                elif variant in ("eps_out", "textbook"):
                    root = np.sqrt(scale) + eps
                else:
                    root = np.sqrt(scale + eps)
                params[i] = params[i] + sign * lr * g / root
            elif name == "adam_update":
                b1, b2, eps = hp["beta_1"], hp["beta_2"], hp["epsilon"]
                if variant == "no_one_minus":
                    a[i], b[i] = b1 * a[i] + g, b2 * b[i] + g**2
                else:
                    a[i], b[i] = b1 * a[i] + (1 - b1) * g, b2 * b[i] + (1 - b2) * g**2
                if variant == "no_sqrt":
                    step = lr * math.sqrt(1 - b2**t) / (1 - b1**t) * a[i] / (b[i] + eps)
                elif variant == "no_bias_correction":
                    step = lr * a[i] / (np.sqrt(b[i]) + eps)
                elif variant == "textbook":
                    m_hat, v_hat = a[i] / (1 - b1**t), b[i] / (1 - b2**t)
                    step = lr * m_hat / (np.sqrt(v_hat) + eps)
                else:
                    alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
                    step = alpha * a[i] / (np.sqrt(b[i]) + eps)
                params[i] = params[i] + sign * step
        path.append([p.copy() for p in params])
    return path


MISTAKES = {
    "sgd_update": {
        "sign": "sgd_update moves the params up the gradient: subtract learning_rate * grad, "
                "do not add it.",
    },
    "momentum_update": {
        "sign": "momentum_update moves up the gradient: the velocity should collect "
                "-learning_rate * grad, not +learning_rate * grad.",
        "ema": "momentum_update averages the gradients (v = momentum * v + (1 - momentum) * grad) and "
               "scales afterwards: use Keras's convention, v = momentum * v - learning_rate * grad, "
               "then params + v.",
        "old_velocity": "momentum_update moves the params by the previous step's velocity: update the "
                        "velocity with this step's gradient first, then add it to the params.",
        "nesterov": "momentum_update takes Nesterov's look-ahead step (params + momentum * v - "
                    "learning_rate * grad), which is SGD(nesterov=True): plain momentum adds the new "
                    "velocity itself, params + v.",
        "no_state": "momentum_update does not carry its velocity from one call to the next: put it in "
                    "the returned state and start from state['velocity'] when state is not None.",
    },
    "adagrad_update": {
        "sign": "adagrad_update moves the params up the gradient: subtract the scaled gradient.",
        "zero_init": "adagrad_update starts the accumulator at 0: Keras starts it at "
                     "initial_accumulator_value (0.1 by default).",
        "eps_out": "adagrad_update adds epsilon outside the square root, sqrt(h) + epsilon: Keras adds "
                   "it inside, sqrt(h + epsilon).",
        "textbook": "adagrad_update starts the accumulator at 0 and adds epsilon outside the square "
                    "root (the textbook form): Keras starts it at initial_accumulator_value and "
                    "divides by sqrt(h + epsilon).",
        "old_average": "adagrad_update divides by the accumulator from before this step: add grad**2 "
                       "to h first, then divide by sqrt(h + epsilon).",
        "no_sqrt": "adagrad_update divides by h + epsilon itself: divide by its square root, "
                   "sqrt(h + epsilon).",
        "no_state": "adagrad_update does not carry its accumulator from one call to the next: put it "
                    "in the returned state and start from it when state is not None.",
    },
    "rmsprop_update": {
        "sign": "rmsprop_update moves the params up the gradient: subtract the scaled gradient.",
        "eps_out": "rmsprop_update adds epsilon outside the square root, sqrt(v) + epsilon: Keras adds "
                   "it inside, sqrt(v + epsilon).",
        "rho_swapped": "rmsprop_update swaps rho and 1 - rho: the old average keeps the weight rho, the "
                       "new squared gradient gets 1 - rho.",
        "no_decay": "rmsprop_update adds up the squared gradients like Adagrad: RMSprop keeps a "
                    "moving average, v = rho * v + (1 - rho) * grad**2.",
        "no_one_minus": "rmsprop_update adds the whole grad**2 to the average: weight it by 1 - rho, "
                        "v = rho * v + (1 - rho) * grad**2.",
        "old_average": "rmsprop_update divides by the average from before this step: update v with "
                       "this step's grad**2 first, then divide by sqrt(v + epsilon).",
        "no_sqrt": "rmsprop_update divides by v + epsilon itself: divide by its square root, "
                   "sqrt(v + epsilon).",
        "no_state": "rmsprop_update does not carry its average of squared gradients from one call "
                    "to the next: put it in the returned state and start from it when state is not None.",
    },
    "adam_update": {
        "sign": "adam_update moves the params up the gradient: subtract the step.",
        "no_bias_correction": "adam_update leaves out the bias correction: divide by (1 - beta_1**t) "
                              "and (1 - beta_2**t), which Keras folds into the step size alpha_t.",
        "textbook": "adam_update adds epsilon to the bias-corrected sqrt(v_hat) (the paper's first "
                    "form): Keras adds it to the uncorrected sqrt(v) and corrects through alpha_t, "
                    "as in the docstring.",
        "no_one_minus": "adam_update adds the whole grad and grad**2 to m and v: weight them by "
                        "1 - beta_1 and 1 - beta_2, m = beta_1 * m + (1 - beta_1) * grad.",
        "no_sqrt": "adam_update divides by v + epsilon: divide by the square root, sqrt(v) + epsilon.",
        "step_stuck": "adam_update does not advance its step counter: keep t in the state and add 1 "
                      "on every call, so the bias correction fades out.",
        "no_state": "adam_update does not carry m, v and t from one call to the next: put them in "
                    "the returned state and start from them when state is not None.",
    },
}


# --- running the student's rule and Keras's optimizer --------------------------------------

def _keras_path(name: str, params0: list, grads_seq: list, hp: dict) -> list:
    """Parameters after each step of the matching ``keras.optimizers`` class (float64)."""
    import keras
    import tensorflow as tf

    hp = {**DEFAULTS[name], **hp}
    kwargs = {key: float(value) for key, value in hp.items()}
    optimizer = getattr(keras.optimizers, KERAS_NAMES[name])(**kwargs)
    variables = [tf.Variable(p.astype(np.float64)) for p in params0]
    path = []
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for grads in grads_seq:
            optimizer.apply_gradients(zip([tf.constant(g, tf.float64) for g in grads], variables))
            path.append([v.numpy().copy() for v in variables])
    return path


def _keras_label(name: str, hp: dict) -> str:
    """E.g. ``keras.optimizers.SGD(learning_rate=0.05, momentum=0.8)``."""
    hp = {**DEFAULTS[name], **hp}
    args = ", ".join(f"{key}={value:g}" for key, value in hp.items())
    return f"keras.optimizers.{KERAS_NAMES[name]}({args})"


def _one_call(student, name: str, params: list, grads: list, state, hp: dict, step: int,
              omit_state: bool = False):
    """Call the student's rule once on copies; check the return structure, the state it returns
    and that the inputs survive.

    Args:
        student: the rule, wrapped in :class:`Student`.
        step: which call of a run this is (1 for the first), for the messages.
        omit_state: call without the state argument (its default, None), as a first call may.

    Returns:
        (new_params as a list of float64 arrays, new_state).
    """
    given_params = [p.copy() for p in params]
    given_grads = [g.copy() for g in grads]
    hints = {"required positional argument: 'state'": f"{name} should work without a state on the "
                                                     "first call: keep state=None in its signature."}
    if omit_state:
        result = student(given_params, given_grads, hints=hints, **hp)
    else:
        result = student(given_params, given_grads, state, **hp)
    if (isinstance(result, (tuple, list)) and len(result) == len(params) and len(params) != 2
            and all(np.shape(r) == p.shape for r, p in zip(result, params))):
        raise CheckFailed(f"{name} returned only the new params: return a pair (new_params, new_state).")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{name} should return a pair (new_params, new_state), got "
                          f"{type(result).__name__}" + (f" of length {len(result)}." if
                                                        isinstance(result, (tuple, list)) else "."))
    new_params, new_state = result
    if not all(np.array_equal(p, q, equal_nan=True) for p, q in zip(given_params, params)):
        raise CheckFailed(f"{name} changed the params arrays passed in (in place, e.g. p -= ...): "
                          "build new arrays (p - ...) and leave the inputs as they are.")
    if not all(np.array_equal(g, h, equal_nan=True) for g, h in zip(given_grads, grads)):
        raise CheckFailed(f"{name} changed the grads arrays passed in: leave the inputs as they are.")
    if new_params is None:
        raise CheckFailed(f"{name} returned None as new_params: return the list of updated arrays.")
    if not isinstance(new_params, (list, tuple)) or len(new_params) != len(params):
        found = (f"a list of {len(new_params)}" if isinstance(new_params, (list, tuple))
                 else type(new_params).__name__)
        raise CheckFailed(f"{name} should return new_params as a list with one array per parameter "
                          f"({len(params)} here), got {found}.")
    arrays = []
    for i, (p, new) in enumerate(zip(params, new_params)):
        array = to_numpy(new, f"{name}: new_params[{i}]")
        expect_shape(array, p.shape, f"{name}: new_params[{i}]")
        arrays.append(array)
    if not all(np.all(np.isfinite(a)) for a in arrays):
        if name == "adam_update" and step == 1:
            raise CheckFailed("adam_update's first step gives NaN or inf: with t = 0, 1 - beta_1**t is 0, "
                              "so t should already be 1 on the first call (add 1 to the step counter "
                              "before computing alpha_t).")
        raise CheckFailed(f"{name}'s new_params contain NaN or inf after step {step}: look for a division "
                          "by zero or the square root of a negative number.")
    _check_state(name, new_state, params)
    return arrays, new_state


def _check_state(name: str, state, params: list) -> None:
    """The returned state is the docstring's dict: a "step" entry, and the memory as one array per
    parameter, shaped like it (how "step" counts is checked once the path is right)."""
    if not isinstance(state, dict):
        raise CheckFailed(f"{name} should return its state as a dict (it holds the {STATE_WORD[name]}), "
                          f"got {type(state).__name__}: return {STATE_DOC[name]}.")
    if "step" not in state:
        raise CheckFailed(f'{name}\'s new_state has no "step" entry: return {STATE_DOC[name]}, with '
                          'state["step"] counting the calls (1 after the first one).')
    for key in STATE_KEYS[name]:
        if key not in state:
            raise CheckFailed(f'{name}\'s new_state has no "{key}" entry: return {STATE_DOC[name]}, '
                              "as the docstring says.")
        slot = state[key]
        if not isinstance(slot, (list, tuple)) or len(slot) != len(params):
            found = f"{len(slot)} entries" if isinstance(slot, (list, tuple)) else f"a {type(slot).__name__}"
            raise CheckFailed(f'{name}\'s new_state["{key}"] should be a list with one array per '
                              f"parameter ({len(params)} here), got {found}.")
        for i, (entry, p) in enumerate(zip(slot, params)):
            array = to_numpy(entry, f'{name}: new_state["{key}"][{i}]')
            expect_shape(array, p.shape, f'{name}: new_state["{key}"][{i}]')


def _check_counts(name: str, counts: list) -> None:
    """state["step"] after call 1, 2, ... of a run is 1, 2, ..."""
    for step, value in enumerate(counts, start=1):
        try:
            number = float(np.asarray(value.numpy() if hasattr(value, "numpy") else value,
                                      dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            number = None
        if number != step:
            raise CheckFailed(f'{name}\'s new_state["step"] is {value!r} after {step} call(s): start '
                              "from 0 when state is None and add 1 on every call.")


def _student_path(student, name: str, params0: list, grads_seq: list, hp: dict,
                  omit_first_state: bool = False) -> tuple[list, list]:
    """Parameters after each step of the student's rule, threading its state through, and the
    state["step"] it returned after each call."""
    params, state, path, counts = [p.copy() for p in params0], None, [], []
    for step, grads in enumerate(grads_seq, start=1):
        params, state = _one_call(student, name, params, grads, state, hp, step,
                                  omit_state=omit_first_state and step == 1)
        path.append(params)
        counts.append(state["step"])
    return path, counts


def _paths_close(path: list, reference: list, params0: list) -> bool:
    """True when two paths agree at every step (compared as moves away from the start)."""
    for step, expected in zip(path, reference):
        for p, q, p0 in zip(step, expected, params0):
            moved, want = p - p0, q - p0
            atol = 1e-6 * max(1.0, float(np.max(np.abs(want))))
            if not (np.all(np.isfinite(moved)) and np.allclose(moved, want, rtol=1e-4, atol=atol)):
                return False
    return True


def _first_difference(path: list, reference: list, params0: list) -> str:
    """Describe where the student's path first leaves Keras's."""
    for t, (step, expected) in enumerate(zip(path, reference), start=1):
        if not _paths_close([step], [expected], params0):
            for i, (p, q) in enumerate(zip(step, expected)):
                if not _paths_close([[p]], [[q]], [params0[i]]):
                    worst = int(np.argmax(np.abs(np.nan_to_num(p - q, nan=np.inf))))
                    return (f"after step {t} of {len(path)}, params[{i}] is off: got {p.flat[worst]:.6g} "
                            f"where {q.flat[worst]:.6g} was expected")
    return "the paths differ"


def _diagnose(name: str, path: list, params0: list, grads_seq: list, hp: dict) -> None:
    """Raise the message of the mistake the student's path matches, else a generic one."""
    for variant, message in MISTAKES[name].items():
        if _paths_close(path, _reference_path(name, params0, grads_seq, hp, variant), params0):
            raise CheckFailed(message)
    for key in hp:
        fixed = {**hp, key: DEFAULTS[name][key]}
        if fixed[key] != hp[key] and _paths_close(path, _reference_path(name, params0, grads_seq, fixed),
                                                  params0):
            raise CheckFailed(f"{name} ignores its `{key}` argument (it behaves as with a fixed "
                              f"{DEFAULTS[name][key]:g}, the default, where {hp[key]:g} was passed in): use "
                              "the argument, not a fixed number.")
    if path and _paths_close(path[:1], _reference_path(name, params0, grads_seq[:1], hp), params0):
        raise CheckFailed(f"{name}'s first step matches {_keras_label(name, hp)} but a later one does not "
                          f"({_first_difference(path, _reference_path(name, params0, grads_seq, hp), params0)}): "
                          "check how the state is updated and carried between calls.")
    raise CheckFailed(f"{name} does not match {_keras_label(name, hp)}: "
                      f"{_first_difference(path, _keras_path(name, params0, grads_seq, hp), params0)}.")


def _check_signature_defaults(update, name: str) -> None:
    """The hyperparameters keep the answer cell's defaults (Keras's), where the signature shows them."""
    try:
        parameters = inspect.signature(update).parameters
    except (TypeError, ValueError):
        return
    defaults = ", ".join(f"{key}={value:g}" for key, value in DEFAULTS[name].items())
    for key, want in DEFAULTS[name].items():
        parameter = parameters.get(key)
        if parameter is None:  # taken through **kwargs: the run with the defaults decides
            continue
        if parameter.default is inspect.Parameter.empty:
            raise CheckFailed(f"{name}'s argument {key} has no default: keep the signature of the answer "
                              f"cell ({defaults}).")
        try:
            same = math.isclose(float(parameter.default), want, rel_tol=1e-9)
        except (TypeError, ValueError):
            same = False
        if not same:
            raise CheckFailed(f"{name}'s default {key}={parameter.default!r} is not Keras's {want:g}: keep "
                              f"the defaults of the answer cell ({defaults}).")


def _check_update(update, name: str, seed: int) -> None:
    """Shared body of the five update-rule checks."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (2,), ()] if seed % 2 == 0 else [(4,), (2, 3, 2), (1,)]  # any shape, 0-d too
    params0 = [np.asarray(rng.normal(size=shape)) for shape in shapes]
    grads_seq = [[np.asarray(rng.normal(size=shape)) for shape in shapes] for _ in range(NUM_STEPS)]
    student = Student(update, name)
    # One call with the default hyperparameters: structure, state and untouched inputs.
    _one_call(student, name, params0, grads_seq[0], None, {}, 1)
    for hp in RUNS[name]:
        path, counts = _student_path(student, name, params0, grads_seq, hp)
        if not _paths_close(path, _keras_path(name, params0, grads_seq, hp), params0):
            _diagnose(name, path, params0, grads_seq, hp)
        _check_counts(name, counts)
    # The defaults, over several steps (momentum and the betas only show after the first), without
    # a state argument on the first call; one parameter's gradients are tiny, so that epsilon shows.
    _check_signature_defaults(update, name)
    scales = [1.0, 1e-6, 1e-3][: len(shapes)]
    small = [[g * scale for g, scale in zip(grads, scales)] for grads in grads_seq]
    path, _ = _student_path(student, name, params0, small, {}, omit_first_state=True)
    if not _paths_close(path, _keras_path(name, params0, small, {}), params0):
        defaults = ", ".join(f"{key}={value:g}" for key, value in DEFAULTS[name].items())
        raise CheckFailed(f"{name} with its default arguments does not match {_keras_label(name, {})}: "
                          f"keep the defaults of the answer cell ({defaults}).")
    hp_text = ", ".join(f"{key}={value:g}" for key, value in RUNS[name][-1].items())
    passed(f"{name} matches keras.optimizers.{KERAS_NAMES[name]} over {NUM_STEPS} steps ({hp_text}) and "
           "with its defaults; state and inputs as documented")


def check_sgd_update(sgd_update, seed: int = 0) -> None:
    """sgd_update(params, grads, state, learning_rate) matches keras.optimizers.SGD."""
    _check_update(sgd_update, "sgd_update", seed)


def check_momentum_update(momentum_update, seed: int = 0) -> None:
    """momentum_update(...) matches keras.optimizers.SGD(momentum=...) over several steps."""
    _check_update(momentum_update, "momentum_update", seed)


def check_adagrad_update(adagrad_update, seed: int = 0) -> None:
    """adagrad_update(...) matches keras.optimizers.Adagrad, including the initial accumulator."""
    _check_update(adagrad_update, "adagrad_update", seed)


def check_rmsprop_update(rmsprop_update, seed: int = 0) -> None:
    """rmsprop_update(...) matches keras.optimizers.RMSprop, including where epsilon goes."""
    _check_update(rmsprop_update, "rmsprop_update", seed)


def check_adam_update(adam_update, seed: int = 0) -> None:
    """adam_update(...) matches keras.optimizers.Adam, bias correction and epsilon included."""
    _check_update(adam_update, "adam_update", seed)


# --- the schedule ---------------------------------------------------------------------------

def _schedule_reference(step: float, peak: float, warmup: int, decay_steps: int, decay: str) -> float:
    """The learning rate WarmupThenDecay should give at one step."""
    if step < warmup:
        return peak * step / warmup
    since = step - warmup
    if decay == "cosine":
        return peak * 0.5 * (1.0 + math.cos(math.pi * min(since, decay_steps) / decay_steps))
    return peak / math.sqrt(1.0 + since / decay_steps)


CAST_HINT = "WarmupThenDecay mixes an integer step with floats: tf.cast(step, \"float32\") first."
SCHEDULE_HINTS = {
    "as a Python `bool`": "WarmupThenDecay uses a Python `if` on the step, which fails when Keras "
                          "passes a symbolic tensor: choose between the phases with tf.where.",
    "must be real number": "WarmupThenDecay uses the math module on the step, which fails when Keras "
                           "passes a symbolic tensor: use tf.cos / tf.sqrt / tf.minimum instead.",
    "Cannot convert a symbolic": "WarmupThenDecay uses NumPy on the step, which fails when Keras passes "
                                 "a symbolic tensor: use tf.cos / tf.sqrt / tf.minimum instead.",
    "has no attribute 'numpy'": "WarmupThenDecay turns the step into a Python number (float(step), "
                                "int(step)), which fails when Keras passes a symbolic tensor: keep it "
                                "a tensor and use tf operations on it.",
    "not in list of allowed values": CAST_HINT,
    "must have the same dtype": CAST_HINT,
    "cannot compute": CAST_HINT,
}


def _in_graph(schedule):
    """The schedule called inside tf.function without AutoGraph, as Keras's train step calls it."""
    import tensorflow as tf

    traced = tf.function(lambda step: schedule(step), autograph=False)

    def call(step):
        try:
            return traced(step)
        except NotImplementedError as error:  # NumPy on a symbolic tensor: a mistake, not a stub
            if "symbolic" in str(error):
                raise TypeError(str(error)) from None
            raise

    return call


def _lr_at(student, schedule, step, what: str) -> float:
    """Call the schedule on one step and return its value as a float; it must be a scalar, float32
    when it comes with a dtype (a tensor), as the docstring says."""
    result = student.run(schedule, step, name="WarmupThenDecay.__call__", hints=SCHEDULE_HINTS)
    value = to_numpy(result, what)
    expect(value.size == 1, f"{what} should be one number (a scalar), got shape {value.shape}.")
    expect(value.shape == (), f"{what} has shape {value.shape}: return a scalar of shape (), not a "
                              "one-element array or list.")
    dtype = getattr(result, "dtype", None)
    dtype = getattr(dtype, "name", str(dtype)) if dtype is not None else "float32"
    expect(dtype == "float32", f"{what} is a {dtype} value: the learning rate should be a float32 tensor "
                               "(cast the step with tf.cast(step, \"float32\") and compute in float32).")
    return float(value.reshape(()))


def _check_values(student, schedule, peak: float, warmup: int, decay_steps: int, decay: str) -> None:
    """Compare the schedule with its formula step by step, naming the recognisable mistakes."""
    steps = np.arange(warmup + decay_steps + 8)
    values = np.array([_lr_at(student, schedule, int(t), f"schedule({t})") for t in steps])
    want = np.array([_schedule_reference(t, peak, warmup, decay_steps, decay) for t in steps])

    def close(a, b):
        return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6 * peak))

    if not np.all(np.isfinite(values)):
        t = int(np.flatnonzero(~np.isfinite(values))[0])
        raise CheckFailed(f'with decay="{decay}" the schedule gives {values[t]} at step {t}: look for a '
                          "division by zero (0 / 0 at step 0?).")
    if not close(values[0], 0.0):
        if close(values[0], peak / warmup):
            raise CheckFailed("the warm-up is one step ahead: lr(step) = peak_learning_rate * step / "
                              "warmup_steps is 0 at step 0.")
        if close(values[0], peak):
            raise CheckFailed("there is no warm-up: the learning rate should start at 0 at step 0 and "
                              "rise linearly to the peak.")
        raise CheckFailed(f"at step 0 the learning rate should be 0 (the warm-up starts from 0), got {values[0]:.6g}.")
    rise = np.diff(values[:warmup])  # steps 0 .. warmup - 1; the peak is checked on its own
    if not np.allclose(rise, rise.mean(), rtol=1e-4, atol=1e-6 * peak):
        raise CheckFailed("the warm-up is not linear: the learning rate should grow by the same amount, "
                          "peak_learning_rate / warmup_steps, at every step.")
    from_zero = np.array([_schedule_reference(t + warmup, peak, warmup, decay_steps, decay)
                          for t in steps[warmup:]])
    if close(values[warmup:], from_zero) and not close(values[warmup:], want[warmup:]):
        raise CheckFailed("the decay is measured from step 0: measure it from the end of the "
                          "warm-up, step - warmup_steps, so that it starts at the peak.")
    if not close(values[warmup], peak):
        raise CheckFailed(f"at the end of the warm-up (step {warmup}) the learning rate should equal "
                          f"peak_learning_rate = {peak:g}, got {values[warmup]:.6g}.")
    if not close(values[:warmup], want[:warmup]):
        t = int(np.argmax(np.abs(values[:warmup] - want[:warmup])))
        raise CheckFailed(f"during the warm-up lr(step) should be peak_learning_rate * step / warmup_steps, "
                          f"but lr({t}) is {values[t]:.6g} where {want[t]:.6g} was expected.")
    after = values[warmup:]
    rises = np.flatnonzero(np.diff(after) > 1e-6 * peak)
    if rises.size:
        step = warmup + int(rises[0]) + 1
        hint = (" (clamp the progress at decay_steps: the cosine turns up again after it)"
                if decay == "cosine" and step > warmup + decay_steps else "")
        raise CheckFailed(f"after the warm-up the learning rate should never rise, but it does at step "
                          f"{step}{hint}.")
    if not close(values, want):
        t = int(np.argmax(np.abs(values - want)))
        shape = ("0.5 * peak * (1 + cos(pi * progress)), progress from 0 to 1 over decay_steps"
                 if decay == "cosine" else "peak / sqrt(1 + (step - warmup_steps) / decay_steps)")
        raise CheckFailed(f'with decay="{decay}", lr({t}) is {values[t]:.6g} where {want[t]:.6g} was '
                          f"expected: the decay should be {shape}.")


def _check_no_warmup(student, peak: float, decay_steps: int) -> None:
    """warmup_steps=0 (documented: no warm-up): the schedule starts at the peak and decays at once."""
    for decay in ("cosine", "inverse_sqrt"):
        schedule = student(peak, 0, decay_steps, decay=decay)
        for t in (0, 1, decay_steps // 2, decay_steps + 2):
            value = _lr_at(student, schedule, t, f"WarmupThenDecay(..., warmup_steps=0)({t})")
            want = _schedule_reference(t, peak, 0, decay_steps, decay)
            if not math.isfinite(value):
                raise CheckFailed(f'WarmupThenDecay(..., warmup_steps=0, decay="{decay}") gives {value} at '
                                  f"step {t}: with no warm-up the schedule starts at the peak; do not divide "
                                  "by warmup_steps when it is 0.")
            expect(math.isclose(value, want, rel_tol=1e-5, abs_tol=1e-7 * peak),
                   f'with warmup_steps=0 (no warm-up) and decay="{decay}", lr({t}) is {value:.6g} where '
                   f"{want:.6g} was expected: the decay starts at the peak at step 0.")


def check_warmup_then_decay(WarmupThenDecay, seed: int = 0) -> None:  # noqa: N803 - contract name
    """WarmupThenDecay(peak_learning_rate, warmup_steps, decay_steps, decay="cosine") is a
    serialisable Keras learning-rate schedule: linear warm-up from 0 (none when warmup_steps=0),
    then cosine or inverse-sqrt decay; a scalar float32 for int and float steps, tensors too."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    peak = float(rng.choice([0.1, 0.05, 0.5]))
    warmup, decay_steps = 6 + seed % 5, 20 + 3 * (seed % 4)
    student = Student(WarmupThenDecay, "WarmupThenDecay")

    schedule = student(peak, warmup, decay_steps, decay="cosine")
    expect(isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule),
           "WarmupThenDecay should subclass keras.optimizers.schedules.LearningRateSchedule.")
    _check_values(student, schedule, peak, warmup, decay_steps, "cosine")
    inverse = student(peak, warmup, decay_steps, decay="inverse_sqrt")
    _check_values(student, inverse, peak, warmup, decay_steps, "inverse_sqrt")
    default = student(peak, warmup, decay_steps)
    for t in (warmup + decay_steps // 2, warmup + decay_steps + 2):
        value, want = _lr_at(student, default, t, f"schedule({t})"), _schedule_reference(
            t, peak, warmup, decay_steps, "cosine")
        expect(math.isclose(value, want, rel_tol=1e-5, abs_tol=1e-7 * peak),
               f"WarmupThenDecay(peak, warmup, decay_steps) without decay= gives lr({t}) = {value:.6g} where "
               f'the cosine decay gives {want:.6g}: keep the default decay="cosine".')
    _check_no_warmup(student, peak, decay_steps)

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            WarmupThenDecay(peak, warmup, decay_steps, decay="linear")
    except ValueError:
        pass
    except Exception as error:  # noqa: BLE001 - any other outcome is feedback
        raise CheckFailed(f'WarmupThenDecay(..., decay="linear") should raise ValueError, it raised '
                          f"{type(error).__name__}: {one_line(error)}") from None
    else:
        raise CheckFailed('WarmupThenDecay(..., decay="linear") should raise ValueError: accept only '
                          '"cosine" and "inverse_sqrt".')

    # Tensor steps, as Keras passes them: an int64 variable, inside and outside tf.function.
    probe = warmup + decay_steps // 3
    want = _schedule_reference(probe, peak, warmup, decay_steps, "cosine")
    iterations = tf.Variable(probe, dtype=tf.int64, trainable=False)
    in_graph = _in_graph(schedule)
    for step, what in [(tf.constant(probe, tf.int64), "an int64 tensor"),
                       (tf.constant(probe, tf.int32), "an int32 tensor"),
                       (tf.constant(float(probe), tf.float32), "a float32 tensor"),
                       (iterations, "an int64 tf.Variable")]:
        value = _lr_at(student, schedule, step, f"schedule(step) for step given as {what}")
        expect(math.isclose(value, want, rel_tol=1e-5),
               f"schedule(step) for step given as {what} gives {value:.6g}, expected {want:.6g}.")
    graph_value = _lr_at(student, in_graph, iterations, "schedule(step) inside tf.function")
    expect(math.isclose(graph_value, want, rel_tol=1e-5),
           f"inside tf.function the schedule gives {graph_value:.6g}, expected {want:.6g}.")

    # Serialisable: plain config, and from_config rebuilds the same schedule.
    for original, decay in [(schedule, "cosine"), (inverse, "inverse_sqrt")]:
        config = student.run(original.get_config, name="WarmupThenDecay.get_config")
        expect(isinstance(config, dict), "get_config should return a dict of the constructor's arguments.")
        try:
            json.dumps(config)
        except (TypeError, ValueError):
            raise CheckFailed("get_config should return plain Python numbers and strings (it must "
                              "be JSON-serialisable): convert tensors with float(...) / int(...).") from None
        clone = student.run(WarmupThenDecay.from_config, config, name="WarmupThenDecay.from_config",
                            hints={"": "WarmupThenDecay.from_config(schedule.get_config()) failed: get_config "
                                       "should return exactly the constructor's arguments by name."})
        for step in (0, warmup // 2, warmup, probe, warmup + decay_steps + 3):
            expect(math.isclose(_lr_at(student, clone, step, "the rebuilt schedule"),
                                _schedule_reference(step, peak, warmup, decay_steps, decay),
                                rel_tol=1e-5, abs_tol=1e-9),
                   f'from_config(get_config()) gives a different schedule (decay="{decay}", step {step}): '
                   "return all four constructor arguments from get_config.")

    # Drives a Keras optimizer: SGD with gradient 1 moves a variable by minus the sum of the rates.
    def run_sgd():
        optimizer = keras.optimizers.SGD(learning_rate=schedule)
        variable = tf.Variable(np.zeros(2), dtype=tf.float32)
        for _ in range(warmup + 3):
            optimizer.apply_gradients([(tf.ones(2), variable)])
        config = optimizer.get_config()
        rebuilt = keras.optimizers.SGD.from_config(
            config, custom_objects={type(schedule).__name__: type(schedule)})
        return variable.numpy(), rebuilt

    moved, rebuilt = student.run(run_sgd, name="keras.optimizers.SGD(learning_rate=WarmupThenDecay(...))",
                                 hints=SCHEDULE_HINTS)
    total = sum(_schedule_reference(t, peak, warmup, decay_steps, "cosine") for t in range(warmup + 3))
    expect(bool(np.allclose(moved, -total, rtol=1e-4)),
           f"as the learning_rate of keras.optimizers.SGD the schedule moved a variable by {moved[0]:.6g} "
           f"over {warmup + 3} steps of gradient 1, expected {-total:.6g}.")
    expect(isinstance(rebuilt._learning_rate, keras.optimizers.schedules.LearningRateSchedule),
           "an optimizer using the schedule did not survive get_config / from_config.")
    passed("WarmupThenDecay warms up linearly (none with warmup_steps=0), decays (cosine by default, or "
           "inverse-sqrt), gives float32 scalars, round-trips its config and drives SGD")
