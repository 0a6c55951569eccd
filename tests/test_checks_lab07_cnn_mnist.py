"""(d) lab07's checks: pass correct code written differently from the solution, fail known-wrong
code with the message that names the mistake, and report a stub as not attempted."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import layers

from course.checks import CheckFailed, NotAttempted
from course.checks import lab07_cnn_mnist as checks


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- correct implementations, written unlike the solution -----------------------------------

def out_size(size, filter_size, padding=0, stride=1):
    return math.floor((size + 2 * padding - filter_size) / stride) + 1


def pad(x, padding, mode="constant"):
    return np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)], mode=mode)


def conv_positions(x, w, stride, padding, mode="constant"):
    """Padded input and output sizes (shared by the variants below)."""
    xp = pad(x, padding, mode)
    oh = (xp.shape[1] - w.shape[0]) // stride + 1
    ow = (xp.shape[2] - w.shape[1]) // stride + 1
    return xp, oh, ow


def conv_einsum(x, w, stride=1, padding=0):
    """Loops over output positions only, einsum over the window and channels."""
    xp, oh, ow = conv_positions(x, w, stride, padding)
    out = np.empty((x.shape[0], oh, ow, w.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, i * stride:i * stride + w.shape[0], j * stride:j * stride + w.shape[1], :]
            out[:, i, j, :] = np.einsum("nabc,abck->nk", window, w)
    return out


def im2col_loops(x, filter_h, filter_w, stride=1, padding=0):
    """One row per window, built with plain loops over images and positions."""
    xp = pad(x, padding)
    oh = (xp.shape[1] - filter_h) // stride + 1
    ow = (xp.shape[2] - filter_w) // stride + 1
    rows = []
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                rows.append(xp[n, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].ravel())
    return np.array(rows)


def conv_via_windows(x, w, stride=1, padding=0):
    """im2col through sliding_window_view, then one tensordot."""
    xp = pad(x, padding)
    views = np.lib.stride_tricks.sliding_window_view(xp, (w.shape[0], w.shape[1]), axis=(1, 2))
    views = views[:, ::stride, ::stride]  # (N, OH, OW, C, FH, FW)
    return np.tensordot(views, w, axes=([3, 4, 5], [2, 0, 1]))


def pool_windows(x, pool_size=2, stride=2):
    views = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))
    return views[:, ::stride, ::stride].max(axis=(-2, -1))


# --- conv_output_size -----------------------------------------------------------------------

def test_conv_output_size_passes_a_floor_version(capsys):
    checks.check_conv_output_size(out_size)
    checks.check_conv_output_size(out_size, seed=5)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message", [
    (lambda h, f, p, s: (h + 2 * p - f) // s, r"\+ 1 is missing"),
    (lambda h, f, p, s: (h + p - f) // s + 1, "add 2P, not P"),
    (lambda h, f, p, s: (h - 2 * p - f) // s + 1, "do not subtract"),
    (lambda h, f, p, s: h + 2 * p - f + 1, "stride is ignored"),
    (lambda h, f, p, s: (h + 2 * p - f + 1) // s, "mind the brackets"),
    (lambda h, f, p, s: (h + 2 * p - f) / s + 1, "return an int"),
    (lambda h, f, p, s: math.ceil((h + 2 * p - f) / s) + 1, r"round down \(//\)"),
    (lambda h, f, p, s: None, "forget the `return`"),
])
def test_conv_output_size_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_conv_output_size(wrong)


def test_conv_output_size_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="conv_output_size"):
        checks.check_conv_output_size(stub)


# --- conv2d_naive and conv2d_im2col ---------------------------------------------------------

def test_convolutions_pass_other_correct_versions(capsys):
    checks.check_conv2d_naive(conv_einsum)
    checks.check_conv2d_naive(conv_via_windows, seed=4)
    checks.check_conv2d_im2col(conv_via_windows)
    checks.check_conv2d_im2col(lambda x, w, stride=1, padding=0: conv_einsum(x, w, stride, padding).astype(np.float32),
                               seed=3)
    assert capsys.readouterr().out.count("✔") == 4


def flipped(x, w, stride=1, padding=0):
    return conv_einsum(x, w[::-1, ::-1], stride, padding)


def no_padding(x, w, stride=1, padding=0):
    return conv_einsum(x, w, stride, 0)


def one_side_padding(x, w, stride=1, padding=0):
    xp = np.pad(x, [(0, 0), (padding, 0), (padding, 0), (0, 0)])
    return conv_einsum(xp, w, stride, 0)


def no_stride(x, w, stride=1, padding=0):
    return conv_einsum(x, w, 1, padding)


def one_short(x, w, stride=1, padding=0):
    return conv_einsum(x, w, stride, padding)[:, :-1, :-1, :]


def edge_padding(x, w, stride=1, padding=0):
    return conv_einsum(pad(x, padding, mode="edge"), w, stride, 0)


def channels_first(x, w, stride=1, padding=0):
    return conv_einsum(x, w, stride, padding).transpose(0, 3, 1, 2)


def swapped_channels(x, w, stride=1, padding=0):
    return conv_einsum(x, w.transpose(0, 1, 3, 2), stride, padding)


def swapped_height_width(x, w, stride=1, padding=0):
    return conv_einsum(x, w.transpose(1, 0, 2, 3), stride, padding)


def first_channel_only(x, w, stride=1, padding=0):
    return conv_einsum(x[..., :1], w[:, :, :1], stride, padding)


@pytest.mark.parametrize("check", [checks.check_conv2d_naive, checks.check_conv2d_im2col])
@pytest.mark.parametrize("wrong, message", [
    (flipped, "filter is flipped"),
    (no_padding, "padding is missing"),
    (one_side_padding, "pad both sides"),
    (no_stride, "stride is ignored"),
    (one_short, "one output row and column short"),
    (edge_padding, "pad with zeros"),
    (channels_first, "channels-first"),
    (swapped_channels, "input and output channels are swapped"),
    (swapped_height_width, "height and width are swapped"),
    (first_channel_only, "only the first input channel counts"),
    (lambda x, w, stride=1, padding=0: conv_einsum(x, w, stride, padding) * 1.01, "is off"),
    (lambda x, w, stride=1, padding=0: None, "forget the `return`"),
])
def test_convolutions_name_the_mistake(check, wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check(wrong)


def test_convolution_stubs_are_not_attempted():
    with pytest.raises(NotAttempted, match="conv2d_naive"):
        checks.check_conv2d_naive(stub)
    with pytest.raises(NotAttempted, match="conv2d_im2col"):
        checks.check_conv2d_im2col(stub)


# --- im2col ---------------------------------------------------------------------------------

def test_im2col_passes_a_loop_version(capsys):
    checks.check_im2col(im2col_loops)
    checks.check_im2col(im2col_loops, seed=2)
    assert capsys.readouterr().out.count("✔") == 2


def reorder(function):
    """Wrap a correct im2col: reshape its output to (N, OH, OW, FH, FW, C) for reordering."""
    def wrapped(x, filter_h, filter_w, stride=1, padding=0):
        cols = im2col_loops(x, filter_h, filter_w, stride, padding)
        xp = pad(x, padding)
        oh = (xp.shape[1] - filter_h) // stride + 1
        ow = (xp.shape[2] - filter_w) // stride + 1
        blocks = cols.reshape(x.shape[0], oh, ow, filter_h, filter_w, x.shape[3])
        return function(blocks).reshape(cols.shape)
    return wrapped


@pytest.mark.parametrize("wrong, message", [
    (reorder(lambda b: b.transpose(0, 1, 2, 5, 3, 4)), "channel-first order"),
    (reorder(lambda b: b.transpose(0, 1, 2, 4, 3, 5)), "column by column"),
    (reorder(lambda b: b.transpose(0, 2, 1, 3, 4, 5)), r"\(n, ow, oh\) order"),
    (reorder(lambda b: b.transpose(1, 2, 0, 3, 4, 5)), r"\(oh, ow, n\) order"),
    (lambda x, fh, fw, stride=1, padding=0: im2col_loops(x, fh, fw, stride, padding).T, "transpose it"),
    (lambda x, fh, fw, stride=1, padding=0: im2col_loops(x, fh, fw, stride, padding).reshape(x.shape[0], -1, fh * fw * x.shape[3]),
     "flatten it"),
    (lambda x, fh, fw, stride=1, padding=0: im2col_loops(x, fh, fw, stride, 0), "padding is missing"),
    (lambda x, fh, fw, stride=1, padding=0: im2col_loops(x, fh, fw, 1, padding), "stride is ignored"),
    (lambda x, fh, fw, stride=1, padding=0: im2col_loops(x, fh, fw, stride, padding) + 0.5, "is off"),
])
def test_im2col_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_im2col(wrong)


def test_im2col_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="im2col"):
        checks.check_im2col(stub)


# --- max_pool2d -----------------------------------------------------------------------------

def test_max_pool2d_passes_a_sliding_window_version(capsys):
    checks.check_max_pool2d(pool_windows)
    checks.check_max_pool2d(pool_windows, seed=6)
    assert capsys.readouterr().out.count("✔") == 2


def average_pool(x, pool_size=2, stride=2):
    views = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))
    return views[:, ::stride, ::stride].mean(axis=(-2, -1))


def max_from_zero(x, pool_size=2, stride=2):
    return np.maximum(pool_windows(x, pool_size, stride), 0.0)


def ceil_mode(x, pool_size=2, stride=2):
    padded = np.pad(x, [(0, 0), (0, stride), (0, stride), (0, 0)], constant_values=-np.inf)
    n, h, w, c = x.shape
    oh, ow = math.ceil((h - pool_size) / stride) + 1, math.ceil((w - pool_size) / stride) + 1
    return pool_windows(padded, pool_size, stride)[:, :oh, :ow]


@pytest.mark.parametrize("wrong, message", [
    (average_pool, "average pooling"),
    (lambda x, pool_size=2, stride=2: -pool_windows(-x, pool_size, stride), "smallest value"),
    (max_from_zero, "start the running maximum at -inf"),
    (lambda x, pool_size=2, stride=2: pool_windows(x, pool_size, stride).max(axis=-1), "pool each channel"),
    (lambda x, pool_size=2, stride=2: pool_windows(x, pool_size, pool_size), "step the window by `stride`"),
    (ceil_mode, "windows that fit entirely"),
])
def test_max_pool2d_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_max_pool2d(wrong)


def test_max_pool2d_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="max_pool2d"):
        checks.check_max_pool2d(stub)


# --- build_cnn ------------------------------------------------------------------------------

def functional_cnn(input_shape=(28, 28, 1), num_classes=10, activation="softmax", units=None, convs=True):
    """A keras-io style CNN written with the functional API."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(8, 3, activation="relu")(inputs) if convs else inputs
    x = layers.MaxPooling2D()(x) if convs else x
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(units or num_classes, activation=activation)(x)
    return keras.Model(inputs, outputs)


