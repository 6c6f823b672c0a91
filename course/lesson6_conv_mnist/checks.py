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
from collections.abc import Callable
from typing import Any

import numpy as np

from grader._tensorflow import quiet_keras
from grader.check import check
from grader.data.mnist import grading_split
from grader.expect import describe, expect_array, expect_close, fail, measure
from grader.keras_models import ModelRejected, held_out_accuracy, rebuild_model
from grader.learner.wire import Array, Opaque
from grader.pytest_plugin import seed_for

PROBES = "lesson6_conv_mnist"

# The training budget: the grader calls model.fit itself on the 8,000 grading images (reshaped
# to 28×28×1) with these epochs and batch size, once per grading, with this seed. See
# notes.md.
EPOCHS = 2
BATCH_SIZE = 50
# Calibrated with benchmarks/calibrate_lesson6.py (table in notes.md): over 20 seeds the
# reference reaches 0.9625 to 0.9745 (0.9670 at the grader's seed), the 2016 network with
# Adam(1e-4) 0.9535 to 0.9600; a linear model at most 0.9090, SGD(0.01) at most 0.9025, one
# convolution layer at most 0.9465.
ACCURACY_THRESHOLD = 0.95
TRAIN_TIMEOUT_S = 150
# "It trains": the mean cross-entropy on these training images must fall to this fraction of
# the untrained model's.
LOSS_IMAGES = 1000
LOSS_RATIO = 0.5


def prepare() -> None:
    """Load the grading split before any check runs: missing MNIST stops grading with its fix.
    Then import Keras, which rebuilds the learner's model here: it starts in this process while
    the learner's process is still starting, not after the first model comes back."""
    grading_split()
    quiet_keras()


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
    grades="conv2d",
)
def test_conv2d_shapes(learner, rng, seed):
    _conv2d(learner, rng, seed)


@check(
    "conv2d(x, W, b) is ReLU(conv(x, W) + b)",
    points=3,
    hint="Return tf.nn.relu(tf.nn.conv2d(x, W, strides=1, padding=\"SAME\") + b): the bias "
    "(one per filter, tf.nn.bias_add or +) goes in before the ReLU, and the ReLU is part of "
    "the layer.",
    grades="conv2d",
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
    grades="max_pool_2x2",
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
    grades="max_pool_2x2",
)
def test_max_pool_odd_sizes(learner, rng, seed):
    inputs = [rng.normal(0.0, 1.0, (1, 7, 5, 2)).astype(np.float32),
              -rng.uniform(0.1, 1.0, (3, 9, 3, 1)).astype(np.float32)]
    _max_pool(learner, seed, inputs, odd=True)


# -- build_convnet -----------------------------------------------------------------------------

INPUT_SHAPE = (28, 28, 1)
PASS_THROUGH = ("InputLayer", "Dropout", "Flatten", "Reshape", "MaxPooling2D",
                "AveragePooling2D", "GlobalAveragePooling2D")


def _once(learner, key: str, run: Callable[[], Any]) -> Any:
    """``run()`` once per grading for the checks that share it (its failure too): see
    ``LearnerSession.shared``."""
    return learner.shared(key, run)


def _rebuild(description: Any, call: str) -> Any:
    """The learner's model, rebuilt here from its description (allow-list of layers)."""
    if type(description) is not dict:
        fail(f"{call} should return a compiled keras.Model, got {describe(description)}")
    if description.get("class") not in ("Sequential", "Functional") and not str(
            description.get("module", "")).startswith("keras."):
        fail(f"{call} should return a compiled keras.Model (keras.Sequential or "
             f"keras.Model(inputs, outputs)), got a {str(description.get('class'))[:80]}")
    try:
        return rebuild_model(description)
    except ModelRejected as rejected:
        fail(f"{call}: {rejected}")


def _conv_layers(model: Any) -> list[Any]:
    return [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]


def _output_kind(model: Any) -> tuple[str, str]:
    """("logits" | "probabilities" | "other", what the last layer that computes does)."""
    for layer in reversed(model.layers):
        kind = type(layer).__name__
        if kind in PASS_THROUGH:
            continue
        if kind == "Softmax":
            return "probabilities", "a Softmax layer"
        if kind == "ReLU":
            return "other", "a ReLU layer"
        activation = layer.get_config().get("activation", "linear")
        if kind not in ("Dense", "Conv2D", "Activation"):
            return "logits", f"a {kind} layer"
        where = f"the output layer ({kind})" if kind != "Activation" else "an Activation layer"
        if activation == "softmax":
            return "probabilities", f"{where} with softmax"
        if activation == "linear":
            return "logits", f"{where} without activation"
        return "other", f"{where} with {activation}"
    return "other", "no layer"


