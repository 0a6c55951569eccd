"""(d) lab08's checks: pass correct code written differently from the solution, and fail
known-wrong code with the message that names the mistake."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from course.checks import CheckFailed, NotAttempted
from course.checks import lab08_landscape as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- hessian ---------------------------------------------------------------------------------

def hessian_rows(f, x):
    """Correct, unlike the solution: one persistent tape, a Variable, one row at a time."""
    w = tf.Variable(x)
    with tf.GradientTape(persistent=True) as tape:
        with tf.GradientTape() as inner:
            value = f(w)
        g = inner.gradient(value, w)
        entries = [g[i] for i in range(len(x))]
    rows = [tape.gradient(entry, w) for entry in entries]
    del tape
    return tf.stack(rows)  # a tensor is fine


def hessian_one_persistent_tape(f, x):
    """Correct: a single persistent tape records its own gradient computation."""
    w = tf.Variable(x)
    with tf.GradientTape(persistent=True) as tape:
        g = tape.gradient(f(w), w)
    return tape.jacobian(g, w).numpy()


def nested(x, f, outer_call="jacobian", dtype=tf.float64, inner_outside=False):
    x = tf.constant(x, dtype=dtype)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            value = f(x)
        if not inner_outside:
            g = inner.gradient(value, x)
    if inner_outside:
        g = inner.gradient(value, x)
    return g, getattr(outer, outer_call)(g, x)


def hessian_gradient_only(f, x):
    return nested(x, f)[0]


def hessian_row_sums(f, x):
    return nested(x, f, outer_call="gradient")[1]


def hessian_inner_outside(f, x):
    return nested(x, f, inner_outside=True)[1]


def hessian_float32(f, x):
    return nested(x, f, dtype=tf.float32)[1]


def hessian_negated(f, x):
    return -nested(x, f)[1]


def hessian_upper_only(f, x):
    return np.triu(nested(x, f)[1].numpy())


def hessian_one_tape_twice(f, x):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = f(x)
        g = tape.gradient(value, x)
    return tape.jacobian(g, x)


def hessian_numpy_x(f, x):
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            value = f(x)
        g = inner.gradient(value, x)
    return outer.jacobian(g, x)


def hessian_finite_differences(f, x, h=1e-4):
    d = len(x)
    out = np.zeros((d, d))
    value = lambda p: float(f(tf.constant(p)))
    for i in range(d):
        for j in range(d):
            ei, ej = np.eye(d)[i] * h, np.eye(d)[j] * h
            out[i, j] = (value(x + ei + ej) - value(x + ei - ej) - value(x - ei + ej)
                         + value(x - ei - ej)) / (4 * h * h)
    return out


def hessian_forward_difference_of_gradient(f, x, h=1e-5):
    """Tape gradients, differenced one-sidedly: right to about 5 digits only."""

    def gradient(p):
        p = tf.constant(p)
        with tf.GradientTape() as tape:
            tape.watch(p)
            value = f(p)
        return tape.gradient(value, p).numpy()

    g0 = gradient(x)
    rows = [(gradient(x + h * np.eye(len(x))[i]) - g0) / h for i in range(len(x))]
    H = np.array(rows)
    return (H + H.T) / 2


def test_hessian_passes_other_correct_versions(capsys):
    checks.check_hessian(hessian_rows)
    checks.check_hessian(hessian_one_persistent_tape, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (hessian_gradient_only, "returned the gradient"),
    (hessian_row_sums, "row sums.*outer.jacobian"),
    (hessian_inner_outside, "inside the outer tape's `with` block"),
    (hessian_float32, "float32"),
    (hessian_negated, "wrong sign"),
    (hessian_upper_only, "not symmetric: only one triangle"),
    (hessian_one_tape_twice, "persistent=True"),
    (hessian_numpy_x, "only follow TensorFlow tensors"),
    (hessian_finite_differences, "as finite differences do"),
    (hessian_forward_difference_of_gradient, "only to a few digits"),
    (lambda f, x: np.ones((len(x), len(x))), "is off"),
    (lambda f, x: nested(x, f)[1].numpy().ravel(), r"reshape it to"),
])
def test_hessian_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_hessian(wrong)


def test_hessian_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="hessian"):
        checks.check_hessian(stub)


# --- classify_critical_point -----------------------------------------------------------------

def classify_by_counting(H, tol=1e-6):
    """Correct, unlike the solution: np.linalg.eig and counts."""
    values = np.real(np.linalg.eig(np.asarray(H))[0])
    up, down = int(np.sum(values > tol)), int(np.sum(values < -tol))
    if up and down:
        return "saddle"
    return {len(values): "minimum"}.get(up) or {len(values): "maximum"}.get(down) or "degenerate"


def classify_variant(kind):
    """Known-wrong classifiers."""

    def classify(H, tol=1e-6):
        H = np.asarray(H)
        values = np.linalg.eigvalsh(H)
        if kind == "trace":
            t = np.trace(H)
            return "minimum" if t > tol else "maximum" if t < -tol else "degenerate"
        if kind == "determinant":
            det, t = np.linalg.det(H), np.trace(H)
            if abs(det) <= tol:
                return "degenerate"
            if det < 0:
                return "saddle"
            return "minimum" if t > 0 else "maximum"
        if kind == "diagonal":
            diagonal = np.diag(H)
            if np.all(diagonal > tol):
                return "minimum"
            if np.all(diagonal < -tol):
                return "maximum"
            return "saddle" if np.any(diagonal > tol) and np.any(diagonal < -tol) else "degenerate"
        if kind == "zero_first":
            if np.any(np.abs(values) <= tol):
                return "degenerate"
        if kind == "no_tol":
            tol = 0.0
        if kind == "fixed_tol":
            tol = 1e-6
        if kind == "big_tol":
            tol = 1e-4
        up, down = np.any(values > tol), np.any(values < -tol)
        if up and down:
            return "saddle"
        if np.all(values > tol):
            return "maximum" if kind == "swapped" else "minimum"
        if np.all(values < -tol):
            return "minimum" if kind == "swapped" else "maximum"
        return "degenerate"

    return classify


def test_classify_passes_another_correct_version(capsys):
    checks.check_classify_critical_point(classify_by_counting)
    checks.check_classify_critical_point(classify_by_counting, seed=2)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("kind, message", [
    ("trace", "eigenvalues of both signs make a 'saddle'. The trace"),
    ("determinant", "sign of the determinant only work for 2 × 2"),
    ("diagonal", "even though its diagonal entries all have one sign"),
    ("swapped", "signs are swapped"),
    ("zero_first", "'saddle' even when another eigenvalue is zero"),
    ("no_tol", "within tol of zero counts as zero"),
    ("fixed_tol", "ignore its tol argument"),
    ("big_tol", "only eigenvalues with \\|λ\\| <= tol count as zero"),
])
def test_classify_names_the_mistake(kind, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_classify_critical_point(classify_variant(kind))


@pytest.mark.parametrize("wrong, message", [
    (lambda H, tol=1e-6: "min", "one of the strings"),
    (lambda H, tol=1e-6: None, "forget the `return`"),
    (lambda H: classify_by_counting(H), r"accept the tolerance .*tol=1e-6\)"),
])
def test_classify_bad_returns(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_classify_critical_point(wrong)


def test_classify_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="classify_critical_point"):
        checks.check_classify_critical_point(stub)


# --- escape_direction ------------------------------------------------------------------------

def escape_by_eig(H):
    """Correct, unlike the solution: np.linalg.eig, argmin, the opposite sign, one argument."""
    values, vectors = np.linalg.eig(np.asarray(H))
    values, vectors = np.real(values), np.real(vectors)
    k = int(np.argmin(values))
    if values[k] >= 0:
        return None
    return -vectors[:, k] / np.linalg.norm(vectors[:, k])


def escape_variant(kind):
    """Known-wrong escape directions."""

    def escape_direction(H):
        values, vectors = np.linalg.eigh(np.asarray(H))
        if kind != "never_none" and values[0] >= 0:
            return None
        if kind == "largest":
            return vectors[:, -1]
        if kind == "row":
            return vectors[0]
        if kind == "unnormalised":
            return 3.0 * vectors[:, 0]
        if kind == "eigenvalue":
            return values[0]
        if kind == "matrix":
            return vectors
        if kind == "tuple":
            return values[0], vectors[:, 0]
        if kind == "least_negative":
            return vectors[:, np.flatnonzero(values < 0)[-1]]
        return vectors[:, 0]

    return escape_direction


def escape_raises(H):
    values, vectors = np.linalg.eigh(H)
    if values[0] >= 0:
        raise ValueError("no negative curvature")
    return vectors[:, 0]


def test_escape_passes_another_correct_version(capsys):
    checks.check_escape_direction(escape_by_eig)
    checks.check_escape_direction(escape_by_eig, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (escape_variant("largest"), "largest eigenvalue"),
    (escape_variant("row"), "row of the eigenvector matrix"),
    (escape_variant("unnormalised"), "length 3"),
    (escape_variant("eigenvalue"), "single number"),
    (escape_variant("matrix"), "all the eigenvectors"),
    (escape_variant("tuple"), "returned a tuple"),
    (escape_variant("least_negative"), "not the most negative"),
    (escape_variant("never_none"), "return None"),
    (escape_raises, "raised ValueError.*return None"),
    (lambda H: None, "returned None for a Hessian with a negative eigenvalue"),
    (lambda H: np.ones(len(H)) / np.sqrt(len(H)), "not an eigenvector"),
])
def test_escape_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_escape_direction(wrong)


def test_escape_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="escape_direction"):
        checks.check_escape_direction(stub)
