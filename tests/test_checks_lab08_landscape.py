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


def hessian_forward_over_backward(f, x):
    """Correct, unlike the solution: forward-mode JVPs of the tape's gradient, one basis vector at a time."""
    x = tf.constant(x)
    rows = []
    for i in range(x.shape[0]):
        with tf.autodiff.ForwardAccumulator(x, tf.one_hot(i, x.shape[0], dtype=tf.float64)) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = f(x)
            g = tape.gradient(value, x)
        rows.append(acc.jvp(g))
    return tf.stack(rows).numpy()


@tf.function
def hessian_traced(f, x):
    """Correct: the nested tapes inside tf.function, returning a float64 tensor."""
    x = tf.convert_to_tensor(x, tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            value = f(x)
        g = inner.gradient(value, x)
    return outer.jacobian(g, x)


@pytest.mark.parametrize("right, seeds", [(hessian_rows, (0, 1, 3)), (hessian_one_persistent_tape, (1,)),
                                          (hessian_forward_over_backward, (0,)), (hessian_traced, (2,))])
def test_hessian_passes_other_correct_versions(right, seeds, capsys):
    for seed in seeds:
        checks.check_hessian(right, seed=seed)
    assert capsys.readouterr().out.count("✔") == len(seeds)


def hessian_central_difference_of_gradient(f, x, h=1e-5):
    """Tape gradients, differenced centrally: right to about 9 digits, but not the method."""

    def gradient(p):
        p = tf.constant(p)
        with tf.GradientTape() as tape:
            tape.watch(p)
            value = f(p)
        return tape.gradient(value, p).numpy()

    rows = [(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(len(x))]
    H = np.array(rows)
    return (H + H.T) / 2


def hessian_returns_float32(f, x):
    return nested(x, f)[1].numpy().astype(np.float32)


def hessian_squeezed(f, x):
    return tf.squeeze(nested(x, f)[1])


def inner_gradient(f, x):
    raise NotImplementedError()


def hessian_with_unwritten_helper(f, x):
    x = tf.constant(x)
    with tf.GradientTape() as outer:
        outer.watch(x)
        g = inner_gradient(f, x)
    return outer.jacobian(g, x)


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
    (hessian_forward_difference_of_gradient, "points other than x, as finite differences do"),
    (hessian_central_difference_of_gradient, "points other than x, as finite differences do"),
    (hessian_returns_float32, "returned float32 numbers: return float64"),
    (hessian_squeezed, r"returned shape \(\) for x of shape \(1,\): reshape it to \(1, 1\)"),
    (hessian_with_unwritten_helper, "calls `inner_gradient`, which still raises"),
    (lambda f, x: np.ones((len(x), len(x))), "is off"),
    (lambda f, x: nested(x, f)[1].numpy().ravel(), r"reshape it to"),
])
def test_hessian_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_hessian(wrong)
    assert not isinstance(caught.value, NotAttempted)


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


def classify_with_tensorflow(H, tol=1e-6):
    """Correct: tf.linalg.eigvalsh and a zero mask first."""
    values = tf.linalg.eigvalsh(tf.constant(H)).numpy()
    zero = np.abs(values) <= tol
    signs = set(np.sign(values[~zero]).tolist())
    if signs == {1.0, -1.0}:
        return "saddle"
    if zero.any() or not signs:
        return "degenerate"
    return "minimum" if signs == {1.0} else "maximum"


@pytest.mark.parametrize("right", [classify_by_counting, classify_with_tensorflow])
def test_classify_passes_other_correct_versions(right, capsys):
    for seed in range(3):
        checks.check_classify_critical_point(right, seed=seed)
    assert capsys.readouterr().out.count("✔") == 3


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
        if kind == "falsy_tol":
            tol = tol or 1e-6
        if kind == "strict":  # |λ| = tol counted as non-zero
            up, down = np.any(values >= tol), np.any(values <= -tol)
            if up and down:
                return "saddle"
            return "minimum" if np.all(values >= tol) else "maximum" if np.all(values <= -tol) else "degenerate"
        up, down = np.any(values > tol), np.any(values < -tol)
        if up and down:
            return "saddle"
        if np.all(values > tol):
            return "maximum" if kind == "swapped" else "minimum"
        if np.all(values < -tol):
            return "minimum" if kind == "swapped" else "maximum"
        return "degenerate"

    return classify