def test_build_cnn_passes_a_functional_model(capsys):
    checks.check_build_cnn(functional_cnn)
    checks.check_build_cnn(functional_cnn, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


@pytest.mark.parametrize("wrong, message, seed", [
    (lambda input_shape=(28, 28, 1), num_classes=10: functional_cnn(input_shape, num_classes, None),
     "looks like logits", 0),
    (lambda input_shape=(28, 28, 1), num_classes=10: functional_cnn(input_shape, num_classes, "sigmoid"),
     "should sum to 1", 0),
    (lambda input_shape=(28, 28, 1), num_classes=10: functional_cnn(input_shape, num_classes, units=1),
     "one unit per class", 0),
    (lambda input_shape=(28, 28, 1), num_classes=10: functional_cnn(input_shape, num_classes, convs=False),
     "no keras.layers.Conv2D", 0),
    (lambda input_shape=(28, 28, 1), num_classes=10: functional_cnn(), r"input shape is \(None, 28, 28, 1\)", 1),
    (lambda input_shape=(28, 28, 1), num_classes=10: functional_cnn(input_shape), r"output shape is \(None, 10\)", 1),
    (lambda input_shape=(28, 28, 1), num_classes=10: None, "forget the `return`", 0),
    (lambda input_shape=(28, 28, 1), num_classes=10: [layers.Conv2D(8, 3)], "should return a keras.Model", 0),
])
def test_build_cnn_names_the_mistake(wrong, message, seed):
    with pytest.raises(CheckFailed, match=message):
        checks.check_build_cnn(wrong, seed=seed)


def test_build_cnn_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="build_cnn"):
        checks.check_build_cnn(stub)


