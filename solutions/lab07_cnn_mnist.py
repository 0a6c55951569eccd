# %% [markdown]
# # Lab 07 — Convolutional networks on MNIST
#
# A dense network treats an image as a long list of numbers and forgets which pixels are
# neighbours. A **convolutional network** (CNN) keeps the grid: small filters slide over the
# image, the same few weights are reused at every position, and pooling shrinks the maps as
# the network goes deeper. In this lab you write the pieces with NumPy, check them against
# TensorFlow, then train a Keras CNN that reads handwritten digits and look inside it.
#
# **Goals**
# - meet MNIST, and see images as arrays: grayscale 2-D, colour 3-D, a batch 4-D (N, H, W, C);
# - compute a convolution's output size, (H + 2P − FH) / S + 1;
# - write a convolution with loops, then as one matrix product (im2col), and compare their speed;
# - write max pooling and compare it with `keras.layers.MaxPooling2D`;
# - count what parameter sharing saves, CNN against dense network;
# - see what data augmentation does to a digit, build and train `build_cnn()` to at least 97 %
#   held-out accuracy, and follow its accuracy epoch by epoch;
# - read its confusion matrix and its worst mistakes, draw its filters before and after training
#   and its feature maps, and compute how far each layer sees (its receptive field);
# - build LeNet-5, the CNN that started it all, in Keras, and see what AlexNet added.
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

from course import data, plots
from course.checks import lab07_cnn_mnist as checks

print(course.environment_line())

# %% [markdown]
# ## 1. What a computer sees
#
# To a computer an image is a grid of numbers, one per pixel. A **grayscale** image is a 2-D
# array of shape (height, width) whose entries are brightnesses (for MNIST 0 = background,
# 255 = full ink). A **colour** image stores three numbers per pixel — red, green and blue — so
# it is a 3-D array (height, width, 3): three grayscale planes stacked on top of each other.
# A batch of images adds one more axis in front. Keras and TensorFlow use the layout
# **NHWC**: (number of images, height, width, channels), so a batch of MNIST digits has shape
# (N, 28, 28, 1).
#
# `data.load_mnist()` gives the digits in the same layout as `keras.datasets.mnist`: full
# MNIST when Keras has it cached, otherwise the 5,000-image subset bundled with the course.

# %%
(digits, digit_labels), _ = data.load_mnist()
print("images:", digits.shape, digits.dtype, "values", digits.min(), "to", digits.max())
print("label of the first image:", digit_labels[0])

