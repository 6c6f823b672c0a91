"""Softmax regression on MNIST.

Checks for ``exercises/lesson3_softmax_mnist.py``: ``logits``, ``cross_entropy``, ``accuracy`` and
``train_softmax``. Every expected value is computed here, in float64 numpy, from inputs chosen
here. The held-out accuracy is computed here from the (W, b) the learner returns: the held-out
images' labels never enter the learner's process.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.check import check
from grader.data.mnist import grading_split
from grader.expect import describe, expect_array, expect_close, expect_number, fail, measure
from grader.learner.wire import Array

PROBES = "lesson3_softmax_mnist"
PIXELS, CLASSES = 784, 10

#: The training budget of the held-out check: 2016's step size 0.5, with batches of 500 instead
#: of 100 and 200 steps instead of 1000 (12.5 passes over the 8,000 training images). Larger
#: batches make the result depend less on the shuffle, so the reference's accuracy varies
#: little and the threshold can sit above the usual mistakes.
TRAIN_STEPS = 200
TRAIN_BATCH_SIZE = 500
TRAIN_LEARNING_RATE = 0.5
TRAIN_TIMEOUT_S = 120
#: Calibrated with benchmarks/calibrate_lesson3.py; the table is in notes.md.
HELD_OUT_THRESHOLD = 0.91
REFERENCE_ACCURACY = "about 93 %"

FD_STEP = 1e-2  # for central differences of the float32 loss
STEP_RATE = 0.25  # the learning rate of the one-step check: neither 0.5 nor 1
FLOAT_DTYPES = ("float16", "float32", "float64")
PARAMETER_KINDS = ("tf.Variable", "tf.Tensor", "ndarray")


def prepare() -> None:
    """Load the grading split before any check runs: missing MNIST stops grading with its fix."""
    grading_split()


# -- references, in float64 ---------------------------------------------------------------------


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z))


def _per_image_loss(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return -_log_softmax(z)[np.arange(len(labels)), labels]


def _cross_entropy(z: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(_per_image_loss(z, labels)))


def _logits(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)


def _gradient(x: np.ndarray, labels: np.ndarray, W: np.ndarray,
              b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the mean cross-entropy by W and by b (analytic: x^T (p - y) / n)."""
    error = _softmax(_logits(x, W, b))
    error[np.arange(len(labels)), labels] -= 1.0
    return x.astype(np.float64).T @ error / len(labels), error.mean(axis=0)


