# %% [markdown]
# # Lab 08 — The loss landscape: critical points, saddles, batches and momentum
#
# When training stops making progress, the gradient is usually close to zero. That does not
# mean the network sits at the bottom of a valley: the gradient is also zero on top of a hill
# and in the middle of a mountain pass. This lab tells these places apart with second
# derivatives, shows how to leave a pass, and then looks at two everyday tools that help
# training move through a rough landscape: the noise of small batches and momentum.
#
# **Goals**
# - see why, at a point where the gradient vanishes, the second-order term of the Taylor
#   expansion decides what the landscape looks like;
# - compute the Hessian matrix with two nested `tf.GradientTape`s: `hessian(f, x)`;
# - name a critical point (minimum, maximum, saddle, degenerate) from the Hessian's
#   eigenvalues: `classify_critical_point(H, tol=1e-6)`;
# - find the way out of a saddle point along an eigenvector: `escape_direction(H)`, and use
#   it on the loss surface of the smallest network that has a saddle;
# - measure how the batch size sets the noise of the gradient and the time per epoch;
# - watch momentum carry the weights past a dip where plain gradient descent stops.
#
# **Time:** about 60 minutes. Each answer cell is followed by a check cell: run it, and it
# tells you in one line what is right or what to fix.

# %% [markdown]
# ## Setup

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import matplotlib.pyplot as plt
import numpy as np

import course

course.set_seed(42)  # seeds Python, NumPy and TensorFlow; imports TensorFlow quietly
import keras
import tensorflow as tf
from keras import layers

from course.checks import lab08_landscape as checks

print(course.environment_line())

# %% [markdown]
# ## 1. Where the gradient vanishes
#
# A point $\boldsymbol\theta'$ where the gradient of the loss is zero is a **critical point**.
# Gradient descent stops moving there, whatever kind of point it is. To see what kind it is,
# write the loss near $\boldsymbol\theta'$ as a Taylor expansion up to second order:
#
# $$L(\boldsymbol\theta) \approx L(\boldsymbol\theta')
#   + (\boldsymbol\theta - \boldsymbol\theta')^\top \mathbf{g}
#   + \tfrac12 (\boldsymbol\theta - \boldsymbol\theta')^\top H\, (\boldsymbol\theta - \boldsymbol\theta'),$$
#
# where $\mathbf{g} = \nabla L(\boldsymbol\theta')$ is the gradient and $H$ the **Hessian**,
# the matrix of second derivatives $H_{ij} = \dfrac{\partial^2 L}{\partial\theta_i\,\partial\theta_j}(\boldsymbol\theta')$.
# At a critical point $\mathbf{g} = 0$, so the middle term drops out and, writing
# $\mathbf{v} = \boldsymbol\theta - \boldsymbol\theta'$ for the step away from the point,
# everything depends on the sign of $\mathbf{v}^\top H \mathbf{v}$:
#
# | for every step $\mathbf{v} \ne 0$ | near $\boldsymbol\theta'$ the loss is | the point is a |
# |---|---|---|
# | $\mathbf{v}^\top H \mathbf{v} > 0$ | higher | **local minimum** |
# | $\mathbf{v}^\top H \mathbf{v} < 0$ | lower | **local maximum** |
# | positive for some $\mathbf{v}$, negative for others | higher one way, lower another | **saddle point** |
#
# Three functions of two variables show the three cases at the origin: a bowl
# $x^2 + y^2$, a dome $-x^2 - y^2$ and a saddle $x^2 - y^2$. A tape confirms that the
# gradient of all three is zero at $(0, 0)$:

# %%
def bowl(p):
    return p[0] ** 2 + p[1] ** 2


def dome(p):
    return -p[0] ** 2 - p[1] ** 2


def saddle(p):
    return p[0] ** 2 - p[1] ** 2


origin = tf.constant([0.0, 0.0], dtype=tf.float64)
for name, function in [("bowl", bowl), ("dome", dome), ("saddle", saddle)]:
    with tf.GradientTape() as tape:
        tape.watch(origin)
        value = function(origin)
    print(f"{name:>6}: gradient at (0, 0) = {tape.gradient(value, origin).numpy()}")

# %% [markdown]
# Same gradient, very different neighbourhoods. (The functions index `p[0]` and `p[1]`, so
# they work on a tensor of shape `(2,)` and also on a stack of two NumPy grids, which is how
# the contour plots below evaluate them.)

# %%
grid_x, grid_y = np.meshgrid(np.linspace(-2, 2, 101), np.linspace(-2, 2, 101))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
for ax, (name, function) in zip(axes, [("bowl: minimum", bowl), ("dome: maximum", dome),
                                       ("saddle", saddle)]):
    values = function(np.stack([grid_x, grid_y]))
    filled = ax.contourf(grid_x, grid_y, values, levels=20, cmap="coolwarm")
    ax.plot(0, 0, "k*", markersize=12)
    ax.set(title=name, xlabel="$\\theta_1$", ylabel="$\\theta_2$", aspect="equal")
    fig.colorbar(filled, ax=ax, shrink=0.8, label=course.tr("value of the function"))
