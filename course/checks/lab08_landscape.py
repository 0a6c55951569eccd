"""Checks for lab08_landscape: the Hessian, classifying critical points, escaping a saddle.

Expected values are recomputed here, never stored: Hessians come from the check's
own nested ``tf.GradientTape``s in float64 (and, for a quadratic, from its matrix);
test Hessians are built as ``Q diag(eigenvalues) Qᵀ`` with a random rotation ``Q``,
so the right classification and eigenvectors are known by construction; an escape
direction is judged by ``H v = λ_min v``, by its length, and by whether a small step
along it lowers the check's own function.
"""

from __future__ import annotations

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    expect,
    expect_close,
    expect_shape,
    is_close,
    one_line,
    passed,
    to_numpy,
)

LABELS = ("minimum", "maximum", "saddle", "degenerate")


def _tf():
    """TensorFlow, imported on first use (the lab's Setup has already imported it quietly)."""
    import tensorflow as tf  # noqa: PLC0415

    return tf


def _rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    """A random orthogonal matrix (d, d): QR of a Gaussian matrix with the signs fixed."""
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _with_eigenvalues(eigenvalues, rng: np.random.Generator) -> np.ndarray:
    """An exactly symmetric float64 matrix Q diag(eigenvalues) Qᵀ with a random rotation Q."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    q = _rotation(rng, eigenvalues.size)
    h = (q * eigenvalues) @ q.T
    return (h + h.T) / 2


# --- hessian ----------------------------------------------------------------------------------


class _Probe:
    """A scalar TensorFlow function of x (d,) that remembers the dtypes and the points it was
    called at (None for a symbolic tensor inside tf.function, whose value is unknown)."""

    def __init__(self, function):
        self.function = function
        self.dtypes: set = set()
        self.points: list = []
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        self.dtypes.add(getattr(getattr(x, "dtype", None), "name", str(getattr(x, "dtype", type(x)))))
        try:
            self.points.append(np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64).reshape(-1))
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            self.points.append(None)
        return self.function(x)


def _test_functions(seed: int):
    """[(description, f, x, exact Hessian or None)], the dimensions chosen by the seed."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    d_quad, d_smooth, d_net = [(3, 4, 2), (1, 5, 3), (4, 3, 2), (2, 2, 4)][seed % 4]

    a = _with_eigenvalues(rng.uniform(-3.0, 3.0, size=d_quad), rng)
    b = rng.normal(size=d_quad)

    def quadratic(x):
        """½ xᵀ A x + bᵀ x: its Hessian is A everywhere."""
        x = tf.reshape(x, [-1])
        return 0.5 * tf.reduce_sum(x * tf.linalg.matvec(tf.constant(a, x.dtype), x)) + \
            tf.reduce_sum(tf.constant(b, x.dtype) * x)

    c = rng.uniform(0.5, 1.5, size=d_smooth)

    def smooth(x):
        """Non-quadratic, every entry coupled to its neighbour and to the sum."""
        x = tf.reshape(x, [-1])
        cc = tf.constant(c, x.dtype)
        return (tf.reduce_sum(tf.sin(cc * x) * x**2) + 0.3 * tf.reduce_sum(x) ** 2
                + tf.reduce_sum(tf.exp(0.5 * x[:-1]) * x[1:]))

    def network(x):
        """The loss of a chain of linear units, one example (1, 1): (1 - x_1 x_2 ... x_d)²."""
        x = tf.reshape(x, [-1])
        return (1.0 - tf.reduce_prod(x)) ** 2 + 0.1 * tf.reduce_sum(tf.math.softplus(x))

    def single(x):
        """One variable, x of shape (1,): f = x³ + sin(2x)."""
        return tf.reduce_sum(x**3 + tf.sin(2.0 * x))

    return [
        (f"a quadratic in {d_quad} variables", quadratic, rng.uniform(-2, 2, size=d_quad), a),
        (f"a smooth function of {d_smooth} variables", smooth, rng.uniform(-1.5, 1.5, size=d_smooth), None),
        (f"a network loss in {d_net} weights", network, rng.uniform(-1.2, 1.2, size=d_net), None),
        ("a function of a single variable (x of shape (1,))", single, rng.uniform(-1.0, 1.0, size=1), None),
    ]