def _loss_kind(loss: Any) -> tuple[str, bool | None]:
    """("sparse" | "one-hot" | "other" | "none", from_logits) of the compiled loss."""
    if type(loss) is not dict:
        return "none", None
    name = str(loss.get("name", ""))
    simple = name.lower().replace("_", "")
    from_logits = loss.get("from_logits")
    if loss.get("kind") in ("name", "function"):
        from_logits = False  # keras' loss functions and names default to probabilities
    if simple in ("sparsecategoricalcrossentropy", "sparsecategoricalcrossentropyloss"):
        return "sparse", from_logits if type(from_logits) is bool else False
    if simple in ("categoricalcrossentropy", "categoricalcrossentropyloss"):
        return "one-hot", from_logits
    return "other", from_logits


def _loss_name(loss: Any) -> str:
    return str(loss.get("name", "?"))[:80] if type(loss) is dict else "no loss"


def _build_convnets(learner) -> list[tuple[int, Any, Any]]:
    """(num_classes, description, model rebuilt here) of build_convnet(10) and (7): built and
    rebuilt once per grading for the three checks that read them."""
    def run() -> list[tuple[int, Any, Any]]:
        counts = [10, 7]
        descriptions = learner.run(
            f"{PROBES}:build_convnet", label="build_convnet(num_classes)",
            seed=seed_for(f"{PROBES}::build_convnet"), class_counts=counts)
        return [(count, description, _rebuild(description, f"build_convnet({count})"))
                for count, description in zip(counts, descriptions, strict=True)]

    return _once(learner, "build_convnet", run)


@check(
    "build_convnet(num_classes) is a compiled Keras model from 28×28×1 images to num_classes "
    "outputs",
    points=2,
    hint="Start with keras.Input(shape=(28, 28, 1)) (the grader feeds images of that shape), "
    "end with keras.layers.Dense(num_classes) using the argument, and call model.compile("
    "optimizer=..., loss=...) before returning the model. Use standard Keras layers "
    "(Conv2D, MaxPooling2D, Flatten, Dense, Dropout, ...): the grader rebuilds your model "
    "from its configuration.",
    grades="build_convnet",
)
def test_convnet_shapes(learner):
    for count, description, model in _build_convnets(learner):
        call = f"build_convnet({count})"
        got_input = tuple(model.input_shape[1:])
        if got_input != INPUT_SHAPE:
            extra = " (flattened images)" if got_input == (784,) else ""
            fail(f"{call}: the model takes inputs of shape {got_input}{extra}; it should take "
                 "28×28×1 images: keras.Input(shape=(28, 28, 1)). Convolutions need the "
                 "picture's height, width and channels")
        got_output = tuple(model.output_shape[1:])
        if got_output != (count,):
            fail(f"{call}: the model's output has shape {got_output}; it should give "
                 f"{count} numbers per image, one per class: end with "
                 "keras.layers.Dense(num_classes), using the argument")
        if not description.get("compiled") or description.get("loss") is None:
            fail(f"{call} returned a model that is not compiled: call model.compile(optimizer="
                 "keras.optimizers.Adam(1e-3), loss=...) before returning it")


def _conv_without_activation(model: Any) -> Any:
    """The first Conv2D layer with no non-linearity of its own or right after it, or None."""
    layers = model.layers
    for index, layer in enumerate(layers):
        if type(layer).__name__ != "Conv2D" or layer.get_config().get("activation") != "linear":
            continue
        following = next((n for n in layers[index + 1:]
                          if type(n).__name__ not in ("BatchNormalization", "Dropout")), None)
        if following is None or type(following).__name__ not in ("ReLU", "Activation") or (
                type(following).__name__ == "Activation"
                and following.get_config().get("activation") == "linear"):
            return layer
    return None