fig.suptitle(course.tr("Three critical points at (0, 0) (the star), each with gradient zero"))
fig.tight_layout()
plt.show()

# %% [markdown]
# At the star all three are flat, yet the bowl rises in every direction, the dome falls in
# every direction, and the saddle rises along $\theta_1$ and falls along $\theta_2$: the
# gradient cannot tell them apart, the second derivatives can.

# %% [markdown]
# ## 2. The Hessian from two tapes
#
# One tape gives first derivatives. For second derivatives, the computation *of the gradient*
# must itself be recorded, so that it can be differentiated once more: an **outer** tape
# wraps an **inner** one. For $f(x) = x^3$ at $x = 3$ we expect $f'(3) = 3 \cdot 3^2 = 27$ and
# $f''(3) = 6 \cdot 3 = 18$:

# %%
x_scalar = tf.Variable(3.0, dtype=tf.float64)
with tf.GradientTape() as outer_tape:
    with tf.GradientTape() as inner_tape:
        y_scalar = x_scalar**3
    first = inner_tape.gradient(y_scalar, x_scalar)  # computed inside the outer tape: recorded
second = outer_tape.gradient(first, x_scalar)
print("f'(3) =", float(first), "  f''(3) =", float(second))

# %% [markdown]
# For $f$ of a vector $\mathbf{x}$ of shape `(d,)`, the inner tape's gradient $\mathbf{g}$
# has shape `(d,)`, and the Hessian's row $i$ is the gradient of the single number $g_i$.
# `outer_tape.jacobian(g, x)` computes all rows at once and returns shape `(d, d)`.
# Do not use `outer_tape.gradient(g, x)` for this: given a vector, `gradient` differentiates
# the *sum* of its entries and returns only `(d,)` numbers, the row sums of $H$.
#
# Three details matter:
# - a tape follows a `tf.Variable` by itself, but a plain tensor only after `tape.watch(x)`,
#   and a NumPy array not at all: convert `x` first (`tf.constant(x)` or `tf.Variable(x)`);
# - the inner `tape.gradient(...)` call must run **inside** the outer `with` block, or the
#   outer tape has nothing to differentiate and returns `None`;
# - keep float64: second derivatives lose digits faster than first ones.
#
# For a smooth function the order of differentiation does not matter,
# $\partial^2 f / \partial x_i \partial x_j = \partial^2 f / \partial x_j \partial x_i$, so the
# Hessian is a **symmetric** matrix.
#
# **Your turn.** Write `hessian(f, x)`.

# %% nbgrader={"grade": false, "grade_id": "hessian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hessian(f, x):
    """Hessian of a scalar function at a point, from two nested tf.GradientTapes.

    Args:
        f: function mapping a float64 tensor of shape (d,) to a scalar tensor; it uses
            TensorFlow operations, so the tapes can follow it.
        x: float64 NumPy array of shape (d,), the point (left unchanged).

    Returns:
        float64 NumPy array (or tensor) of shape (d, d), symmetric: entry (i, j) is the
        second derivative of f with respect to x[i] and x[j], at x.
    """
    ### BEGIN SOLUTION
    x = tf.constant(np.asarray(x, dtype=np.float64))
    with tf.GradientTape() as outer_tape:
        outer_tape.watch(x)
        with tf.GradientTape() as inner_tape:
            inner_tape.watch(x)
            value = f(x)
        gradient = inner_tape.gradient(value, x)  # shape (d,), recorded by the outer tape
    return outer_tape.jacobian(gradient, x).numpy()  # shape (d, d): row i = d(gradient[i])/dx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_hessian", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_hessian(hessian)