def _reference_hessian(f, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gradient (d,), Hessian (d, d)) of f at x from the check's own nested tapes, float64.

    The rows come one by one from a persistent outer tape: for these small d that is faster
    than ``outer.jacobian`` (which traces a new vectorised function on every call).
    """
    tf = _tf()
    x = tf.constant(np.asarray(x, dtype=np.float64))
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            value = f(x)
        gradient = inner.gradient(value, x)
        entries = [gradient[i] for i in range(int(x.shape[0]))]
    rows = [outer.gradient(entry, x) for entry in entries]
    del outer
    return gradient.numpy(), np.stack([row.numpy() for row in rows])


HESSIAN_HINTS = {
    "can only be used to compute one set of gradients": "one non-persistent tape was asked for two "
        "derivatives: nest two tapes (the inner one for the gradient, the outer one for its "
        "Jacobian), or create the tape with persistent=True.",
    "has no attribute '_id'": "the tape can only follow TensorFlow tensors: convert x first, e.g. "
        "x = tf.constant(x) with tape.watch(x) on both tapes, or x = tf.Variable(x).",
    "'NoneType' object has no attribute": "a tape returned None, so it did not follow x: watch x "
        "on both tapes (or make it a tf.Variable), and compute the inner gradient inside the outer "
        "tape's `with` block.",
    "object of type 'NoneType'": "a tape returned None, so it did not follow x: watch x on both "
        "tapes (or make it a tf.Variable), and compute the inner gradient inside the outer tape's "
        "`with` block.",
}


def check_hessian(hessian, seed: int = 0) -> None:
    """hessian(f, x) is the symmetric float64 (d, d) matrix of second derivatives of f at x, for any
    d >= 1, from nested tapes (f evaluated at x only, never at nearby points)."""
    student = Student(hessian, "hessian")
    for description, function, x, exact in _test_functions(seed):
        d = x.size
        probe = _Probe(function)
        x_given = x.copy()
        result = student(probe, x_given, hints=HESSIAN_HINTS)
        if result is None:
            raise CheckFailed("hessian returned None: check the `return`, and compute the inner "
                              "gradient inside the outer tape's `with` block (otherwise the outer "
                              "tape records nothing and returns None).")
        expect(np.array_equal(x_given, x), "hessian changed the x you passed in: leave it as it is.")
        dtype = getattr(result, "dtype", None)
        dtype = getattr(dtype, "name", str(dtype)) if dtype is not None else None
        result = to_numpy(result, "hessian(f, x)")
        if probe.dtypes - {"float64"}:
            raise CheckFailed(f"hessian called f with a {sorted(probe.dtypes - {'float64'})[0]} "
                              "tensor: keep x in float64 (float32 keeps only about 7 digits, and "
                              "second derivatives lose digits fast).")
        elsewhere = [point for point in probe.points if point is not None and not np.array_equal(point, x)]
        if elsewhere or (len(probe.points) > 2 * d + 2 and None in probe.points):
            raise CheckFailed(f"hessian evaluated f at {len(elsewhere) or probe.calls} points other than x, as "
                              "finite differences do: compute the exact Hessian with two nested tapes, which "
                              "need f only at x.")
        gradient, reference = _reference_hessian(function, x)
        if exact is not None:  # the tapes agree with the exact answer, A
            reference = exact
        if result.shape == (d,) and d > 1:
            if is_close(result, gradient, 1e-5, 1e-6):
                raise CheckFailed("hessian returned the gradient (shape (d,)): differentiate the "
                                  "gradient once more, with a second tape around the first.")
            if is_close(result, reference.sum(axis=1), 1e-5, 1e-6):
                raise CheckFailed("hessian returned the row sums of the Hessian: outer.gradient(g, x) "
                                  "differentiates sum(g); use outer.jacobian(g, x) to get one row per "
                                  "entry of g.")
        if result.size == d * d and result.shape != (d, d):
            raise CheckFailed(f"hessian returned shape {result.shape} for x of shape ({d},): "
                              f"reshape it to ({d}, {d}), one row per entry of the gradient.")
        expect_shape(result, (d, d), f"hessian(f, x) for x of shape ({d},)")
        expect(bool(np.all(np.isfinite(result))), "hessian(f, x) contains NaN or inf.")
        if dtype is not None and dtype != "float64":
            raise CheckFailed(f"hessian returned {dtype} numbers: return float64, as the docstring says "
                              "(keep x and every tensor in float64, and do not cast the result).")
        scale = 1.0 + np.max(np.abs(reference))
        asymmetry = np.max(np.abs(result - result.T)) if d > 1 else 0.0
        if asymmetry > 1e-6 * scale:
            triangle = np.allclose(np.triu(result, 1), 0) or np.allclose(np.tril(result, -1), 0)
            raise CheckFailed("hessian(f, x) is not symmetric" + (
                ": only one triangle is filled in; every entry H[i, j] = H[j, i] needs a value."
                if triangle else
                ": a Hessian of a smooth f satisfies H[i, j] = H[j, i]; compute every row as the "
                "gradient of one entry of the gradient (outer.jacobian(g, x))."))
        if not is_close(result, reference, 1e-6, 1e-7 * scale):
            if is_close(result, -reference, 1e-5, 1e-6 * scale):
                raise CheckFailed("hessian(f, x) has the wrong sign: return the second derivatives "
                                  "themselves, not their negatives.")
            if is_close(result, reference, 1e-2, 1e-3 * scale):
                raise CheckFailed("hessian(f, x) agrees with the exact Hessian only to a few digits: "
                                  "compute it with nested tapes in float64, not with finite differences.")
            expect_close(result, reference, f"hessian(f, x) for {description}",
                         rtol=1e-6, atol=1e-7 * scale)
    passed("hessian matches the exact second derivatives on four functions (a quadratic, a smooth "
           "function, a network loss, one variable), is symmetric and float64, and needs f only at x")


# --- classify_critical_point ------------------------------------------------------------------


def _classification_cases(seed: int, tol: float = 1e-6):
    """[(H (d, d), its eigenvalues (d,), tol or None for the default, expected label)]."""
    rng = np.random.default_rng(seed)
    d = 3 + seed % 3

    def spread(low, high, size):
        return rng.uniform(low, high, size=size)

    cases = [
        (spread(0.5, 3, d), None, "minimum"),
        (-spread(0.5, 3, d), None, "maximum"),
        (np.concatenate([spread(0.5, 3, d - 1), [-rng.uniform(0.5, 2)]]), None, "saddle"),
        ([3.0, -1.0, -1.0], None, "saddle"),  # trace > 0 and det > 0, yet a saddle
        ([2.0, 1.0, -1.5, 0.7], None, "saddle"),
        (np.concatenate([spread(0.5, 3, d - 1), [0.0]]), None, "degenerate"),
        ([1.5, 0.0, -2.0], None, "saddle"),  # a zero eigenvalue does not hide both signs
        ([0.0, 0.0], None, "degenerate"),
        ([-2.0, -1.0, 0.1 * tol], None, "degenerate"),  # within tol of zero
        ([1.0, 2.0, -0.1 * tol], None, "degenerate"),
        ([1.0, 2.0, 10 * tol], None, "minimum"),  # just outside tol
        ([-1.0, -3.0, -10 * tol], None, "maximum"),
        ([1.0, 2.0, -10 * tol], None, "saddle"),
        ([1.0, 1e-3], 1e-2, "degenerate"),  # tol is an argument
        ([-1.0, -1e-3], 1e-2, "degenerate"),
        ([1.0, 1e-3], None, "minimum"),
        ([2.5], None, "minimum"),
    ]
    # the classic 2 × 2 trap first: positive diagonal and trace, eigenvalues 3 and -1
    out = [(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([-1.0, 3.0]), None, "saddle")]
    for eigenvalues, case_tol, expected in cases:
        eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
        out.append((_with_eigenvalues(eigenvalues, rng), np.sort(eigenvalues), case_tol, expected))
    # Diagonal, so the eigenvalues are exact: |λ| = tol counts as zero; tol = 0 is allowed.
    for eigenvalues, case_tol, expected in [
        ([2.0, 0.5], 0.5, "degenerate"),
        ([-0.5, -2.0], 0.5, "degenerate"),
        ([2.0, -0.5], 0.5, "degenerate"),
        ([1.0, 0.0, 3.0], 0.0, "degenerate"),
        ([1e-9, 1.0], 0.0, "minimum"),
        ([-1.0, -1e-9], 0.0, "maximum"),
    ]:
        out.append((np.diag(eigenvalues), np.sort(eigenvalues), case_tol, expected))
    return out


def _label(eigenvalues: np.ndarray, tol: float, strict: bool = False) -> str:
    """The reference rule: both signs -> saddle; all > tol -> minimum; all < -tol -> maximum.
    With ``strict``, the mistake of counting |λ| = tol as non-zero (>= tol, <= -tol)."""
    positive, negative = (eigenvalues >= tol, eigenvalues <= -tol) if strict else (eigenvalues > tol,
                                                                                   eigenvalues < -tol)
    if positive.any() and negative.any():
        return "saddle"
    if positive.all():
        return "minimum"
    if negative.all():
        return "maximum"
    return "degenerate"


def _classification_hint(expected: str, got: str, eigenvalues: np.ndarray, h: np.ndarray,
                         tol: float, tol_given: bool) -> str:
    """One sentence that names the likely mistake for a wrong label."""
    described = "[" + ", ".join(f"{v:.3g}" for v in eigenvalues) + "]"
    start = f"classify_critical_point called a Hessian with eigenvalues {described} a {got!r}"
    if np.any(np.abs(eigenvalues) == tol) and got == _label(eigenvalues, tol, strict=True):
        return (f"{start} for tol={tol:g}: an eigenvalue with |λ| equal to tol counts as zero (|λ| <= tol), "
                "so compare with > tol and < -tol.")
    if tol_given:
        start += f" for tol={tol:g}"
        if got == _label(eigenvalues, 1e-6) or got == _label(eigenvalues, 0.0):
            return (f"{start}: it seems to ignore its tol argument; an eigenvalue counts as zero when "
                    "|λ| <= tol, with the tol it is given.")
    if expected == "degenerate" and (np.abs(eigenvalues) <= tol).any():
        return (f"{start}: an eigenvalue within tol of zero counts as zero, and with no eigenvalues "
                "of both signs the point is 'degenerate' (the Hessian cannot decide).")
    if expected == "saddle" and got == "degenerate" and (np.abs(eigenvalues) <= tol).any():
        return (f"{start}, but it has eigenvalues of both signs: that is a 'saddle' even when another "
                "eigenvalue is zero (there is a way down and a way up).")
    if got == "degenerate":
        return (f"{start}: only eigenvalues with |λ| <= tol count as zero (tol={tol:g}); compare "
                "with the tol argument, not a larger fixed threshold.")
    if expected == "saddle":
        diagonal = np.diag(h)
        hint = ("even though its diagonal entries all have one sign; "
                if np.all(diagonal > 0) or np.all(diagonal < 0) else "")
        return (f"{start}, {hint}eigenvalues of both signs make a 'saddle'. The trace, the determinant "
                "or the diagonal cannot tell: look at the sign of every eigenvalue (np.linalg.eigvalsh).")
    if {expected, got} == {"minimum", "maximum"}:
        return (f"{start}: positive curvature in every direction is the bottom of a bowl, a 'minimum'; "
                "negative in every direction is a 'maximum' (the signs are swapped).")
    if got == "saddle" and (np.abs(eigenvalues) <= tol).any():
        return (f"{start}: a saddle needs eigenvalues of both signs, above tol and below -tol; "
                "eigenvalues within tol of zero count as zero.")
    if got == "saddle":
        sign = "positive" if expected == "minimum" else "negative"
        return (f"{start}, but all its eigenvalues are {sign}: a saddle needs both signs. Shortcuts "
                "such as the sign of the determinant only work for 2 × 2 matrices: check the sign "
                "of every eigenvalue.")
    return f"{start}; it is a {expected!r}: compare each eigenvalue with tol and -tol."


CLASSIFY_HINTS = {
    "positional argument": "classify_critical_point should accept the tolerance as its second "
                           "argument: def classify_critical_point(H, tol=1e-6).",
    "unexpected keyword argument": "classify_critical_point should accept the tolerance as its "
                                   "second argument: def classify_critical_point(H, tol=1e-6).",
}


def check_classify_critical_point(classify_critical_point, seed: int = 0) -> None:
    """classify_critical_point(H, tol=1e-6) names the kind of critical point from H's eigenvalues;
    |λ| <= tol counts as zero, for any tol >= 0 (given by position or by name)."""
    default_tol = 1e-6
    student = Student(classify_critical_point, "classify_critical_point")
    for index, (h, eigenvalues, tol, expected) in enumerate(_classification_cases(seed, default_tol)):
        given = h.copy()
        if tol is None:
            got = student(given, hints=CLASSIFY_HINTS)
        elif index % 2:
            got = student(given, tol=tol, hints=CLASSIFY_HINTS)
        else:
            got = student(given, tol, hints=CLASSIFY_HINTS)
        expect(np.array_equal(given, h), "classify_critical_point changed the H you passed in: "
               "leave it as it is.")
        if got is None:
            raise CheckFailed("classify_critical_point returned None: did you forget the `return`?")
        if not isinstance(got, str) or got not in LABELS:
            raise CheckFailed(f"classify_critical_point returned {one_line(repr(got))[:60]}: it should "
                              "return one of the strings 'minimum', 'maximum', 'saddle', 'degenerate'.")
        if got != expected:
            raise CheckFailed(_classification_hint(expected, got, eigenvalues, h,
                                                   default_tol if tol is None else tol, tol is not None))
    passed("classify_critical_point names minima, maxima, saddles and degenerate points from the "
           "eigenvalues, with the tolerance at its edges (|λ| = tol, tol = 0)")


# --- escape_direction -------------------------------------------------------------------------


class _Raised:
    """Marks that the student's function raised (for the no-negative-curvature case)."""

    def __init__(self, error: Exception):
        self.error = error