@check(
    "build_convnet has at least two convolution layers, each with its ReLU",
    points=2,
    hint="Two stages of keras.layers.Conv2D(filters, 5, padding=\"same\", activation="
    "\"relu\") each followed by keras.layers.MaxPooling2D(2, padding=\"same\"), as the 2016 "
    "network had, before Flatten and the Dense output layer. A Conv2D without activation needs "
    "a keras.layers.ReLU() (or Activation) right after it.",
    grades="build_convnet",
)
def test_convnet_convolutions(learner):
    count, _, model = _build_convnets(learner)[0]
    convolutions = _conv_layers(model)
    if len(convolutions) < 2:
        kinds = ", ".join(type(layer).__name__ for layer in model.layers[1:]) or "none"
        fail(f"build_convnet({count}) has {len(convolutions)} convolution layer"
             f"{'s' if len(convolutions) != 1 else ''} (Conv2D); at least two are needed. "
             f"Its layers: {kinds}")
    bare = _conv_without_activation(model)
    if bare is not None:
        fail(f"build_convnet({count}): convolution layer '{bare.name}' has no activation: a "
             "convolution layer is ReLU(conv(x, W) + b), like your conv2d. Pass "
             "activation=\"relu\" (or put a keras.layers.ReLU() right after it)")


@check(
    "build_convnet's loss fits its output: logits with from_logits=True, or softmax "
    "probabilities",
    points=2,
    hint="The labels are class ids, so the loss is keras.losses.SparseCategoricalCrossentropy. "
    "If the last layer is Dense(num_classes) without activation (logits), pass "
    "from_logits=True; if it has activation=\"softmax\", leave from_logits=False. Not both "
    "softmax and from_logits=True (softmax twice).",
    grades="build_convnet",
)
def test_convnet_loss(learner):
    count, description, model = _build_convnets(learner)[0]
    call = f"build_convnet({count})"
    loss = description.get("loss")
    kind, from_logits = _loss_kind(loss)
    output, what = _output_kind(model)
    if kind == "none":
        fail(f"{call} returned a model without a loss: compile it with loss=keras.losses."
             "SparseCategoricalCrossentropy(from_logits=True)")
    if kind == "one-hot":
        fail(f"{call} is compiled with {_loss_name(loss)}, which expects one-hot labels; the "
             "labels are class ids (0..9): use SparseCategoricalCrossentropy")
    if kind == "other":
        fail(f"{call} is compiled with the loss {_loss_name(loss)}: a classifier of class ids "
             "learns from keras.losses.SparseCategoricalCrossentropy (cross-entropy)")
    if output == "other":
        fail(f"{call}: the model ends with {what}: the output layer should give logits (no "
             "activation) or probabilities (softmax); other activations distort the scores "
             "the loss compares")
    if output == "probabilities" and from_logits:
        fail(f"{call}: the model ends with {what}, but the loss has from_logits=True: your "
             "outputs go through softmax twice. Drop the softmax (logits) or set "
             "from_logits=False")
    if output == "logits" and not from_logits:
        fail(f"{call}: the model ends with {what} (logits), but the loss has "
             "from_logits=False and takes them for probabilities: pass from_logits=True")


# -- training (once per grading, shared by the two checks below) -------------------------------


def _trained(learner) -> tuple[Any, Any, dict[str, Any]]:
    """(untrained model, trained model, the trained model's description); the models are
    rebuilt here. Trains and rebuilds once per grading."""
    def run() -> tuple[Any, Any, dict[str, Any]]:
        split = grading_split()
        answer = learner.run(
            f"{PROBES}:train_convnet", label=f"model.fit(..., epochs={EPOCHS}, "
            f"batch_size={BATCH_SIZE})", seed=seed_for("lesson6_conv_mnist::training"),
            timeout=TRAIN_TIMEOUT_S,
            images=split.train_images, labels=split.train_labels, epochs=EPOCHS,
            batch_size=BATCH_SIZE)
        if type(answer) is not dict or isinstance(answer, Opaque):
            fail("the grader could not read the trained model")
        before = _rebuild(answer.get("before"), "build_convnet(10)")
        after = _rebuild(answer.get("after"), "the model after model.fit")
        return before, after, answer["after"]

    return _once(learner, "training", run)


def _cross_entropy(model: Any, output: str, images: np.ndarray, labels: np.ndarray) -> float:
    scores = np.asarray(model(images.reshape(-1, *INPUT_SHAPE), training=False), np.float64)
    if output == "probabilities":
        return float(-np.log(np.clip(scores[np.arange(len(labels)), labels], 1e-7, 1.0)).mean())
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def _finite(model: Any) -> bool:
    return all(np.all(np.isfinite(w)) for w in model.get_weights())