### BEGIN HIDDEN TESTS
checks.check_hessian(hessian, seed=1)
checks.check_hessian(hessian, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# The Hessians of the three examples at the origin:

# %%
def hessian_array(f, x):
    """hessian(f, x) as a float64 NumPy array, whether your hessian returns an array or a tensor."""
    return np.asarray(hessian(f, x), dtype=np.float64)


for name, function in [("bowl", bowl), ("dome", dome), ("saddle", saddle)]:
    print(f"{name}:\n{hessian_array(function, np.zeros(2))}")

# %% [markdown]
# ## 3. Reading the Hessian through its eigenvalues
#
# For the three examples the Hessian is diagonal and the signs can be read off the diagonal.
# In general they cannot. A real symmetric matrix has real **eigenvalues**
# $\lambda_1, \dots, \lambda_d$ and orthonormal **eigenvectors** $\mathbf{u}_1, \dots, \mathbf{u}_d$
# with $H\mathbf{u}_i = \lambda_i \mathbf{u}_i$. Write any step in that basis,
# $\mathbf{v} = \sum_i c_i \mathbf{u}_i$ with $c_i = \mathbf{u}_i^\top\mathbf{v}$; then
#
# $$\mathbf{v}^\top H \mathbf{v} = \sum_{i=1}^d \lambda_i\, c_i^2 .$$
#
# The $c_i^2$ are never negative, so:
# - all $\lambda_i > 0$: the quadratic term is positive for every step — a **local minimum**;
# - all $\lambda_i < 0$: negative for every step — a **local maximum**;
# - some positive, some negative: up along some eigenvectors, down along others — a **saddle**.
#
# A zero eigenvalue means the quadratic term is flat along its eigenvector, and only the
# third- or fourth-order terms of the expansion (which we dropped) can decide. Compare
# $x^4 + y^2$ (a minimum), $-x^4 + y^2$ (a saddle, going down along $x$) and $x^3 + y^2$
# (neither: down on one side, up on the other): all three have the Hessian
# $\begin{pmatrix}0&0\\0&2\end{pmatrix}$ at the origin. We call such points **degenerate**. In floating point an eigenvalue is hardly ever exactly 0,
# so "zero" means $|\lambda| \le$ `tol`.
#
# The rules, in this order:
# 1. some $\lambda > $ `tol` and some $\lambda < -$`tol` → `"saddle"` (a zero eigenvalue elsewhere
#    does not change that: there is a way up and a way down);
# 2. every $\lambda > $ `tol` → `"minimum"`;
# 3. every $\lambda < -$`tol` → `"maximum"`;
# 4. otherwise (some $|\lambda| \le$ `tol`, all the others of one sign) → `"degenerate"`.
#
# Shortcuts fail. The matrix below has a positive diagonal and a positive trace (the sum of
# the eigenvalues), and still a negative eigenvalue; `np.linalg.eigvalsh` (for symmetric
# matrices; eigenvalues in ascending order) finds it:

# %%
tricky = np.array([[1.0, 2.0], [2.0, 1.0]])
print("diagonal:", np.diag(tricky), " trace:", np.trace(tricky), f" determinant: {np.linalg.det(tricky):.3g}")
print("eigenvalues:", np.linalg.eigvalsh(tricky))
step = np.array([1.0, -1.0]) / np.sqrt(2)
print("v^T H v along (1, -1)/sqrt(2):", step @ tricky @ step)

# %% [markdown]
# In two dimensions one more number settles it. The **determinant** is the product of the
# eigenvalues, $\det H = \lambda_1\lambda_2$, and the trace their sum, so together they give
# the signs of both: $\det H < 0$ means one of each sign, a saddle (as for `tricky`, whose
# determinant is $1 - 4 = -3$); $\det H > 0$ means the same sign twice, a minimum when the trace
# is positive and a maximum when it is negative; $\det H = 0$ means a zero eigenvalue. For
# $d = 2$ this test is exact, and it is the one taught in calculus courses.
#
# For $d > 2$ it is not: a product and a sum no longer pin down $d$ signs. Eigenvalues
# $(-1, -1, 10)$ and $(1, 2, 5)$ both give determinant 10 and trace 8, yet the first matrix is a
# saddle and the second a minimum. Here are two such matrices, with their eigenvectors turned
# (by the same rotation) so that both diagonals are positive as well:

# %%
for eigenvalues_3d in ([-1.0, -1.0, 10.0], [1.0, 2.0, 5.0]):
    rotation = np.linalg.qr(np.random.default_rng(10).normal(size=(3, 3)))[0]  # orthonormal columns
    H_3d = rotation @ np.diag(eigenvalues_3d) @ rotation.T  # a symmetric matrix with these eigenvalues
    print(f"diagonal {np.diag(H_3d).round(2)}, det {np.linalg.det(H_3d):.3g}, trace {np.trace(H_3d):.3g}, "
          f"eigenvalues {np.linalg.eigvalsh(H_3d).round(3)} -> {'saddle' if min(eigenvalues_3d) < 0 else 'minimum'}")

# %% [markdown]
# **Your turn.** Write `classify_critical_point(H, tol=1e-6)` with the four rules above.

# %% nbgrader={"grade": false, "grade_id": "classify_critical_point", "locked": false, "schema_version": 3, "solution": true, "task": false}
def classify_critical_point(H, tol=1e-6):
    """Name a critical point from the eigenvalues of its Hessian.

    Args:
        H: symmetric float64 NumPy array of shape (d, d), the Hessian at a point where the
            gradient is zero (left unchanged).
        tol: non-negative float; an eigenvalue with |λ| <= tol counts as zero.

    Returns:
        One of the strings "saddle" (eigenvalues above tol and below -tol), "minimum"
        (all above tol), "maximum" (all below -tol) or "degenerate" (any other case:
        some eigenvalues count as zero and the others, if any, share one sign).
    """
    ### BEGIN SOLUTION
    eigenvalues = np.linalg.eigvalsh(np.asarray(H, dtype=np.float64))
    has_up, has_down = np.any(eigenvalues > tol), np.any(eigenvalues < -tol)
    if has_up and has_down:
        return "saddle"
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    return "degenerate"
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_classify_critical_point", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_classify_critical_point(classify_critical_point)
### BEGIN HIDDEN TESTS
checks.check_classify_critical_point(classify_critical_point, seed=1)
checks.check_classify_critical_point(classify_critical_point, seed=2)
### END HIDDEN TESTS

# %% [markdown]
# The examples so far, and the three degenerate ones, each at the origin. For the degenerate
# ones we also look at $f$ along the $x$ axis, where the Hessian is blind:

# %%
def quartic_bowl(p):
    return p[0] ** 4 + p[1] ** 2


def quartic_saddle(p):
    return -p[0] ** 4 + p[1] ** 2


def cubic_valley(p):
    return p[0] ** 3 + p[1] ** 2


examples = [("x²+y²", bowl), ("-x²-y²", dome), ("x²-y²", saddle), ("x⁴+y²", quartic_bowl),
            ("-x⁴+y²", quartic_saddle), ("x³+y²", cubic_valley)]
for name, function in examples:
    H = hessian_array(function, np.zeros(2))
    along_x = [float(function(tf.constant([s, 0.0], dtype=tf.float64))) for s in (-0.1, 0.1)]
    print(f"{name:>7}: eigenvalues {np.linalg.eigvalsh(H)} -> {classify_critical_point(H):<10}"
          f" f(-0.1, 0) = {along_x[0]:+.4f}, f(0.1, 0) = {along_x[1]:+.4f}")

# %% [markdown]
# ## 4. The smallest network with a saddle
#
# The lecture's example: a network with one input, one hidden unit and one output, all
# linear and without biases, so $\hat y = w_2\,(w_1 x)$. Train it on the single example
# $x = 1$, $y = 1$ with the squared error, and the loss as a function of the two weights is
#
# $$L(w_1, w_2) = (1 - w_1 w_2)^2 .$$
#
# Its gradient, $\big(-2w_2(1 - w_1w_2),\ -2w_1(1 - w_1w_2)\big)$, vanishes at the origin and
# along the whole curve $w_1 w_2 = 1$, where the loss is 0. At the origin the Hessian is
# $\begin{pmatrix}0&-2\\-2&0\end{pmatrix}$ with eigenvalues $-2$ and $2$: a saddle. Both
# weights starting near zero means starting near this saddle, where every gradient is tiny.
#
# Below we write the network's loss with the weights as one tensor `w = (w1, w2)`, compute
# its Hessian, and classify two of its critical points:

# %%
x_single, y_single = 1.0, 1.0


def network_loss(w):
    """Squared error of y_hat = w[1] * (w[0] * x) on the one example (x_single, y_single)."""
    hidden = w[0] * x_single
    y_hat = w[1] * hidden
    return (y_single - y_hat) ** 2


for point in [np.array([0.0, 0.0]), np.array([1.0, 1.0])]:
    H = hessian_array(network_loss, point)
    print(f"at w = {point}: H =\n{H}\n  eigenvalues {np.linalg.eigvalsh(H)} -> "
          f"{classify_critical_point(H)}")

# %% [markdown]
# At $(1, 1)$ the test says *degenerate*: along the valley $w_1 w_2 = 1$ the loss stays at 0,
# so one eigenvalue is 0. The loss cannot go below 0, so every point of the valley is a
# (global) minimum — knowledge the second-order test does not have.
#
# At the origin the eigenvector of the eigenvalue $-2$ points along $(1, 1)$ (and $(-1, -1)$),
# towards the valley; the eigenvector of $+2$ points along $(1, -1)$, uphill. On the contour
# plot the two directions form the saddle's cross:

# %%
eigenvalues, eigenvectors = np.linalg.eigh(hessian_array(network_loss, np.zeros(2)))
w1_grid, w2_grid = np.meshgrid(np.linspace(-2, 2, 201), np.linspace(-2, 2, 201))
loss_grid = (1 - w1_grid * w2_grid) ** 2


def draw_landscape(ax):
    """The network's loss surface with its valley of minima and the saddle at the origin."""
    ax.contourf(w1_grid, w2_grid, np.log10(loss_grid + 1e-3), levels=30, cmap="viridis")
    branch = np.linspace(0.5, 2, 50)
    for sign in (1, -1):
        ax.plot(sign * branch, sign / branch, "w--", linewidth=1)
    ax.plot(0, 0, "r*", markersize=14)
    ax.set(xlabel="$w_1$", ylabel="$w_2$", aspect="equal", xlim=(-2, 2), ylim=(-2, 2))


fig, ax = plt.subplots(figsize=(5.5, 5))
draw_landscape(ax)
for value, vector in zip(eigenvalues, eigenvectors.T):
    color = "tab:red" if value < 0 else "tab:orange"
    for sign in (1, -1):
        ax.annotate("", xy=sign * 0.9 * vector, xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": color, "linewidth": 2})
    ax.text(*(1.05 * vector), f"λ = {value:+.0f}", color="white", fontsize=11)
ax.set_title("log10 loss; white dashes: $w_1 w_2 = 1$")
plt.show()

# %% [markdown]
# The red arrows (eigenvalue $-2$) run down into the valley, towards the two dashed curves of
# minima; the orange ones ($+2$) point uphill, away from both. Any small step with a component
# along the red direction leaves the saddle downhill.

# %% [markdown]
# ## 5. Escaping a saddle
#
# Along an eigenvector $\mathbf{u}$ with eigenvalue $\lambda < 0$, a step of length $\varepsilon$
# from the critical point changes the loss by about
#
# $$L(\boldsymbol\theta' \pm \varepsilon \mathbf{u}) - L(\boldsymbol\theta') \approx \tfrac12 \lambda \varepsilon^2 < 0,$$
#
# in both directions $\pm\mathbf{u}$. So a negative eigenvalue is not only a diagnosis, it is
# also the way out, and the most negative one gives the steepest drop. (This is rarely done
# for real networks: a Hessian with $d^2$ entries is far too expensive for millions of
# weights. The gradient noise and momentum of the next sections do the escaping in practice.)
#
# **Your turn.** Write `escape_direction(H)`: the unit eigenvector of the most negative
# eigenvalue, or `None` when no eigenvalue is negative (there is no way down). Either sign
# of the eigenvector is right.

# %% nbgrader={"grade": false, "grade_id": "escape_direction", "locked": false, "schema_version": 3, "solution": true, "task": false}
def escape_direction(H, tol=1e-6):
    """Unit eigenvector of the most negative eigenvalue of a Hessian.

    Args:
        H: symmetric float64 NumPy array of shape (d, d) (left unchanged).
        tol: non-negative float; only an eigenvalue below -tol counts as negative.

    Returns:
        float64 NumPy array of shape (d,) with norm 1 and H @ v = λ_min v, where λ_min is
        the most negative eigenvalue (v or -v, both are right); None when no eigenvalue
        is below -tol.
    """
    ### BEGIN SOLUTION
    eigenvalues, eigenvectors = np.linalg.eigh(np.asarray(H, dtype=np.float64))  # ascending
    if eigenvalues[0] >= -tol:
        return None
    direction = eigenvectors[:, 0]  # eigenvectors are the columns
    return direction / np.linalg.norm(direction)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_escape_direction", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_escape_direction(escape_direction)
### BEGIN HIDDEN TESTS
checks.check_escape_direction(escape_direction, seed=1)
checks.check_escape_direction(escape_direction, seed=2)
### END HIDDEN TESTS

# %% [markdown]
# Now three runs of plain gradient descent on the network's loss, 150 steps each with
# learning rate 0.1:
# - started **exactly at the saddle**: the gradient is exactly zero, so it never moves;
# - started a **tiny random distance** ($10^{-4}$) from it: it moves, but very slowly at first;
# - started after **one step of length 0.1 along `escape_direction`**.

# %%
def descend(loss_fn, w0, learning_rate, num_steps):
    """Plain gradient descent; returns the path (num_steps + 1, 2) and the losses (num_steps + 1,)."""
    w = tf.Variable(np.array(w0, dtype=np.float64))
    path, losses = [w.numpy()], [float(loss_fn(w))]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = loss_fn(w)
        w.assign_sub(learning_rate * tape.gradient(loss, w))
        path.append(w.numpy())
        losses.append(float(loss_fn(w)))
    return np.array(path), np.array(losses)


H_saddle = hessian_array(network_loss, np.zeros(2))
v_escape = np.asarray(escape_direction(H_saddle), dtype=np.float64).reshape(2)  # any (2,), (2, 1) or tensor
starts = {
    "at the saddle": np.zeros(2),
    "tiny random nudge (1e-4)": 1e-4 * np.random.default_rng(0).normal(size=2),
    "one step along escape_direction": 0.1 * v_escape,
}
runs = {label: descend(network_loss, w0, learning_rate=0.1, num_steps=150)
        for label, w0 in starts.items()}

fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 5))
draw_landscape(ax_path)
for label, (path, losses) in runs.items():
    ax_path.plot(path[:, 0], path[:, 1], "o-", markersize=2, label=label)
    ax_loss.plot(losses, label=label)
    below = np.flatnonzero(losses < 0.01)
    print(f"{label:>32}: loss {losses[0]:.4f} -> {losses[-1]:.2e}, "
          f"below 0.01 after {below[0] if below.size else 'never (150)'} steps")