ESCAPE_HINTS = {
    "positional argument": "escape_direction should accept the tolerance as its second argument: "
                           "def escape_direction(H, tol=1e-6).",
    "unexpected keyword argument": "escape_direction should accept the tolerance as its second argument: "
                                   "def escape_direction(H, tol=1e-6).",
}


def _escape(student, h: np.ndarray, *tol, catch: bool = False, **tol_by_name):
    """Call escape_direction(H, ...) on a copy; with catch=True an exception comes back as _Raised."""
    escape_direction = student.obj

    def call(matrix):
        try:
            return escape_direction(matrix, *tol, **tol_by_name)
        except (NotImplementedError, CheckFailed):
            raise
        except Exception as error:  # noqa: BLE001
            if catch and not any(key in str(error) for key in ESCAPE_HINTS):
                return _Raised(error)
            raise

    given = h.copy()
    result = student.run(call, given, name="escape_direction", hints=ESCAPE_HINTS)
    expect(np.array_equal(given, h), "escape_direction changed the H you passed in: leave it as it is.")
    return result


def _as_direction(result, d: int) -> np.ndarray:
    """The student's direction as a float64 array (d,), with the shape mistakes named."""
    if result is None:
        raise CheckFailed("escape_direction returned None for a Hessian with a negative eigenvalue: "
                          "return the eigenvector of the most negative eigenvalue.")
    if isinstance(result, tuple):
        raise CheckFailed("escape_direction returned a tuple: return only the eigenvector, an array "
                          f"of shape ({d},).")
    dtype = getattr(result, "dtype", None)
    dtype = getattr(dtype, "name", str(dtype)) if dtype is not None else None
    v = to_numpy(result, "escape_direction(H)")
    if v.shape == (d, d):
        raise CheckFailed(f"escape_direction returned a ({d}, {d}) matrix, all the eigenvectors: "
                          "return the single eigenvector of the most negative eigenvalue.")
    if v.size == 1 and d > 1:
        raise CheckFailed("escape_direction returned a single number (an eigenvalue?): return the "
                          f"eigenvector, an array of shape ({d},).")
    if v.shape in [(d, 1), (1, d)]:
        raise CheckFailed(f"escape_direction returned shape {v.shape}: return a vector of shape ({d},), "
                          "e.g. vectors[:, k], not vectors[:, k:k + 1].")
    expect_shape(v, (d,), f"escape_direction(H) for H of shape ({d}, {d})")
    expect(bool(np.all(np.isfinite(v))), "escape_direction(H) contains NaN or inf.")
    expect(dtype in (None, "float64"), f"escape_direction returned {dtype} numbers: return float64, as the "
                                       "docstring says (np.linalg.eigh of the float64 H gives float64).")
    return v


