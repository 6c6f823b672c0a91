"""Convolutional MNIST: convolution, pooling and a Keras convnet.

Checks for ``exercises/lesson6_conv_mnist.py``: ``conv2d``, ``max_pool_2x2`` and
``build_convnet``. Every expected value is computed here, in float64 numpy, from inputs chosen
here. The grader trains the learner's compiled model itself (``model.fit`` in the learner's
process, with the budget below); the model comes back as its configuration and weights, is
rebuilt here from an allow-list of standard layers, and is evaluated here: the held-out labels
never leave this process.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.check import check
from grader.data.mnist import grading_split
from grader.expect import expect_array, expect_close, fail
from grader.learner.wire import Array

PROBES = "lesson6_conv_mnist"


def prepare() -> None:
    """Load the grading split before any check runs: missing MNIST stops grading with its fix."""
    grading_split()


# -- numpy references (float64) ----------------------------------------------------------------

def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow's SAME rule: (output size, padding before, padding after)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def _convolve(x: np.ndarray, W: np.ndarray, *, stride: int = 1,
              padding: str = "SAME") -> np.ndarray:
    """Cross-correlation of NHWC images with HWIO filters, as tf.nn.conv2d computes it."""
    x, W = np.asarray(x, np.float64), np.asarray(W, np.float64)
    _, height, width, _ = x.shape
    kh, kw = W.shape[:2]
    if padding == "SAME":
        out_h, top, bottom = _same_padding(height, kh, stride)
        out_w, left, right = _same_padding(width, kw, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    else:
        out_h, out_w = (height - kh) // stride + 1, (width - kw) // stride + 1
    out = np.zeros((x.shape[0], out_h, out_w, W.shape[3]))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i: i + stride * (out_h - 1) + 1: stride,
                      j: j + stride * (out_w - 1) + 1: stride, :]
            out += patch @ W[i, j]
    return out


def _conv_layer(x: np.ndarray, W: np.ndarray, b: np.ndarray, **options: Any) -> np.ndarray:
    return np.maximum(_convolve(x, W, **options) + np.asarray(b, np.float64), 0.0)


def _pool(x: np.ndarray, *, kind: str = "max", stride: int = 2, padding: str = "SAME",
          pad_value: float | None = None) -> np.ndarray:
    """2×2 pooling of NHWC images. SAME padding adds cells that do not count (TensorFlow's
    rule); ``pad_value`` makes them count as that value instead (a hand-made tf.pad)."""
    x = np.asarray(x, np.float64)
    height, width = x.shape[1:3]
    if padding == "SAME":
        out_h, top, bottom = _same_padding(height, 2, stride)
        out_w, left, right = _same_padding(width, 2, stride)
        fill = np.nan if pad_value is None else pad_value
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    else:
        out_h, out_w = (height - 2) // stride + 1, (width - 2) // stride + 1
    windows = np.stack([
        x[:, i: i + stride * (out_h - 1) + 1: stride, j: j + stride * (out_w - 1) + 1: stride, :]
        for i in (0, 1) for j in (0, 1)
    ])
    return np.nanmax(windows, axis=0) if kind == "max" else np.nanmean(windows, axis=0)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


# -- conv2d -------------------------------------------------------------------------------------

# (x shape NHWC, W shape HWIO): odd and even sizes, one and several channels, a non-square
# kernel, several images.
CONV_CASES = [((2, 9, 7, 3), (5, 5, 3, 4)), ((1, 6, 8, 1), (3, 3, 1, 2)),
              ((3, 5, 6, 2), (3, 5, 2, 3))]


def _conv_cases(rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    return [{
        "x": rng.normal(0.0, 1.0, x_shape).astype(np.float32),
        "W": rng.normal(0.0, 0.4, w_shape).astype(np.float32),
        "b": rng.normal(0.0, 0.5, w_shape[3]).astype(np.float32),
    } for x_shape, w_shape in CONV_CASES]


def _conv_call(case: dict[str, np.ndarray]) -> str:
    return (f"conv2d(x, W, b) with x of shape {_shape_text(case['x'].shape)} and W of shape "
            f"{_shape_text(case['W'].shape)}")


def _conv2d(learner, rng, seed) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
    """The learner's conv2d on the cases, shapes checked; pairs (case, output)."""
    cases = _conv_cases(rng)
    answers = learner.run(f"{PROBES}:conv2d", label="conv2d(x, W, b)", seed=seed, cases=cases)
    checked = []
    for case, value in zip(cases, answers, strict=True):
        x, W = case["x"], case["W"]
        call = _conv_call(case)
        n, height, width, _ = x.shape
        kh, kw, _, filters = W.shape
        expected = (n, height, width, filters)
        if isinstance(value, Array) and value.shape != expected:
            got = value.shape
            if got == (n, height - kh + 1, width - kw + 1, filters):
                fail(f"{call}: expected shape {_shape_text(expected)}, got {_shape_text(got)}: "
                     "that is padding VALID, which drops the border where the filter does not "
                     "fit. Use padding=\"SAME\": it pads with zeros so the output keeps the "
                     "image's height and width")
            if got[1:3] == (math.ceil(height / 2), math.ceil(width / 2)) or got[1:3] == (
                    (height - kh) // 2 + 1, (width - kw) // 2 + 1):
                fail(f"{call}: expected shape {_shape_text(expected)}, got {_shape_text(got)}: "
                     "the filter moved 2 pixels at a time. Use strides=1 (2016: [1, 1, 1, 1]); "
                     "halving the size is max_pool_2x2's job")
            if len(got) == 4 and got[3] != filters:
                fail(f"{call}: expected shape {_shape_text(expected)}, got {_shape_text(got)}: "
                     f"there should be one output channel per filter, W.shape[3] = {filters}")
        checked.append((case, expect_array(value, label=call, shape=expected,
                                           dtype="float32")))
    return checked


@check(
    "conv2d keeps the image size (stride 1, SAME padding) with one channel per filter",
    points=2,
    hint="tf.nn.conv2d(x, W, strides=1, padding=\"SAME\") on x of shape (N, H, W, C_in) with "
    "W of shape (kh, kw, C_in, C_out) gives (N, H, W, C_out) float32: stride 1 moves the filter "
    "one pixel at a time, SAME pads the border so that no row or column is lost.",
)
def test_conv2d_shapes(learner, rng, seed):
    _conv2d(learner, rng, seed)


@check(
    "conv2d(x, W, b) is ReLU(conv(x, W) + b)",
    points=3,
    hint="Return tf.nn.relu(tf.nn.conv2d(x, W, strides=1, padding=\"SAME\") + b): the bias "
    "(one per filter, tf.nn.bias_add or +) goes in before the ReLU, and the ReLU is part of "
    "the layer.",
)
def test_conv2d_values(learner, rng, seed):
    for case, got in _conv2d(learner, rng, seed):
        x, W, b = case["x"], case["W"], case["b"]
        call = _conv_call(case)
        z = _convolve(x, W)
        expected = np.maximum(z + b, 0.0)
        if np.allclose(got, expected, rtol=1e-4, atol=1e-4):
            continue
        mistakes = [
            (z + b, "no ReLU was applied: the layer is ReLU(conv(x, W) + b); wrap the sum in "
                    "tf.nn.relu (negative responses become 0)"),
            (np.maximum(z, 0.0), "the bias b is missing: add it (tf.nn.bias_add(z, b) or "
                                 "z + b) before the ReLU"),
            (z, "both the bias and the ReLU are missing: return tf.nn.relu(conv + b)"),
            (np.maximum(z, 0.0) + b, "the bias was added after the ReLU: add b first, then "
                                     "apply tf.nn.relu to the sum"),
            (np.maximum(_convolve(x, W[::-1, ::-1]) + b, 0.0),
             "the filters were flipped: tf.nn.conv2d (like every deep-learning \"convolution\") "
             "slides W over the image as it is, without flipping it"),
        ]
        for candidate, why in mistakes:
            if np.allclose(got, candidate, rtol=1e-4, atol=1e-4):
                fail(f"{call} is wrong: {why}")
        expect_close(got, expected, label=call, rtol=1e-4, atol=1e-4)


# -- max_pool_2x2 ------------------------------------------------------------------------------

def _max_pool(learner, seed, inputs: list[np.ndarray], *, odd: bool) -> None:
    answers = learner.run(f"{PROBES}:max_pool_2x2", label="max_pool_2x2(x)", seed=seed,
                          inputs=inputs)
    for x, value in zip(inputs, answers, strict=True):
        n, height, width, channels = x.shape
        call = f"max_pool_2x2(x) with x of shape {_shape_text(x.shape)}"
        expected_shape = (n, math.ceil(height / 2), math.ceil(width / 2), channels)
        if isinstance(value, Array) and value.shape != expected_shape:
            got = value.shape
            if odd and got == (n, height // 2, width // 2, channels):
                fail(f"{call}: expected shape {_shape_text(expected_shape)}, got "
                     f"{_shape_text(got)}: padding VALID drops the last row and column of an "
                     "odd-sized image. Use padding=\"SAME\" as in 2016 (keras.layers."
                     "MaxPooling2D defaults to \"valid\": pass padding=\"same\")")
            if got in ((n, height - 1, width - 1, channels), x.shape):
                fail(f"{call}: expected shape {_shape_text(expected_shape)}, got "
                     f"{_shape_text(got)}: the 2×2 window moved 1 pixel at a time; use "
                     "strides=2 so that the output has half the height and width")
            if len(got) == 4 and (got[0] != n or got[3] != channels):
                fail(f"{call}: expected shape {_shape_text(expected_shape)}, got "
                     f"{_shape_text(got)}: pool over height and width only (NHWC: ksize=2 "
                     "and strides=2 with tf.nn.max_pool2d, or [1, 2, 2, 1] with "
                     "tf.nn.max_pool)")
        got = expect_array(value, label=call, shape=expected_shape, dtype="float32")
        expected = _pool(x)
        if np.allclose(got, expected, rtol=1e-6, atol=1e-6):
            continue
        if np.allclose(got, _pool(x, kind="avg"), rtol=1e-5, atol=1e-5):
            fail(f"{call} is wrong: it averages each 2×2 block; max pooling keeps the largest "
                 "value (tf.nn.max_pool2d, not avg_pool2d)")
        if odd and np.allclose(got, _pool(x, pad_value=0.0), rtol=1e-6, atol=1e-6):
            fail(f"{call} is wrong on the last row or column: the padding counted as zeros, "
                 "so a block of negative values came out as 0. With padding=\"SAME\" "
                 "tf.nn.max_pool2d ignores the padding; do not pad with tf.pad yourself")
        expect_close(got, expected, label=call, rtol=1e-6, atol=1e-6)


@check(
    "max_pool_2x2 keeps the largest value of every 2×2 block",
    points=2,
    hint="tf.nn.max_pool2d(x, ksize=2, strides=2, padding=\"SAME\") on NHWC images: a 2×2 "
    "window that jumps 2 pixels, so (N, 8, 6, C) becomes (N, 4, 3, C), each output the "
    "maximum (not the mean) of its block, channel by channel.",
)
def test_max_pool_values(learner, rng, seed):
    inputs = [rng.normal(0.0, 1.0, shape).astype(np.float32)
              for shape in ((2, 8, 6, 3), (1, 4, 4, 1))]
    _max_pool(learner, seed, inputs, odd=False)


@check(
    "max_pool_2x2 keeps the last row and column of odd-sized images (SAME padding)",
    points=1,
    hint="With padding=\"SAME\" (as in 2016) a 7×5 image pools to 4×3: the last row and "
    "column form blocks of their own. padding=\"VALID\" (keras.layers.MaxPooling2D's default) "
    "drops them and gives 3×2.",
)
def test_max_pool_odd_sizes(learner, rng, seed):
    inputs = [rng.normal(0.0, 1.0, (1, 7, 5, 2)).astype(np.float32),
              -rng.uniform(0.1, 1.0, (3, 9, 3, 1)).astype(np.float32)]
    _max_pool(learner, seed, inputs, odd=True)