ax_path.legend(loc="lower left", fontsize=8)
ax_path.set_title("gradient descent paths from the saddle")
ax_loss.set(xlabel="step", ylabel="loss", title="loss along each path")
ax_loss.legend()
plt.show()

# %% [markdown]
# Started exactly at the saddle, gradient descent is stuck forever; a tiny offset escapes,
# but the loss sits on a long plateau first, because the offset grows by only a factor
# $1 + 0.1 \cdot 2 = 1.2$ per step along the escape direction. One step along the eigenvector
# skips most of that plateau.
#
# How common are saddles compared with minima? A minimum needs **every** eigenvalue positive.
# As a rough picture (not a theorem about networks), draw random symmetric matrices and count
# how often all eigenvalues come out positive:

# %%
rng = np.random.default_rng(0)
for d in [1, 2, 3, 4, 5, 6, 8]:
    random_matrices = rng.normal(size=(20_000, d, d))
    symmetric = (random_matrices + np.swapaxes(random_matrices, 1, 2)) / 2
    all_positive = np.all(np.linalg.eigvalsh(symmetric) > 0, axis=1).mean()
    print(f"d = {d}: fraction with every eigenvalue positive {all_positive:.5f}")

# %% [markdown]
# The fraction falls very fast with the dimension. A real network has thousands to millions
# of weights, and the lecture reports the same from experiments: where training stops, the
# Hessian nearly always still has some negative eigenvalues, so true local minima are rare
# and saddle points (with many directions to leave by) are the common case.
#
# ## 6. Batch size: how noisy is a mini-batch gradient?
#
# Training takes each step on a **batch** of examples and reshuffles the batches every
# epoch. The batch gradient is an estimate of the full-data gradient, and a noisy one: the
# average of $B$ per-example gradients has a variance about $\sigma^2 / B$, where $\sigma^2$
# is the variance of a single example's gradient (summed over the gradient's entries).
# (Drawing without replacement from $N$ examples multiplies this by $\frac{N - B}{N - 1}$,
# which is 0 for the full batch.)
#
# We measure it on a small regression problem: 1,024 examples with 8 features, a linear model
# (one `Dense` unit), the squared error. `tape.jacobian` of the vector of per-example losses
# gives every example's gradient in one call, shape `(n, number of weights)`; a batch gradient
# is then the mean of some rows.