def _gradient_softmax_twice(x: np.ndarray, labels: np.ndarray, W: np.ndarray,
                            b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the mistake cross_entropy(softmax(x·W + b)), by the chain rule."""
    p = _softmax(_logits(x, W, b))
    outer = _softmax(p)
    outer[np.arange(len(labels)), labels] -= 1.0
    # Back through the inner softmax: its Jacobian is diag(p) - p pᵀ.
    error = p * (outer - (p * outer).sum(axis=1, keepdims=True))
    return x.astype(np.float64).T @ error / len(labels), error.mean(axis=0)


def _known_losses(z: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """What typical mistakes return for cross_entropy(z, labels), with the fix for each."""
    n = len(labels)
    per_image = _per_image_loss(z, labels)
    picked = z.astype(np.float64)[np.arange(n), labels]
    # Keras' loss with from_logits=False clips its input to [1e-7, 1 - 1e-7] and takes the log.
    as_probabilities = np.log(np.clip(z.astype(np.float64), 1e-7, 1 - 1e-7))
    return {
        "your logits went through softmax twice? cross_entropy receives raw logits, and "
        "tf.nn.sparse_softmax_cross_entropy_with_logits applies softmax itself":
            _cross_entropy(_softmax(z), labels),
        "that is the sum over the images; return their mean (tf.reduce_mean)":
            float(per_image.sum()),
        "that is the mean over all n×10 entries of -y·log(p), 10 times too small: sum over "
        "the classes, then take the mean over the images": float(per_image.mean() / CLASSES),
        "the sign is wrong: the cross-entropy is -log(probability of the label), a positive "
        "number": -float(per_image.mean()),
        "softmax is missing: the loss is -log(softmax(logits)[label]), not -logits[label]":
            -float(picked.mean()),
        "the logits were taken for probabilities: with Keras' losses pass from_logits=True":
            _cross_entropy(as_probabilities, labels),
    }


# -- helpers ------------------------------------------------------------------------------------


def _images(rng: np.random.Generator, n: int) -> np.ndarray:
    """MNIST-like images: mostly 0, some pixels in (0, 1], float32, flattened."""
    ink = rng.random((n, PIXELS)) < 0.2
    return np.where(ink, rng.random((n, PIXELS)), 0.0).astype(np.float32)


def _labels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, CLASSES, n).astype(np.int64)


def _parameters(rng: np.random.Generator, scale: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    return (rng.normal(0, scale, (PIXELS, CLASSES)).astype(np.float32),
            rng.normal(0, 0.5, CLASSES).astype(np.float32))


def _loss_value(value: Any, n: int, label: str) -> float:
    """A returned loss as a float, after the shape messages learners need."""
    if isinstance(value, Array) and value.shape == (n,):
        fail(f"{label} returned one loss per image (shape ({n},)); return their mean, a scalar: "
             "tf.reduce_mean")
    array = expect_array(value, label=label, shape=(), dtype="float32")
    return float(array)


def _judge_loss(got: float, z: np.ndarray, labels: np.ndarray, label: str) -> None:
    expected = _cross_entropy(z, labels)
    if np.isclose(got, expected, rtol=1e-5, atol=1e-5):
        return
    if not np.isfinite(got):
        fail(f"{label} returned {got}: softmax or log overflowed. Compute it with "
             "tf.nn.sparse_softmax_cross_entropy_with_logits, which is numerically stable")
    for message, value in _known_losses(z, labels).items():
        if np.isfinite(value) and np.isclose(got, value, rtol=1e-4, atol=1e-5):
            fail(f"{label} returned {got:.6g} instead of {expected:.6g}: {message}")
    if got < 0.5 * expected and expected > 100:
        fail(f"{label} returned {got:.6g} instead of {expected:.6g}: the loss is capped (a clip "
             "or an epsilon inside log?); compute it with "
             "tf.nn.sparse_softmax_cross_entropy_with_logits")
    expect_close(np.array(got), np.array(expected), label=label, rtol=1e-5, atol=1e-5)


def _parameters_of(value: Any, what: str, dtypes: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    if type(value) not in (tuple, list) or len(value) != 2:
        fail(f"{what} should return the pair (W, b), got {describe(value)}")
    W = expect_array(value[0], label=f"the W that {what} returned", kinds=PARAMETER_KINDS,
                     shape=(PIXELS, CLASSES), dtype=dtypes)
    b = expect_array(value[1], label=f"the b that {what} returned", kinds=PARAMETER_KINDS,
                     shape=(CLASSES,), dtype=dtypes)
    return W, b


def _train(learner, seed: int, images: np.ndarray, labels: np.ndarray, steps: int,
           batch_size: int, learning_rate: float,
           dtypes: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    value = learner.run(
        f"{PROBES}:train_softmax", label="train_softmax(images, labels, ...)", seed=seed,
        timeout=TRAIN_TIMEOUT_S, images=images, labels=labels, steps=steps,
        batch_size=batch_size, learning_rate=learning_rate,
    )
    what = f"train_softmax(images, labels, {steps}, {batch_size}, {learning_rate})"
    return _parameters_of(value, what, dtypes)


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    return bool(np.allclose(got, expected, rtol=1e-4, atol=1e-4))


# -- logits -------------------------------------------------------------------------------------


@check(
    "logits(x, W, b) has one row of 10 scores per image",
    points=1,
    hint="x is (n, 784) and W is (784, 10): tf.matmul(x, W) + b is (n, 10). tf.matmul(W, x) or "
    "x * W have the wrong shapes.",
    grades="logits",
)
def test_logits_shape(learner, rng, seed):
    W, b = _parameters(rng)
    for n in (1, 5):
        value = learner.run(f"{PROBES}:logits", label="logits(x, W, b)", seed=seed,
                            x=_images(rng, n), W=W, b=b, as_variables=True)
        expect_array(value, label=f"logits(x, W, b) with x of shape ({n}, 784)",
                     shape=(n, CLASSES), dtype="float32")


@check(
    "logits(x, W, b) computes x·W + b",
    points=2,
    hint="Return tf.matmul(x, W) + b: raw scores, with the bias, and no softmax (the loss "
    "applies softmax itself).",
    grades="logits",
)
def test_logits_values(learner, rng, seed):
    x = _images(rng, 6)
    W, b = _parameters(rng, scale=0.1)
    value = learner.run(f"{PROBES}:logits", label="logits(x, W, b)", seed=seed,
                        x=x, W=W, b=b, as_variables=False)
    label = "logits(x, W, b) with x of shape (6, 784)"
    got = expect_array(value, label=label, shape=(6, CLASSES), dtype="float32")
    expected = _logits(x, W, b)
    if not _close(got, expected):
        if _close(got, _softmax(expected)):
            fail(f"{label} returned probabilities (each row sums to 1): leave out the softmax; "
                 "logits are the raw scores x·W + b")
        if _close(got, expected - b.astype(np.float64)):
            fail(f"{label} is x·W without the bias: add b")
    expect_close(got, expected, label=label, rtol=1e-4, atol=1e-4)


@check(
    "logits is differentiable by W and b (it stays in TensorFlow)",
    points=1,
    hint="Compute tf.matmul(x, W) + b on the tensors themselves: .numpy() or np.* functions "
    "cut the tape, and tf.GradientTape then has no gradient for W and b.",
    grades="logits",
)
def test_logits_gradient(learner, rng, seed):
    x = _images(rng, 4)
    W, b = _parameters(rng, scale=0.1)
    grads = learner.run(f"{PROBES}:logits_gradient", label="logits(x, W, b) under a tape",
                        seed=seed, x=x, W=W, b=b)
    expected = {"W": np.repeat(x.astype(np.float64).sum(axis=0)[:, None], CLASSES, axis=1),
                "b": np.full(CLASSES, float(len(x)))}
    for (name, want), gradient in zip(expected.items(), grads, strict=True):
        if gradient is None:
            fail(f"tf.GradientTape found no gradient of logits(x, W, b) by {name}: the "
                 "computation left TensorFlow (a .numpy() or np.* call cuts the tape)")
        got = expect_array(gradient, label=f"the gradient of sum(logits(x, W, b)) by {name}",
                           shape=want.shape)
        expect_close(got, want, label=f"the gradient of sum(logits(x, W, b)) by {name}",
                     rtol=1e-4, atol=1e-4)


# -- cross_entropy ------------------------------------------------------------------------------


@check(
    "cross_entropy is the mean softmax cross-entropy, a scalar",
    points=3,
    hint="return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, "
    "logits=logits)): raw logits in (no softmax before), integer labels, the mean over images.",
    grades="cross_entropy",
)
def test_cross_entropy_value(learner, rng, seed):
    z = rng.normal(0, 3, (12, CLASSES)).astype(np.float32)
    labels = _labels(rng, 12)
    value = learner.run(f"{PROBES}:cross_entropy", label="cross_entropy(logits, labels)",
                        seed=seed, logits=z, labels=labels)
    label = "cross_entropy(logits, labels) with 12 images"
    _judge_loss(_loss_value(value, 12, label), z, labels, label)


@check(
    "cross_entropy does not overflow for large logits",
    points=2,
    hint="exp(100) overflows float32 and log(softmax) becomes log(0) = -inf once a probability "
    "underflows. tf.nn.sparse_softmax_cross_entropy_with_logits computes log(softmax) as "
    "logits - logsumexp(logits), which is stable; no clipping or epsilon needed.",
    grades="cross_entropy",
)
def test_cross_entropy_large_logits(learner, rng, seed):
    z = (rng.normal(0, 1, (8, CLASSES)) * 500).astype(np.float32)
    labels = _labels(rng, 8)
    labels[0] = int(np.argmax(z[0]))  # one image predicted right: a loss of about 0
    value = learner.run(f"{PROBES}:cross_entropy", label="cross_entropy(logits, labels)",
                        seed=seed, logits=z, labels=labels)
    label = "cross_entropy(logits, labels) with logits up to ±1500"
    _judge_loss(_loss_value(value, 8, label), z, labels, label)


# -- accuracy -----------------------------------------------------------------------------------


def _accuracy_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Hand-made cases without ties: the prediction is the class with the largest logit."""

    def case(name: str, z: np.ndarray, labels: list[int] | np.ndarray) -> dict[str, Any]:
        return {"name": name, "logits": np.asarray(z, np.float32),
                "labels": np.asarray(labels, np.int64)}

    eye = np.eye(CLASSES) * 5.0
    negative = -np.arange(1.0, 11.0)[None, :].repeat(3, axis=0)  # class 0 is the largest
    ten = rng.normal(0, 1, (CLASSES, CLASSES))
    random = rng.normal(0, 2, (50, CLASSES))
    return [
        case("4 images, all right", eye[[2, 7, 0, 9]], [2, 7, 0, 9]),
        case("4 images, none right", eye[[2, 7, 0, 9]], [3, 3, 3, 3]),
        case("4 images, 3 right", eye[[1, 4, 4, 8]], [1, 4, 5, 8]),
        case("3 images with only negative logits, 2 right", negative, [0, 0, 9]),
        case("1 image, right", eye[[6]], [6]),
        case("10 images, 10×10 logits", ten, rng.permutation(np.argmax(ten, axis=1))),
        case("50 random images", random,
             np.where(rng.random(50) < 0.6, np.argmax(random, axis=1), _labels(rng, 50))),
    ]


@check(
    "accuracy is the fraction of images whose largest logit is at the label",
    points=2,
    hint="tf.argmax(logits, axis=1) is the prediction of each image (axis=1: across the 10 "
    "classes); compare it with the labels and take the mean of the matches cast to tf.float32.",
    grades="accuracy",
)
def test_accuracy_values(learner, rng, seed):
    cases = _accuracy_cases(rng)
    answers = learner.run(f"{PROBES}:accuracy", label="accuracy(logits, labels)", seed=seed,
                          cases=cases)
    for case, answer in zip(cases, answers, strict=True):
        label = f"accuracy(logits, labels) on {case['name']}"
        expected = float(np.mean(np.argmax(case["logits"], axis=1) == case["labels"]))
        got = expect_number(answer, label=label)
        if got == np.floor(expected) and expected != np.floor(expected):
            fail(f"{label} returned {got:g} instead of {expected:g}: the mean of integers is "
                 "rounded down; cast the matches to tf.float32 before tf.reduce_mean")
        if np.isclose(got, 100 * expected) and expected > 0:
            fail(f"{label} returned {got:g}: return a fraction in [0, 1] ({expected:g}), "
                 "not a percentage")
        if not np.isclose(got, expected, atol=1e-6):
            fail(f"{label} returned {got:g} instead of {expected:g} (the prediction of an image "
                 "is the argmax of its row of logits)")


# -- the gradient -------------------------------------------------------------------------------


@check(
    "the loss's gradient matches finite differences",
    points=3,
    hint="Stay inside TensorFlow in logits and cross_entropy (no .numpy(), no np.* calls, no "
    "tf.stop_gradient), so that tf.GradientTape can differentiate the loss by W and b.",
    grades="cross_entropy", uses=("logits",),
)
def test_loss_gradient(learner, rng, seed):
    x, labels = _images(rng, 6), _labels(rng, 6)
    W0, b0 = _parameters(rng)
    # Perturb three entries of W (at pixels with ink, so the gradient is not trivially 0) and
    # two of b, by ±FD_STEP; the quotient divides by the float32 values' actual difference.
    inked = np.flatnonzero(x.sum(axis=0) > 0)
    coordinates = [("W", (int(rng.choice(inked)), int(rng.integers(CLASSES)))) for _ in range(3)]
    coordinates += [("b", (int(c),)) for c in rng.choice(CLASSES, 2, replace=False)]
    points = [(W0, b0)]
    for name, index in coordinates:
        for sign in (1, -1):
            W, b = W0.copy(), b0.copy()
            target = W if name == "W" else b
            target[index] = np.float32(target[index] + sign * FD_STEP)
            points.append((W, b))
    label = "cross_entropy(logits(x, W, b), labels)"
    answers = learner.run(f"{PROBES}:loss_at_points", label=label, seed=seed, x=x,
                          labels=labels, points=points)
    losses = [expect_number(a["loss"], label=label) for a in answers]
    _judge_loss(losses[0], _logits(x, W0, b0), labels, label)
    tape = {}
    for name in ("W", "b"):
        grad = answers[0][f"grad_{name}"]
        if grad is None:
            fail(f"tf.GradientTape found no gradient of the loss by {name}: the computation left "
                 "TensorFlow (a .numpy() call, numpy arithmetic or tf.stop_gradient?)")
        shape = (PIXELS, CLASSES) if name == "W" else (CLASSES,)
        tape[name] = expect_array(grad, label=f"the gradient by {name}", shape=shape)
    for k, (name, index) in enumerate(coordinates):
        plus, minus = points[1 + 2 * k], points[2 + 2 * k]
        which = 0 if name == "W" else 1
        width = float(plus[which][index]) - float(minus[which][index])
        quotient = (losses[1 + 2 * k] - losses[2 + 2 * k]) / width
        where = f"{name}[{', '.join(map(str, index))}]"
        expect_close(np.array(float(tape[name][index])), np.array(quotient),
                     label=f"the gradient by {where} (tape vs finite differences)",
                     rtol=1e-2, atol=5e-4)


# -- train_softmax ------------------------------------------------------------------------------


@check(
    "train_softmax returns (W, b): float32, of shapes (784, 10) and (10,)",
    points=1,
    hint="End train_softmax with `return W, b`, W a float32 tf.Variable of shape (784, 10) and b "
    "one of shape (10,) (tf.zeros gives float32).",
    grades="train_softmax", uses=("logits", "cross_entropy", "accuracy"),
)
def test_train_returns_parameters(learner, rng, seed):
    n = 400
    images, labels = _images(rng, n), _labels(rng, n)
    W, b = _train(learner, seed, images, labels, 5, 40, 0.5, ("float32",))
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        fail("after 5 steps train_softmax returned a W or b holding NaN or inf")


def _effective_rate(step: np.ndarray, gradient: np.ndarray) -> float:
    """The c for which step ≈ -c · gradient (least squares)."""
    return float(-(step * gradient).sum() / max((gradient * gradient).sum(), 1e-30))


def _one_step_messages(batch_size: int) -> dict[float, str]:
    return {
        0.5: "it used a fixed 0.5: use the learning_rate argument",
        0.01: "it used 0.01, keras.optimizers.SGD's default: pass learning_rate=learning_rate",
        1.0: "the gradient was not multiplied by learning_rate",
        STEP_RATE * batch_size: f"it is {batch_size} times too large: the loss must be the "
        "mean over the batch, not the sum",
        -STEP_RATE: "it went up the gradient: gradient descent subtracts it (assign_sub)",
    }


@check(
    "train_softmax takes gradient-descent steps of size learning_rate",
    points=3,
    hint="Each step: W.assign_sub(learning_rate * dLoss/dW) and the same for b, with the loss "
    "the mean cross-entropy of the batch; use the learning_rate argument, not a constant.",
    grades="train_softmax", uses=("logits", "cross_entropy", "accuracy"),
)
def test_train_step_size(learner, rng, seed):
    # Ten copies of one image: every batch of them has the same gradient, however the learner
    # shuffles or samples, so one step is predictable from its starting point alone.
    batch_size = 10
    images = np.repeat(_images(rng, 1), batch_size, axis=0)
    labels = np.repeat(_labels(rng, 1), batch_size)
    rates = [0.0, STEP_RATE]
    answers = learner.run(f"{PROBES}:one_step_per_rate", label="train_softmax(..., steps=1)",
                          seed=seed, timeout=TRAIN_TIMEOUT_S, images=images, labels=labels,
                          batch_size=batch_size, learning_rates=rates, start_seed=seed)
    (W0, b0), (W1, b1) = (
        _parameters_of(answer, f"train_softmax(images, labels, 1, {batch_size}, {rate})",
                       FLOAT_DTYPES)
        for answer, rate in zip(answers, rates, strict=True)
    )
    if np.array_equal(W0, W1) and np.array_equal(b0, b1):
        fail(f"train_softmax(images, labels, steps=1, ...) returned the same W and b for "
             f"learning_rate=0 and learning_rate={STEP_RATE}: it ignores learning_rate, took no "
             "step, or its loss has no gradient")
    # With learning_rate=0 the step changes nothing: (W0, b0) is where every call started.
    grad_W, grad_b = _gradient(images, labels, W0, b0)
    step = np.concatenate([(W1 - W0.astype(np.float64)).ravel(), (b1 - b0.astype(np.float64))])
    gradient = np.concatenate([grad_W.ravel(), grad_b])
    expected = -STEP_RATE * gradient
    if np.allclose(step, expected, rtol=1e-3, atol=1e-5):
        return
    rate = _effective_rate(step, gradient)
    what = (f"one step of train_softmax with learning_rate={STEP_RATE} moved W and b by "
            f"{rate:.4g} times the gradient instead of {STEP_RATE} times")
    for known, message in _one_step_messages(batch_size).items():
        if np.isclose(rate, known, rtol=1e-2) and np.allclose(step, -known * gradient,
                                                              rtol=1e-2, atol=1e-4):
            fail(f"{what}: {message}")
    twice = np.concatenate([part.ravel() for part in _gradient_softmax_twice(images, labels,
                                                                             W0, b0)])
    if np.allclose(step, -STEP_RATE * twice, rtol=1e-3, atol=1e-5):
        fail(f"one step of train_softmax with learning_rate={STEP_RATE} followed the gradient of "
             "the cross-entropy of softmax(x·W + b): your logits went through softmax twice? "
             "Train on the raw logits x·W + b")
    if np.array_equal(b0, b1):
        fail(f"one step of train_softmax with learning_rate={STEP_RATE} did not change b: "
             "train the bias too (tape.gradient(loss, [W, b]))")
    if np.array_equal(W0, W1):
        fail(f"one step of train_softmax with learning_rate={STEP_RATE} did not change W: "
             "train W too (tape.gradient(loss, [W, b]))")
    expect_close(W1, W0 - STEP_RATE * grad_W, label=f"W after one step with learning_rate="
                 f"{STEP_RATE} (started from the W that learning_rate=0 returned)",
                 rtol=1e-3, atol=1e-5)
    expect_close(b1, b0 - STEP_RATE * grad_b, label=f"b after one step with learning_rate="
                 f"{STEP_RATE} (started from the b that learning_rate=0 returned)",
                 rtol=1e-3, atol=1e-5)


def _held_out_accuracy(W: np.ndarray, b: np.ndarray, images: np.ndarray,
                       labels: np.ndarray) -> float:
    predictions = np.argmax(_logits(images, W, b), axis=1)
    return float(np.mean(predictions == labels))


@check(
    f"train_softmax learns MNIST: at least {HELD_OUT_THRESHOLD:.0%} right on 2,000 held-out "
    "images",
    points=4,
    hint="Train on the batches of the images with their own labels (shuffle images and labels "
    "together), for exactly `steps` steps of size learning_rate on the mean cross-entropy of "
    "the logits (no softmax inside logits).",
    grades="train_softmax", depends=("logits", "cross_entropy"),
)
def test_train_held_out_accuracy(learner, seed):
    split = grading_split()
    W, b = _train(learner, seed, split.train_images, split.train_labels, TRAIN_STEPS,
                  TRAIN_BATCH_SIZE, TRAIN_LEARNING_RATE, FLOAT_DTYPES)
    budget = (f"train_softmax(images, labels, steps={TRAIN_STEPS}, "
              f"batch_size={TRAIN_BATCH_SIZE}, learning_rate={TRAIN_LEARNING_RATE})")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        fail(f"after {budget} W or b holds NaN or inf: training diverged (a loss summed instead "
             "of averaged, or log(0) in a hand-written cross-entropy?)")
    score = _held_out_accuracy(W, b, split.test_images, split.test_labels)
    if measure("held-out accuracy", score, HELD_OUT_THRESHOLD, at_least=True):
        return
    why = ""
    if score < 0.2:
        why = (" That is about chance: does every image keep its own label (shuffle images "
               "and labels together) and do the updates reach W and b?")
    fail(f"after {budget} your (W, b) classify {score:.1%} of the 2,000 held-out images "
         f"correctly; at least {HELD_OUT_THRESHOLD:.0%} is expected (the reference solution "
         f"gets {REFERENCE_ACCURACY}).{why}")