shades = " .:-=+*#%@"  # darker character = more ink
for row in digits[0][3:25]:
    print("".join(shades[int(value) * len(shades) // 256] * 2 for value in row[3:25]))

# %%
fig, ax = plt.subplots(figsize=(10, 1.4))
plots.plot_image_mosaic(digits[np.newaxis, :20], ax=ax, col_labels=[str(label) for label in digit_labels[:20]])
ax.set(xlabel=course.tr("the first 20 digits; above each, its label"), title=course.tr("What MNIST looks like"))
plt.show()

# %% [markdown]
# Twenty different hands: strokes thick and thin, slanted, closed or open loops, all of them
# centred in the same 28 × 28 frame.
#
# **MNIST**, the digits of this lab, is the classic first benchmark of image recognition. Yann
# LeCun, Corinna Cortes and Christopher Burges made it in the 1990s from two collections of the
# US National Institute of Standards and Technology (NIST): digits written by Census Bureau
# employees and digits written by high-school students. NIST had kept the two groups apart
# (training on one, testing on the other); the "M" is for *modified*: MNIST mixes both in its
# training and its test set, shrinks each black-and-white digit to fit a 20 × 20 box (which
# blurs its edges into grey levels) and centres it, by its centre of mass, in a 28 × 28 image.
# The result: **60,000 training and 10,000 test images, 28 × 28 pixels of grey levels 0 to
# 255**, 0 for the background. The course ships a **5,000-image subset** of real MNIST digits
# (4,000 for training and 1,000 held out, 400 and 100 of each digit) so that every lab runs
# offline in seconds; the shapes printed above say which one this machine loaded.

# %% [markdown]
# A colour image is just three such planes. Here one digit goes into the red channel and a
# shifted copy into the blue channel; where both have ink the pixel turns magenta.

# %%
colour = np.zeros((28, 28, 3), dtype=np.uint8)
colour[..., 0] = digits[0]                       # red plane
colour[..., 2] = np.roll(digits[0], 3, axis=1)   # blue plane, shifted 3 pixels right
print("grayscale:", digits[0].shape, " colour:", colour.shape, " one colour pixel:", colour[14, 14])
plt.figure(figsize=(2, 2))
plt.imshow(colour)
plt.axis("off")
plt.show()

# %% [markdown]
# For the network the images become float32 in [0, 1] with a channel axis. The rest of the lab
# trains on the bundled split (4,000 training and 1,000 held-out digits, 400 / 100 per digit)
# so that it runs in seconds; the held-out digits are never trained on.

# %%
(x_train, y_train), (x_test, y_test) = data.load_mnist(source="bundled")
x_train = x_train.astype("float32")[..., np.newaxis] / 255.0
x_test = x_test.astype("float32")[..., np.newaxis] / 255.0
print("x_train:", x_train.shape, x_train.dtype, " x_test:", x_test.shape)

# %% [markdown]
# ## 2. How big is the output?
#
# A convolution slides a filter of FH × FW pixels over the input. Before it starts, **padding**
# may add P rows and columns of zeros on every side; the **stride** S is how many pixels the
# filter moves between two positions. Along the height, the filter fits at
#
# $$OH = \frac{H + 2P - FH}{S} + 1$$
#
# positions (and the same formula gives OW from W and FW). Examples from the lecture: a
# 4 × 4 input and a 3 × 3 filter give 2 × 2; pad it by 1 and the output is 4 × 4, the same
# size as the input. When the division is not exact, the last partial window is dropped:
# frameworks round down.

# %%
example_input = tf.zeros((1, 7, 7, 1))
example_filter = tf.zeros((3, 3, 1, 1))
for stride, padding in [(1, 0), (1, 1), (2, 0), (3, 0)]:
    pads = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    out = tf.nn.conv2d(example_input, example_filter, strides=stride, padding=pads)
    print(f"7x7 input, 3x3 filter, stride {stride}, padding {padding} -> {out.shape[1]}x{out.shape[2]}")

# %% [markdown]
# **Your turn.** Write `conv_output_size(input_size, filter_size, padding, stride)` for one
# dimension. It must return an `int`, so that you can use it as an array size.

# %% nbgrader={"grade": false, "grade_id": "conv_output_size", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_size(input_size, filter_size, padding=0, stride=1):
    """Number of positions a filter takes along one dimension.

    Args:
        input_size: H (or W), an int.
        filter_size: FH (or FW), an int.
        padding: P, zero rows (or columns) added on EACH side, an int.
        stride: S, the step between two filter positions, an int.

    Returns:
        OH = (H + 2P - FH) // S + 1 as an int (rounded down, as TensorFlow does).
    """
    ### BEGIN SOLUTION
    return (input_size + 2 * padding - filter_size) // stride + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_conv_output_size", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_conv_output_size(conv_output_size)
### BEGIN HIDDEN TESTS
checks.check_conv_output_size(conv_output_size, seed=5)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Convolution with loops
#
# At each position the filter is laid on the input, the overlapping numbers are multiplied and
# everything is summed (a "multiply–accumulate"). For an input with C channels the filter has
# C channels too and the sum runs over all of them; K filters give K output maps. With the
# padded input $x_p$:
#
# $$\text{out}[n, i, j, k] = \sum_{a=0}^{FH-1}\sum_{b=0}^{FW-1}\sum_{c=0}^{C-1}
#   x_p[n,\; iS + a,\; jS + b,\; c]\; w[a, b, c, k].$$
#
# Two conventions matter:
# - **Layouts.** Images are NHWC, shape (N, H, W, C); filters use TensorFlow's layout
#   (FH, FW, C, K); the output is (N, OH, OW, K).
# - **No flipping.** In signal processing a convolution first flips the filter. Deep-learning
#   libraries skip the flip — strictly speaking they compute a *cross-correlation* — and since
#   the filters are learned, nothing is lost. `tf.nn.conv2d` does not flip, and neither will you.
#
# The lecture's example: a 4 × 4 input, a 3 × 3 filter, no padding, stride 1. The top-left
# output is the sum of the products of the top-left 3 × 3 window with the filter:

# %%
lecture_input = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=np.float64)
lecture_filter = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=np.float64)
print("top-left output by hand:", np.sum(lecture_input[0:3, 0:3] * lecture_filter))

x_lecture = lecture_input.reshape(1, 4, 4, 1)     # (N, H, W, C)
w_lecture = lecture_filter.reshape(3, 3, 1, 1)    # (FH, FW, C, K)
print("tf.nn.conv2d:\n", tf.nn.conv2d(x_lecture, w_lecture, strides=1, padding="VALID").numpy()[0, :, :, 0])

# %% [markdown]
# **Your turn.** Write `conv2d_naive(x, w, stride, padding)` with explicit loops: pad `x` with
# zeros (`np.pad`), then for every image, output position and filter, take the window and sum
# its products with the filter. Slow is fine here; correct is what counts.

# %% nbgrader={"grade": false, "grade_id": "conv2d_naive", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_naive(x, w, stride=1, padding=0):
    """2-D convolution (cross-correlation, like tf.nn.conv2d) with explicit loops.

    Args:
        x: images, float array (N, H, W, C).
        w: filters, float array (FH, FW, C, K) (TensorFlow's layout).
        stride: S, the step between two filter positions, an int.
        padding: P, rows/columns of zeros added on each side of H and W, an int.

    Returns:
        Float array (N, OH, OW, K) with OH = (H + 2P - FH) // S + 1 and likewise OW.
    """
    ### BEGIN SOLUTION
    n_images, height, width, _ = x.shape
    filter_h, filter_w, _, n_filters = w.shape
    out_h = conv_output_size(height, filter_h, padding, stride)
    out_w = conv_output_size(width, filter_w, padding, stride)
    padded = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    out = np.zeros((n_images, out_h, out_w, n_filters))
    for n in range(n_images):
        for i in range(out_h):
            for j in range(out_w):
                top, left = i * stride, j * stride
                window = padded[n, top:top + filter_h, left:left + filter_w, :]
                for k in range(n_filters):
                    out[n, i, j, k] = np.sum(window * w[:, :, :, k])
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_conv2d_naive", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_conv2d_naive(conv2d_naive)
### BEGIN HIDDEN TESTS
checks.check_conv2d_naive(conv2d_naive, seed=4)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Convolution as one matrix product: im2col
#
# Loops in Python are slow. The trick used by many libraries is **im2col** ("image to
# columns"): copy every receptive field — the FH × FW × C window one output value looks at —
# into one row of a matrix. With N·OH·OW windows that matrix has shape (N·OH·OW, FH·FW·C).
# Reshape the filters to a matrix (FH·FW·C, K), one column per filter, and the whole
# convolution is a single matrix product, followed by a reshape to (N, OH, OW, K).
#
# The order of the entries must agree on both sides. `w.reshape(FH*FW*C, K)` walks through a
# filter in (fh, fw, c) order, channel fastest, so each row of im2col must list its window in
# the same order — which is exactly what `window.reshape(-1)` does for a window
# `x[n, rows, cols, :]`. Rows go image by image, and within an image row by row: (n, oh, ow).
# (The fish book's im2col uses channels-first images and (c, fh, fw) columns; with NHWC the
# natural order is the one above.)
#
# For the lecture's example there are 2 × 2 windows of 3 × 3 × 1 values, so the matrix is 4 × 9:

# %%
first_row = x_lecture[0, 0:3, 0:3, :].reshape(-1)  # window of output (0, 0), in (fh, fw, c) order
print("first row of im2col:", first_row)
print("times the filter as a column:", first_row @ w_lecture.reshape(9, 1))

# %% [markdown]
# **Your turn.** Write `im2col(x, filter_h, filter_w, stride, padding)`. A loop over the
# windows is fine; faster is to loop over the FH × FW offsets inside the window and copy, for
# each offset, a strided slice of all images at once.

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true, "task": false}
def im2col(x, filter_h, filter_w, stride=1, padding=0):
    """Lay out every receptive field of a convolution as one row of a matrix.

    Args:
        x: images, float array (N, H, W, C).
        filter_h: FH, the filter height, an int.
        filter_w: FW, the filter width, an int.
        stride: S, the step between two filter positions, an int.
        padding: P, rows/columns of zeros added on each side of H and W, an int.

    Returns:
        Float array (N*OH*OW, FH*FW*C). Row n*OH*OW + i*OW + j holds the window of output
        position (i, j) of image n; its columns are in (fh, fw, c) order, channel fastest,
        matching w.reshape(FH*FW*C, K).
    """
    ### BEGIN SOLUTION
    n_images, height, width, channels = x.shape
    out_h = conv_output_size(height, filter_h, padding, stride)
    out_w = conv_output_size(width, filter_w, padding, stride)
    padded = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    cols = np.empty((n_images, out_h, out_w, filter_h, filter_w, channels), dtype=padded.dtype)
    for a in range(filter_h):
        for b in range(filter_w):
            cols[:, :, :, a, b, :] = padded[:, a:a + stride * out_h:stride, b:b + stride * out_w:stride, :]
    return cols.reshape(n_images * out_h * out_w, filter_h * filter_w * channels)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_im2col", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_im2col(im2col)