# %%
rng = np.random.default_rng(0)
num_examples, num_features = 1024, 8
x_train = rng.normal(size=(num_examples, num_features)).astype("float32")
true_weights = rng.normal(size=(num_features, 1)).astype("float32")
y_train = x_train @ true_weights + 0.5 * rng.normal(size=(num_examples, 1)).astype("float32")

course.set_seed(0)
model = keras.Sequential([keras.Input((num_features,)), layers.Dense(1)])

with tf.GradientTape() as tape:
    per_example_losses = tf.reduce_mean((y_train - model(x_train)) ** 2, axis=1)  # shape (n,)
jacobians = tape.jacobian(per_example_losses, model.trainable_variables)
per_example = np.concatenate([j.numpy().reshape(num_examples, -1) for j in jacobians], axis=1)
full_gradient = per_example.mean(axis=0)
sigma2 = per_example.var(axis=0).sum()  # total variance of one example's gradient
print("per-example gradients:", per_example.shape, " full-batch gradient norm:",
      f"{np.linalg.norm(full_gradient):.3f}")

batch_sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
measured = []
for batch_size in batch_sizes:
    errors = [np.sum((per_example[rng.choice(num_examples, batch_size, replace=False)].mean(axis=0)
                      - full_gradient) ** 2) for _ in range(400)]
    measured.append(np.mean(errors))