@check(
    "the convnet learns: model.fit lowers its loss on the training images",
    points=2,
    hint=f"The grader trains your model with model.fit(images of shape (8000, 28, 28, 1), "
    f"labels, epochs={EPOCHS}, batch_size={BATCH_SIZE}). Compile it with an optimizer that "
    "moves (keras.optimizers.Adam(1e-3)), keep the layers trainable, and keep the model small "
    "enough to train in well under a minute (16 and 32 filters of 5×5 take seconds).",
    grades="build_convnet",
)
def test_convnet_trains(learner):
    before, after, _ = _trained(learner)
    if not _finite(after):
        fail("after model.fit the model's weights hold NaN or infinity: training diverged "
             "(is the learning rate small, like Adam's 1e-3?)")
    if all(np.array_equal(a, b) for a, b in zip(before.get_weights(), after.get_weights(),
                                                strict=True)):
        fail("model.fit did not change any weight: is the learning rate 0, or are the "
             "layers frozen (trainable=False)?")
    split = grading_split()
    images, labels = split.train_images[:LOSS_IMAGES], split.train_labels[:LOSS_IMAGES]
    output = _output_kind(after)[0]
    start = _cross_entropy(before, output, images, labels)
    end = _cross_entropy(after, output, images, labels)
    if not end <= LOSS_RATIO * start:
        fail(f"after model.fit (epochs={EPOCHS}, batch_size={BATCH_SIZE}) the cross-entropy on "
             f"{LOSS_IMAGES} training images went from {start:.3f} to {end:.3f}; it should at "
             f"least halve. Check the optimizer and its learning rate, and the loss")


def _why_inaccurate(description: Any) -> str:
    """Likely reasons, from the compiled optimizer, why a trained convnet is not accurate."""
    optimizer = description.get("optimizer") if type(description) is dict else None
    if type(optimizer) is not dict:
        return ""
    name, rate = str(optimizer.get("class", ""))[:40], optimizer.get("learning_rate")
    if type(rate) is float and name == "SGD" and rate < 0.05:
        return (f" Your optimizer is SGD with learning rate {rate:g}: in {EPOCHS} epochs it "
                "barely moves; use keras.optimizers.Adam(1e-3).")
    if type(rate) is float and rate < 2e-4:
        return (f" Your optimizer's learning rate is {rate:g} (2016 used Adam(1e-4) for 20,000 "
                f"steps; the grader trains {EPOCHS} epochs): use keras.optimizers.Adam(1e-3).")
    return ""


@check(
    f"the trained convnet classifies held-out MNIST digits (accuracy ≥ {ACCURACY_THRESHOLD:.0%})",
    points=4,
    hint=f"The grader trains your model for {EPOCHS} epochs with batch_size={BATCH_SIZE} on "
    "8,000 images, then measures it on 2,000 others. Two Conv2D + ReLU + MaxPooling2D stages "
    "with a linear Dense output and Adam(1e-3) reach about 97 %, a linear model about 90 %. "
    "Use Adam(1e-3): plain SGD with a small learning rate, or 2016's Adam(1e-4), learns too "
    "little in this budget.",
    grades="build_convnet",
)
def test_convnet_heldout_accuracy(learner):
    _, model, after = _trained(learner)
    if not _finite(model):
        fail("after model.fit the model's weights hold NaN or infinity: training diverged")
    split = grading_split()
    if tuple(model.output_shape[1:]) != (10,):
        fail(f"the model build_convnet(10) returned gives outputs of shape "
             f"{tuple(model.output_shape[1:])}, not 10 class scores")
    accuracy = held_out_accuracy(model, split.test_images.reshape(-1, *INPUT_SHAPE),
                                 split.test_labels)
    correct = round(accuracy * len(split.test_labels))
    if not measure("held-out accuracy", accuracy, ACCURACY_THRESHOLD, at_least=True):
        fail(f"after training, your convnet classifies {correct} of {len(split.test_labels)} "
             f"held-out images correctly ({accuracy:.1%}); at least {ACCURACY_THRESHOLD:.0%} "
             f"is needed (the reference reaches about 97 %).{_why_inaccurate(after)}")
