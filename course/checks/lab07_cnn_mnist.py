"""Checks for lab07_cnn_mnist: output sizes, convolution (loops and im2col), pooling, the CNN.

Conventions the checks hold the student to (the lab states them too):

- images are NHWC floats: ``x`` has shape (N, H, W, C);
- filters use TensorFlow's layout (FH, FW, C, K) and the operation is
  cross-correlation, exactly what ``tf.nn.conv2d`` computes;
- ``padding`` is an int: that many rows/columns of zeros on each side;
- ``im2col`` returns (N*OH*OW, FH*FW*C): one row per receptive field, rows in
  (n, oh, ow) order, columns in (fh, fw, c) order, so that
  ``im2col(x, FH, FW, S, P) @ w.reshape(FH*FW*C, K)`` is the convolution.

Every expected value comes from TensorFlow or Keras (``tf.nn.conv2d``,
``tf.image.extract_patches``, ``keras.layers.MaxPooling2D``), computed at check
time; nothing is stored.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np

from course.checks.core import (
    CheckFailed,
    Student,
    attempt,
    expect,
    expect_close,
    expect_shape,
    is_close,
    library_calls,
    recording_calls,
    passed,
    require_defined,
    to_numpy,
)

# Library functions that would do what these answers must do by hand, recognised when they run.
LIBRARY_CONVOLUTIONS = {
    "tensorflow.nn.conv2d": "tf.nn.conv2d",
    "tensorflow.nn.convolution": "tf.nn.convolution",
    "keras.ops.conv": "keras.ops.conv",
    "keras.layers.Conv2D.call": "keras.layers.Conv2D",
    "tensorflow.image.extract_patches": "tf.image.extract_patches",
    "scipy.signal.correlate": "scipy.signal.correlate",
    "scipy.signal.convolve": "scipy.signal.convolve",
    "scipy.signal.correlate2d": "scipy.signal.correlate2d",
    "scipy.signal.convolve2d": "scipy.signal.convolve2d",
    "scipy.ndimage.correlate": "scipy.ndimage.correlate",
}
LIBRARY_POOLS = {
    "tensorflow.nn.max_pool2d": "tf.nn.max_pool2d",
    "tensorflow.nn.max_pool": "tf.nn.max_pool",
    "tensorflow.nn.pool": "tf.nn.pool",
    "keras.ops.max_pool": "keras.ops.max_pool",
    "keras.layers.MaxPooling2D.call": "keras.layers.MaxPooling2D",
    "scipy.ndimage.maximum_filter": "scipy.ndimage.maximum_filter",
}
DEFAULT_HINTS = {"required positional argument": "a call without the optional arguments failed: keep the "
                                                 "defaults of the answer cell's signature (padding=0, stride=1; "
                                                 "pool_size=2, stride=2 for max_pool2d)."}
CNN_ACCURACY_TARGET = 0.97  # held-out accuracy the trained cnn_model must reach
CONV_RTOL, CONV_ATOL = 1e-4, 1e-6  # float32 arithmetic in student code is fine


def _tf():
    """TensorFlow, imported on first use (the lab's Setup cell has imported it quietly)."""
    import tensorflow as tf  # noqa: PLC0415

    return tf


def _out_size(size: int, filter_size: int, padding: int, stride: int) -> int:
    """Reference output size, read off TensorFlow itself (a zero image through tf.nn.conv2d)."""
    tf = _tf()
    image = tf.zeros((1, size, 1, 1), tf.float32)
    kernel = tf.zeros((filter_size, 1, 1, 1), tf.float32)
    pads = [[0, 0], [padding, padding], [0, 0], [0, 0]]
    return int(tf.nn.conv2d(image, kernel, strides=[1, stride, 1, 1], padding=pads).shape[1])


def _tf_conv(x: np.ndarray, w: np.ndarray, stride: int, padding) -> np.ndarray:
    """tf.nn.conv2d in float64; ``padding`` an int (zeros each side) or "SAME"/"VALID"."""
    tf = _tf()
    pads = padding if isinstance(padding, str) else [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    return tf.nn.conv2d(tf.constant(x, tf.float64), tf.constant(w, tf.float64),
                        strides=stride, padding=pads).numpy()


def _tf_patches(x: np.ndarray, fh: int, fw: int, stride: int, padding: int) -> np.ndarray:
    """Reference im2col: tf.image.extract_patches on the zero-padded input, (N*OH*OW, FH*FW*C)."""
    tf = _tf()
    padded = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
    patches = tf.image.extract_patches(tf.constant(padded, tf.float64), sizes=[1, fh, fw, 1],
                                       strides=[1, stride, stride, 1], rates=[1, 1, 1, 1],
                                       padding="VALID").numpy()
    return patches.reshape(-1, fh * fw * x.shape[-1])


# --- conv_output_size -----------------------------------------------------------------------

def _size_cases(seed: int) -> list[tuple[int, int, int, int]]:
    """(input_size, filter_size, padding, stride) cases: fixed ones plus random ones."""
    cases = [(4, 3, 0, 1), (4, 3, 1, 1), (28, 3, 0, 1), (28, 5, 2, 1), (7, 3, 0, 2),
             (28, 3, 1, 2), (28, 3, 0, 2), (5, 5, 0, 1), (32, 4, 1, 3)]
    rng = np.random.default_rng(seed)
    for _ in range(6):
        filter_size = int(rng.integers(1, 6))
        cases.append((int(rng.integers(filter_size, 40)), filter_size,
                      int(rng.integers(0, 3)), int(rng.integers(1, 4))))
    return cases if seed == 0 else cases[4:]


SIZE_MISTAKES = {  # message -> the wrong formula, as a function of (H, FH, P, S)
    "the + 1 is missing: a filter as wide as the input still fits once, so it gives one output.":
        lambda h, f, p, s: (h + 2 * p - f) // s,
    "padding goes on both sides, so add 2P, not P.": lambda h, f, p, s: (h + p - f) // s + 1,
    "padding makes the input bigger: add 2P to H, do not subtract it.":
        lambda h, f, p, s: (h - 2 * p - f) // s + 1,
    "the stride is ignored: divide (H + 2P - FH) by S before adding 1.": lambda h, f, p, s: h + 2 * p - f + 1,
    "divide only (H + 2P - FH) by S, then add 1 (mind the brackets).": lambda h, f, p, s: (h + 2 * p - f + 1) // s,
    "when the filter does not fit a whole number of strides, the last partial window is dropped, "
    "so round down (//).": lambda h, f, p, s: -(-(h + 2 * p - f) // s) + 1,
}


def check_conv_output_size(conv_output_size, seed: int = 0) -> None:
    """conv_output_size(H, FH, P=0, S=1) = (H + 2P - FH) // S + 1, an int, as tf.nn.conv2d gives."""
    cases = _size_cases(seed)
    student = Student(conv_output_size, "conv_output_size")
    values, first_wrong = [], None
    for size, filter_size, padding, stride in cases:
        call = f"conv_output_size({size}, {filter_size}, {padding}, {stride})"
        result = student(size, filter_size, padding, stride)
        expect(result is not None, f"{call} returned None: did you forget the `return`?")
        value = to_numpy(result, call).reshape(-1)
        expect(value.size == 1, f"{call} should return one number, got {value.size}.")
        value = float(value[0])
        expected = _out_size(size, filter_size, padding, stride)
        if value == expected and not isinstance(result, (int, np.integer)):
            raise CheckFailed(f"{call} returned {result!r}, a {type(result).__name__}: return an int "
                              "(use // for the division) so the size can be used as an array dimension.")
        if value != expected and first_wrong is None:
            first_wrong = f"{call} gave {value:g} but TensorFlow gives {expected}"
        values.append(value)
    if first_wrong is not None:
        for message, wrong in SIZE_MISTAKES.items():
            if all(value == wrong(*case) for value, case in zip(values, cases)):
                raise CheckFailed(f"{first_wrong}: {message}")
        if all(value == (h + 2 * p - f) / s + 1 for value, (h, f, p, s) in zip(values, cases)):
            raise CheckFailed(f"{first_wrong}: the last partial window is dropped, so round down with //.")
        raise CheckFailed(f"{first_wrong}: use (H + 2P - FH) // S + 1.")
    # The defaults padding=0 and stride=1, as the lab's own calls use them.
    for args, expected in (((28, 5), 24), ((7, 3, 1), 7), ((9, 3), 7)):
        shown = ", ".join(map(str, args))
        result = student(*args, hints=DEFAULT_HINTS)
        expect(result is not None and to_numpy(result, f"conv_output_size({shown})").reshape(-1).tolist() == [expected],
               f"conv_output_size({shown}) gave {result!r} but TensorFlow gives {expected}: keep the defaults "
               "of the signature, conv_output_size(input_size, filter_size, padding=0, stride=1).")
    passed("conv_output_size gives (H + 2P - FH) // S + 1, the size tf.nn.conv2d produces, also with "
           "its defaults padding=0 and stride=1")


# --- convolutions ---------------------------------------------------------------------------

def _conv_cases(seed: int) -> list[dict]:
    """Convolution cases: shapes, strides, paddings and channel counts, plus SAME/VALID twins; some
    called with positional arguments (the signature's order), one in float32 with a single filter."""
    rng = np.random.default_rng(seed)
    n = 2 + seed % 2
    cases = [  # the first case tells the shape mistakes apart; C == K and FH == FW expose swaps
        dict(x=(n, 6, 7, 2), w=(3, 3, 2, 2), stride=1, padding=2, tf_padding=None),
        dict(x=(n, 7, 7, 3), w=(3, 3, 3, 4), stride=2, padding=0, tf_padding="VALID"),
        dict(x=(1, 5, 6, 1), w=(2, 3, 1, 3), stride=1, padding=2, tf_padding=None),  # FH != FW
        dict(x=(n, 6, 6, 3), w=(3, 3, 3, 2), stride=1, padding=1, tf_padding="SAME"),
        dict(x=(1, 8, 9, 2), w=(3, 3, 2, 3), stride=3, padding=0, tf_padding=None),  # rounds down
        dict(x=(n, 7, 6, 1), w=(5, 5, 1, 2), stride=1, padding=2, tf_padding="SAME"),
        dict(x=(n, 9, 8, 2), w=(3, 3, 2, 3), stride=2, padding=1, tf_padding=None, positional=True),
        dict(x=(1, 4, 4, 1), w=(3, 3, 1, 1), stride=1, padding=0, tf_padding="VALID", dtype="float32"),
    ]
    if seed:
        rng.shuffle(cases)
        h, c, k = int(rng.integers(5, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        cases.append(dict(x=(n, h, h + 1, c), w=(3, 3, c, k), stride=int(rng.integers(1, 3)),
                          padding=int(rng.integers(0, 3)), tf_padding=None))
    for i, case in enumerate(cases):
        dtype = case.pop("dtype", "float64")
        case["x"] = rng.normal(size=case["x"]).astype(dtype)
        case["w"] = rng.normal(size=case["w"]).astype(dtype)
        case.setdefault("positional", i % 3 == 2)
    return cases


@contextlib.contextmanager
def _code_calls(functions: dict) -> Iterator[list[str]]:
    """Record which of some Python functions (the student's own, by their code) run in the block.

    Args:
        functions: ``{label: function}``; entries that are not Python functions are ignored.
    """
    codes = {function.__code__: label for label, function in functions.items() if hasattr(function, "__code__")}
    with recording_calls(codes, []) as used:
        yield used


def _own_functions(function, *names: str) -> dict:
    """The student's other answers that ``function`` can call: its module's functions named ``names``."""
    namespace = getattr(function, "__globals__", {})
    return {name: namespace[name] for name in names
            if callable(namespace.get(name)) and namespace.get(name) is not function}


def _call_by_hand(student, name: str, library: dict, *args, **kwargs):
    """Call the student's function; fail if a library function did the work the lab asks for."""
    with library_calls(library) as used:
        result = student(*args, **kwargs)
    if used:
        raise CheckFailed(f"{name} uses {used[0]}, which does the work this exercise asks for: compute it "
                          "yourself with NumPy (slicing, loops, sums or @).")
    return result


def _conv_shape_hint(shape: tuple, case: dict) -> str | None:
    """Name the mistake behind a wrong output shape, when it is a recognisable one."""
    (n, h, w_, _), (fh, fw, _, k) = case["x"].shape, case["w"].shape
    s, p = case["stride"], case["padding"]

    def out(size, f, pad, stride):
        return (size + 2 * pad - f) // stride + 1

    oh, ow = out(h, fh, p, s), out(w_, fw, p, s)
    if len(shape) == 4 and shape[0] == n and shape[1:3] == (oh, ow) and shape[3] != k:
        return "the last axis should hold one feature map per filter (K = w.shape[3])."
    if shape == (n, k, oh, ow):
        return "the result is channels-first (N, K, OH, OW): this lab keeps NHWC, (N, OH, OW, K)."
    if len(shape) != 4 or shape[0] != n or shape[3] != k:
        return None
    if p and shape[1:3] == (out(h, fh, 0, s), out(w_, fw, 0, s)):
        return "the padding is missing: pad x with `padding` rows and columns of zeros on each side (np.pad)."
    if p and shape[1:3] == (out(h, fh, 0, s) + p // s, out(w_, fw, 0, s) + p // s):
        return "pad both sides: `padding` zeros above and below, left and right."
    if s > 1 and shape[1:3] == (out(h, fh, p, 1), out(w_, fw, p, 1)):
        return "the stride is ignored: move the window by `stride` pixels, and use fewer output positions."
    if shape[1:3] == (oh - 1, ow - 1):
        return "one output row and column short: there are (H + 2P - FH) // S + 1 window positions."
    if shape[1:3] == (oh + 1, ow + 1):
        return "one output row and column too many: there are (H + 2P - FH) // S + 1 window positions."
    if shape[1:3] == (ow, oh):
        return "height and width of the output are swapped."
    return None


def _check_conv(function, name: str, seed: int) -> list[str]:
    """Shared body of the two convolution checks: every case against tf.nn.conv2d, then the defaults.

    Returns:
        The labels of the student's other answers (im2col, conv2d_naive) the function called.
    """
    student = Student(function, name)
    with _code_calls(_own_functions(function, "im2col", "conv2d_naive")) as own:
        for case in _conv_cases(seed):
            x, w, s, p = case["x"], case["w"], case["stride"], case["padding"]
            if case["positional"]:
                call = f"{name}(x, w, {s}, {p}) with x {x.shape}, w {w.shape}"
                raw = _call_by_hand(student, name, LIBRARY_CONVOLUTIONS, x.copy(), w.copy(), s, p)
            else:
                call = f"{name}(x, w, stride={s}, padding={p}) with x {x.shape}, w {w.shape}"
                raw = _call_by_hand(student, name, LIBRARY_CONVOLUTIONS, x.copy(), w.copy(), stride=s, padding=p)
            result = to_numpy(raw, call)
            expected = _tf_conv(x, w, s, p)
            swapped = _tf_conv(x, w, p, s) if case["positional"] and p >= 1 and p != s else None
            if (swapped is not None and result.shape == swapped.shape
                    and is_close(result, swapped, CONV_RTOL, CONV_ATOL)):
                raise CheckFailed(f"{call} used {s} as the padding and {p} as the stride: keep the order of "
                                  f"the signature, {name}(x, w, stride=1, padding=0).")
            if result.shape != expected.shape:
                hint = _conv_shape_hint(tuple(result.shape), case)
                raise CheckFailed(f"{call} has shape {tuple(result.shape)}, expected {expected.shape}"
                                  + (f": {hint}" if hint else "."))
            if case["tf_padding"]:
                # the explicit-padding answer must equal TensorFlow's own "SAME"/"VALID"
                same = _tf_conv(x, w, s, case["tf_padding"])
                expected = same if same.shape == expected.shape else expected
            mistakes = {
                "the filter is flipped: deep-learning 'convolution' (and tf.nn.conv2d) is cross-correlation, "
                "so slide w as it is, without reversing it.": _tf_conv(x, w[::-1, ::-1], s, p),
                "edge values are off: pad with zeros (np.pad's default), not by repeating border pixels.":
                    _edge_padded_conv(x, w, s, p),
            }
            if s > 1:
                oh, ow = expected.shape[1:3]
                mistakes[f"the window moves one pixel at a time: start the window of output (i, j) at row "
                         f"i * stride and column j * stride (stride {s} here)."] = _tf_conv(x, w, 1, p)[:, :oh, :ow]
            if w.shape[0] == w.shape[1]:
                mistakes["the filter's height and width are swapped: w[a, b] weighs row a, column b "
                         "of the window."] = _tf_conv(x, w.transpose(1, 0, 2, 3), s, p)
            if w.shape[2] == w.shape[3] and w.shape[2] > 1:
                mistakes["w's input and output channels are swapped: w has shape (FH, FW, C, K), so "
                         "w[:, :, c, k] links input channel c to feature map k."] = _tf_conv(
                    x, w.transpose(0, 1, 3, 2), s, p)
            for message, wrong in mistakes.items():
                if wrong is not None and wrong.shape == result.shape and not is_close(
                        result, expected, CONV_RTOL, CONV_ATOL) and is_close(result, wrong, CONV_RTOL, CONV_ATOL):
                    raise CheckFailed(f"{call}: {message}")
            if x.shape[-1] > 1 and is_close(result, _tf_conv(x[..., :1], w[:, :, :1], s, p), CONV_RTOL, CONV_ATOL):
                raise CheckFailed(f"{call}: only the first input channel counts: sum the products over "
                                  "every channel c as well as over the window.")
            expect_close(result, expected, call, rtol=CONV_RTOL, atol=CONV_ATOL)
        # The defaults: stride=1, padding=0.
        case = _conv_cases(seed)[0]
        call = f"{name}(x, w) with x {case['x'].shape}, w {case['w'].shape}"
        result = to_numpy(_call_by_hand(student, name, LIBRARY_CONVOLUTIONS, case["x"].copy(), case["w"].copy(),
                                        hints=DEFAULT_HINTS), call)
        expected = _tf_conv(case["x"], case["w"], 1, 0)
        if not is_close(result, expected, CONV_RTOL, CONV_ATOL):
            raise CheckFailed(f"{call} does not equal tf.nn.conv2d with stride 1 and no padding: keep the "
                              f"defaults of the signature, {name}(x, w, stride=1, padding=0).")
    return sorted(set(own))


def _edge_padded_conv(x, w, stride, padding):
    """The convolution a student gets when padding by repeating edge pixels (None if no padding)."""
    if not padding:
        return None
    padded = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)], mode="edge")
    return _tf_conv(padded, w, stride, 0)


def check_conv2d_naive(conv2d_naive, seed: int = 0) -> None:
    """conv2d_naive(x, w, stride=1, padding=0) equals tf.nn.conv2d for several shapes, strides,
    paddings and dtypes, computed by hand (no library convolution)."""
    _check_conv(conv2d_naive, "conv2d_naive", seed)
    passed("conv2d_naive matches tf.nn.conv2d for every shape, stride, padding and channel count tried "
           "(including SAME and VALID, and its defaults)")


def check_conv2d_im2col(conv2d_im2col, seed: int = 0) -> None:
    """conv2d_im2col(x, w, stride=1, padding=0) equals tf.nn.conv2d, also on an MNIST-sized batch,
    as one matrix product (not the loops of conv2d_naive, nor a library convolution)."""
    own = _check_conv(conv2d_im2col, "conv2d_im2col", seed)
    expect("conv2d_naive" not in own, "conv2d_im2col calls conv2d_naive, the loops: build the matrix with "
                                      "im2col and compute the convolution as one matrix product.")
    rng = np.random.default_rng(seed + 100)
    x, w = rng.random((16, 28, 28, 1)), rng.normal(size=(3, 3, 1, 8))
    call = "conv2d_im2col on a batch of 16 MNIST-sized images"
    result = _call_by_hand(Student(conv2d_im2col, "conv2d_im2col"), "conv2d_im2col", LIBRARY_CONVOLUTIONS,
                           x, w, stride=1, padding=1)
    expect_close(result, _tf_conv(x, w, 1, 1), call, rtol=CONV_RTOL, atol=CONV_ATOL)
    if "im2col" in _own_functions(conv2d_im2col, "im2col") and "im2col" not in own:
        passed("conv2d_im2col matches tf.nn.conv2d for every shape, stride, padding and channel count tried, "
               "but without calling your im2col: the exercise is to build on it")
        return
    passed("conv2d_im2col matches tf.nn.conv2d for every shape, stride, padding and channel count tried")


def check_im2col(im2col, seed: int = 0) -> None:
    """im2col(x, FH, FW, stride=1, padding=0) lays out every receptive field as one row, like
    tf.image.extract_patches: shape (N*OH*OW, FH*FW*C), rows (n, oh, ow), columns (fh, fw, c)."""
    student = Student(im2col, "im2col")
    cases = _conv_cases(seed)
    first = dict(cases[0], stride=1, padding=0, positional=False, defaults=True)
    for case in cases + [first]:
        x, s, p = case["x"], case["stride"], case["padding"]
        fh, fw, c, _ = case["w"].shape
        if case.get("defaults"):
            call = f"im2col(x, {fh}, {fw}) with x {x.shape}"
            raw = _call_by_hand(student, "im2col", LIBRARY_CONVOLUTIONS, x.copy(), fh, fw, hints=DEFAULT_HINTS)
        elif case["positional"]:
            call = f"im2col(x, {fh}, {fw}, {s}, {p}) with x {x.shape}"
            raw = _call_by_hand(student, "im2col", LIBRARY_CONVOLUTIONS, x.copy(), fh, fw, s, p)
        else:
            call = f"im2col(x, {fh}, {fw}, stride={s}, padding={p}) with x {x.shape}"
            raw = _call_by_hand(student, "im2col", LIBRARY_CONVOLUTIONS, x.copy(), fh, fw, stride=s, padding=p)
        result = to_numpy(raw, call)
        expected = _tf_patches(x, fh, fw, s, p)
        rows, cols = expected.shape
        if case["positional"] and p >= 1 and p != s:
            swapped = _tf_patches(x, fh, fw, p, s)
            if result.shape == swapped.shape and is_close(result, swapped):
                raise CheckFailed(f"{call} used {s} as the padding and {p} as the stride: keep the order of "
                                  "the signature, im2col(x, filter_h, filter_w, stride=1, padding=0).")
        if case.get("defaults") and result.shape != expected.shape:
            raise CheckFailed(f"{call} has shape {result.shape}, expected {expected.shape}: keep the defaults "
                              "of the signature, im2col(x, filter_h, filter_w, stride=1, padding=0).")
        if result.shape == (cols, rows) and rows != cols:
            raise CheckFailed(f"{call} has shape {result.shape}: transpose it, one row per receptive "
                              f"field, ({rows}, {cols}) = (N*OH*OW, FH*FW*C).")
        if result.ndim != 2 and result.size == expected.size and result.shape[-1] == cols:
            raise CheckFailed(f"{call} has shape {result.shape}: flatten it to a matrix "
                              f"(N*OH*OW, FH*FW*C) = ({rows}, {cols}) with reshape.")
        if result.ndim == 2 and result.shape[1] == cols and result.shape[0] != rows:
            out_shape = (x.shape[0], result.shape[0] // x.shape[0], 1, case["w"].shape[3])
            hint = _conv_shape_hint(out_shape, case) if result.shape[0] % x.shape[0] == 0 else None
            probe = _rows_hint(result.shape[0], case)
            raise CheckFailed(f"{call} has {result.shape[0]} rows, expected N*OH*OW = {rows}: "
                              + (probe or hint or "there is one row per window position."))
        expect_shape(result, expected.shape, call)
        n, oh, ow = x.shape[0], *_tf_conv(x[:1], case["w"], s, p).shape[1:3]
        patches = expected.reshape(n, oh, ow, fh, fw, c)
        mistakes = {
            "the columns are in channel-first order (c, fh, fw), as in the NCHW version of im2col: "
            "this lab uses (fh, fw, c) so that the columns line up with w.reshape(FH*FW*C, K).":
                patches.transpose(0, 1, 2, 5, 3, 4).reshape(rows, cols),
            "the columns go through the window column by column: take each window in (fh, fw, c) "
            "order, as window.reshape(-1) gives for x[n, rows, cols, :].":
                patches.transpose(0, 1, 2, 4, 3, 5).reshape(rows, cols),
            "the rows are in (n, ow, oh) order: loop over output rows oh before output columns ow.":
                patches.transpose(0, 2, 1, 3, 4, 5).reshape(rows, cols),
            "the rows are in (oh, ow, n) order: keep all windows of image 0 first, then image 1, ...":
                patches.transpose(1, 2, 0, 3, 4, 5).reshape(rows, cols),
        }
        for message, wrong in mistakes.items():
            if not is_close(result, expected) and is_close(result, wrong):
                raise CheckFailed(f"{call}: {message}")
        if case.get("defaults") and not is_close(result, expected):
            raise CheckFailed(f"{call} does not give the windows of stride 1 without padding: keep the defaults "
                              "of the signature, im2col(x, filter_h, filter_w, stride=1, padding=0).")
        expect_close(result, expected, call)
    passed("im2col gives one row per receptive field, in the order of tf.image.extract_patches "
           "(its defaults too)")


def _rows_hint(num_rows: int, case: dict) -> str | None:
    """Explain a wrong number of im2col rows through the conv output size it implies."""
    (n, h, w_, _), (fh, fw, _, _) = case["x"].shape, case["w"].shape
    s, p = case["stride"], case["padding"]

    def rows(pad, stride, extra=0):
        return n * ((h + 2 * pad - fh) // stride + 1 + extra) * ((w_ + 2 * pad - fw) // stride + 1 + extra)

    if p and num_rows == rows(0, s):
        return "the padding is missing: pad x with zeros on each side first."
    if s > 1 and num_rows == rows(p, 1):
        return "the stride is ignored: step the window by `stride` pixels."
    if num_rows == rows(p, s, -1):
        return "the last window row and column are missing (an off-by-one in the loop bounds)."
    if num_rows == rows(p, s, 1):
        return "one window row and column too many (an off-by-one in the loop bounds)."
    return None


# --- pooling --------------------------------------------------------------------------------

def check_max_pool2d(max_pool2d, seed: int = 0) -> None:
    """max_pool2d(x, pool_size=2, stride=2) equals keras.layers.MaxPooling2D (padding "valid"),
    computed by hand."""
    import keras  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    student = Student(max_pool2d, "max_pool2d")
    # (shape, pool_size, stride, how it is called): keywords, positional, or the defaults (2, 2)
    cases = [((2, 6, 8, 3), 2, 2, "keywords"), ((1, 7, 7, 2), 2, 2, "keywords"), ((2, 9, 9, 1), 3, 2, "positional"),
             ((1, 6, 6, 2), 3, 3, "keywords"), ((2, 10, 9, 2), 2, 3, "keywords"), ((1, 5, 5, 1), 5, 1, "keywords")]
    if seed:
        h = int(rng.integers(6, 12))
        cases.append(((2, h, h + 2, int(rng.integers(1, 4))), 2, 1, "positional"))
    cases.append(((2, 7, 9, 2), 2, 2, "defaults"))  # last: the cases above already passed with (2, 2)
    for shape, pool_size, stride, how in cases:
        x = rng.normal(size=shape).astype(np.float32).astype(np.float64)
        x[0, :pool_size, :pool_size, :] = -np.abs(x[0, :pool_size, :pool_size, :]) - 0.5  # a negative window
        if how == "defaults":
            call = f"max_pool2d(x) with x {shape}"
            raw = _call_by_hand(student, "max_pool2d", LIBRARY_POOLS, x.copy(), hints=DEFAULT_HINTS)
        elif how == "positional":
            call = f"max_pool2d(x, {pool_size}, {stride}) with x {shape}"
            raw = _call_by_hand(student, "max_pool2d", LIBRARY_POOLS, x.copy(), pool_size, stride)
        else:
            call = f"max_pool2d(x, pool_size={pool_size}, stride={stride}) with x {shape}"
            raw = _call_by_hand(student, "max_pool2d", LIBRARY_POOLS, x.copy(), pool_size=pool_size, stride=stride)
        result = to_numpy(raw, call)
        layer = keras.layers.MaxPooling2D(pool_size=pool_size, strides=stride, padding="valid")
        expected = np.asarray(layer(x.astype(np.float32)), dtype=np.float64)
        n, oh, ow, c = expected.shape
        if how == "positional" and pool_size != stride:
            swapped = np.asarray(keras.layers.MaxPooling2D(pool_size=stride, strides=pool_size)(x.astype(np.float32)))
            if result.shape == swapped.shape and is_close(result, swapped):
                raise CheckFailed(f"{call} used {pool_size} as the stride and {stride} as the pool size: keep "
                                  "the order of the signature, max_pool2d(x, pool_size=2, stride=2).")
        if how == "defaults" and not is_close(result, expected):
            raise CheckFailed(f"{call} does not give 2 x 2 windows with stride 2: keep the defaults of the "
                              "signature, max_pool2d(x, pool_size=2, stride=2).")
        if result.shape == (n, oh, ow):
            raise CheckFailed(f"{call} has shape {result.shape}: pool each channel on its own, keeping "
                              "the channel axis (max over the window's rows and columns only).")
        if result.ndim == 4 and result.shape != expected.shape and result.shape[::3] == (n, c):
            def sizes(step, round_up=False):
                return tuple(-(-(size - pool_size) // step) + 1 if round_up else (size - pool_size) // step + 1
                             for size in shape[1:3])

            if stride != pool_size and result.shape[1:3] == sizes(pool_size):
                raise CheckFailed(f"{call} has shape {result.shape}, expected {expected.shape}: step the "
                                  "window by `stride`, which need not equal pool_size.")
            if result.shape[1:3] == sizes(stride, round_up=True):
                raise CheckFailed(f"{call} has shape {result.shape}, expected {expected.shape}: keep only "
                                  "windows that fit entirely, (H - pool_size) // stride + 1 of them.")
        expect_shape(result, expected.shape, call)
        windows = _windows(x, pool_size, stride)
        mistakes = {
            "this is average pooling: max pooling keeps the largest value of each window.": windows.mean(axis=(3, 4)),
            "this keeps the smallest value: max pooling keeps the largest one.": windows.min(axis=(3, 4)),
            "windows of negative numbers give 0: start the running maximum at -inf (or use .max()), not at 0.":
                np.maximum(expected, 0.0),
        }
        for message, wrong in mistakes.items():
            if not is_close(result, expected) and is_close(result, wrong):
                raise CheckFailed(f"{call}: {message}")
        expect_close(result, expected, call)
    passed("max_pool2d matches keras.layers.MaxPooling2D for every size, stride and channel count tried "
           "(its defaults too)")


def _windows(x: np.ndarray, pool_size: int, stride: int) -> np.ndarray:
    """All pooling windows of x: (N, OH, OW, pool_size, pool_size, C)."""
    n, h, w, c = x.shape
    oh, ow = (h - pool_size) // stride + 1, (w - pool_size) // stride + 1
    out = np.empty((n, oh, ow, pool_size, pool_size, c))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
    return out


# --- the CNN --------------------------------------------------------------------------------

def _probabilities(output, what: str, num_classes: int, n: int) -> np.ndarray:
    """Check a model's output on n images is (n, num_classes) of softmax probabilities."""
    probs = to_numpy(output, what)
    if probs.shape == (n, 1) or probs.shape == (n,):
        raise CheckFailed(f"{what} gives one number per image: the last layer needs one unit per "
                          f"class, Dense({num_classes}, activation='softmax').")
    expect_shape(probs, (n, num_classes), what)
    expect(bool(np.all(np.isfinite(probs))), f"{what} contains NaN or inf.")
    sums = probs.sum(axis=1)
    if np.all((probs >= 0) & (probs <= 1)) and not np.allclose(sums, 1.0, atol=1e-3):
        raise CheckFailed(f"{what}: each row should sum to 1, got sums like {sums[0]:.3f}: use a softmax "
                          "(not a sigmoid) on the last layer.")
    if np.any(probs < 0) or not np.allclose(sums, 1.0, atol=1e-3):
        raise CheckFailed(f"{what} looks like logits (values outside [0, 1]): give the last Dense layer "
                          "activation='softmax' so the model outputs class probabilities.")
    return probs


def check_build_cnn(build_cnn, seed: int = 0) -> None:
    """build_cnn(input_shape=(28, 28, 1), num_classes=10) returns an uncompiled Keras CNN: the right
    input and output shapes, softmax probabilities for any batch size, at least one Conv2D, and the
    same prediction twice at inference."""
    import keras  # noqa: PLC0415

    input_shape, num_classes = ((28, 28, 1), 10) if seed == 0 else ((32, 32, 3), 5)
    student = Student(build_cnn, "build_cnn")
    if seed == 0:
        model = student()
    else:
        model = student(input_shape=input_shape, num_classes=num_classes)
    expect(model is not None, "build_cnn returned None: did you forget the `return`?")
    expect(isinstance(model, keras.Model), f"build_cnn should return a keras.Model (e.g. keras.Sequential), "
                                           f"got {type(model).__name__}.")
    convs = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.Conv2D)]
    expect(bool(convs), "the model has no keras.layers.Conv2D layer: a CNN starts with convolutions.")
    try:
        model_input = tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):
        raise CheckFailed("the model has no input shape yet: start it with keras.Input(shape=input_shape).") from None
    expect(model_input[1:] == input_shape,
           f"the model's input shape is {model_input}, expected (None, {', '.join(map(str, input_shape))}): "
           f"use keras.Input(shape=input_shape).")
    expect(tuple(model.outputs[0].shape)[1:] == (num_classes,),
           f"the model's output shape is {tuple(model.outputs[0].shape)}, expected (None, {num_classes}): "
           "end with one unit per class.")
    expect(not getattr(model, "compiled", False) and getattr(model, "optimizer", None) is None,
           "build_cnn returns a compiled model: return it uncompiled, as the docstring says; the training "
           "cell compiles it with its own optimizer and loss.")
    rng = np.random.default_rng(seed)
    images = rng.random((6, *input_shape)).astype("float32")
    what = f"the model's output on 6 images of shape {input_shape}"
    first = _probabilities(student.run(model, images, training=False, name="model"), what, num_classes, 6)
    again = to_numpy(student.run(model, images, training=False, name="model"), what)
    expect(is_close(first, again, rtol=1e-4, atol=1e-5),
           "the model gives different outputs for the same images at inference (training=False): "
           "random layers must only act when training.")
    _probabilities(student.run(model, images[:1], training=False, name="model"),
                   f"the model's output on a batch of 1 image of shape {input_shape}", num_classes, 1)
    passed(f"build_cnn gives an uncompiled CNN from {input_shape} images to {num_classes} softmax probabilities "
           f"({model.count_params():,} parameters)")


def _all_layers(model) -> list:
    """Every layer of a model, looking inside nested models."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        if hasattr(layer, "layers"):
            found += _all_layers(layer)
    return found


def held_out_digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits check_cnn_model scores on: the bundled MNIST test split (1,000 digits, 100 per
    class, never trained on), preprocessed as the lab does it.

    Returns:
        x: float32 (1000, 28, 28, 1) images scaled to [0, 1].
        y: int (1000,) labels 0..9.
    """
    from course import data  # noqa: PLC0415

    _, (x_test, y_test) = data.load_mnist(source="bundled")
    return x_test.astype("float32")[..., np.newaxis] / 255.0, y_test.astype(int).reshape(-1)


def check_cnn_model(cnn_model, threshold: float = CNN_ACCURACY_TARGET) -> None:
    """The trained cnn_model reaches at least ``threshold`` accuracy on held-out digits.

    The check loads the held-out digits itself (:func:`held_out_digits`, the bundled MNIST
    test split) and takes nothing else from the notebook, so rebinding ``x_test`` or
    ``y_test`` there changes nothing. Runs inference only (no training), about a second.

    Args:
        cnn_model: the trained Keras model (None while build_cnn is not written).
        threshold: the accuracy the model must reach (the lab's target, 0.97).
    """
    import keras  # noqa: PLC0415

    require_defined(cnn_model, "build_cnn")
    expect(isinstance(cnn_model, keras.Model),
           f"cnn_model should be the trained keras.Model, got {type(cnn_model).__name__}.")
    expect(any(isinstance(layer, keras.layers.Conv2D) for layer in _all_layers(cnn_model)),
           "cnn_model has no keras.layers.Conv2D layer: it should be the CNN that build_cnn returns, trained "
           "by the training cell.")
    x_test, y_test = held_out_digits()
    output = attempt(cnn_model.predict, x_test, batch_size=256, verbose=0, name="cnn_model.predict")
    probs = _probabilities(output, "cnn_model's output", 10, len(x_test))
    predictions = probs.argmax(axis=1)
    accuracy = float(np.mean(predictions == y_test))
    if accuracy < 0.2:
        raise CheckFailed(f"cnn_model's held-out accuracy is {accuracy:.3f}, about chance: run the training "
                          "cell after build_cnn, and train on images scaled to [0, 1] like x_train "
                          "(the check feeds float32 digits in [0, 1] of shape (n, 28, 28, 1)).")
    if accuracy < threshold:
        per_digit = [float(np.mean(predictions[y_test == d] == d)) for d in range(10) if np.any(y_test == d)]
        worst = int(np.argmin(per_digit))
        raise CheckFailed(f"cnn_model's held-out accuracy is {accuracy:.3f}, below the required "
                          f"{threshold:.2f} (weakest digit: {worst}, {per_digit[worst]:.2f}): train more "
                          "epochs, or add batch normalization or data augmentation.")
    passed(f"cnn_model reaches held-out accuracy {accuracy:.4f} on the {len(x_test):,} bundled held-out "
           f"digits (at least {threshold:.2f} required)")