batch_array = np.array(batch_sizes)
predicted = sigma2 / batch_array * (num_examples - batch_array) / (num_examples - 1)

fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(batch_sizes[:-1], measured[:-1], "o", label="measured (400 batches each)")
ax.loglog(batch_sizes[:-1], predicted[:-1], "-", label="σ²/B · (N−B)/(N−1)")
ax.set(xlabel="batch size B", ylabel="mean squared error of the batch gradient",
       title="smaller batches, noisier gradients")
ax.legend()
plt.show()
print("error of the full batch (B = 1024):", measured[-1])

# %% [markdown]
# Sixteen times the batch, a quarter of the noise (in standard deviation). What does the
# noise do to training? Take a model with just two weights, $\hat y = w x + b$, on 256
# examples from $y = 2x - 1$ plus noise, and train it for 4 epochs with the same learning rate
# at three batch sizes. One epoch is 1 step for the full batch, 8 steps for batch 32 and
# 64 steps for batch 4:

# %%
x_line = rng.uniform(-1, 1, size=256)
y_line = 2 * x_line - 1 + 0.3 * rng.normal(size=256)


def line_loss(params, idx):
    """Mean squared error of y = params[0] * x + params[1] on the examples idx."""
    return tf.reduce_mean((params[0] * x_line[idx] + params[1] - y_line[idx]) ** 2)


def minibatch_path(batch_size, num_epochs=4, learning_rate=0.1, seed=0):
    """(w, b) after every step of mini-batch gradient descent, reshuffled each epoch."""
    order_rng = np.random.default_rng(seed)
    params = tf.Variable([-1.5, 1.5], dtype=tf.float64)
    path = [params.numpy()]
    for _ in range(num_epochs):
        order = order_rng.permutation(len(x_line))
        for start in range(0, len(x_line), batch_size):
            with tf.GradientTape() as tape:
                loss = line_loss(params, order[start:start + batch_size])
            params.assign_sub(learning_rate * tape.gradient(loss, params))
            path.append(params.numpy())
    return np.array(path)