def _check_direction(v: np.ndarray, h: np.ndarray) -> None:
    """v must be a unit eigenvector of H's most negative eigenvalue (either sign)."""
    eigenvalues, vectors = np.linalg.eigh(h)
    lam = eigenvalues[0]
    norm = float(np.linalg.norm(v))
    expect(norm > 1e-12, "escape_direction returned the zero vector: return a unit eigenvector.")
    u = v / norm
    if np.linalg.norm(h @ u - lam * u) > 1e-6 * (1 + abs(lam)):
        residuals = [np.linalg.norm(h @ u - e * u) for e in eigenvalues]
        k = int(np.argmin(residuals))
        if residuals[k] <= 1e-6 * (1 + abs(eigenvalues[k])):
            if k == len(eigenvalues) - 1:
                raise CheckFailed("escape_direction gave the eigenvector of the largest eigenvalue: "
                                  "take the most negative one (np.linalg.eigh sorts eigenvalues in "
                                  "ascending order, so it is the first).")
            if eigenvalues[k] < 0:
                raise CheckFailed("escape_direction gave the eigenvector of a negative eigenvalue that "
                                  "is not the most negative one: take the smallest eigenvalue.")
            raise CheckFailed("escape_direction gave the eigenvector of a positive eigenvalue: along it "
                              "the loss goes up; take the most negative eigenvalue.")
        rows = np.linalg.eigh(h)[1]
        if any(is_close(np.abs(u), np.abs(row / np.linalg.norm(row)), 1e-6, 1e-8) for row in rows):
            raise CheckFailed("escape_direction returned a row of the eigenvector matrix: np.linalg.eigh "
                              "returns the eigenvectors as its columns, vectors[:, k].")
        raise CheckFailed("escape_direction(H) is not an eigenvector of H: H v should equal λ_min v, "
                          "λ_min the most negative eigenvalue.")
    if abs(norm - 1.0) > 1e-6:
        raise CheckFailed(f"escape_direction returned a vector of length {norm:.4g}: divide it by its "
                          "norm so that it has length 1.")


