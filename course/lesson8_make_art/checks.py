"""Make art: Deep Dream and style transfer.

Checks for ``exercises/lesson8_make_art.py``: ``dream_loss``, ``dream_step``, ``dream``,
``gram_matrix`` and ``style_loss``. The network is the course's own (``network.py``): the
learner's process gets a copy built from the course's weights, and this process builds its own
from the same file, so every expected activation and gradient is computed here, by the grader's
TensorFlow on the grader's model; Gram matrices and style losses are computed here in float64
numpy. The learner's process only returns arrays. Where a check grades one function with
``uses=``, the learner's process runs it with the grader's helpers (``reference.py``).
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import numpy as np

from grader._tensorflow import quiet_keras
from grader.check import check
from grader.expect import NUMERIC_KINDS, TENSOR_KINDS, describe, expect_array, fail
from grader.learner.failures import LearnerRaised
from grader.learner.wire import Array
from grader.pytest_plugin import seed_for

PROBES = "lesson8_make_art"

# Tolerances (how they were chosen: notes.md, "Calibration").
LOSS_RTOL = 1e-4  # dream_loss: the same float32 network in both processes
STEP_RTOL = 1e-3  # dream_step's move, relative to step_size × the normalised gradient
STEP_ATOL = 1e-3  # ... and absolute, in units of step_size
DIRECTION_COSINE = 0.99  # the move must point along the grader's gradient
GRAM_RTOL = 1e-4
MARGIN = 0.02  # pixels this close to ±1 after a step may be clipped: left out of value checks
# dream: the image sizes and budget the grader asks for (small, so grading is quick)
DREAM_SHAPE = (1, 18, 22, 1)
DREAM_LAYERS = ["conv2"]
DREAM_STEPS, DREAM_STEP_SIZE = 4, 0.05
DREAM_OCTAVES, DREAM_OCTAVE_SCALE = 3, 1.3
# dream must raise the loss by at least this fraction of what the reference dream does
DREAM_GAIN = 0.5


def prepare() -> None:
    """Build the grader's network before any check runs: TensorFlow then starts in this
    process while the learner's process is still starting, not after it."""
    _models()


# -- the grader's network and reference values -------------------------------------------------

@cache
def _models() -> dict[str, Any]:
    quiet_keras()
    from . import network

    return {"dream": network.dream_model(), "flat": network.flat_model()}


@cache
def _extractor(model: str, layers: tuple[str, ...]) -> Any:
    import keras

    net = _models()[model]
    return keras.Model(net.input, [net.get_layer(name).output for name in layers])


def _activations(image: np.ndarray, layers: list[str], model: str = "dream") -> list[np.ndarray]:
    """The named layers' activations on the image, computed here (float32, as float64)."""
    values = _extractor(model, tuple(layers))(np.asarray(image, np.float32))
    values = values if isinstance(values, (list, tuple)) else [values]
    return [np.asarray(v, np.float64) for v in values]


def _loss(image: np.ndarray, layers: list[str], model: str = "dream") -> float:
    """The reference dream loss: the sum of the layers' mean activations, in float64."""
    return float(sum(a.mean() for a in _activations(image, layers, model)))


def _gradient(image: np.ndarray, layers: list[str], model: str = "dream") -> np.ndarray:
    """The reference gradient of the dream loss by the image (TensorFlow, here), in float64."""
    image = np.asarray(image, np.float32)
    return _gradient_of(image.tobytes(), image.shape, tuple(layers), model).copy()


@lru_cache(maxsize=64)
def _gradient_of(data: bytes, shape: tuple[int, ...], layers: tuple[str, ...],
                 model: str) -> np.ndarray:
    import tensorflow as tf

    extractor = _extractor(model, layers)
    image = tf.constant(np.frombuffer(data, np.float32).reshape(shape))
    with tf.GradientTape() as tape:
        tape.watch(image)
        values = extractor(image)
        values = values if isinstance(values, (list, tuple)) else [values]
        loss = tf.add_n([tf.reduce_mean(v) for v in values])
    return np.asarray(tape.gradient(loss, image), np.float64)


def _normalised(gradient: np.ndarray) -> np.ndarray:
    return gradient / (gradient.std() + 1e-8)


def _reference_step(image: np.ndarray, layers: list[str], step: float) -> np.ndarray:
    return np.clip(image + step * _normalised(_gradient(image, layers)), -1.0, 1.0)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _image(rng: np.random.Generator, shape: tuple[int, ...], low: float = -0.8,
           high: float = 0.8) -> np.ndarray:
    return rng.uniform(low, high, shape).astype(np.float32)


# -- dream_loss --------------------------------------------------------------------------------

TENSOR_FACT = "whether dream_loss and gram_matrix returned a tf.Tensor, not a numpy array"


@check(
    "dream_loss and gram_matrix return tf.Tensors (reported by your process: no points)",
    points=0,
    hint="Keep the results tensors (no .numpy(), no np.array): tf.GradientTape differentiates "
    "only tensors, in dream_step and in a style transfer.",
    grades=("dream_loss", "gram_matrix"),
    reported=TENSOR_FACT,
)
def test_results_are_tensors(learner, rng, seed):
    image = _image(rng, (1, 16, 16, 1))
    loss = learner.run(f"{PROBES}:dream_loss", label="dream_loss(model, image, layer_names)",
                       seed=seed, cases=[{"image": image, "layers": ["conv1"]}])[0]
    gram = learner.run(f"{PROBES}:gram_matrix", label="gram_matrix(features)", seed=seed,
                       inputs=[rng.normal(0.0, 1.0, (1, 4, 4, 3)).astype(np.float32)])[0]
    for name, value in (("dream_loss", loss), ("gram_matrix", gram)):
        if isinstance(value, Array) and value.kind not in TENSOR_KINDS:
            fail(f"{name} returned a {value.kind}: keep it a tf.Tensor (no .numpy()), so that "
                 "tf.GradientTape can differentiate it")