@pytest.mark.parametrize("wrong, message", [
    (classify_variant("trace"), "eigenvalues of both signs make a 'saddle'. The trace"),
    (classify_variant("determinant"), "sign of the determinant only work for 2 × 2"),
    (classify_variant("diagonal"), "even though its diagonal entries all have one sign"),
    (classify_variant("swapped"), "signs are swapped"),
    (classify_variant("zero_first"), "'saddle' even when another eigenvalue is zero"),
    (classify_variant("no_tol"), "within tol of zero counts as zero"),
    (classify_variant("fixed_tol"), "ignore its tol argument"),
    (classify_variant("big_tol"), "only eigenvalues with \\|λ\\| <= tol count as zero"),
    (classify_variant("strict"), r"for tol=0.5: an eigenvalue with \|λ\| equal to tol counts as zero"),
    (classify_variant("falsy_tol"), "for tol=0: it seems to ignore its tol argument"),
    (lambda H, tol=1e-6: "min", "one of the strings"),
    (lambda H, tol=1e-6: None, "forget the `return`"),
    (lambda H: classify_by_counting(H), r"accept the tolerance .*tol=1e-6\)"),
    (lambda H, tolerance=1e-6: classify_by_counting(H, tolerance), r"accept the tolerance .*tol=1e-6\)"),
])
def test_classify_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_classify_critical_point(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_classify_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="classify_critical_point"):
        checks.check_classify_critical_point(stub)


# --- escape_direction ------------------------------------------------------------------------

def escape_by_eig(H, tol=1e-6):
    """Correct, unlike the solution: np.linalg.eig, argmin, the opposite sign."""
    values, vectors = np.linalg.eig(np.asarray(H))
    values, vectors = np.real(values), np.real(vectors)
    k = int(np.argmin(values))
    if not values[k] < -tol:
        return None
    return -vectors[:, k] / np.linalg.norm(vectors[:, k])


def escape_by_tensorflow(H, tol=1e-6):
    """Correct: tf.linalg.eigh, returning a float64 tensor."""
    values, vectors = tf.linalg.eigh(tf.constant(H, tf.float64))
    if float(values[0]) >= -tol:
        return None
    return tf.math.l2_normalize(vectors[:, 0])


@pytest.mark.parametrize("right", [escape_by_eig, escape_by_tensorflow])
def test_escape_passes_other_correct_versions(right, capsys):
    for seed in range(3):
        checks.check_escape_direction(right, seed=seed)
    assert capsys.readouterr().out.count("✔") == 3


def escape_variant(kind):
    """Known-wrong escape directions."""

    def escape_direction(H, tol=1e-6):
        values, vectors = np.linalg.eigh(np.asarray(H))
        if kind == "no_tol":
            tol = 0.0
        if kind == "fixed_tol":
            tol = 1e-6
        if kind == "at_tol":
            if values[0] > -tol:
                return None
        elif kind != "never_none" and values[0] >= -tol:
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
        if kind == "column":
            return vectors[:, :1]
        if kind == "float32":
            return vectors[:, 0].astype(np.float32)
        if kind == "least_negative":
            return vectors[:, np.flatnonzero(values < 0)[-1]]
        return vectors[:, 0]

    return escape_direction


def escape_raises(H, tol=1e-6):
    values, vectors = np.linalg.eigh(H)
    if values[0] >= -tol:
        raise ValueError("no negative curvature")
    return vectors[:, 0]


def escape_strictly_positive_is_none(H, tol=1e-6):
    """Returns None only when every eigenvalue is positive: a zero eigenvalue gets a direction."""
    values, vectors = np.linalg.eigh(H)
    return None if values[0] > 1e-12 else vectors[:, 0]


def escape_one_argument(H):
    return escape_by_eig(H)


@pytest.mark.parametrize("wrong, message", [
    (escape_variant("largest"), "largest eigenvalue"),
    (escape_variant("row"), "row of the eigenvector matrix"),
    (escape_variant("unnormalised"), "length 3"),
    (escape_variant("eigenvalue"), "single number"),
    (escape_variant("matrix"), "all the eigenvectors"),
    (escape_variant("tuple"), "returned a tuple"),
    (escape_variant("column"), r"returned shape \(3, 1\): return a vector of shape \(3,\)"),
    (escape_variant("float32"), "returned float32 numbers: return float64"),
    (escape_variant("least_negative"), "not the most negative"),
    (escape_variant("never_none"), "all positive .*return None"),
    (escape_variant("no_tol"), r"smallest eigenvalue is -1e-08, within tol=1e-06 of zero"),
    (escape_variant("fixed_tol"), r"escape_direction\(H, tol=0.01\) .*ignore its tol argument"),
    (escape_variant("at_tol"), "exactly -tol = -0.25"),
    (escape_strictly_positive_is_none, "within tol=1e-06 of zero: only an eigenvalue below -tol"),
    (escape_raises, "raised ValueError.*return None"),
    (escape_one_argument, r"accept the tolerance .*tol=1e-6\)"),
    (lambda H, tol=1e-6: None, "returned None for a Hessian with a negative eigenvalue"),
    (lambda H, tol=1e-6: np.ones(len(H)) / np.sqrt(len(H)), "not an eigenvector"),
])
def test_escape_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_escape_direction(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_escape_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="escape_direction"):
        checks.check_escape_direction(stub)