def _expect_none(student, h: np.ndarray, tol_args: tuple, tol_kwargs: dict, tol: float, default: bool) -> None:
    """escape_direction(H, ...) must return None: no eigenvalue of H is below -tol."""
    lam = float(np.linalg.eigvalsh(h)[0])
    result = _escape(student, h, *tol_args, catch=True, **tol_kwargs)
    if isinstance(result, _Raised):
        raise CheckFailed(f"escape_direction raised {type(result.error).__name__} for a Hessian with no "
                          "eigenvalue below -tol: return None in that case, as the docstring says.")
    if result is None:
        return
    if lam == -tol:
        raise CheckFailed(f"escape_direction returned a vector for a Hessian whose smallest eigenvalue is "
                          f"exactly -tol = {lam:g}: only an eigenvalue below -tol counts as negative "
                          "(λ < -tol), so return None.")
    if lam > tol:
        raise CheckFailed("escape_direction returned a vector for a Hessian whose eigenvalues are all "
                          "positive (a minimum): no direction goes down there, so return None.")
    if not default and lam < -1e-6:
        raise CheckFailed(f"escape_direction(H, tol={tol:g}) returned a vector for a smallest eigenvalue of "
                          f"{lam:.3g}, within tol of zero: it seems to ignore its tol argument; compare "
                          "with the tol it is given.")
    raise CheckFailed(f"escape_direction returned a vector for a Hessian whose smallest eigenvalue is "
                      f"{lam:.3g}, within tol={tol:g} of zero: only an eigenvalue below -tol counts as "
                      "negative, so return None.")