@check(
    "dream_loss is the sum over the named layers of each layer's mean activation",
    points=3,
    hint="Make a keras.Model(model.input, [model.get_layer(name).output for name in "
    "layer_names]), call it on the image, and return tf.add_n([tf.reduce_mean(a) for a in "
    "activations]): the mean of each layer (not the sum of its values), added over the layers, "
    "as a scalar tf.Tensor.",
    grades="dream_loss",
)
def test_dream_loss_value(learner, rng, seed):
    cases = [
        {"image": _image(rng, (1, 20, 24, 1)), "layers": ["conv2"]},
        {"image": _image(rng, (1, 17, 13, 1)), "layers": ["conv1", "logits"]},
        {"image": _image(rng, (1, 16, 16, 1)), "layers": ["logits", "conv1", "conv2"]},
    ]
    answers = learner.run(f"{PROBES}:dream_loss", label="dream_loss(model, image, layer_names)",
                          seed=seed, cases=cases)
    for case, value in zip(cases, answers, strict=True):
        image, layers = case["image"], case["layers"]
        call = (f"dream_loss(model, image of shape {_shape_text(image.shape)}, {layers})")
        if isinstance(value, Array) and value.shape != ():
            fail(f"{call} should return a scalar (shape ()), got {describe(value)}: take "
                 "tf.reduce_mean of each layer's whole activation and add the layers' means")
        got = float(expect_array(value, label=call, shape=(), kinds=NUMERIC_KINDS))
        acts = _activations(image, layers)
        expected = sum(a.mean() for a in acts)
        if np.isclose(got, expected, rtol=LOSS_RTOL, atol=1e-7):
            continue
        mistakes = [
            (sum(a.sum() for a in acts), "the sum of the activations; take their mean with "
                                         "tf.reduce_mean"),
            (expected / len(layers), "the mean of the layers' means; add the layers' means "
                                     "(tf.add_n), do not average them"),
            (acts[0].mean(), f"the mean activation of the first layer only ({layers[0]}); add "
                             "the means of every named layer"),
            (acts[-1].mean(), f"the mean activation of the last layer only ({layers[-1]}); add "
                              "the means of every named layer"),
            (sum(a.max() for a in acts), "the sum of the layers' largest activations; take "
                                         "the mean of each layer"),
            (sum(np.square(a).mean() for a in acts), "the mean of the squared activations; "
                                                     "take the plain mean"),
        ]
        for candidate, why in mistakes:
            if (len(layers) > 1 or "layer only" not in why) and np.isclose(
                    got, candidate, rtol=LOSS_RTOL, atol=1e-7):
                fail(f"{call} returned {got:.6g}, {why} (expected {expected:.6g})")
        fail(f"{call} returned {got:.6g}; expected {expected:.6g}, the sum over the layers "
             f"{layers} of each layer's mean activation")


# -- dream_step --------------------------------------------------------------------------------

def _dream_step(learner, seed, cases: list[dict[str, Any]]) -> list[np.ndarray]:
    """The learner's dream_step on the cases (with the reference dream_loss), shapes checked."""
    try:
        answers = learner.run(f"{PROBES}:dream_step", label="dream_step(model, image, "
                              "layer_names, step_size)", seed=seed, cases=cases)
    except LearnerRaised as raised:
        if _none_gradient(raised):
            at = f" (line {raised.line})" if raised.line else ""
            fail(f"{raised.where} raised {raised.type}{at}: the gradient is None: watch the "
                 "image with tape.watch(image) inside the `with tf.GradientTape() as tape:` "
                 "block (the image is a tensor, not a variable, so the tape does not follow it "
                 "by itself)")
        raise
    checked = []
    for case, value in zip(cases, answers, strict=True):
        image = case["image"]
        call = (f"dream_step(model, image of shape {_shape_text(image.shape)}, "
                f"{case['layers']}, step_size={case['step_size']})")
        if value is None:
            fail(f"{call} returned None: return the new image")
        got = expect_array(value, label=call, kinds=("tf.Tensor", "tf.Variable", "ndarray"),
                           shape=image.shape, dtype="float32").astype(np.float64)
        if case["model"] == "dream":
            gradient = _gradient(image, case["layers"])
            step = case["step_size"] * _normalised(gradient)
            for other in (gradient, _normalised(gradient), step):
                if np.allclose(got, other, rtol=1e-3, atol=1e-6):
                    fail(f"{call} returned the step (the gradient), not the image: return "
                         "tf.clip_by_value(image + step_size * gradient, -1, 1)")
        checked.append(got)
    return checked


def _none_gradient(raised: LearnerRaised) -> bool:
    """Whether the learner's code failed on a gradient that is None (an unwatched tensor)."""
    detail = raised.detail
    return "Attempt to convert a value (None)" in detail or (
        raised.type == "TypeError" and "NoneType" in detail)


