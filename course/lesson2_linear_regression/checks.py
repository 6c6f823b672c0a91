"""Linear regression with gradient descent.

Checks for ``exercises/lesson2_linear_regression.py``: ``predict``, ``mse_loss``, ``train_step``
and ``fit``. Every expected value is computed here, in float64 numpy, from inputs chosen here.
"""

from __future__ import annotations

import numpy as np

from grader.check import check
from grader.expect import describe, expect_array, expect_close, expect_number, fail
from grader.learner.wire import Array

PROBES = "lesson2_linear_regression"
FIT_STEPS = 201  # the 2016 workshop's loop
FIT_LEARNING_RATE = 0.5  # GradientDescentOptimizer(0.5) in 2016
# Calibrated on the reference solution, 60 seeds (0..59) of this module's _line data and
# keras.utils.set_random_seed, FIT_STEPS and FIT_LEARNING_RATE as here: the largest of
# |W - true W| and |b - true b| was at most 0.0067 (95th percentile 0.0054) on y = 0.1·x + 0.3,
# and at most 0.0089 (95th percentile 0.0068) on the other lines of test_fit_other_line.
# 0.03 leaves a margin of more than 3× while a fit that stops early (10 steps: error ≈ 0.3)
# or learns swapped or fixed numbers fails.
FIT_TOLERANCE = 0.03
FD_STEP = 1e-2  # central differences are exact for a quadratic loss up to rounding


def _line(rng: np.random.Generator, W: float, b: float, n: int = 100) -> tuple[np.ndarray, ...]:
    """The 2016 data: x uniform in [0, 1), y = W·x + b + a little noise."""
    x = rng.random(n).astype(np.float32)
    y = (W * x + b + rng.normal(0.0, 0.01, n)).astype(np.float32)
    return x, y


def _mse(x: np.ndarray, y: np.ndarray, W: float, b: float) -> float:
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    return float(np.mean((W * x64 + b - y64) ** 2))


def _loss_mistake(got: float, diff: np.ndarray) -> str | None:
    """What a wrong loss value is instead of the mean squared error of ``diff``, if recognised."""
    expected = float(np.mean(diff**2))
    if np.isclose(got, expected, rtol=1e-5):
        return None
    for other, what in (
        (float(np.sum(diff**2)), "the sum of the squared errors; take their mean with "
                                 "tf.reduce_mean"),
        (float(np.mean(np.abs(diff))), "the mean absolute error; square the differences"),
        (float(np.mean(diff)), "the mean of the plain differences; square them first"),
        (-float(np.mean(diff)), "the mean of the plain differences; square them first"),
        (expected / 2, "half the mean squared error; leave out the factor 1/2"),
        (float(np.sqrt(expected)), "the root of the mean squared error; leave out the square "
                                   "root"),
    ):
        if np.isclose(got, other, rtol=1e-4):
            return f"{got:.6g}, {what} (the mean squared error is {expected:.6g})"
    return None


def _mse_gradient(x: np.ndarray, y: np.ndarray, W: float, b: float) -> tuple[float, float]:
    """Central finite differences of the mean squared error by W and by b."""
    h = FD_STEP
    return (
        (_mse(x, y, W + h, b) - _mse(x, y, W - h, b)) / (2 * h),
        (_mse(x, y, W, b + h) - _mse(x, y, W, b - h)) / (2 * h),
    )