w_grid, b_grid = np.meshgrid(np.linspace(-2, 3, 151), np.linspace(-2, 2, 121))
full_loss = ((w_grid[..., None] * x_line + b_grid[..., None] - y_line) ** 2).mean(axis=-1)
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True)
for ax, batch_size in zip(axes, [256, 32, 4]):
    path = minibatch_path(batch_size)
    ax.contour(w_grid, b_grid, full_loss, levels=np.geomspace(0.1, 12, 14), colors="0.7")
    ax.plot(path[:, 0], path[:, 1], ".-", color="tab:red", markersize=3, linewidth=0.8)
    final = float(line_loss(path[-1], np.arange(256)))
    ax.set(title=f"batch {batch_size}: {len(path) - 1} steps, final loss {final:.3f}",
           xlabel="w", xlim=(-2, 3), ylim=(-2, 2))
axes[0].set_ylabel("b")
fig.tight_layout()
plt.show()

# %% [markdown]
# In 4 epochs the full batch takes 4 careful steps and is still far from the minimum at about
# $(2, -1)$. Batch 32 covers most of the distance along a slightly wobbly path. Batch 4 arrives
# first and then keeps jittering around the minimum: each of its steps follows a different,
# noisy estimate of the gradient (its final loss is close to the noise level of the data,
# $0.3^2 = 0.09$).
# The lecture's point is that this noise is not only a cost. Every batch has a slightly
# different loss surface, so a point where one batch's gradient is zero rarely stops the next
# batch; and small batches tend to end in wide minima, which often generalise better than the
# narrow ones large batches can settle in.
#
# ### Time per epoch
#
# If small batches make progress faster per epoch, why not always use batch 1? Because a step
# has a fixed cost (launching the computation), and the examples of one batch are processed
# in parallel. On a GPU a step on 1,000 examples takes about as long as a step on 10, so large
# batches make an epoch much faster. Here is the same measurement on this CPU, for a small
# multi-layer network on 4,096 examples with `model.fit` (we time the second epoch, after
# Keras has traced its training function):

# %%
x_big = rng.normal(size=(4096, 32)).astype("float32")
y_big = np.sin(x_big[:, :1]) + 0.1 * rng.normal(size=(4096, 1)).astype("float32")


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of every epoch, in seconds."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)

    def on_train_begin(self, logs=None):
        self.seconds = []