### BEGIN HIDDEN TESTS
checks.check_im2col(im2col, seed=2)
### END HIDDEN TESTS

# %% [markdown]
# **Your turn.** Now the convolution itself: `conv2d_im2col(x, w, stride, padding)` calls
# `im2col`, multiplies by the reshaped filters and reshapes the result to (N, OH, OW, K).

# %% nbgrader={"grade": false, "grade_id": "conv2d_im2col", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_im2col(x, w, stride=1, padding=0):
    """2-D convolution (cross-correlation, like tf.nn.conv2d) as one matrix product.

    Args:
        x: images, float array (N, H, W, C).
        w: filters, float array (FH, FW, C, K) (TensorFlow's layout).
        stride: S, the step between two filter positions, an int.
        padding: P, rows/columns of zeros added on each side of H and W, an int.

    Returns:
        Float array (N, OH, OW, K), the same values as conv2d_naive.
    """
    ### BEGIN SOLUTION
    n_images, height, width, _ = x.shape
    filter_h, filter_w, channels, n_filters = w.shape
    out_h = conv_output_size(height, filter_h, padding, stride)
    out_w = conv_output_size(width, filter_w, padding, stride)
    cols = im2col(x, filter_h, filter_w, stride, padding)
    out = cols @ w.reshape(filter_h * filter_w * channels, n_filters)
    return out.reshape(n_images, out_h, out_w, n_filters)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_conv2d_im2col", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_conv2d_im2col(conv2d_im2col)
### BEGIN HIDDEN TESTS
checks.check_conv2d_im2col(conv2d_im2col, seed=3)
### END HIDDEN TESTS

# %% [markdown]
# Both give the numbers TensorFlow gives. How fast are they? Convolve 8 digits with 8 filters
# of 5 × 5:

# %%
x_speed = x_train[:8].astype(np.float64)
w_speed = np.random.default_rng(0).normal(size=(5, 5, 1, 8))