# --- the trained model ----------------------------------------------------------------------

def memorising_model(images, labels, softmax=True):
    """A Keras model that answers labels[i] for images[i]: a 1-nearest-neighbour lookup
    (Dense layers holding the images and the one-hot labels), no training needed."""
    flat = images.reshape(len(images), -1).astype("float64")
    inputs = keras.Input((28, 28, 1))
    x = layers.Flatten()(inputs)
    # -||x - t_i||^2 up to a per-image constant: 2 x.t_i - ||t_i||^2, sharpened into a one-hot choice
    nearest = layers.Dense(len(images), activation="softmax")
    x = nearest(x)
    vote = layers.Dense(10, use_bias=False, activation="softmax" if softmax else None)
    outputs = vote(x)
    model = keras.Model(inputs, outputs)
    nearest.set_weights([(20 * flat.T).astype("float32"), (-10 * (flat ** 2).sum(axis=1)).astype("float32")])
    vote.set_weights([(50 * np.eye(10)[np.asarray(labels)]).astype("float32")])
    return model


@pytest.fixture(scope="module")
def held_out():
    x, y = checks.held_out_digits()
    assert x.shape == (1000, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert np.bincount(y).tolist() == [100] * 10
    return x, y


def wrong_labels(y, how_many):
    """The labels with the first how_many of them moved to the next digit."""
    wrong = y.copy()
    wrong[:how_many] = (wrong[:how_many] + 1) % 10
    return wrong


def test_cnn_model_passes_when_accurate(held_out, capsys):
    x, y = held_out
    checks.check_cnn_model(memorising_model(x, y))
    assert "held-out accuracy 1.0000 on the 1,000 bundled held-out digits" in capsys.readouterr().out


def test_cnn_model_fails_below_the_target_and_says_the_threshold(held_out):
    x, y = held_out
    model = memorising_model(x, wrong_labels(y, 50))  # accuracy 0.95
    with pytest.raises(CheckFailed, match=r"0\.950, below the required 0\.97 \(weakest digit: \d"):
        checks.check_cnn_model(model)
    checks.check_cnn_model(model, threshold=0.9)


def test_cnn_model_ignores_a_rebound_test_split(held_out):
    """A notebook that rebinds x_test / y_test to a few digits its model gets right still fails."""
    x, y = held_out
    easy = np.arange(10) * 100  # one digit of each class
    model = memorising_model(x, np.where(np.isin(np.arange(len(y)), easy), y, (y + 1) % 10))
    namespace = {"checks": checks, "cnn_model": model, "x_test": x[easy], "y_test": y[easy]}
    assert (model.predict(x[easy], verbose=0).argmax(axis=1) == y[easy]).all()  # perfect on the rebound split
    with pytest.raises(CheckFailed, match=r"held-out accuracy is 0\.010, about chance"):
        exec("checks.check_cnn_model(cnn_model)", namespace)
    with pytest.raises(TypeError):
        exec("checks.check_cnn_model(cnn_model, x_test, y_test)", namespace)  # the old call is gone


def test_cnn_model_at_chance_and_wrong_outputs(held_out):
    x, y = held_out
    with pytest.raises(CheckFailed, match="about chance: run the training cell"):
        checks.check_cnn_model(memorising_model(x, (y + 1) % 10))
    with pytest.raises(CheckFailed, match="looks like logits"):
        checks.check_cnn_model(memorising_model(x, y, softmax=False))
    with pytest.raises(CheckFailed, match="one unit per class"):
        checks.check_cnn_model(functional_cnn(units=1))
    with pytest.raises(CheckFailed, match="should be the trained keras.Model"):
        checks.check_cnn_model("model")


def test_cnn_model_not_attempted_while_none():
    with pytest.raises(NotAttempted, match="build_cnn"):
        checks.check_cnn_model(None)