rows = []
for batch_size in [16, 64, 256, 1024, 4096]:
    course.set_seed(0)
    model = keras.Sequential([keras.Input((32,)), layers.Dense(256, activation="relu"),
                              layers.Dense(256, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    timer = EpochTimer()
    model.fit(x_big, y_big, batch_size=batch_size, epochs=2, verbose=0, callbacks=[timer])
    steps = len(x_big) // batch_size
    rows.append((batch_size, steps, timer.seconds[-1], timer.seconds[-1] / steps))
    print(f"batch {batch_size:5d}: {steps:4d} steps/epoch, {timer.seconds[-1]:.3f} s/epoch, "
          f"{1000 * timer.seconds[-1] / steps:.2f} ms/step")

rows = np.array(rows)
fig, (ax_epoch, ax_step) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_epoch.semilogx(rows[:, 0], rows[:, 2], "o-")
ax_epoch.set(xlabel="batch size", ylabel="seconds per epoch", title="time per epoch")
ax_step.loglog(rows[:, 0], 1000 * rows[:, 3], "o-")
ax_step.set(xlabel="batch size", ylabel="milliseconds per step", title="time per step")
fig.tight_layout()
plt.show()

# %% [markdown]
# The time per step grows far more slowly than the batch: for small batches the fixed cost
# of a step dominates, and only the largest batches make a step clearly slower, once the
# arithmetic itself outweighs the overhead. (Your numbers will differ, especially on a busy
# machine, but not the shape.) Per epoch, small batches are therefore slow, and beyond a
# few hundred examples the epoch time stops falling; on this CPU it may even rise again.
# Batch size is a trade-off: large batches for a fast epoch and a smooth gradient, small
# batches for many cheap, noisy steps. Values between 32 and a few hundred are the usual
# compromise.
#
# ## 7. Momentum: a heavy ball
#
# Plain gradient descent moves by $-\eta\,\mathbf{g}$ and stops wherever the gradient is zero,
# including a small dip on the way down. **Momentum** treats the weights like a heavy ball: each
# movement is the previous movement, slightly damped, plus the new gradient step,
#
# $$\mathbf{m} \leftarrow \mu\,\mathbf{m} - \eta\,\mathbf{g}, \qquad \boldsymbol\theta \leftarrow \boldsymbol\theta + \mathbf{m},$$
#
# so $\mathbf{m}$ is a weighted sum of *all* past gradients,
# $-\eta\,(\mathbf{g}_t + \mu\,\mathbf{g}_{t-1} + \mu^2 \mathbf{g}_{t-2} + \dots)$. Where the gradient
# vanishes, the ball keeps rolling on what it has gathered, and it can climb over a small bump.
# On a long, even slope its step grows towards $\eta\,\mathbf{g}/(1 - \mu)$, ten times the plain
# step for $\mu = 0.9$. In Keras this is `keras.optimizers.SGD(learning_rate, momentum=0.9)`
# (lab 05 wrote the same update by hand).
#
# A one-dimensional landscape with a shallow dip at $x \approx -0.8$ and the real minimum at
# $x = 3$:
#
# $$f(x) = \frac{(x - 3)^2}{10} - e^{-(x + 1)^2 / 0.5}.$$
#
# Both optimizers start at $x = -4.5$ with learning rate 0.1 and take 150 steps:

# %%
def bumpy(x):
    return (x - 3.0) ** 2 / 10 - tf.exp(-((x + 1.0) ** 2) / 0.5)


def roll(momentum, x0=-4.5, learning_rate=0.1, num_steps=150):
    """Positions (num_steps + 1,) of keras.optimizers.SGD with the given momentum on bumpy."""
    x = tf.Variable(x0, dtype=tf.float64)
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    positions = [x0]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = bumpy(x)
        optimizer.apply_gradients([(tape.gradient(loss, x), x)])
        positions.append(float(x.numpy()))
    return np.array(positions)


x_axis = np.linspace(-5, 5.5, 421)
f_axis = bumpy(tf.constant(x_axis)).numpy()
fig, (ax_f, ax_t) = plt.subplots(1, 2, figsize=(12, 4))
ax_f.plot(x_axis, f_axis, color="0.3")
for momentum, color in [(0.0, "tab:blue"), (0.9, "tab:red")]:
    positions = roll(momentum)
    label = f"momentum {momentum}"
    ax_f.plot(positions, bumpy(tf.constant(positions)).numpy(), "o", color=color, markersize=3,
              alpha=0.5, label=label)
    ax_t.plot(positions, color=color, label=label)
    final_f = float(bumpy(tf.constant(positions[-1])))
    print(f"{label}: ends at x = {positions[-1]:.3f}, f = {final_f:.3f}")
ax_f.set(xlabel="x", ylabel="f(x)", title="positions visited")
ax_t.set(xlabel="step", ylabel="x", title="position over time")
ax_f.legend()
ax_t.legend()
plt.show()

# %% [markdown]
# Plain gradient descent slides into the dip and stays there: the gradient is zero, so is
# its step. With momentum the ball arrives with speed, rolls through the dip, overshoots the
# real minimum, swings back and settles at $x = 3$. The same carried speed helps on plateaus
# and near saddle points, where the gradient is small but its direction stays the same from
# step to step.
#
# ## Summary
#
# - At a critical point the gradient is zero and the Hessian term of the Taylor expansion,
#   $\tfrac12\mathbf{v}^\top H\mathbf{v}$, decides what the loss does nearby.
# - The Hessian comes from two nested tapes: the inner one computes the gradient, the outer
#   one its Jacobian, `outer_tape.jacobian(gradient, x)`, a symmetric `(d, d)` matrix.
# - Its eigenvalues classify the point: all positive, a minimum; all negative, a maximum;
#   both signs, a saddle; zeros with one sign otherwise, degenerate. The diagonal and the
#   trace alone can mislead. In two dimensions the determinant and the trace together are an
#   exact test; for $d > 2$ they can mislead too.
# - A saddle is not a dead end: the eigenvector of a negative eigenvalue leads downhill. In
#   many dimensions saddles are far more common than minima.
# - Smaller batches give noisier gradients (variance about $\sigma^2/B$) but more steps per
#   epoch; larger batches use parallel hardware better. Momentum sums past gradients and
#   carries the weights through flat spots and small dips.
#
# ## Try it
#
# Ungraded; each is one edit and a re-run of one cell, a few seconds. Predict before you run,
# explain afterwards, then undo the edit.
#
# 1. **Use the 2-D test.** In the cell of §3 that defines `tricky`, make it
#    `np.array([[1.0, 0.5], [0.5, 1.0]])`. From its determinant and trace alone, say what kind
#    of point a Hessian like this one would mean; then check the eigenvalues and the value of
#    $\mathbf{v}^\top H \mathbf{v}$ that the cell prints.
# 2. **Not a critical point.** In the first cell of §4, add `np.array([0.5, 0.5])` to the list
#    of points. `classify_critical_point` will answer "saddle". Compute the gradient of
#    $L(w_1, w_2) = (1 - w_1 w_2)^2$ at $(0.5, 0.5)$ by hand: why is that answer meaningless
#    there?
# 3. **A smaller nudge.** In the cell of §5 with the three runs, change the nudge from `1e-4` to
#    `1e-8` (in the label too). The offset along the escape direction grows by a factor 1.2 per
#    step: about how many extra steps does the plateau last? Compare with the printed counts.
# 4. **How heavy must the ball be?** In the cell of §7, replace the momentum `0.9` by `0.5`,
#    then by `0.7`. Which of them still rolls through the dip to $x = 3$? Why does too little
#    momentum behave like plain gradient descent here?
#
# Next, lab 09 looks at how initialization and batch normalization shape the signals that
# flow through a deep network.