def seconds(function, repeats=3):
    """Best wall time of a few calls of function()."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


t_naive = seconds(lambda: conv2d_naive(x_speed, w_speed, stride=1, padding=2), repeats=1)
t_im2col = seconds(lambda: conv2d_im2col(x_speed, w_speed, stride=1, padding=2))
t_tf = seconds(lambda: tf.nn.conv2d(x_speed, w_speed, strides=1, padding="SAME"))
print(f"loops:        {1000 * t_naive:8.1f} ms")
print(f"im2col:       {1000 * t_im2col:8.1f} ms  ({t_naive / t_im2col:.0f}x faster than the loops)")
print(f"tf.nn.conv2d: {1000 * t_tf:8.1f} ms")
columns = im2col(x_speed, 5, 5, 1, 2)
print("im2col matrix:", np.shape(columns),
      f"= {np.size(columns) / x_speed.size:.0f}x the input's size in memory")

# %% [markdown]
# The price of im2col is memory: every pixel is copied into up to FH·FW rows. The gain is that
# the work becomes one large matrix product, which linear-algebra libraries run near the
# machine's peak speed.
#
# ## 5. Max pooling
#
# A **pooling** layer shrinks each feature map. Max pooling with a 2 × 2 window and stride 2
# keeps the largest of every 2 × 2 block, halving height and width. It has no weights, works
# on each channel separately, and a small shift of the input often leaves the maximum where it
# was, which makes the network a little less sensitive to exact positions. Only windows that
# fit completely are used, so the output size is (H − pool_size) // stride + 1.

# %%
pool_example = np.array([[1, 3, 2, 1], [0, 2, 4, 0], [5, 1, 0, 2], [1, 2, 3, 1]], dtype=np.float64)
print("input:\n", pool_example)
print("2x2 max pooling (keras):\n",
      keras.layers.MaxPooling2D(pool_size=2, strides=2)(pool_example.reshape(1, 4, 4, 1)).numpy()[0, :, :, 0])

# %% [markdown]
# **Your turn.** Write `max_pool2d(x, pool_size, stride)`. Beware: feature maps can be
# negative, so a maximum that starts at 0 is wrong.

# %% nbgrader={"grade": false, "grade_id": "max_pool2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_pool2d(x, pool_size=2, stride=2):
    """Max pooling over square windows, each channel on its own (padding "valid").

    Args:
        x: feature maps, float array (N, H, W, C).
        pool_size: the window's height and width, an int.
        stride: the step between two windows, an int.

    Returns:
        Float array (N, OH, OW, C) with OH = (H - pool_size) // stride + 1 and likewise OW;
        each entry is the largest value of its window.
    """
    ### BEGIN SOLUTION
    n_images, height, width, channels = x.shape
    out_h = conv_output_size(height, pool_size, 0, stride)
    out_w = conv_output_size(width, pool_size, 0, stride)
    out = np.full((n_images, out_h, out_w, channels), -np.inf)
    for a in range(pool_size):
        for b in range(pool_size):
            out = np.maximum(out, x[:, a:a + stride * out_h:stride, b:b + stride * out_w:stride, :])
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_max_pool2d", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_max_pool2d(max_pool2d)
### BEGIN HIDDEN TESTS
checks.check_max_pool2d(max_pool2d, seed=6)
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Parameter sharing in numbers
#
# A convolutional layer reuses its filters at every position, so its parameter count,
# K · (FH · FW · C + 1), does not depend on the image size. A dense layer connects every input
# to every output. To produce the same 26 × 26 × 32 output from a 28 × 28 digit, a dense layer
# would need one weight per (input pixel, output value) pair:

# %%
conv_layer = layers.Conv2D(32, 3)
conv_layer.build((None, 28, 28, 1))
dense_inputs, dense_outputs = 28 * 28, 26 * 26 * 32
print(f"Conv2D(32, 3x3):            {conv_layer.count_params():>12,} parameters")
print(f"dense layer, same output:   {dense_inputs * dense_outputs + dense_outputs:>12,} parameters")

# %% [markdown]
# Does the saving cost accuracy? Train a small CNN and a dense network (one hidden layer of 256
# units) the same way, 10 epochs each, and compare:

# %%
def train_and_score(model, num_epochs=10):
    """Train with Adam for num_epochs on x_train; return held-out accuracy."""
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=num_epochs, verbose=0)
    return model.evaluate(x_test, y_test, batch_size=256, verbose=0)[1]


course.set_seed(42)
dense_model = keras.Sequential([
    keras.Input((28, 28, 1)), layers.Flatten(),
    layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax"),
])
course.set_seed(42)
small_cnn = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
    layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
    layers.Flatten(), layers.Dense(10, activation="softmax"),
])
for name, model in [("dense network", dense_model), ("small CNN", small_cnn)]:
    accuracy = train_and_score(model)
    print(f"{name:14s} {model.count_params():>8,} parameters  held-out accuracy {accuracy:.3f}")

# %% [markdown]
# The small CNN is at least as accurate with about 40 times fewer parameters: its filters are
# shared over the whole image, so what a filter learns at one place it can use everywhere.
#
# ## 7. A CNN for digits
#
# Now a CNN that aims for at least **97 %** on the 1,000 held-out digits after training on
# only 4,000, in about 15 seconds of training on a laptop CPU. The design, and why each part is
# there:
#
# - **Data augmentation** inside the model: `layers.RandomTranslation(0.08, 0.08)` (shifts of
#   up to about 2 pixels) and `layers.RandomRotation(0.03)` (up to about ±11°). 4,000 images are
#   few; every epoch now sees slightly different digits, which curbs overfitting. These layers
#   act only during training: at inference (`training=False`) they pass images through.
#   Use `fill_mode="constant"` so the uncovered border is black, like the background. Keep the
#   changes small: MNIST's digits are centred in their frame and written upright, so bigger
#   shifts and turns train on digits that the test set never shows, and cost accuracy there.
# - **Three convolutions** `Conv2D → BatchNormalization → ReLU`, the first two each followed by
#   2 × 2 max pooling: 32 filters of 3 × 3 on the 28 × 28 digit, 64 filters on the 13 × 13
#   maps, and 128 filters on the 5 × 5 maps left after the second pooling. The third is almost
#   free to compute (it has only 3 × 3 positions) and lets the network combine the parts the
#   second one found; it leaves 3 × 3 × 128 = 1,152 numbers to describe the digit.
# - **A dense block** of 128 units (again with batch normalization and ReLU) combines those
#   features before the output. It holds most of the model's parameters: the convolutions,
#   thanks to parameter sharing, need only about 92,000.
# - **Batch normalization** lets training use a larger learning rate and converge in fewer
#   epochs. One detail matters with so little data: at inference the layer uses moving
#   averages of the batch statistics, updated with `momentum=0.99` by default, so they need a
#   few hundred steps to forget their start values; 4,000 images are only 32 steps per epoch.
#   `momentum=0.9` lets the averages catch up within an epoch or two (with the default, held-out
#   accuracy can fall far below training accuracy). Layers followed by batch normalization
#   need no bias (`use_bias=False`): the normalization's own shift replaces it.
# - **Dropout** (0.3) before each dense layer, and a `Dense(num_classes, activation="softmax")`
#   output that gives class probabilities.
#
# The training cell further down adds the last ingredient, a **cosine learning-rate decay**:
# Adam starts at 0.003 and the rate glides to zero by the last epoch, so the final epochs
# settle into a minimum instead of bouncing around it.
#
# **Your turn.** Write `build_cnn(input_shape, num_classes)` returning an (uncompiled)
# `keras.Sequential` model. Start with `keras.Input(shape=input_shape)`. The design above is a
# suggestion — any CNN that reaches the target in the training budget is fine.

# %% nbgrader={"grade": false, "grade_id": "build_cnn", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    """A small CNN for images such as MNIST digits.

    Args:
        input_shape: (H, W, C) of one image; inputs are float32 batches (N, H, W, C) in [0, 1].
        num_classes: number of classes K.

    Returns:
        An uncompiled keras.Model mapping (N, H, W, C) images to (N, K) softmax probabilities.
    """
    ### BEGIN SOLUTION
    def normalized(layer):
        return [layer, layers.BatchNormalization(momentum=0.9), layers.ReLU()]

    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
        layers.RandomRotation(0.03, fill_mode="constant"),
        *normalized(layers.Conv2D(32, 3, use_bias=False)),
        layers.MaxPooling2D(),
        *normalized(layers.Conv2D(64, 3, use_bias=False)),
        layers.MaxPooling2D(),
        *normalized(layers.Conv2D(128, 3, use_bias=False)),
        layers.Flatten(),
        layers.Dropout(0.3),
        *normalized(layers.Dense(128, use_bias=False)),
        layers.Dropout(0.3),
        layers.Dense(num_classes, activation="softmax"),
    ], name="cnn")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_build_cnn", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_build_cnn(build_cnn)
### BEGIN HIDDEN TESTS
checks.check_build_cnn(build_cnn, seed=1)
### END HIDDEN TESTS

# %% [markdown]
# What does the augmentation do to a digit? Take the `Random*` layers out of a fresh
# `build_cnn()` and call them with `training=True`, as `fit` does at every step: each call
# draws new shifts and rotations. (`all_layers` opens up nested models, so this works however
# your model is put together.)

# %%
def all_layers(model):
    """Every layer of a model in order, with the layers of nested models opened up."""
    found = []
    for layer in model.layers:
        found += all_layers(layer) if hasattr(layer, "layers") else [layer]
    return found


course.set_seed(0)
augmentation = [layer for layer in all_layers(build_cnn()) if type(layer).__name__.startswith("Random")]
print("augmentation layers:", [type(layer).__name__ for layer in augmentation] or "none")
if augmentation:
    originals = x_train[:6]
    views = [originals]
    for _ in range(7):
        view = originals
        for layer in augmentation:
            view = layer(view, training=True)
        views.append(keras.ops.convert_to_numpy(view))
    fig, ax = plt.subplots(figsize=(8, 6.5))
    plots.plot_image_mosaic(
        np.stack(views, axis=1),  # (6 digits, 8 views, 28, 28, 1)
        ax=ax, row_labels=[course.tr("digit {label}").format(label=label) for label in y_train[:6]],
        col_labels=[course.tr("original")] + [str(i) for i in range(1, 8)],
    )
    ax.set(xlabel=course.tr("seven random views of each digit (training=True)"),
           title=course.tr("Data augmentation: what the network sees during training"))
    plt.show()

# %% [markdown]
# Every view is still plainly the same digit, a little shifted or turned: the network is told
# that these changes do not matter, and at every epoch it sees a fresh set of them instead of
# memorising the 4,000 originals. (At inference, `training=False`, the layers let the image
# through unchanged.)
#
# Train it: Adam with the cosine decay, batch size 128, on the 4,000 training digits. The cell
# prints how long training took and on which device — TensorFlow uses a GPU by itself when it
# sees one, and nothing in this lab needs changing for that. After every epoch `fit` also
# scores the model on 500 of the held-out digits (`validation_data`; half of them, to keep it
# cheap), only to draw the curves below: nothing is chosen with them, so they stay a fair test.
# A copy of the first convolution's filters before training is kept for §9.

# %%
batch_size = 128
num_epochs = 15
learning_rate = 3e-3

cnn_model = None  # becomes the trained model once build_cnn works
course.set_seed(42)
cnn_model = build_cnn()
first_conv = next((layer for layer in all_layers(cnn_model) if isinstance(layer, layers.Conv2D)), None)
initial_filters = None if first_conv is None else np.array(keras.ops.convert_to_numpy(first_conv.kernel))
steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=num_epochs * steps_per_epoch)
optimizer = keras.optimizers.Adam(learning_rate=schedule)
loss_fn = keras.losses.SparseCategoricalCrossentropy()
cnn_model.compile(optimizer=optimizer, loss=loss_fn, metrics=["accuracy"])

start = time.perf_counter()
history = cnn_model.fit(x_train, y_train, batch_size=batch_size, epochs=num_epochs, verbose=0,
                        validation_data=(x_test[:500], y_test[:500]), validation_batch_size=500)
train_seconds = time.perf_counter() - start
print(f"{cnn_model.count_params():,} parameters, {num_epochs} epochs in {train_seconds:.1f} s "
      f"({num_epochs * len(x_train) / train_seconds:,.0f} images/s) on {cnn_model.weights[0].value.device}")
test_loss, test_accuracy = cnn_model.evaluate(x_test, y_test, batch_size=256, verbose=0)
print(f"held-out accuracy: {test_accuracy:.4f}")

# %%
fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(11, 3.8))
plots.plot_loss_curves({course.tr("training"): history.history["loss"],
                        course.tr("500 held-out digits"): history.history["val_loss"]}, ax=ax_loss)
ax_loss.set(xlabel=course.tr("epoch"), ylabel=course.tr("cross-entropy"),
            title=course.tr("Loss per epoch"))
plots.plot_loss_curves({course.tr("training"): history.history["accuracy"],
                        course.tr("500 held-out digits"): history.history["val_accuracy"]}, ax=ax_accuracy)
ax_accuracy.set(xlabel=course.tr("epoch"), ylabel=course.tr("accuracy"), ylim=(0.9, 1.0),
                title=course.tr("Accuracy per epoch"))
fig.tight_layout()
plt.show()
best_epoch = int(np.argmax(history.history["val_accuracy"])) + 1
print(f"accuracy on the 500 held-out digits: best {max(history.history['val_accuracy']):.3f} after epoch "
      f"{best_epoch}, {history.history['val_accuracy'][-1]:.3f} after the last")

# %% [markdown]
# After the first epoch (below the accuracy panel's frame), whose held-out loss is still high
# because batch normalization's moving averages have not caught up, held-out accuracy climbs
# fast and flattens as the cosine decay brings the learning rate to zero. Notice that it stays
# *above* the training accuracy: that one is measured on augmented digits with dropout switched
# on, a harder test than the clean held-out digits, and averaged over an epoch during which the
# weights were still changing.

# %% [markdown]
# The check below scores `cnn_model` on the same 1,000 held-out digits, which it loads and
# scales itself, so its accuracy is the one printed above.
#
# Those 1,000 digits stand in for the real test: MNIST's official 10,000 test digits, which the
# course does not ship. Measured outside the lab, the suggested design trained exactly as above
# scores 98.8 % on them (the median of five seeds, 98.8–98.9 %); without its augmentation layers
# it stays at 98.4 %. The held-out estimate moves by about ±0.4 % with the seed, so read its
# third digit with care.

# %% nbgrader={"grade": true, "grade_id": "check_cnn_model", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_cnn_model(cnn_model)

# %% [markdown]
# ## 8. Where does it go wrong?
#
# One accuracy number hides which digits get confused with which. The **confusion matrix**
# counts, for every true digit (row), how often each digit was predicted (column); a perfect
# model has numbers only on the diagonal.

# %%
probabilities = cnn_model.predict(x_test, batch_size=256, verbose=0)
predictions = probabilities.argmax(axis=1)
confusion = tf.math.confusion_matrix(y_test, predictions, num_classes=10).numpy()

fig, ax = plt.subplots(figsize=(5, 5))
ax.imshow(np.log1p(confusion), cmap="Blues")
for true_digit in range(10):
    for predicted in range(10):
        if confusion[true_digit, predicted]:
            ax.text(predicted, true_digit, confusion[true_digit, predicted], ha="center", va="center",
                    color="white" if true_digit == predicted else "black", fontsize=8)
ax.set(xlabel="predicted digit", ylabel="true digit", xticks=range(10), yticks=range(10),
       title="confusion matrix (held-out)")
plt.show()

# %% [markdown]
# The worst mistakes are the wrong answers the model was most sure of. Many of them are
# digits a person would hesitate over too.

# %%
wrong = np.flatnonzero(predictions != y_test)
worst = wrong[np.argsort(-probabilities[wrong, predictions[wrong]])][:10]
print(f"{len(wrong)} mistakes out of {len(y_test)}")
if len(worst):
    fig, ax = plt.subplots(figsize=(10, 1.6))
    plots.plot_image_mosaic(
        x_test[worst][np.newaxis], ax=ax,
        col_labels=[f"{y_test[i]}→{predictions[i]} ({probabilities[i, predictions[i]]:.2f})" for i in worst],
    )
    ax.set(xlabel=course.tr("true digit → predicted digit (the predicted digit's probability)"),
           title=course.tr("The mistakes the model was most sure of"))
    plt.show()

# %% [markdown]
# ## 9. Looking inside: filters and feature maps
#
# The first layer's filters are small pictures (3 × 3 in the suggested design, one per output
# channel); many act as edge or stroke detectors of different directions. Each filter is shaded
# on its own scale: dark is its largest weight, white its most negative one. The top row shows
# the same filters as they were before training (the copy kept in §7).

# %%
conv_layers = [layer for layer in all_layers(cnn_model) if isinstance(layer, layers.Conv2D)]
first_filters = keras.ops.convert_to_numpy(conv_layers[0].kernel)  # (FH, FW, C, K), here (3, 3, 1, 32)
shown = min(first_filters.shape[-1], 16)
before_after = np.stack([initial_filters, first_filters])[:, :, :, 0, :shown]  # (2, FH, FW, shown)
fig, ax = plt.subplots(figsize=(10, 2.2))
plots.plot_image_mosaic(np.transpose(before_after, (0, 3, 1, 2)), ax=ax, scale_each=True,
                        row_labels=[course.tr("before training"), course.tr("after training")])
ax.set(xlabel=course.tr("filters 1 to {count} (dark = largest weight, white = most negative)").format(
           count=shown),
       title=course.tr("First-layer filters of {name}").format(name=conv_layers[0].name))
plt.show()
def filter_lengths(filters):
    """The length (Euclidean norm) of each filter of a kernel (FH, FW, C, K): shape (K,)."""
    return np.sqrt(np.sum(filters**2, axis=(0, 1, 2)))


change = filter_lengths(first_filters - initial_filters) / filter_lengths(initial_filters)
print(f"each filter moved by {np.median(change):.0%} of its initial size "
      f"(median over the {change.size} filters)")

# %% [markdown]
# Before and after look alike at first glance: training moves each filter by only a fraction of
# its random start. Look for the filters whose pattern did change, often into a ramp from light
# to dark: an edge detector of one direction.

# %% [markdown]
# A **feature map** is what one filter makes of an image. The convolution's raw output is
# positive where the image matches the filter and negative where it matches its opposite; in
# the suggested design batch normalization then shifts and rescales it, and the ReLU sets
# everything below zero to 0. We take the maps **after that activation**, which is what the next layer
# receives: white (0) where the filter's pattern is absent, dark where it is strong.
#
# The cell runs one digit through the model layer by layer and keeps, for each of the first
# two convolutions, the output of the first activation that follows it (the convolution's own
# output if it has an `activation=` of its own), 16 maps each.

# %%
ACTIVATION_LAYERS = (layers.ReLU, layers.Activation, layers.LeakyReLU, layers.ELU, layers.PReLU)


def layer_outputs(model, images):
    """[(layer, output)] for every layer of model, in order, at inference (training=False)."""
    if not isinstance(model, keras.Sequential):  # a functional model: ask its graph
        inner = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
        probe = keras.Model(model.input, [layer.output for layer in inner])
        return list(zip(inner, probe(images, training=False)))
    pairs, x = [], images
    for layer in model.layers:
        if isinstance(layer, keras.Sequential):  # a nested block: open it up
            inner = layer_outputs(layer, x)
            pairs += inner
            x = inner[-1][1] if inner else x
        else:
            x = layer(x, training=False)
            pairs.append((layer, x))
    return pairs


def activated_feature_maps(model, images, how_many=2):
    """[(name, maps)] for the first how_many convolutions: maps (N, H, W, K) after the activation."""
    picked, waiting = [], None
    for layer, output in layer_outputs(model, images):
        if isinstance(layer, layers.Conv2D):
            waiting = layer  # a new convolution: its maps come after its activation
            if layer.activation is keras.activations.linear:
                continue  # no activation of its own: wait for the next activation layer
        elif waiting is None or not isinstance(layer, ACTIVATION_LAYERS):
            continue
        if len(output.shape) == 4:
            picked.append((waiting.name, keras.ops.convert_to_numpy(output)))
        waiting = None
    return picked[:how_many]


try:
    feature_maps = activated_feature_maps(cnn_model, x_test[:1])
except (ValueError, TypeError, AttributeError) as error:  # e.g. a layer shared by two branches
    feature_maps = []
    print(f"cannot read the feature maps of this model layer by layer ({error})")
plots.plot_image_grid(x_test[:1], labels=[f"digit {y_test[0]}"], ncols=1)
for name, maps in feature_maps:
    fig, ax = plt.subplots(figsize=(12, 1.4))
    plots.plot_image_mosaic(np.transpose(maps[:1, :, :, :16], (0, 3, 1, 2)), ax=ax, scale_each=True)
    ax.set_title(course.tr("after {name} and its activation: {count} maps of {height} × {width}, "
                           "the first 16 (white = 0, dark = large)").format(
        name=name, count=maps.shape[-1], height=maps.shape[1], width=maps.shape[2]), fontsize=10)
plt.show()
if not feature_maps:
    print("no convolution followed by an activation was found, so there are no maps to show")

# %% [markdown]
# Notice how sparse the maps are: after the ReLU most pixels are exactly 0, and each map lights
# up only along the strokes, edges or corners its filter looks for. The first layer's maps
# still look like the digit; the second layer's are smaller and more abstract, combinations of
# first-layer features — which is also why deeper layers are harder to read by eye.

# %% [markdown]
# ### How much of the digit does one unit see?
#
# A unit of the first convolution looks at a 3 × 3 patch of the image: its **receptive field**.
# A unit of the layer after it looks at a window of units below, and each of those at its own
# patch, so the fields add up with depth. Follow one layer at a time with two numbers: the field
# $r$ (how many input pixels across one unit sees) and the jump $j$ (how many input pixels apart
# two neighbouring units are). A layer with a $k \times k$ window and stride $s$ gives
#
# $$r_\text{out} = r_\text{in} + (k - 1)\, j_\text{in}, \qquad j_\text{out} = j_\text{in}\, s,$$
#
# starting from the image itself, $r = j = 1$. A 3 × 3 convolution adds two units below, a 2 × 2
# pool one more; and every pool doubles the jump, so every later layer grows the field twice as
# fast. `receptive_fields` walks through the convolutions and poolings of a model:

# %%
POOLING_LAYERS = (layers.MaxPooling2D, layers.AveragePooling2D)


def receptive_fields(model):
    """[(name, k, s, r, j)] for each Conv2D and 2-D pooling layer of model, in order.

    k and s are the layer's window and stride (their first entry), r its receptive field and
    j its jump, both in input pixels.
    """
    rows, field, jump = [], 1, 1
    for layer in all_layers(model):
        if isinstance(layer, layers.Conv2D):
            window, stride = layer.kernel_size[0], layer.strides[0]
        elif isinstance(layer, POOLING_LAYERS):
            window, stride = layer.pool_size[0], layer.strides[0]
        else:
            continue
        field += (window - 1) * jump
        jump *= stride
        rows.append((layer.name, window, stride, field, jump))
    return rows


def print_receptive_fields(model):
    """The table of receptive_fields(model), one row per layer."""
    print(f"{'layer':>22} {'window':>6} {'stride':>6} {'field r':>9} {'jump j':>6}")
    for name, window, stride, field, jump in receptive_fields(model):
        print(f"{name:>22} {window:>6} {stride:>6} {field:>3} × {field:<3} {jump:>6}")


print_receptive_fields(cnn_model)
fields = {name: field for name, _, _, field, _ in receptive_fields(cnn_model)}
ax = plots.plot_receptive_fields(x_test[0], fields)
ax.set(xlabel=course.tr("column (pixel)"), ylabel=course.tr("row (pixel)"),
       title=course.tr("Receptive fields of one unit per layer, on a 28 × 28 digit"))
plt.show()

# %% [markdown]
# Each square is the part of the digit that one unit of that layer depends on. The first
# convolution sees a speck, about a stroke's width; after two convolutions and two pools a unit
# sees 10 × 10 pixels, half of the 20 × 20 box each digit is drawn in: enough for a loop or a
# corner. The third convolution, working on units 4 pixels apart, sees 18 × 18: nearly the
# whole digit. The dense layer after them sees everything. Stacking small filters is how a CNN sees
# far with few weights: two 3 × 3 convolutions see a 5 × 5 patch with 2 · 9 = 18 weights per
# pair of channels instead of 25, and with a ReLU in between.

# %% [markdown]
# ## 10. LeNet-5 and AlexNet
#
# The design of §7 is old. **LeNet-5** (LeCun, Bottou, Bengio and Haffner, 1998) read the
# digits on bank cheques with the same ingredients: convolutions that share their filters,
# subsampling (pooling) between them, and dense layers at the end. Its layers, with their
# original names:
#
# - C1: 6 filters of 5 × 5 on a 32 × 32 image (MNIST's 28 × 28 digits with 2 pixels of padding)
#   → 28 × 28 × 6;
# - S2: 2 × 2 *average* pooling → 14 × 14 × 6;
# - C3: 16 filters of 5 × 5 → 10 × 10 × 16;
# - S4: 2 × 2 average pooling → 5 × 5 × 16;
# - C5: 120 units, each looking at all 5 × 5 × 16 values; F6: 84 units; 10 outputs.
#
# Its units were sigmoid-like (a scaled tanh), and it trained on the CPUs of the 1990s. Below
# it is rebuilt in Keras on 28 × 28 inputs (`padding="same"` in C1 plays the part of the
# padding). Two simplifications: the original C3 connected each filter to only some of S2's
# maps (fewer weights, and different features), and its output layer was not a softmax.

# %%
course.set_seed(42)
lenet5 = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(6, 5, padding="same", activation="tanh", name="C1"),  # 28 x 28 x 6
    layers.AveragePooling2D(2, name="S2"),                              # 14 x 14 x 6
    layers.Conv2D(16, 5, activation="tanh", name="C3"),                 # 10 x 10 x 16
    layers.AveragePooling2D(2, name="S4"),                              # 5 x 5 x 16
    layers.Flatten(),
    layers.Dense(120, activation="tanh", name="C5"),
    layers.Dense(84, activation="tanh", name="F6"),
    layers.Dense(10, activation="softmax", name="output"),
], name="lenet5")
lenet5.summary()
print(f"LeNet-5: {lenet5.count_params():,} parameters; the CNN of §7: {cnn_model.count_params():,}")
print_receptive_fields(lenet5)

# %% [markdown]
# About 62,000 parameters, most of them in the dense layers, as in §7's network, and a unit of
# S4 sees a 16 × 16 patch: big filters make the field grow fast. (Trained on our 4,000 digits
# for 10 epochs with Adam, this LeNet reaches about 94 % held-out accuracy, below the network of
# §7; training it is left out to keep the lab short.)
#
# On large colour photographs, though, hand-designed features stayed ahead for years. Then
# **AlexNet** (Krizhevsky, Sutskever and Hinton, 2012) won the ImageNet competition with a
# top-5 error of 15 % against 26 % for the next entry. It is LeNet's recipe scaled up — 5
# convolution and 3 dense layers, about 60 million parameters — plus what made the scale
# trainable:
#
# - **ReLU** instead of tanh or sigmoid: no saturation, so the gradients reach the first layers
#   and training ran several times faster;
# - **dropout** (lab 06) in the big dense layers, against overfitting;
# - **GPUs**: two graphics cards trained it in about a week;
# - **much more data**: 1.2 million labelled ImageNet photographs of 1,000 classes, multiplied
#   by data augmentation (random crops and mirror images);
# - max pooling (with overlapping windows) instead of average pooling.
#
# The network of §7 is of that family: ReLU, max pooling, dropout and augmentation, plus batch
# normalization, which came three years later (lab 09).

# %% [markdown]
# ## Summary
#
# - MNIST: 60,000 training and 10,000 test digits of 28 × 28 grey levels, made by LeCun, Cortes
#   and Burges from NIST's data; the course ships a 5,000-image subset.
# - Images are arrays: grayscale (H, W), colour (H, W, 3), batches (N, H, W, C) in Keras.
# - A convolution with filter FH, padding P and stride S gives (H + 2P − FH) // S + 1 positions;
#   deep-learning convolution does not flip the filter (it is a cross-correlation).
# - Loops and im2col compute the same thing; im2col turns the convolution into one matrix
#   product, much faster, at the cost of memory. Max pooling keeps each window's largest value.
# - Sharing filters across positions makes a CNN tiny next to a dense network of similar
#   accuracy.
# - On 4,000 digits, augmentation, batch normalization (with a momentum suited to few steps) and
#   a cosine learning-rate decay take a small CNN past 97 % held-out accuracy in seconds; the
#   confusion matrix, the worst mistakes, the filters and the feature maps show what it learned.
#   Augmentation shows the network shifted and turned copies of each digit, during training only.
# - A unit's receptive field grows with depth, $r_\text{out} = r_\text{in} + (k - 1)\,j_\text{in}$,
#   and each pooling doubles the jump $j$: small filters, stacked, see the whole digit.
# - LeNet-5 (1998) already had convolutions, pooling and dense layers; AlexNet (2012) scaled the
#   recipe up with ReLU, dropout, GPUs and a million images.
#
# ## Try it
#
# Ungraded, and each needs only a re-run of one cheap cell (not the training). Predict first,
# then run and explain what you see; undo the change afterwards.
#
# 1. **Output sizes.** In the cell of §2 that loops over `(stride, padding)`, add the pairs
#    `(2, 1)` and `(4, 1)`. Work out OH with the formula before running. In which of the two
#    does the division leave a remainder, and what happens to the last partial window?
# 2. **Overlapping pools.** In the `MaxPooling2D` example of §5, use `strides=1` (keep
#    `pool_size=2`). What shape does the output have now, and can you write down its nine values
#    from the 4 × 4 input by hand before running?
# 3. **A bigger image.** In the first cell of §6, build the convolution for a 280 × 280 image:
#    `conv_layer.build((None, 280, 280, 1))`. Predict its parameter count before you run. (The
#    dense line stays computed for 28 × 28; how many weights would a dense layer need for the
#    bigger image?)
# 4. **Confident and right.** In the cell of §8 that shows the worst mistakes, replace
#    `predictions != y_test` by `predictions == y_test`, so that it shows the correct answers the
#    model is most sure of (the count it prints is then the number of correct answers). What do
#    those digits look like compared with the mistakes, and how close to 1.00 are their
#    probabilities?
# 5. **One more block.** Work out by hand the receptive field of a 2 × 2 pool and a fourth
#    3 × 3 convolution added after the third convolution of §7 (start from its field and jump in
#    the table). Then check it: in the LeNet-5 cell of §10, replace `lenet5` in
#    `print_receptive_fields(lenet5)` by a model built from `keras.Input((28, 28, 1))` and four
#    `layers.Conv2D(8, 3, padding="same")`, with a `layers.MaxPooling2D()` after each of the
#    first three. (`padding="same"` keeps the maps from shrinking to nothing; it does not change
#    the fields.)