def check_escape_direction(escape_direction, seed: int = 0) -> None:
    """escape_direction(H, tol=1e-6): the float64 unit eigenvector (d,) of the most negative
    eigenvalue, None when no eigenvalue is below -tol."""
    tf = _tf()
    rng = np.random.default_rng(200 + seed)
    d = 3 + seed % 3
    student = Student(escape_direction, "escape_direction")
    # two negative eigenvalues of different size, so "the first negative one" is not enough
    eigenvalues = np.concatenate([rng.uniform(0.5, 3.0, size=d - 2), [-0.4, -rng.uniform(1.0, 2.5)]])
    h = _with_eigenvalues(rng.permutation(eigenvalues), rng)
    v = _as_direction(_escape(student, h), d)
    _check_direction(v, h)

    # all-negative (a maximum): the steepest way down is still the most negative eigenvalue
    h_max = _with_eigenvalues(-rng.uniform(0.5, 3.0, size=d), rng)
    _check_direction(_as_direction(_escape(student, h_max), d), h_max)

    # no eigenvalue below -tol: a minimum, a zero eigenvalue, one within the default tol of zero,
    # one within a given tol (by position and by name), one exactly at -tol (diagonal, so exact)
    positive = rng.uniform(0.5, 3.0, size=d - 1)
    _expect_none(student, _with_eigenvalues(np.append(positive, 0.7), rng), (), {}, 1e-6, True)
    _expect_none(student, np.diag(np.append(positive, 0.0)), (), {}, 1e-6, True)
    _expect_none(student, _with_eigenvalues(np.append(positive, -1e-8), rng), (), {}, 1e-6, True)
    _expect_none(student, _with_eigenvalues(np.append(positive, -1e-3), rng), (1e-2,), {}, 1e-2, False)
    _expect_none(student, _with_eigenvalues(np.append(positive, -1e-3), rng), (), {"tol": 1e-2}, 1e-2, False)
    _expect_none(student, np.diag(np.append(positive, -0.25)), (0.25,), {}, 0.25, False)
    # just beyond a given tol: the direction again
    h_tol = _with_eigenvalues(np.append(positive, -0.05), rng)
    _check_direction(_as_direction(_escape(student, h_tol, tol=1e-2), d), h_tol)

    # a function with a saddle at c: a small step along ±v from c lowers it
    centre = rng.uniform(-1.0, 1.0, size=d)
    a = _with_eigenvalues(rng.permutation(eigenvalues), rng)

    def f(x):
        shifted = x - tf.constant(centre, x.dtype)
        return (0.5 * tf.reduce_sum(shifted * tf.linalg.matvec(tf.constant(a, x.dtype), shifted))
                + 0.1 * tf.reduce_sum(shifted**3) + 2.0)

    _, h_f = _reference_hessian(f, centre)
    v = _as_direction(_escape(student, h_f), d)
    _check_direction(v, h_f)
    u = v / np.linalg.norm(v)
    step = 1e-2
    at_saddle = float(f(tf.constant(centre)))
    moved = [float(f(tf.constant(centre + sign * step * u))) for sign in (1.0, -1.0)]
    expect(max(moved) < at_saddle, "a small step along escape_direction(H) did not lower f: return the "
           "eigenvector of the most negative eigenvalue.")
    passed(f"escape_direction gives a unit eigenvector of the most negative eigenvalue, None when no "
           f"eigenvalue is below -tol, and a step of {step:g} along it lowers f from {at_saddle:.6f} to "
           f"{max(moved):.6f}")