def _start(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return (rng.uniform(-1, 1, 1).astype(np.float32), rng.uniform(-1, 1, 1).astype(np.float32))


def _expect_prediction(value, *, label: str, n: int) -> np.ndarray:
    """predict's answer: a float32 tensor shaped like x (a numpy array cannot carry gradients)."""
    if isinstance(value, Array) and value.kind == "ndarray":
        fail(f"{label} returned a numpy array: keep the computation in TensorFlow (W * x + b on "
             "the tensors, without .numpy()) so that tf.GradientTape can differentiate it")
    return expect_array(value, label=label, shape=(n,), dtype="float32")


@check(
    "predict(x, W, b) computes W·x + b",
    points=2,
    hint="Multiply elementwise and add: `return W * x + b`. W and b broadcast over x.",
    grades="predict",
)
def test_predict_values(learner, rng, seed):
    x = rng.normal(0, 2, 7).astype(np.float32)
    W, b = _start(rng)
    label = "predict(x, W, b) with x of shape (7,) and W, b tf.Variables of shape (1,)"
    value = learner.run(f"{PROBES}:predict", label=label, seed=seed,
                        x=x, W=W, b=b, as_variables=True, call_label=label)
    array = _expect_prediction(value, label=label, n=7)
    expect_close(array, W[0] * x.astype(np.float64) + b[0], label="predict(x, W, b)",
                 rtol=1e-5, atol=1e-5)


@check(
    "predict also works with scalar tensors W and b",
    points=1,
    hint="Use TensorFlow arithmetic that broadcasts (W * x + b); avoid indexing W[0] or "
    "converting to numpy.",
    grades="predict",
)
def test_predict_with_scalar_tensors(learner, rng, seed):
    x = rng.normal(0, 2, 5).astype(np.float32)
    W, b = np.float32(rng.uniform(-1, 1)), np.float32(rng.uniform(-1, 1))
    label = "predict(x, W, b) with scalar W and b (tensors of shape ())"
    value = learner.run(f"{PROBES}:predict", label=label, seed=seed,
                        x=x, W=np.array(W), b=np.array(b), as_variables=False, call_label=label)
    array = _expect_prediction(value, label=label, n=5)
    expect_close(array, float(W) * x.astype(np.float64) + float(b), label="predict(x, W, b)",
                 rtol=1e-5, atol=1e-5)


@check(
    "predict is differentiable by W and b (it stays in TensorFlow)",
    points=1,
    hint="Compute W * x + b on the tensors themselves: .numpy(), np.* functions or Python "
    "floats cut the tape, and tf.GradientTape then has no gradient for W and b.",
    grades="predict",
)
def test_predict_gradient(learner, rng, seed):
    x = rng.normal(0, 2, 6).astype(np.float32)
    W, b = _start(rng)
    answer = learner.run(f"{PROBES}:predict_gradient", label="predict(x, W, b) under a tape",
                         seed=seed, x=x, W=W, b=b)
    for name, expected in (("W", np.sum(x, dtype=np.float64)), ("b", float(len(x)))):
        gradient = answer.get(f"grad_{name}") if type(answer) is dict else None
        if gradient is None:
            fail(f"tf.GradientTape found no gradient of predict(x, W, b) by {name}: the "
                 "computation left TensorFlow (a .numpy(), np.* or float() call cuts the tape)")
        array = expect_array(gradient, label=f"the gradient of sum(predict(x, W, b)) by {name}",
                             shape=(1,))
        expect_close(array, np.array([expected]), rtol=1e-4, atol=1e-4,
                     label=f"the gradient of sum(predict(x, W, b)) by {name}")


@check(
    "mse_loss is the mean squared error, a scalar",
    points=2,
    hint="tf.reduce_mean(tf.square(y_pred - y_true)): square first, then the mean (not the sum).",
    grades="mse_loss",
)
def test_mse_loss_value(learner, rng, seed):
    y_pred = rng.normal(0, 1, 9).astype(np.float32)
    y_true = rng.normal(0, 1, 9).astype(np.float32)
    value = learner.run(f"{PROBES}:mse_loss", label="mse_loss(y_pred, y_true)", seed=seed,
                        y_pred=y_pred, y_true=y_true)
    array = expect_array(value, label="mse_loss(y_pred, y_true)", shape=(), dtype="float32")
    diff = y_pred.astype(np.float64) - y_true
    mistake = _loss_mistake(float(array), diff)
    if mistake:
        fail(f"mse_loss returned {mistake}")
    expect_close(array, np.array(np.mean(diff**2)), label="mse_loss(y_pred, y_true)", rtol=1e-5)


@check(
    "the loss's gradient matches finite differences",
    points=2,
    hint="Stay inside TensorFlow in predict and mse_loss (no .numpy(), no Python floats), so "
    "that tf.GradientTape can differentiate them.",
    grades="mse_loss", uses=("predict",),
)
def test_loss_gradient(learner, rng, seed):
    x, y = _line(rng, 0.1, 0.3, n=20)
    W0, b0 = (float(v) for v in rng.uniform(-1, 1, 2))
    h = FD_STEP
    points = [(W0, b0), (W0 + h, b0), (W0 - h, b0), (W0, b0 + h), (W0, b0 - h)]
    answers = learner.run(f"{PROBES}:loss_and_gradient", label="mse_loss(predict(x, W, b), y)",
                          seed=seed, x=x, y=y, points=points)
    label = "mse_loss(predict(x, W, b), y)"
    shape = answers[0].get("prediction_shape")
    if shape is not None and tuple(shape) != x.shape:
        fail(f"predict(x, W, b) returned shape {tuple(shape)} for x of shape {x.shape}, so "
             "mse_loss does not compare each prediction with its own y (the shapes broadcast); "
             "return a tensor shaped like x")
    losses = [expect_number(a["loss"], label=label) for a in answers]
    mistake = _loss_mistake(losses[0], W0 * x.astype(np.float64) + b0 - y)
    if mistake:
        fail(f"{label} returned {mistake}")
    expect_close(np.array(losses[0]), np.array(_mse(x, y, W0, b0)),
                 label=f"{label} with W and b of shape (1,)", rtol=1e-4, atol=1e-6)
    fd_W = (losses[1] - losses[2]) / (2 * h)
    fd_b = (losses[3] - losses[4]) / (2 * h)
    for name, grad, fd in (("W", answers[0]["grad_W"], fd_W), ("b", answers[0]["grad_b"], fd_b)):
        if grad is None:
            fail(f"tf.GradientTape found no gradient of the loss by {name}: the computation left "
                 "TensorFlow (a .numpy() call or a Python float?)")
        tape = expect_array(grad, label=f"the gradient by {name}", shape=(1,))
        expect_close(tape.astype(np.float64), np.array([fd]), label=f"the gradient by {name} "
                     "(tape vs finite differences)", rtol=2e-3, atol=2e-4)


def _train_step(learner, rng, seed, learning_rate: float) -> tuple[dict, np.ndarray, ...]:
    x, y = _line(rng, 0.1, 0.3, n=30)
    W, b = _start(rng)
    answer = learner.run(f"{PROBES}:train_step", label="train_step(x, y, W, b, learning_rate)",
                         seed=seed, x=x, y=y, W=W, b=b, learning_rate=learning_rate)
    return answer, x, y, W, b


@check(
    "train_step returns the loss before the step",
    points=2,
    hint="Return the loss you computed inside the tape, before assign_sub changes W and b.",
    grades="train_step", uses=("predict", "mse_loss"),
)
def test_train_step_returns_loss(learner, rng, seed):
    answer, x, y, W, b = _train_step(learner, rng, seed, 0.1)
    label = "the value train_step returned"
    if answer["returned"] is None:
        fail("train_step returned None: end it with `return loss`, the loss computed in the tape")
    got = expect_number(answer["returned"], label=label)
    before = _mse(x, y, float(W[0]), float(b[0]))
    W1, b1 = answer["W_after"], answer["b_after"]
    if isinstance(W1, Array) and isinstance(b1, Array) and np.isclose(
        got, _mse(x, y, float(W1.array[0]), float(b1.array[0])), rtol=1e-4
    ) and not np.isclose(got, before, rtol=1e-4):
        fail(f"train_step returned {got:.6g}, the loss after the step; return the loss before "
             f"it ({before:.6g})")
    mistake = _loss_mistake(got, W[0] * x.astype(np.float64) + b[0] - y)
    if mistake:
        fail(f"train_step returned {mistake}")
    expect_close(np.array(got), np.array(before), label=label, rtol=1e-4, atol=1e-6)


@check(
    "train_step updates W and b in place",
    points=2,
    hint="W and b are tf.Variables: change them with W.assign_sub(...) and b.assign_sub(...); "
    "`W = W - ...` only rebinds a local name.",
    grades="train_step", uses=("predict", "mse_loss"),
)
def test_train_step_in_place(learner, rng, seed):
    answer, _, _, W, b = _train_step(learner, rng, seed, 0.1)
    for name, before, after in (("W", W, answer["W_after"]), ("b", b, answer["b_after"])):
        array = expect_array(after, label=f"{name} after train_step", kinds=("ndarray",),
                             shape=(1,), dtype="float32")
        if np.array_equal(array, before):
            fail(f"train_step did not change the variable {name} it was given: update it in "
                 f"place with {name}.assign_sub(learning_rate * gradient)")


@check(
    "train_step takes one gradient-descent step of size learning_rate",
    points=2,
    hint="new W = W - learning_rate * dLoss/dW (and the same for b), with the gradients from "
    "tape.gradient(loss, [W, b]).",
    grades="train_step", uses=("predict", "mse_loss"),
)
def test_train_step_follows_gradient(learner, rng, seed):
    for learning_rate in (0.1, 0.5):
        answer, x, y, W, b = _train_step(learner, rng, seed, learning_rate)
        start = {"W": float(W[0]), "b": float(b[0])}
        grads = dict(zip("Wb", _mse_gradient(x, y, start["W"], start["b"]), strict=True))
        got = {name: float(expect_array(answer[f"{name}_after"], label=f"{name} after train_step",
                                        kinds=("ndarray",), shape=(1,))[0])
               for name in "Wb"}
        _judge_step(x, y, start, grads, got, learning_rate)


def _judge_step(x: np.ndarray, y: np.ndarray, start: dict[str, float],
                grads: dict[str, float], got: dict[str, float], learning_rate: float) -> None:
    """Fail with the most specific reason why (W, b) after one step is not the expected one."""
    expected = {name: start[name] - learning_rate * grads[name] for name in "Wb"}
    wrong = [name for name in "Wb"
             if not np.isclose(got[name], expected[name], rtol=1e-3, atol=1e-4)]
    if not wrong:
        return
    at = f"(learning_rate={learning_rate})"
    if all(np.isclose(got[n], start[n] + learning_rate * grads[n], atol=1e-4) for n in wrong):
        fail(f"{' and '.join(wrong)} moved up the gradient (+) {at}: gradient descent subtracts "
             "it, with assign_sub")
    # How far each variable moved, in units of the step it should have taken.
    ratios = [(start[n] - got[n]) / (learning_rate * grads[n]) for n in "Wb"
              if abs(learning_rate * grads[n]) > 1e-3]
    if len(ratios) == 2 and np.isclose(ratios[0], ratios[1], rtol=0.02, atol=1e-3):
        ratio = float(np.mean(ratios))
        if abs(ratio) < 1e-3:
            fail(f"W and b did not move {at}: update the variables you were given in place, "
                 "with W.assign_sub(learning_rate * gradient)")
        fail(f"W and b moved {ratio:.3g} times as far as learning_rate × gradient {at}, as if "
             f"learning_rate were {ratio * learning_rate:.3g}: multiply the gradients by the "
             "learning_rate argument (not a number of your own), and make sure the loss is "
             "exactly the mean squared error (a mean, not a sum, and no extra factor)")
    if wrong == ["b"]:
        # W is right; was the gradient by b taken after W had already moved (two passes)?
        late = _mse_gradient(x, y, got["W"], start["b"])[1]
        if np.isclose(got["b"], start["b"] - learning_rate * late, rtol=1e-3, atol=1e-4):
            fail(f"b moved along its gradient at the new W, after W's update {at}: take both "
                 "gradients from one tape, tape.gradient(loss, [W, b]), before updating either")
    name = wrong[0]
    fail(f"{name} after one step {at} should be {expected[name]:.6g} ({name} − learning_rate × "
         f"dLoss/d{name}, with the gradient of the mean squared error), got {got[name]:.6g}")


def _fit(learner, seed: int, x: np.ndarray, y: np.ndarray, steps: int = FIT_STEPS,
         learning_rate: float = FIT_LEARNING_RATE) -> tuple[float, float]:
    value = learner.run(f"{PROBES}:fit", label=f"fit(x, y, {steps}, {learning_rate})",
                        seed=seed, timeout=120, x=x, y=y, steps=steps,
                        learning_rate=learning_rate)
    if type(value) not in (tuple, list) or len(value) != 2:
        fail(f"fit should return the pair (W, b), got {describe(value)}")
    return (expect_number(value[0], label="the W that fit returned"),
            expect_number(value[1], label="the b that fit returned"))


@check(
    "fit returns (W, b) as numbers or shape-(1,) tensors",
    points=1,
    hint="End fit with `return W, b`.",
    grades="fit", uses=("predict", "mse_loss", "train_step"),
)
def test_fit_returns_pair(learner, rng, seed):
    _fit(learner, seed, *_line(rng, 0.1, 0.3), steps=3)


def _judge_fit(W: float, b: float, true_W: float, true_b: float) -> None:
    """Fail unless the fitted (W, b) is within FIT_TOLERANCE of the line the data came from."""
    gave = (f"on y = {true_W}·x + {true_b} + noise, fit(x, y, steps={FIT_STEPS}, "
            f"learning_rate={FIT_LEARNING_RATE}) gave")
    if not (np.isfinite(W) and np.isfinite(b)):
        fail(f"{gave} W = {W}, b = {b}: the training diverged (the values grew without bound). "
             "Each step must go down the gradient of the mean squared error, by exactly "
             "learning_rate × gradient")
    if abs(W - true_W) <= FIT_TOLERANCE and abs(b - true_b) <= FIT_TOLERANCE:
        return
    if abs(W - true_b) <= FIT_TOLERANCE and abs(b - true_W) <= FIT_TOLERANCE:
        fail(f"{gave} W = {W:.4f}, b = {b:.4f}: W and b look swapped; return them in the order "
             "(W, b)")
    fail(f"{gave} W = {W:.4f}, b = {b:.4f}; expected W ≈ {true_W} and b ≈ {true_b} (within "
         f"{FIT_TOLERANCE}). If the checks of predict, mse_loss and train_step pass: does fit "
         "take `steps` steps with the given learning_rate, on the same W and b?")


@check(
    "fit recovers W = 0.1, b = 0.3 from y = 0.1·x + 0.3 + noise (the 2016 exercise)",
    points=3,
    hint="Call train_step(x, y, W, b, learning_rate) `steps` times on the same W and b; start "
    "from W uniform in [-1, 1) and b = 0. If the train_step checks fail, fix those first.",
    grades="fit", depends=("predict", "mse_loss", "train_step"),
)
def test_fit_recovers_line(learner, rng, seed):
    W, b = _fit(learner, seed, *_line(rng, 0.1, 0.3))
    _judge_fit(W, b, 0.1, 0.3)


@check(
    "fit learns other lines too",
    points=2,
    hint="fit must learn from x and y, not return fixed numbers.",
    grades="fit", uses=("predict", "mse_loss", "train_step"),
)
def test_fit_other_line(learner, rng, seed):
    true_W, true_b = (round(float(v), 3) for v in rng.uniform(-0.9, 0.9, 2))
    W, b = _fit(learner, seed, *_line(rng, true_W, true_b))
    if np.isclose(W, 0.1, atol=1e-6) and np.isclose(b, 0.3, atol=1e-6):
        fail(f"on y = {true_W}·x + {true_b} + noise, fit gave W = 0.1, b = 0.3, the answer of "
             "the 2016 data: fit must learn W and b from the x and y it is given")
    _judge_fit(W, b, true_W, true_b)


@check(
    "fit takes exactly `steps` steps of size learning_rate",
    points=2,
    hint="Use the steps and learning_rate that fit is given (the grader calls fit with 0, 1 "
    "and 3 steps and other rates), not fixed numbers.",
    grades="fit", uses=("predict", "mse_loss", "train_step"),
)
def test_fit_uses_steps_and_learning_rate(learner, rng, seed):
    x, y = _line(rng, 0.1, 0.3)
    start = _fit(learner, seed, x, y, steps=0, learning_rate=0.3)
    if _fit(learner, seed, x, y, steps=0, learning_rate=0.3) != start:
        return  # the random start does not follow the seed: nothing to compare against
    for steps, learning_rate in ((1, 0.3), (3, 0.2)):
        W, b = start
        for _ in range(steps):
            grad_W, grad_b = _mse_gradient(x, y, W, b)
            W, b = W - learning_rate * grad_W, b - learning_rate * grad_b
        got = _fit(learner, seed, x, y, steps=steps, learning_rate=learning_rate)
        if not np.allclose(got, (W, b), rtol=1e-3, atol=1e-4):
            fail(f"from the start (W, b) = ({start[0]:.4f}, {start[1]:.4f}) that fit(x, y, 0, "
                 f"{0.3}) returned, fit(x, y, {steps}, {learning_rate}) should end at "
                 f"({W:.4f}, {b:.4f}) after {steps} step(s) of plain gradient descent, but "
                 f"gave ({got[0]:.4f}, {got[1]:.4f}): are steps and learning_rate used as given?")
