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

def out_size_numpy(input_size, filter_size, padding=0, stride=1):
    """numpy's floor_divide, returning a NumPy integer."""
    return np.floor_divide(input_size + 2 * padding - filter_size, stride) + 1


@pytest.mark.parametrize("right", [out_size, out_size_numpy])
def test_conv_output_size_passes_correct_versions(right, capsys):
    checks.check_conv_output_size(right)
    checks.check_conv_output_size(right, seed=5)
    assert capsys.readouterr().out.count("✔") == 2


def size_stub(input_size, filter_size, padding=0, stride=1):
    raise NotImplementedError()


@pytest.mark.parametrize("wrong, message", [
    (lambda h, f, p=0, s=1: (h + 2 * p - f) // s, r"\+ 1 is missing"),
    (lambda h, f, p=0, s=1: (h + p - f) // s + 1, "add 2P, not P"),
    (lambda h, f, p=0, s=1: (h - 2 * p - f) // s + 1, "do not subtract"),
    (lambda h, f, p=0, s=1: h + 2 * p - f + 1, "stride is ignored"),
    (lambda h, f, p=0, s=1: (h + 2 * p - f + 1) // s, "mind the brackets"),
    (lambda h, f, p=0, s=1: (h + 2 * p - f) / s + 1, "return an int"),
    (lambda h, f, p=0, s=1: math.ceil((h + 2 * p - f) / s) + 1, r"round down \(//\)"),
    (lambda h, f, p=0, s=1: None, "forget the `return`"),
    (lambda h, f, p=1, s=1: (h + 2 * p - f) // s + 1, r"conv_output_size\(28, 5\) gave 26 .*keep the defaults"),
    (lambda h, f, p=0, s=2: (h + 2 * p - f) // s + 1, r"keep the defaults"),
    (lambda h, f, p, s: (h + 2 * p - f) // s + 1, "keep the defaults of the answer cell's signature"),
    (lambda h, f, p=0, s=1: size_stub(h, f, p, s), "calls `size_stub`, which still raises"),
])
def test_conv_output_size_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_conv_output_size(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_conv_output_size_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="conv_output_size"):
        checks.check_conv_output_size(stub)


# --- conv2d_naive and conv2d_im2col ---------------------------------------------------------

def conv_float32(x, w, stride=1, padding=0):
    return conv_einsum(x, w, stride, padding).astype(np.float32)


@pytest.mark.parametrize("check", [checks.check_conv2d_naive, checks.check_conv2d_im2col])
@pytest.mark.parametrize("right", [conv_einsum, conv_via_windows, conv_float32])
def test_convolutions_pass_other_correct_versions(check, right, capsys):
    check(right)
    check(right, seed=4)
    out = capsys.readouterr().out
    assert out.count("✔") == 2 and "without calling your im2col" not in out


def flipped(x, w, stride=1, padding=0):
    return conv_einsum(x, w[::-1, ::-1], stride, padding)


def no_padding(x, w, stride=1, padding=0):
    return conv_einsum(x, w, stride, 0)


def one_side_padding(x, w, stride=1, padding=0):
    xp = np.pad(x, [(0, 0), (padding, 0), (padding, 0), (0, 0)])
    return conv_einsum(xp, w, stride, 0)


def no_stride(x, w, stride=1, padding=0):
    return conv_einsum(x, w, 1, padding)


def steps_one_pixel(x, w, stride=1, padding=0):
    """The output has the strided shape, but window (i, j) starts at (i, j)."""
    full = conv_einsum(x, w, 1, padding)
    strided = conv_einsum(x, w, stride, padding)
    return full[:, :strided.shape[1], :strided.shape[2]]


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


def swapped_signature(x, w, padding=0, stride=1):
    return conv_einsum(x, w, stride, padding)


def padding_by_default(x, w, stride=1, padding=1):
    return conv_einsum(x, w, stride, padding)


def squeezed(x, w, stride=1, padding=0):
    return np.squeeze(conv_einsum(x, w, stride, padding))


def tf_conv(x, w, stride=1, padding=0):
    import tensorflow as tf

    xp = pad(x, padding)
    return tf.nn.conv2d(xp, w, strides=stride, padding="VALID").numpy()


def keras_ops_conv(x, w, stride=1, padding=0):
    return keras.ops.convert_to_numpy(keras.ops.conv(pad(x, padding), w, strides=stride))


@pytest.mark.parametrize("check", [checks.check_conv2d_naive, checks.check_conv2d_im2col])
@pytest.mark.parametrize("wrong, message", [
    (flipped, "filter is flipped"),
    (no_padding, "padding is missing"),
    (one_side_padding, "pad both sides"),
    (no_stride, "stride is ignored"),
    (steps_one_pixel, "window moves one pixel at a time"),
    (one_short, "one output row and column short"),
    (edge_padding, "pad with zeros"),
    (channels_first, "channels-first"),
    (swapped_channels, "input and output channels are swapped"),
    (swapped_height_width, "height and width are swapped"),
    (first_channel_only, "only the first input channel counts"),
    (swapped_signature, "used 1 as the padding and 2 as the stride: keep the order of the signature"),
    (padding_by_default, r"\(x, w\) with x .* keep the defaults of the signature"),
    (squeezed, r"has shape \(8, 8, 3\), expected \(1, 8, 8, 3\)"),
    (tf_conv, "uses tf.nn.conv2d, which does the work this exercise asks for"),
    (keras_ops_conv, "uses keras.ops.conv"),
    (lambda x, w, stride=1, padding=0: conv_einsum(x, w, stride, padding) * 1.01, "is off"),
    (lambda x, w, stride=1, padding=0: None, "forget the `return`"),
])
def test_convolutions_name_the_mistake(check, wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        check(wrong)
    assert not isinstance(caught.value, NotAttempted)


# The answers as a notebook holds them: functions that call each other by name.
NOTEBOOK = """
import numpy as np

def conv_output_size(input_size, filter_size, padding=0, stride=1):
    {size_body}

def conv2d_naive(x, w, stride=1, padding=0):
    oh = conv_output_size(x.shape[1], w.shape[0], padding, stride)
    ow = conv_output_size(x.shape[2], w.shape[1], padding, stride)
    xp = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, i * stride:i * stride + w.shape[0], j * stride:j * stride + w.shape[1], :]
            out[:, i, j, :] = np.tensordot(window, w, axes=3)
    return out

def im2col(x, filter_h, filter_w, stride=1, padding=0):
    {im2col_body}

def conv2d_im2col(x, w, stride=1, padding=0):
    {conv_body}
"""
IM2COL = """xp = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    oh, ow = conv_output_size(x.shape[1], filter_h, padding, stride), conv_output_size(x.shape[2], filter_w, padding, stride)
    rows = [xp[n, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].ravel()
            for n in range(x.shape[0]) for i in range(oh) for j in range(ow)]
    return np.array(rows)"""
WITH_IM2COL = """oh = conv_output_size(x.shape[1], w.shape[0], padding, stride)
    ow = conv_output_size(x.shape[2], w.shape[1], padding, stride)
    cols = im2col(x, w.shape[0], w.shape[1], stride, padding)
    return (cols @ w.reshape(-1, w.shape[3])).reshape(x.shape[0], oh, ow, w.shape[3])"""
SIZE = "return (input_size + 2 * padding - filter_size) // stride + 1"


def notebook(size_body=SIZE, im2col_body=IM2COL, conv_body=WITH_IM2COL):
    namespace = {}
    exec(NOTEBOOK.format(size_body=size_body, im2col_body=im2col_body, conv_body=conv_body), namespace)
    return namespace


def test_notebook_answers_pass(capsys):
    answers = notebook()
    checks.check_conv_output_size(answers["conv_output_size"])
    checks.check_conv2d_naive(answers["conv2d_naive"])
    checks.check_im2col(answers["im2col"])
    checks.check_conv2d_im2col(answers["conv2d_im2col"])
    out = capsys.readouterr().out
    assert out.count("✔") == 4 and "without calling your im2col" not in out


def test_conv2d_im2col_that_skips_im2col_says_so(capsys):
    windows = """xp = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    views = np.lib.stride_tricks.sliding_window_view(xp, (w.shape[0], w.shape[1]), axis=(1, 2))[:, ::stride, ::stride]
    return np.tensordot(views, w, axes=([3, 4, 5], [2, 0, 1]))"""
    checks.check_conv2d_im2col(notebook(conv_body=windows)["conv2d_im2col"])
    assert "without calling your im2col" in capsys.readouterr().out


def test_conv2d_im2col_must_not_call_the_loops():
    with pytest.raises(CheckFailed, match="conv2d_im2col calls conv2d_naive, the loops"):
        checks.check_conv2d_im2col(notebook(conv_body="return conv2d_naive(x, w, stride, padding)")["conv2d_im2col"])


def test_answers_calling_an_unwritten_one_blame_that_one():
    answers = notebook(size_body="raise NotImplementedError()", im2col_body="raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="`conv2d_naive` calls `conv_output_size`, which still raises") as caught:
        checks.check_conv2d_naive(answers["conv2d_naive"])
    assert not isinstance(caught.value, NotAttempted)
    answers = notebook(im2col_body="raise NotImplementedError()")
    with pytest.raises(CheckFailed, match="`conv2d_im2col` calls `im2col`, which still raises"):
        checks.check_conv2d_im2col(answers["conv2d_im2col"])
    with pytest.raises(NotAttempted, match="im2col"):
        checks.check_im2col(answers["im2col"])


def test_convolution_stubs_are_not_attempted():
    with pytest.raises(NotAttempted, match="conv2d_naive"):
        checks.check_conv2d_naive(stub)
    with pytest.raises(NotAttempted, match="conv2d_im2col"):
        checks.check_conv2d_im2col(stub)


# --- im2col ---------------------------------------------------------------------------------

def im2col_offsets(x, filter_h, filter_w, stride=1, padding=0):
    """Like the solution's offsets loop, but float32 and built with np.stack."""
    xp = pad(x, padding).astype(np.float32)
    oh = (xp.shape[1] - filter_h) // stride + 1
    ow = (xp.shape[2] - filter_w) // stride + 1
    blocks = np.stack([np.stack([xp[:, a:a + stride * oh:stride, b:b + stride * ow:stride, :]
                                 for b in range(filter_w)], axis=3) for a in range(filter_h)], axis=3)
    return blocks.reshape(x.shape[0] * oh * ow, -1)


@pytest.mark.parametrize("right", [im2col_loops, im2col_offsets])
def test_im2col_passes_correct_versions(right, capsys):
    checks.check_im2col(right)
    checks.check_im2col(right, seed=2)
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


def im2col_swapped(x, filter_h, filter_w, padding=0, stride=1):
    return im2col_loops(x, filter_h, filter_w, stride, padding)


def im2col_padded_by_default(x, filter_h, filter_w, stride=1, padding=1):
    return im2col_loops(x, filter_h, filter_w, stride, padding)


def im2col_tf(x, filter_h, filter_w, stride=1, padding=0):
    import tensorflow as tf

    patches = tf.image.extract_patches(pad(x, padding), [1, filter_h, filter_w, 1], [1, stride, stride, 1],
                                       [1, 1, 1, 1], "VALID")
    return patches.numpy().reshape(-1, filter_h * filter_w * x.shape[3])


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
    (im2col_swapped, "used 1 as the padding and 2 as the stride"),
    (im2col_padded_by_default, r"im2col\(x, 3, 3\) with x .*keep the defaults"),
    (lambda x, fh, fw, stride, padding: im2col_loops(x, fh, fw, stride, padding), "keep the defaults"),
    (im2col_tf, "uses tf.image.extract_patches"),
])
def test_im2col_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_im2col(wrong)
    assert not isinstance(caught.value, NotAttempted)


def test_im2col_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="im2col"):
        checks.check_im2col(stub)


# --- max_pool2d -----------------------------------------------------------------------------

def pool_loops(x, pool_size=2, stride=2):
    """Explicit loops over windows, a float32 result."""
    n, h, w, c = x.shape
    oh, ow = (h - pool_size) // stride + 1, (w - pool_size) // stride + 1
    out = np.empty((n, oh, ow, c), dtype=np.float32)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("right", [pool_windows, pool_loops])
def test_max_pool2d_passes_correct_versions(right, capsys):
    checks.check_max_pool2d(right)
    checks.check_max_pool2d(right, seed=6)
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


def pool_swapped(x, stride=2, pool_size=2):
    return pool_windows(x, pool_size, stride)


def pool_tf(x, pool_size=2, stride=2):
    import tensorflow as tf

    return tf.nn.max_pool2d(x, pool_size, stride, "VALID").numpy()


def pool_keras(x, pool_size=2, stride=2):
    return keras.layers.MaxPooling2D(pool_size, stride)(x).numpy()


@pytest.mark.parametrize("wrong, message", [
    (average_pool, "average pooling"),
    (lambda x, pool_size=2, stride=2: -pool_windows(-x, pool_size, stride), "smallest value"),
    (max_from_zero, "start the running maximum at -inf"),
    (lambda x, pool_size=2, stride=2: pool_windows(x, pool_size, stride).max(axis=-1), "pool each channel"),
    (lambda x, pool_size=2, stride=2: pool_windows(x, pool_size, pool_size), "step the window by `stride`"),
    (ceil_mode, "windows that fit entirely"),
    (pool_swapped, "used 3 as the stride and 2 as the pool size"),
    (lambda x, pool_size=3, stride=2: pool_windows(x, pool_size, stride), r"max_pool2d\(x\) with x .*keep the defaults"),
    (lambda x, pool_size, stride: pool_windows(x, pool_size, stride), "keep the defaults"),
    (pool_tf, "uses tf.nn.max_pool2d"),
    (pool_keras, "uses keras.layers.MaxPooling2D"),
])
def test_max_pool2d_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_max_pool2d(wrong)
    assert not isinstance(caught.value, NotAttempted)


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


def sequential_cnn(input_shape=(28, 28, 1), num_classes=10):
    """Sequential, augmentation and batch normalization, global pooling, a separate Softmax layer."""
    return keras.Sequential([
        keras.Input(input_shape),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        layers.Conv2D(8, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU(),
        layers.GlobalAveragePooling2D(),
        layers.Dense(num_classes), layers.Softmax(),
    ])


@pytest.mark.parametrize("right", [functional_cnn, sequential_cnn])
def test_build_cnn_passes_correct_versions(right, capsys):
    checks.check_build_cnn(right)
    checks.check_build_cnn(right, seed=1)
    assert capsys.readouterr().out.count("✔") == 2


def compiled_cnn(input_shape=(28, 28, 1), num_classes=10):
    model = functional_cnn(input_shape, num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def conv_block(filters):
    raise NotImplementedError()


def cnn_with_unwritten_helper(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([keras.Input(input_shape), *conv_block(8), layers.Flatten(),
                             layers.Dense(num_classes, activation="softmax")])


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
    (compiled_cnn, "returns a compiled model: return it uncompiled", 0),
    (cnn_with_unwritten_helper, "calls `conv_block`, which still raises", 0),
])
def test_build_cnn_names_the_mistake(wrong, message, seed):
    with pytest.raises(CheckFailed, match=message) as caught:
        checks.check_build_cnn(wrong, seed=seed)
    assert not isinstance(caught.value, NotAttempted)


def test_build_cnn_stub_is_not_attempted():
    with pytest.raises(NotAttempted, match="build_cnn"):
        checks.check_build_cnn(stub)


# --- the trained model ----------------------------------------------------------------------

def memorising_model(images, labels, softmax=True):
    """A Keras model that answers labels[i] for images[i]: a 1-nearest-neighbour lookup
    (Dense layers holding the images and the one-hot labels), no training needed."""
    flat = images.reshape(len(images), -1).astype("float64")
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(1, 1, kernel_initializer="ones", bias_initializer="zeros")(inputs)  # the identity: a CNN
    x = layers.Flatten()(x)
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


def test_cnn_model_must_be_a_cnn(held_out):
    """An accurate model without convolutions is not the CNN the lab trains."""
    x, y = held_out
    model = memorising_model(x, y)
    dense_only = keras.Sequential([keras.Input((28, 28, 1)), *model.layers[2:]])
    assert (dense_only.predict(x[:20], verbose=0).argmax(axis=1) == y[:20]).all()
    with pytest.raises(CheckFailed, match="cnn_model has no keras.layers.Conv2D layer"):
        checks.check_cnn_model(dense_only)


def test_cnn_model_not_attempted_while_none():
    with pytest.raises(NotAttempted, match="build_cnn"):
        checks.check_cnn_model(None)