def _clipped(got: np.ndarray) -> np.ndarray:
    """Pixels the learner's own clipping may have set: those at the lowest or the highest value
    of the result when several pixels share it (the mark of a clip, to whatever bounds)."""
    low, high = got.min(), got.max()
    out = np.zeros(got.shape, bool)
    for bound in (low, high):
        at = got == bound
        if at.sum() > 1:
            out |= at
    return out


def _movable(image: np.ndarray, step: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Pixels that a step of ± ``step`` leaves well inside [-1, 1] (no clipping either way)
    and that the learner's result does not show clipped: a wrong clip is the clip check's
    to name, and must not pass for a wrong direction or scale here."""
    inside = (np.abs(image + step) < 1 - MARGIN) & (np.abs(image - step) < 1 - MARGIN)
    return inside & ~_clipped(got)


def _step_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    return [
        {"model": "dream", "image": _image(rng, (1, 20, 16, 1)), "layers": ["conv2"],
         "step_size": 0.05},
        {"model": "dream", "image": _image(rng, (1, 15, 19, 1)), "layers": ["conv1", "logits"],
         "step_size": 0.02},
    ]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float((a * b).sum()) / norm if norm > 0 else 0.0


@check(
    "dream_step moves the image up the gradient of dream_loss (gradient ascent)",
    points=3,
    hint="Deep Dream makes the layers respond MORE: add the gradient (image + step_size * "
    "gradient), do not subtract it as gradient descent on a loss does. Get it with "
    "tape.watch(image) and tape.gradient(dream_loss(...), image).",
    grades="dream_step",
    uses="dream_loss",
)
def test_dream_step_ascends(learner, rng, seed):
    cases = _step_cases(rng)
    for case, got in zip(cases, _dream_step(learner, seed, cases), strict=True):
        image, layers, size = case["image"].astype(np.float64), case["layers"], case["step_size"]
        step = size * _normalised(_gradient(image, layers))
        inside = _movable(image, step, got)
        moved = (got - image)[inside]
        call = f"dream_step(model, image, {layers}, step_size={size})"
        if not np.all(np.isfinite(got)):
            fail(f"{call} returned NaN or infinite values")
        if np.abs(moved).max(initial=0.0) < 1e-3 * size:
            fail(f"{call} returned the image unchanged: add step_size times the normalised "
                 "gradient to it")
        cosine = _cosine(moved, step[inside])
        if cosine <= -DIRECTION_COSINE:
            fail(f"{call} moved the image DOWN the gradient of dream_loss (gradient descent: "
                 "the layers respond less). Deep Dream is gradient ascent: image + step_size "
                 "* gradient")
        if cosine < DIRECTION_COSINE:
            fail(f"{call} moved the image in a direction that is not the gradient of "
                 f"dream_loss by the image (cosine {cosine:.3f} with the grader's gradient): "
                 "take tape.gradient(loss, image) of dream_loss(model, image, layer_names) "
                 "with tape.watch(image), and add it")


@check(
    "dream_step's step is step_size times the gradient divided by its standard deviation",
    points=2,
    hint="Divide the gradient by tf.math.reduce_std(gradient) + 1e-8 before multiplying by "
    "step_size: then step_size is the change of a typical pixel, whatever the layer's scale.",
    grades="dream_step",
    uses="dream_loss",
)
def test_dream_step_normalised(learner, rng, seed):
    cases = _step_cases(rng)
    for case, got in zip(cases, _dream_step(learner, seed, cases), strict=True):
        image, layers, size = case["image"].astype(np.float64), case["layers"], case["step_size"]
        gradient = _gradient(image, layers)
        step = size * _normalised(gradient)
        inside = _movable(image, step, got)
        moved = (got - image)[inside]
        sign = 1.0 if _cosine(moved, step[inside]) >= 0 else -1.0  # the direction is another check
        moved = sign * moved
        call = f"dream_step(model, image, {layers}, step_size={size})"
        if np.allclose(moved, step[inside], rtol=STEP_RTOL, atol=STEP_ATOL * size):
            continue
        g = gradient[inside]
        mistakes = [
            (size * g, "the gradient was not normalised: divide it by its standard deviation "
                       "+ 1e-8 (tf.math.reduce_std) before multiplying by step_size"),
            (size * g / (np.abs(gradient).mean() + 1e-8), "the gradient was divided by its "
             "mean absolute value; divide it by its standard deviation + 1e-8"),
            (size * g / (np.abs(gradient).max() + 1e-8), "the gradient was divided by its "
             "largest absolute value; divide it by its standard deviation + 1e-8"),
            (size * g / (np.linalg.norm(gradient) + 1e-8), "the gradient was divided by its "
             "norm; divide it by its standard deviation + 1e-8"),
            (size * g / (gradient.var() + 1e-8), "the gradient was divided by its variance; "
             "divide it by its standard deviation (tf.math.reduce_std) + 1e-8"),
            (_normalised(gradient)[inside], "the step ignores step_size: multiply the "
             "normalised gradient by step_size"),
        ]
        for candidate, why in mistakes:
            if np.allclose(moved, candidate, rtol=STEP_RTOL, atol=STEP_ATOL * size):
                fail(f"{call}: {why}")
        scale = float(np.median(np.abs(moved)) / np.median(np.abs(step[inside])))
        fail(f"{call} moved the pixels about {scale:.3g} times as far as step_size × gradient "
             "/ (its standard deviation + 1e-8): normalise the gradient by tf.math.reduce_std "
             "and multiply by step_size")


@check(
    "dream_step clips the new image to [-1, 1]",
    points=2,
    hint="End with tf.clip_by_value(image + step_size * gradient, -1.0, 1.0): the images are in "
    "[-1, 1] and a dream that runs for many steps would otherwise drift outside.",
    grades="dream_step",
    uses="dream_loss",
)
def test_dream_step_clips(learner, rng, seed):
    cases = [{"model": "dream", "image": _image(rng, (1, 16, 16, 1), -1.0, 1.0),
              "layers": ["conv2"], "step_size": 0.5},
             {"model": "dream", "image": _image(rng, (1, 12, 20, 1), -1.0, 1.0),
              "layers": ["logits"], "step_size": 0.8}]
    for case, got in zip(cases, _dream_step(learner, seed, cases), strict=True):
        call = f"dream_step(model, image, {case['layers']}, step_size={case['step_size']})"
        if not np.all(np.isfinite(got)):
            fail(f"{call} returned NaN or infinite values")
        low, high = float(got.min()), float(got.max())
        if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
            fail(f"{call} returned values from {low:.3f} to {high:.3f}, outside [-1, 1]: clip "
                 "the new image with tf.clip_by_value(image, -1.0, 1.0)")
        image = case["image"].astype(np.float64)
        step = case["step_size"] * _normalised(_gradient(image, case["layers"]))
        # A clip to other bounds shows as a side of [-1, 1] the result never reaches, where the
        # grader's own step (ascent or descent: the direction is another check's) reaches it.
        moved = [np.clip(image + sign * step, -1, 1) for sign in (1, -1)]
        negative = [np.mean(m < -0.1) for m in moved]
        positive = [np.mean(m > 0.1) for m in moved]
        if low >= 0.0 and min(negative) > 0.1:
            fail(f"{call} returned no negative values: the images are in [-1, 1]; clip to "
                 "[-1, 1], not to [0, 1]")
        if high <= 0.0 and min(positive) > 0.1:
            fail(f"{call} returned no positive values: the images are in [-1, 1]; clip to "
                 "[-1, 1], not to [-1, 0]")
        for bound, reached in ((-1.0, low), (1.0, high)):
            wanted = min(float(np.min(m) if bound < 0 else np.max(m)) * np.sign(bound)
                         for m in moved)
            if wanted > 0.5 and reached * np.sign(bound) < wanted - 0.25:
                fail(f"{call} returned values from {low:.3f} to {high:.3f}, where the step "
                     f"reaches {bound * wanted:+.3f}: clip to [-1, 1] exactly, "
                     "tf.clip_by_value(image, -1.0, 1.0)")


@check(
    "dream_step leaves the image unchanged where the gradient is zero (std + 1e-8)",
    points=1,
    hint="Divide by tf.math.reduce_std(gradient) + 1e-8, not by the standard deviation alone: "
    "a layer that does not respond at all has a zero gradient, and 0 / 0 is NaN.",
    grades="dream_step",
    uses="dream_loss",
)
def test_dream_step_flat_gradient(learner, rng, seed):
    case = {"model": "flat", "image": _image(rng, (1, 10, 12, 1)), "layers": ["flat"],
            "step_size": 0.1}
    (got,) = _dream_step(learner, seed, [case])
    call = ("dream_step(model, image, ['flat'], step_size=0.1) on a layer that is 0 for every "
            "image (its gradient is zero)")
    if not np.all(np.isfinite(got)):
        fail(f"{call} returned NaN: the gradient's standard deviation is 0, so divide by "
             "tf.math.reduce_std(gradient) + 1e-8")
    kept = ~_clipped(got)
    if not np.allclose(got[kept], case["image"][kept], atol=1e-6):
        fail(f"{call} changed the image (by up to "
             f"{np.abs(got - case['image'])[kept].max():.3g}): a zero gradient should give a "
             "zero step")


# -- dream -------------------------------------------------------------------------------------

def _dream_seed() -> int:
    return seed_for("lesson8_make_art::dream")  # taken when a check runs: grade audit salts it


def _dream_image() -> np.ndarray:
    return _image(np.random.default_rng(_dream_seed()), DREAM_SHAPE, -0.5, 0.5)


def _dream(learner, *, steps: int, octaves: int, octave_scale: float) -> dict[str, Any]:
    """The learner's dream on the grader's image (with the reference dream_step and
    dream_loss), run once per grading for each budget and shared by the checks."""
    image = _dream_image()
    label = (f"dream(model, image of shape {_shape_text(image.shape)}, {DREAM_LAYERS}, "
             f"steps={steps}, step_size={DREAM_STEP_SIZE}, octaves={octaves}, "
             f"octave_scale={octave_scale})")
    answer = learner.run_once(
        f"{PROBES}:dream", label=label, seed=_dream_seed(), timeout=60, image=image,
        layers=DREAM_LAYERS, steps=steps, step_size=DREAM_STEP_SIZE, octaves=octaves,
        octave_scale=octave_scale)
    if type(answer) is not dict:
        fail("the grader could not read what dream returned")
    value = answer.get("image")
    if isinstance(value, Array) and value.shape != image.shape and value.array.ndim == 4:
        height, width = image.shape[1:3]
        if value.shape[1:3] == (width, height):
            fail(f"{label} returned an image of shape {_shape_text(value.shape)}: height and "
                 f"width swapped (the original is {height}×{width}): image.shape[1:3] and "
                 "tf.shape(image)[1:3] are (height, width), and tf.image.resize takes "
                 "[height, width] in that order")
        fail(f"{label} returned an image of shape {_shape_text(value.shape)}: resize the "
             f"dreamed image back to the original size {height}×{width} at the end "
             "(tf.image.resize(image, original_size))")
    got = expect_array(value, label=label, kinds=("tf.Tensor", "tf.Variable", "ndarray"),
                       shape=image.shape, dtype="float32").astype(np.float64)
    if not np.all(np.isfinite(got)):
        fail(f"{label} returned NaN or infinite values")
    return {"label": label, "start": image, "image": got, "steps": answer.get("steps")}


def _octave_run(learner) -> dict[str, Any]:
    return _dream(learner, steps=DREAM_STEPS, octaves=DREAM_OCTAVES,
                  octave_scale=DREAM_OCTAVE_SCALE)


@check(
    "dream returns the image at its original size",
    points=2,
    hint="Remember the original (height, width) before the first octave (tf.shape(image)[1:3]) "
    "and end with tf.image.resize(image, original_size): the octaves grow the image, the "
    "caller gets it back at the size it gave.",
    grades="dream",
    uses=("dream_step", "dream_loss"),
)
def test_dream_original_size(learner):
    _octave_run(learner)


RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")


def _resizes(image: np.ndarray, size: tuple[int, int]) -> list[np.ndarray]:
    """``image`` resized to ``size`` by every method of tf.image.resize, with and without
    antialias (computed here)."""
    import tensorflow as tf

    return [np.asarray(tf.image.resize(image.astype(np.float32), size, method=method,
                                       antialias=antialias), np.float64)
            for method in RESIZE_METHODS for antialias in (False, True)]


def _shift(image: np.ndarray, known: np.ndarray, atol: float) -> tuple[int, int] | None:
    """The (dy, dx) for which ``image`` is ``known`` shifted by tf.roll over height and width
    (the tutorial's random jitter; (0, 0): the same image), or None."""
    if image.shape != known.shape:
        return None
    if np.allclose(image, known, atol=atol):
        return (0, 0)
    if not np.allclose(np.sort(image, axis=None), np.sort(known, axis=None), atol=atol):
        return None
    for dy in range(image.shape[1]):
        for dx in range(image.shape[2]):
            if np.allclose(np.roll(known, (dy, dx), axis=(1, 2)), image, atol=atol):
                return (dy, dx)
    return None


def _source(image: np.ndarray, known: list[np.ndarray]) -> tuple[int, int] | None:
    """How ``image`` comes from one of the ``known`` images: the shift (see :func:`_shift`) of
    that image, or of it resized by any method of tf.image.resize; None when it does not."""
    for k in reversed(known):
        shift = _shift(image, k, 1e-5)
        if shift is not None:
            return shift
    size = (int(image.shape[1]), int(image.shape[2]))
    for k in reversed(known):
        if k.ndim == 4 and k.shape != image.shape:
            for resized in _resizes(k, size):
                shift = _shift(image, resized, 1e-4)
                if shift is not None:
                    return shift
    return None


def _verified_steps(answer: dict[str, Any]) -> list[tuple[int, int]]:
    """The size of the image of each call of dream_step during the dream, after checking the
    recorded calls here: each result is the grader's own step from the image given (computed
    here), and each image given comes from the start or the call before (shifted, resized), as
    does the returned image from the last call. Records that do not hold together earn nothing."""
    call = answer["label"]
    records = answer.get("steps")
    if type(records) is not list or not all(type(r) is dict for r in records):
        fail(f"the grader could not read the calls of dream_step that {call} made")
    if not records:
        fail(f"{call} made no call of dream_step the grader could see: call dream_step (not "
             "code of your own) at each step of each octave, from dream itself (not inside a "
             "tf.function, where the grader cannot see the images)")
    known = [answer["start"].astype(np.float64)]  # what the next image may come from
    sizes = []
    for index, record in enumerate(records, start=1):
        image, result = record.get("image"), record.get("result")
        layers, size = record.get("layers"), record.get("step_size")
        if not (isinstance(image, Array) and isinstance(result, Array)
                and image.array.ndim == 4 and result.shape == image.shape
                and type(layers) is list and all(name in ("conv1", "conv2", "logits")
                                                 for name in layers) and layers
                and type(size) is float and np.isfinite(size)):
            fail(f"the grader could not read call {index} of dream_step that {call} made")
        given = image.array.astype(np.float64)
        expected = _reference_step(given.astype(np.float32), layers, size)
        if not np.allclose(result.array, expected, atol=1e-4):
            fail(f"call {index} of dream_step in {call} did not return the grader's step from "
                 "the image it was given: the grader cannot check this dream's octaves")
        shift = _source(given, known)
        if shift is None:
            source = ("the start image" if index == 1
                      else "what the call before was given or returned")
            fail(f"call {index} of dream_step in {call} was given an image that is neither "
                 f"{source}, nor that resized with tf.image.resize: the grader cannot follow "
                 "the dream from one step to the next")
        after = result.array.astype(np.float64)
        known = [given, after, np.roll(after, (-shift[0], -shift[1]), axis=(1, 2))]
        sizes.append((int(given.shape[1]), int(given.shape[2])))
    if _source(answer["image"], known) is None:
        fail(f"the image {call} returned is not what the last call of dream_step returned, "
             "resized with tf.image.resize: return the dreamed image, resized back to the "
             "original size")
    return sizes


def _visited(sizes: list[Any]) -> list[tuple[int, int]]:
    """The distinct sizes, in the order they were first seen."""
    seen: list[tuple[int, int]] = []
    for size in sizes:
        pair = (int(size[0]), int(size[1]))
        if pair not in seen:
            seen.append(pair)
    return seen


def _size_ok(got: int, exact: float, previous: int | None, scale: float) -> bool:
    """A dimension of an octave is right when it rounds (down, to nearest or up) the original
    size times scale**k, or the previous octave's size times scale."""
    candidates = {np.floor(exact + 1e-6), np.round(exact), np.ceil(exact - 1e-6)}
    if previous is not None:
        grown = previous * scale
        candidates |= {np.floor(grown + 1e-6), np.round(grown), np.ceil(grown - 1e-6)}
    return got in candidates


@check(
    "dream dreams at `octaves` sizes, each `octave_scale` times the last, `steps` steps each",
    points=3,
    hint="for octave in range(octaves): resize the image to the original size times "
    "octave_scale ** octave (the first octave is the image's own size), then call "
    "dream_step `steps` times on it, feeding each step's result to the next.",
    grades="dream",
    uses=("dream_step", "dream_loss"),
)
def test_dream_octaves(learner):
    answer = _octave_run(learner)
    image = answer["start"]
    height, width = image.shape[1:3]
    expected = [(height * DREAM_OCTAVE_SCALE**k, width * DREAM_OCTAVE_SCALE**k)
                for k in range(DREAM_OCTAVES)]
    wanted = ", ".join(f"{int(h)}×{int(w)}" for h, w in expected)
    steps = _verified_steps(answer)
    visited = _visited(steps)
    seen = ", ".join(f"{h}×{w}" for h, w in visited)
    call = answer["label"]
    if visited[0] != (height, width):
        if visited[0] == (width, height):
            fail(f"{call} dreamed at {seen}: height and width swapped (the image is "
                 f"{height}×{width}; the sizes should be {wanted}): image.shape[1:3] and "
                 "tf.shape(image)[1:3] are (height, width), and tf.image.resize takes [height, "
                 "width] in that order")
        if len(visited) == DREAM_OCTAVES and visited[-1][0] < height:
            fail(f"{call} dreamed at {seen}: the octaves shrink the image; each octave should "
                 f"be octave_scale times LARGER than the last ({wanted})")
        fail(f"{call} dreamed first at {visited[0][0]}×{visited[0][1]}: the first octave is the "
             f"image's own size ({height}×{width}); the sizes should be {wanted}")
    if len(visited) == 1:
        fail(f"{call} dreamed at one size only ({seen}): resize the image to the original size "
             f"times octave_scale ** octave for each of the {DREAM_OCTAVES} octaves ({wanted})")
    if len(visited) != DREAM_OCTAVES:
        fail(f"{call} dreamed at {len(visited)} sizes ({seen}); with octaves={DREAM_OCTAVES} "
             f"it should dream at exactly {DREAM_OCTAVES}: {wanted}")
    previous: tuple[int, int] | None = None
    for k, (got, exact) in enumerate(zip(visited, expected, strict=True)):
        swapped = k > 0 and _size_ok(got[0], exact[1], None, 1) and _size_ok(got[1], exact[0],
                                                                            None, 1)
        ok = all(_size_ok(g, e, None if previous is None else previous[i], DREAM_OCTAVE_SCALE)
                 for i, (g, e) in enumerate(zip(got, exact, strict=True)))
        if not ok:
            why = (" (height and width swapped: tf.image.resize takes [height, width], and "
                   "tf.shape(image)[1:3] is that order)") if swapped else ""
            fail(f"{call} dreamed at {seen}; the sizes should be {wanted} (octave k at the "
                 f"original size times octave_scale ** k){why}")
        previous = got
    counts = [sum(1 for s in steps if s == size) for size in visited]
    if any(count != DREAM_STEPS for count in counts):
        per = ", ".join(f"{c} at {h}×{w}" for c, (h, w) in zip(counts, visited, strict=True))
        fail(f"{call} called dream_step {per}: it should take steps={DREAM_STEPS} steps at "
             "every octave")


def _size_cause(answer: dict[str, Any]) -> None:
    """Fail naming the size, when a one-octave dream stepped at another size than the image's
    own (the records only choose the message here: the points rest on the returned image)."""
    records = answer.get("steps")
    height, width = answer["start"].shape[1:3]
    sizes = [tuple(r["image"].shape[1:3]) for r in records or []
             if type(r) is dict and isinstance(r.get("image"), Array)
             and r["image"].array.ndim == 4]
    if not sizes or sizes[0] == (height, width):
        return
    swapped = (" (height and width swapped: image.shape[1:3] and tf.shape(image)[1:3] are "
               "(height, width), and tf.image.resize takes [height, width] in that order)"
               if sizes[0] == (width, height) else "")
    fail(f"{answer['label']} dreamed at {sizes[0][0]}×{sizes[0][1]}, not at the image's own size "
         f"{height}×{width}{swapped}: with octaves=1 the one octave is the image as given")


@check(
    "dream raises dream_loss: the dreamed image makes the layers respond more",
    points=2,
    hint="At each octave, call dream_step steps times and feed each result into the next "
    "call (image = dream_step(model, image, ...)); the loss of the final image, at the "
    "original size, should be well above the loss of the image you were given.",
    grades="dream",
    uses=("dream_step", "dream_loss"),
)
def test_dream_raises_loss(learner):
    image = _dream_image()
    start = _loss(image, DREAM_LAYERS)
    steps = 5
    answer = _dream(learner, steps=steps, octaves=1, octave_scale=1.0)
    end = _loss(answer["image"], DREAM_LAYERS)
    current = image.astype(np.float64)
    gains = []
    for _ in range(steps):
        current = _reference_step(current.astype(np.float32), DREAM_LAYERS, DREAM_STEP_SIZE)
        gains.append(_loss(current, DREAM_LAYERS) - start)
    call = answer["label"]
    if end <= start:
        fail(f"{call}: dream_loss fell from {start:.4f} to {end:.4f}; dreaming must raise it "
             "(each dream_step is a step of gradient ascent)")
    if end - start < DREAM_GAIN * gains[-1]:
        _size_cause(answer)
        one = (" - about what one step gives: feed each step's result into the next call, "
               "image = dream_step(model, image, ...)") if end - start < 1.5 * gains[0] else ""
        fail(f"{call}: dream_loss rose from {start:.4f} to {end:.4f}, less than half of what "
             f"{steps} steps of dream_step give ({start + gains[-1]:.4f}){one}")
    multi = _octave_run(learner)
    after = _loss(multi["image"], DREAM_LAYERS)
    if after <= start:
        fail(f"{multi['label']}: dream_loss of the returned image, at the original size, is "
             f"{after:.4f}, not above the start's {start:.4f}")


# -- gram_matrix -------------------------------------------------------------------------------

GRAM_SHAPES = [(2, 5, 7, 3), (1, 6, 4, 8), (3, 3, 3, 2)]


def _gram(features: np.ndarray) -> np.ndarray:
    f = np.asarray(features, np.float64)
    _, height, width, _ = f.shape
    return np.einsum("bijc,bijd->bcd", f, f) / (height * width)


def _grams(learner, rng, seed) -> list[tuple[np.ndarray, np.ndarray]]:
    inputs = [rng.normal(0.0, 1.0, shape).astype(np.float32) for shape in GRAM_SHAPES]
    answers = learner.run(f"{PROBES}:gram_matrix", label="gram_matrix(features)", seed=seed,
                          inputs=inputs)
    checked = []
    for features, value in zip(inputs, answers, strict=True):
        b, h, w, c = features.shape
        call = f"gram_matrix(features of shape {_shape_text(features.shape)})"
        if isinstance(value, Array) and value.shape != (b, c, c):
            got = value.shape
            if got == (c, c):
                fail(f"{call}: expected shape {_shape_text((b, c, c))}, got {got}: keep one "
                     "Gram matrix per image, (b, c, c): einsum \"bijc,bijd->bcd\"")
            if got in ((b, h * w, h * w), (h * w, h * w)):
                fail(f"{call}: expected shape {_shape_text((b, c, c))}, got {got}: that "
                     "multiplies positions, not channels; sum over the positions (i, j) and "
                     "keep the channels: einsum \"bijc,bijd->bcd\"")
        checked.append((features, expect_array(value, label=call, shape=(b, c, c),
                                               dtype="float32", kinds=NUMERIC_KINDS)))
    return checked


@check(
    "gram_matrix maps (b, h, w, c) features to (b, c, c) Gram matrices",
    points=1,
    hint="tf.linalg.einsum(\"bijc,bijd->bcd\", features, features): for every image, the "
    "products of each pair of channels summed over the positions, a c×c matrix.",
    grades="gram_matrix",
)
def test_gram_matrix_shape(learner, rng, seed):
    _grams(learner, rng, seed)


@check(
    "gram_matrix is symmetric and divided by the number of positions h·w",
    points=3,
    hint="The Gram matrix of channels c and d is the sum over positions (i, j) of "
    "features[b, i, j, c] * features[b, i, j, d], divided by h·w (the mean over positions), "
    "so that it does not grow with the image's size.",
    grades="gram_matrix",
)
def test_gram_matrix_values(learner, rng, seed):
    for features, got in _grams(learner, rng, seed):
        b, h, w, c = features.shape
        call = f"gram_matrix(features of shape {_shape_text(features.shape)})"
        got = got.astype(np.float64)
        expected = _gram(features)
        if np.allclose(got, expected, rtol=GRAM_RTOL, atol=1e-6):
            continue
        if not np.allclose(got, np.swapaxes(got, 1, 2), rtol=1e-4, atol=1e-6):
            fail(f"{call} is not symmetric: G[c, d] and G[d, c] are the same sum of products "
                 "of channels c and d over the positions")
        mistakes = [
            (expected * h * w, f"not divided by h·w = {h * w}: divide the sums by the number "
                               "of positions"),
            (expected / c, f"divided by h·w·c = {h * w * c}; divide by h·w = {h * w} only"),
            (expected / (h * w), f"divided by (h·w)² = {(h * w) ** 2}; divide once by h·w"),
            (expected * h * w / (b * h * w), "divided by b·h·w: divide each image's sums by "
                                             "its own h·w"),
            (expected * h * w / (h * w - 1), "divided by h·w - 1; divide by h·w"),
        ]
        for candidate, why in mistakes:
            if np.allclose(got, candidate, rtol=GRAM_RTOL, atol=1e-6):
                fail(f"{call} is {why}")
        ratio = float(np.median(got / np.where(np.abs(expected) > 1e-3, expected, np.nan)
                                if np.any(np.abs(expected) > 1e-3) else np.nan))
        scaled = (f" (about {ratio:.4g} times the expected values)" if np.isfinite(ratio)
                  and not np.isclose(ratio, 1.0, rtol=1e-3) else "")
        fail(f"{call} is wrong{scaled}: G[b, c, d] = Σ_ij F[b, i, j, c]·F[b, i, j, d] / (h·w)")


# -- style_loss --------------------------------------------------------------------------------

STYLE_CASES = [[(1, 6, 5, 3)], [(1, 8, 8, 4), (1, 4, 4, 6)],
               [(2, 7, 6, 2), (2, 4, 3, 5), (2, 2, 2, 3)]]


def _style(style: list[np.ndarray], image: list[np.ndarray]) -> list[float]:
    """Each layer's mean squared difference of Gram matrices (float64)."""
    return [float(np.mean((_gram(s) - _gram(i)) ** 2)) for s, i in zip(style, image, strict=True)]


def _style_loss(learner, seed, cases: list[dict[str, Any]]) -> list[float]:
    answers = learner.run(f"{PROBES}:style_loss", label="style_loss(style_features, "
                          "image_features)", seed=seed, cases=cases)
    values = []
    for case, value in zip(cases, answers, strict=True):
        call = (f"style_loss(style_features, image_features) with {len(case['style'])} "
                "layer(s)")
        if isinstance(value, Array) and value.shape != ():
            fail(f"{call} should return a scalar, got {describe(value)}: take the mean of each "
                 "layer's squared differences and add the layers' values")
        values.append(float(expect_array(value, label=call, shape=(),
                                         kinds=("tf.Tensor", "tf.Variable", "ndarray",
                                                "numpy scalar"))))
    return values


@check(
    "style_loss is the mean squared difference of Gram matrices, summed over the layers",
    points=3,
    hint="For each layer, tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(image))) "
    "(the mean over every entry of the (b, c, c) matrices); then add the layers' values "
    "(tf.add_n), do not average them.",
    grades="style_loss",
    uses="gram_matrix",
)
def test_style_loss_value(learner, rng, seed):
    cases = [{"style": [rng.normal(0.0, 1.0, s).astype(np.float32) for s in shapes],
              "image": [rng.normal(0.0, 1.0, s).astype(np.float32) for s in shapes]}
             for shapes in STYLE_CASES]
    for case, got in zip(cases, _style_loss(learner, seed, cases), strict=True):
        layers = len(case["style"])
        call = f"style_loss(style_features, image_features) with {layers} layer(s)"
        per_layer = _style(case["style"], case["image"])
        expected = sum(per_layer)
        if np.isclose(got, expected, rtol=GRAM_RTOL, atol=1e-7):
            continue
        diffs = [_gram(s) - _gram(i) for s, i in zip(case["style"], case["image"], strict=True)]
        mistakes = [
            (sum(float(np.sum(d**2)) for d in diffs), "the sum of the squared differences; "
             "take their mean (tf.reduce_mean)"),
            (sum(float(np.sqrt(np.mean(d**2))) for d in diffs), "the root of the mean "
             "squared difference; leave out the square root"),
            (sum(float(np.mean(np.abs(d))) for d in diffs), "the mean absolute difference; "
             "square the differences"),
            (sum(float(np.mean((np.asarray(s, np.float64) - i) ** 2))
                 for s, i in zip(case["style"], case["image"], strict=True)),
             "the mean squared difference of the features themselves; compare their Gram "
             "matrices (gram_matrix), which do not depend on where things are"),
            (expected / layers, "the mean over the layers; add the layers' values instead"),
            (per_layer[0], "the first layer's value only; add every layer's"),
            (per_layer[-1], "the last layer's value only; add every layer's"),
        ]
        for candidate, why in mistakes:
            if (layers > 1 or "layer" not in why.split(";")[0]) and np.isclose(
                    got, candidate, rtol=GRAM_RTOL, atol=1e-7):
                fail(f"{call} returned {got:.6g}, {why} (expected {expected:.6g})")
        fail(f"{call} returned {got:.6g}; expected {expected:.6g}: the sum over the layers of "
             "the mean squared difference of the two Gram matrices")


@check(
    "style_loss is 0 for the same style, even with the positions shuffled",
    points=1,
    hint="Style is what the Gram matrix keeps: which channels respond together, not where. "
    "Compare gram_matrix(style) with gram_matrix(image), never the features themselves.",
    grades="style_loss",
    uses="gram_matrix",
)
def test_style_loss_ignores_positions(learner, rng, seed):
    style = [rng.normal(0.0, 1.0, (1, 6, 6, 3)).astype(np.float32),
             rng.normal(0.0, 1.0, (1, 3, 4, 5)).astype(np.float32)]
    shuffled = []
    for features in style:
        flat = features.reshape(features.shape[0], -1, features.shape[3])
        order = rng.permutation(flat.shape[1])
        shuffled.append(flat[:, order].reshape(features.shape))
    cases = [{"style": style, "image": style}, {"style": style, "image": shuffled}]
    same, moved = _style_loss(learner, seed, cases)
    call = "style_loss(style_features, image_features)"
    if not abs(same) <= 1e-6:
        fail(f"{call} of a style with itself is {same:.6g}, not 0")
    if not abs(moved) <= 1e-5:
        fail(f"{call} of a style and the same features with their positions shuffled is "
             f"{moved:.6g}, not 0: the style loss compares Gram matrices, which sum over the "
             "positions, not the features pixel by pixel")
