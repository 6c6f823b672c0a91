"""Train your own image classifier: transfer learning.

Checks for ``exercises/lesson7_transfer_learning.py``: ``feature_extractor``,
``build_transfer_model``, ``train_head`` and ``fine_tune``, on the course's own base model (a
convnet trained on Fashion-MNIST, ``grader.data.base_model``). Models come back from the
learner's process as plain data and are rebuilt here from the allow-list of standard layers
(``grader.keras_models``); their weights are compared here, bit for bit, with the shipped ones
(read with numpy alone); the held-out accuracy on MNIST digits is measured here, on a model
rebuilt here, and the held-out labels never leave this process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader._tensorflow import quiet_keras
from grader.check import check
from grader.data.base_model import CLASSIFIER, FEATURES, LAYERS, base_weights
from grader.data.mnist import grading_split
from grader.expect import describe, expect_number, fail, measure
from grader.keras_models import ModelRejected, held_out_accuracy, rebuild_model
from grader.learner.wire import Array, Opaque

PROBES = "lesson7_transfer_learning"
INPUT_SHAPE = (28, 28, 1)
FEATURE_SIZE = 7 * 7 * 32
CLASSES = 10

#: The new task: MNIST digits from the first LABELS images of the grading pool (the first 8,000
#: of the MNIST test set), measured on the 2,000 held out. Calibrated with
#: benchmarks/calibrate_lesson7.py (table in notes.md).
LABELS = 300
HEAD_EPOCHS = 20
BATCH_SIZE = 32
ACCURACY_THRESHOLD = 0.85
REFERENCE_ACCURACY = "about 89 %"
#: Fine-tuning, in its checks: each case on a fresh transfer model, the head first (one
#: epoch), then fine_tune, then one epoch. Which layers are trainable is seen from the weights
#: that one step of the grader's own training moves (compared here), never from the flags the
#: learner's objects report, so only layers with weights show it: num_layers = 3 (conv2 and
#: above; one layer fewer trains nothing), then 6 (bn1 and above: it must keep its statistics;
#: one layer more reaches conv1).
TUNE_CASES = (3, 6)
TUNE_RATE = 1e-4
TUNE_HEAD_EPOCHS = 1
TUNE_LABELS = 128
TRAIN_TIMEOUT_S = 120

#: The extractor's layers in order (InputLayer excluded): the base's, up to its features.
EXTRACTOR = [(name, kind) for name, kind, _ in LAYERS if name != CLASSIFIER]
#: Those with weights: the only ones whose being trainable a training step can show.
WEIGHTED = [name for name, _, weights in LAYERS if weights and name != CLASSIFIER]
#: How many images the grader's own training step uses (flags seen from moved weights).
STEP_IMAGES = 32
NORM = "BatchNormalization"


def prepare() -> None:
    """Load the grading split and the base weights before any check runs; then import Keras,
    which rebuilds the learner's models here, while the learner's process is still starting."""
    grading_split()
    base_weights()
    quiet_keras()


def _pool(count: int) -> tuple[np.ndarray, np.ndarray]:
    split = grading_split()
    return (split.train_images[:count].reshape(-1, *INPUT_SHAPE), split.train_labels[:count])


# -- reading what came back ---------------------------------------------------------------------


def _state(answer: Any, what: str) -> dict[str, Any]:
    """A probe's model state, checked to be a keras.Model's."""
    if type(answer) is not dict or isinstance(answer, Opaque):
        fail(f"the grader could not read what {what} returned")
    if type(answer.get("description")) is not dict:  # rebuilt and judged from it
        cls = answer.get("class")
        hint = ": did you forget the `return`?" if cls == "NoneType" else ""
        fail(f"{what} should return a keras.Model, got a {str(cls)[:60]}{hint}")
    return answer


def _rebuild(description: Any, what: str) -> Any:
    try:
        return rebuild_model(description)
    except ModelRejected as exc:
        fail(f"{what} returned a model the grader cannot rebuild: {exc}")


def _kinds(model: Any) -> list[str]:
    return [type(layer).__name__ for layer in model.layers[1:]]


def _layer_weights(model: Any) -> list[list[np.ndarray]]:
    return [[np.asarray(w) for w in layer.get_weights()] for layer in model.layers[1:]]


def _chain_problem(kinds: list[str], what: str) -> str | None:
    """Why a chain of layer kinds is not the base's up to its features (None when it is)."""
    expected = [kind for _, kind in EXTRACTOR]
    if kinds[:len(expected)] != expected:
        if kinds == expected[:-1]:
            return (f"{what} ends one layer early, at pool2 (7×7×32 feature maps): take the "
                    f"output of the '{FEATURES}' layer, base_model.get_layer(\"{FEATURES}\")"
                    ".output")
        return (f"{what} has the layers {kinds}; the base's layers up to '{FEATURES}' are "
                f"{expected}: build it from base_model's own layers, keras.Model("
                f"base_model.input, base_model.get_layer(\"{FEATURES}\").output)")
    return None


def _base_part(model: Any, what: str, *, head: bool) -> dict[str, np.ndarray]:
    """The base's weights (by name) in a rebuilt extractor (``head=False``) or transfer model,
    after its shape is checked; the head is what follows."""
    kinds = _kinds(model)
    problem = _chain_problem(kinds, what)
    if problem:
        fail(problem)
    rest = model.layers[1 + len(EXTRACTOR):]
    if rest and _is_base_classifier(rest[0]):
        fail(f"{what} goes on past the features to the base's classifier, '{CLASSIFIER}' "
             "(10 scores for Fashion-MNIST's clothes)"
             + (": the new head then sits on the base's logits, not on its features. "
                if head else ". ")
             + f"End the extractor at base_model.get_layer(\"{FEATURES}\").output")
    if not head and rest:
        fail(f"{what} has layers after '{FEATURES}' ({[type(r).__name__ for r in rest]}): the "
             "extractor ends at the features")
    weights = _layer_weights(model)
    named = {}
    for (name, _), arrays, (_, _, names) in zip(EXTRACTOR, weights, LAYERS, strict=False):
        for weight, array in zip(names, arrays, strict=True):
            named[f"{name}/{weight}"] = array
    return named


def _is_base_classifier(layer: Any) -> bool:
    """Whether a rebuilt layer is the base's own classifier (its shipped weights)."""
    arrays = layer.get_weights()
    reference = base_weights()
    return len(arrays) == 2 and all(
        np.asarray(a).shape == reference[f"{CLASSIFIER}/{w}"].shape
        and np.array_equal(a, reference[f"{CLASSIFIER}/{w}"])
        for a, w in zip(arrays, ("kernel", "bias"), strict=True))


def _changed(named: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> list[str]:
    return [name for name, array in named.items()
            if array.shape != reference[name].shape or not np.array_equal(array, reference[name])]


def _head_layers(model: Any) -> list[Any]:
    return list(model.layers[1 + len(EXTRACTOR):])


def _moved_layers(before: Any, after: Any) -> list[tuple[str, str, list[str]]]:
    """(name, class, names of the weights that moved) of each layer of two rebuilt models of
    the same architecture whose weights differ: the layers a training step trained."""
    moved = []
    for old, new in zip(before.layers, after.layers, strict=False):
        old_w, new_w = old.get_weights(), new.get_weights()
        names = [str(w.name).split("/")[-1] for w in old.weights]
        if len(old_w) != len(new_w):
            moved.append((old.name, type(old).__name__, names))
            continue
        changed = [name for name, a, b in zip(names, old_w, new_w, strict=False)
                   if a.shape != b.shape or not np.array_equal(a, b)]
        if changed:
            moved.append((old.name, type(old).__name__, changed))
    return moved


def _head_step_ran(state: dict[str, Any], model: Any, images: np.ndarray,
                   labels: np.ndarray) -> bool:
    """Whether the grader's head after its training step through the extractor is what one
    SGD step from its known start gives on the extractor's features, computed here (in
    inference or in training mode): proof that the step ran, so that unmoved weights are
    frozen ones and not a step left out."""
    from .probes import HEAD_RATE, head_kernel

    head = state.get("head_after")
    if type(head) is not list or len(head) != 2 or not all(isinstance(h, Array) for h in head):
        return False
    head = [h.array.astype(np.float64) for h in head]
    onehot = np.eye(10)[labels]
    for training in (False, True):
        features = np.asarray(model(images, training=training), np.float64)
        features = features.reshape(len(images), -1)
        kernel = head_kernel(features.shape[1]).astype(np.float64)
        logits = features @ kernel
        probabilities = _softmax(logits) - onehot
        kernel -= HEAD_RATE * features.T @ probabilities / len(images)
        bias = -HEAD_RATE * probabilities.mean(axis=0)
        if head[0].shape == kernel.shape and np.allclose(head[0], kernel, rtol=1e-3,
                                                         atol=1e-5) \
                and np.allclose(head[1], bias, rtol=1e-3, atol=1e-5):
            return True
    return False


def _stepped(state: dict[str, Any], model: Any, what: str) -> Any:
    """The model after one step of the grader's own training, rebuilt (see the probes)."""
    error = state.get("step_error")
    if error is not None:
        fail(f"one step of the grader's own training of {what} failed ({str(error)[:200]}): "
             "return a plain keras.Model built from the base's layers")
    after = _rebuild(state.get("after_step"), f"{what}, after one training step,")
    if len(after.layers) != len(model.layers):
        fail(f"the grader could not compare {what} before and after one training step")
    return after


# -- feature_extractor --------------------------------------------------------------------------


def _once(learner, key: str, run: Callable[[], Any]) -> Any:
    """``run()`` once per grading for the checks that share it (its failure too): see
    ``LearnerSession.shared``."""
    return learner.shared(key, run)


def _extractor(learner, seed: int) -> tuple[dict[str, Any], Any]:
    def run() -> tuple[dict[str, Any], Any]:
        images, labels = _pool(STEP_IMAGES)
        answer = learner.run(f"{PROBES}:extractor", label="feature_extractor(base_model)",
                             seed=seed, images=images, labels=labels)
        state = _state(answer, "feature_extractor(base_model)")
        return state, _rebuild(state["description"], "feature_extractor(base_model)")

    return _once(learner, "extractor", run)


@check(
    "feature_extractor ends at the base's features, with the base's own weights",
    points=2,
    hint=f"Return keras.Model(base_model.input, base_model.get_layer(\"{FEATURES}\").output): "
    "the same layers (and so the same trained weights) as the base, up to the layer before its "
    f"classifier ('{CLASSIFIER}'). Do not build new layers: they would start from random "
    "weights.",
    grades="feature_extractor",
)
def test_extractor_ends_at_features(learner, seed):
    _, model = _extractor(learner, seed)
    what = "the model feature_extractor(base_model) returned"
    if tuple(model.input_shape[1:]) != INPUT_SHAPE:
        fail(f"{what} takes inputs of shape {tuple(model.input_shape[1:])}; the base takes "
             f"{INPUT_SHAPE}: start from base_model.input")
    named = _base_part(model, what, head=False)
    changed = _changed(named, base_weights())
    if changed:
        fail(f"{what} has other weights than the base ({', '.join(changed[:3])} differ): "
             "reuse base_model's trained layers (keras.Model(base_model.input, ...)) instead of "
             "new ones, and do not train or change them")
    if tuple(model.output_shape[1:]) != (FEATURE_SIZE,):
        fail(f"{what} outputs shape {tuple(model.output_shape[1:])}; the features are "
             f"({FEATURE_SIZE},)")


@check(
    "feature_extractor freezes every layer",
    points=2,
    hint="Set extractor.trainable = False before returning it: in Keras 3 that freezes every "
    "layer inside, BatchNormalization included (which also makes it run in inference mode).",
    grades="feature_extractor",
)
def test_extractor_is_frozen(learner, seed):
    state, model = _extractor(learner, seed)
    what = "the extractor feature_extractor(base_model) returned"
    after = _stepped(state, model, what)
    if not _head_step_ran(state, model, *_pool(STEP_IMAGES)):
        fail(f"the grader's training step through {what} did not give the update the grader "
             "computes for it: the step did not run as the grader wrote it, so which layers "
             "are frozen is unknown")
    trained = _moved_layers(model, after)
    if not trained:
        return
    names = ", ".join(name for name, *_ in trained)
    if all(kind == NORM and all(w.startswith("moving_") for w in weights)
           for _, kind, weights in trained):
        fail(f"one training step through {what} changed its BatchNormalization statistics "
             f"({names}): the layer ran in training mode, so it would replace the base's "
             "statistics by those of the new images' batches. Freeze the whole extractor: "
             "extractor.trainable = False")
    fail(f"one training step through {what} changed the weights of {names}: those layers are "
         "trainable, so training the head would change the base's weights too. Freeze it: "
         "extractor.trainable = False")


# -- build_transfer_model -----------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(p: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(-np.log(p[np.arange(len(labels)), labels])))


def _output_kind(head: list[Any]) -> str:
    """logits, probabilities or the name of something else, from the head's layers."""
    last = "linear"
    for layer in head:
        kind = type(layer).__name__
        if kind in ("Dense", "Activation"):
            activation = layer.get_config()["activation"]
            last = activation if kind == "Dense" or activation != "linear" else last
        elif kind == "Softmax":
            last = "softmax"
        elif kind == "ReLU":
            last = "relu"
    return {"linear": "logits", "softmax": "probabilities"}.get(last, last)


def _transfer(learner, seed: int, num_classes: int
              ) -> tuple[dict[str, Any], Any, np.ndarray, np.ndarray, np.ndarray]:
    return _once(learner, f"transfer {num_classes}",
                 lambda: _run_transfer(learner, seed, num_classes))


def _run_transfer(learner, seed: int, num_classes: int
                  ) -> tuple[dict[str, Any], Any, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(num_classes)  # fixed: two checks share the answer
    n = 16
    labels = rng.integers(0, num_classes, n).astype(np.int64)
    logits = rng.normal(0, 3, (n, num_classes)).astype(np.float32)
    probabilities = _softmax(rng.normal(0, 2, (n, num_classes))).astype(np.float32)
    what = f"build_transfer_model(extractor, {num_classes})"
    images, image_labels = _pool(STEP_IMAGES)
    answer = learner.run(f"{PROBES}:transfer", label=what, seed=seed, num_classes=num_classes,
                         labels=labels, logits=logits, probabilities=probabilities,
                         images=images, image_labels=image_labels % num_classes)
    state = _state(answer, what)
    return state, _rebuild(state["description"], what), labels, logits, probabilities


@check(
    "build_transfer_model puts a Dense(num_classes) head on the extractor, with a matching loss",
    points=2,
    hint="keras.Sequential([extractor, keras.layers.Dense(num_classes)]), compiled with "
    "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True) (the head outputs "
    "logits). With activation=\"softmax\" on the head, use \"sparse_categorical_crossentropy\" "
    "(probabilities) instead. Use num_classes, not 10.",
    grades="build_transfer_model",
    uses="feature_extractor",
)
def test_head_width_and_loss(learner, seed):
    for num_classes in (CLASSES, 3):
        what = f"the model build_transfer_model(extractor, {num_classes}) returned"
        state, model, labels, logits, probabilities = _transfer(learner, seed, num_classes)
        _base_part(model, what, head=True)
        head = _head_layers(model)
        dense = [layer for layer in head if type(layer).__name__ == "Dense"]
        if not dense:
            fail(f"{what} has no new Dense layer after the extractor: add "
                 "keras.layers.Dense(num_classes)")
        if int(dense[-1].units) != num_classes:
            fail(f"{what} ends with Dense({int(dense[-1].units)}); the head needs one output "
                 f"per class of the new task, Dense(num_classes) = Dense({num_classes})")
        description = state["description"]
        loss = description.get("loss")
        if not description.get("compiled") or type(loss) is not dict or \
                state.get("on_logits") is None:
            fail(f"{what} is not compiled with a loss: call model.compile(optimizer=..., "
                 "loss=...) before returning it")
        kind, name, flag = _output_kind(head), loss.get("name"), loss.get("from_logits")
        if kind == "logits":
            got = expect_number(state["on_logits"], label="your loss on logits")
            expected = _cross_entropy(_softmax(logits.astype(np.float64)), labels)
            if not np.isclose(got, expected, rtol=1e-3, atol=1e-4):
                fail(f"{what}: the head has no activation (logits), but its loss ({name}, "
                     f"from_logits={flag or False}) gives {got:.4g} where the cross-entropy of "
                     f"those logits is {expected:.4g}: use "
                     "SparseCategoricalCrossentropy(from_logits=True)")
        elif kind == "probabilities":
            got = expect_number(state["on_probabilities"], label="your loss on probabilities")
            expected = _cross_entropy(probabilities.astype(np.float64), labels)
            if not np.isclose(got, expected, rtol=1e-3, atol=1e-4):
                fail(f"{what}: the head ends with a softmax (probabilities), but its loss "
                     f"({name}, from_logits={flag}) gives {got:.4g} where their cross-entropy "
                     f"is {expected:.4g}" + (": softmax twice. Drop from_logits=True"
                                             if flag else ""))
        else:
            fail(f"{what}: the head ends with {kind}; it should output logits (no activation) "
                 "or probabilities (softmax)")


@check(
    "the transfer model trains the head only: its trainable weights are the new Dense layer's",
    points=2,
    hint="Keep the extractor frozen inside the model (do not set extractor.trainable = True, "
    "and do not rebuild its layers), and leave the new Dense head trainable: "
    "model.trainable_weights should be just the head's kernel and bias.",
    grades="build_transfer_model",
    uses="feature_extractor",
)
def test_only_head_trainable(learner, seed):
    num_classes = CLASSES
    what = f"the model build_transfer_model(extractor, {num_classes}) returned"
    state, model, *_ = _transfer(learner, seed, num_classes)
    start = _base_part(model, what, head=True)
    after = _stepped(state, model, what)
    moved = [name for name in _changed(_base_part(after, what, head=True), start)]
    head = {layer.name for layer in _head_layers(model)}
    trained_head = [name for name, *_ in _moved_layers(model, after) if name in head]
    if moved:
        fail(f"one step of the grader's own training of {what} changed the base's weights "
             f"({', '.join(moved[:4])}): the model trains the base too. The extractor must "
             "stay frozen in the transfer model (extractor.trainable = False)")
    if not trained_head:
        fail(f"one step of the grader's own training of {what} changed no weight at all: the "
             "new head is frozen too (was model.trainable set to False, or the Dense layer's "
             "trainable?)")


# -- train_head ---------------------------------------------------------------------------------


def _losses(history: Any, epochs: int, what: str) -> list[float]:
    if type(history) is not dict or history.get("class") != "History":
        got = history.get("class") if type(history) is dict else describe(history)
        fail(f"{what} should return the History that model.fit returns, got a {got}: "
             "return model.fit(...)")
    values = history.get("history")
    losses = values.get("loss") if type(values) is dict else None
    if type(losses) is not list:
        fail(f"the History {what} returned has no \"loss\": train with model.fit")
    if len(losses) != epochs:
        fail(f"the History {what} returned has {len(losses)} loss values; with epochs={epochs} "
             f"it should have {epochs}: pass epochs=epochs to model.fit")
    return [expect_number(v, label=f"a loss in the History {what} returned") for v in losses]


TRAINING = (f"train_head(build_transfer_model(feature_extractor(base_model), 10), images, "
            f"labels, epochs={HEAD_EPOCHS}, batch_size={BATCH_SIZE}) on {LABELS} labelled digits")


def _training(learner, seed: int) -> dict[str, Any]:
    """The learner's own recipe trained on the grader's labels, once per grading."""
    images, labels = _pool(LABELS)
    answer = _once(learner, "training", lambda: learner.run(
        f"{PROBES}:train", label=TRAINING, seed=seed, timeout=TRAIN_TIMEOUT_S, images=images,
        labels=labels, epochs=HEAD_EPOCHS, batch_size=BATCH_SIZE))
    if type(answer) is not dict or isinstance(answer, Opaque):
        fail("the grader could not read the trained model")
    return answer


def _trained(learner, seed: int) -> tuple[Any, dict[str, np.ndarray]]:
    """The trained model, rebuilt (once per grading), and its base part."""
    def run() -> tuple[Any, dict[str, np.ndarray]]:
        state = _state(_training(learner, seed), "build_transfer_model(extractor, 10)")
        what = "the transfer model, once trained,"
        model = _rebuild(state["description"], what)
        return model, _base_part(model, what, head=True)

    return _once(learner, "trained", run)


@check(
    "train_head trains for `epochs` epochs, returns the History, and the loss goes down",
    points=1,
    hint="return model.fit(images, labels, epochs=epochs, batch_size=batch_size): the "
    "arguments as given, and what fit returns.",
    grades="train_head",
    depends=("feature_extractor", "build_transfer_model"),
)
def test_train_head_trains(learner, seed):
    answer = _training(learner, seed)
    what = f"train_head(model, images, labels, epochs={HEAD_EPOCHS}, batch_size={BATCH_SIZE})"
    losses = _losses(answer.get("history"), HEAD_EPOCHS, what)
    if not all(np.isfinite(losses)) or not losses[-1] < losses[0]:
        fail(f"the loss per epoch in the History {what} returned, "
             f"{[round(v, 4) for v in losses]}, does not go down: train on the images and "
             "labels given")


def _drift_message(changed: list[str], what: str) -> str:
    moved = ", ".join(changed[:4])
    if all(name.startswith("bn1/moving_") for name in changed):
        return (f"{what} the base's BatchNormalization statistics changed ({moved}): the "
                "layer ran in training mode. Keep it frozen (trainable = False), or call the "
                "extractor with training=False")
    return (f"{what} the base's weights changed ({moved}): the base was left trainable. Freeze "
            "the extractor (extractor.trainable = False) and keep it frozen in the transfer "
            "model")


@check(
    "training the head leaves the base's weights bit-identical",
    points=2,
    hint="The extractor must be frozen (extractor.trainable = False) when model.fit runs: then "
    "only the head's kernel and bias change, and every weight of the base, BatchNormalization "
    "statistics included, stays exactly as shipped.",
    grades="train_head",
    depends=("feature_extractor", "build_transfer_model"),
)
def test_base_unchanged_by_training(learner, seed):
    _, named = _trained(learner, seed)
    changed = _changed(named, base_weights())
    if changed:
        fail(_drift_message(changed, f"after {TRAINING},"))


@check(
    f"the trained classifier gets at least {ACCURACY_THRESHOLD:.0%} of 2,000 held-out digits "
    f"right from {LABELS} labels",
    points=4,
    hint=f"The grader builds your transfer model on the base, trains it with train_head on the "
    f"first {LABELS} images of the grading split (epochs={HEAD_EPOCHS}, "
    f"batch_size={BATCH_SIZE}) and measures it on 2,000 held-out digits. A frozen extractor, a "
    "Dense(10) head with a matching loss and Adam(1e-3) reach about 89 %.",
    grades="train_head",
    depends=("feature_extractor", "build_transfer_model"),
)
def test_held_out_accuracy(learner, seed):
    model, _ = _trained(learner, seed)
    if not all(np.all(np.isfinite(w)) for w in model.get_weights()):
        fail(f"after {TRAINING} the model's weights hold NaN or infinity: training diverged")
    split = grading_split()
    accuracy = held_out_accuracy(model, split.test_images.reshape(-1, *INPUT_SHAPE),
                                 split.test_labels)
    if not measure("held-out accuracy", accuracy, ACCURACY_THRESHOLD, at_least=True):
        fail(f"after {TRAINING}, your model classifies {accuracy:.1%} of the 2,000 held-out "
             f"digits correctly; at least {ACCURACY_THRESHOLD:.0%} is expected (the reference "
             f"gets {REFERENCE_ACCURACY})")


# -- fine_tune ----------------------------------------------------------------------------------


def _tune_call(num_layers: int) -> str:
    return f"fine_tune(model, extractor, num_layers={num_layers}, learning_rate={TUNE_RATE:g})"


def _tuned(learner, seed: int, num_layers: int) -> dict[str, Any]:
    """What fine-tuning with ``num_layers`` left, from the one fine-tuning run of a grading
    (each of TUNE_CASES on a fresh transfer model): the optimizer, and the model rebuilt before
    fine_tune, after one epoch of model.fit, and after one step of the grader's own training.
    Rebuilt once per grading for each ``num_layers``."""
    return _once(learner, f"fine-tuned {num_layers}", lambda: _read_tuned(learner, seed,
                                                                          num_layers))


def _read_tuned(learner, seed: int, num_layers: int) -> dict[str, Any]:
    images, labels = _pool(TUNE_LABELS)
    answer = _once(learner, "fine-tuning", lambda: learner.run(
        f"{PROBES}:fine_tune", label=_tune_call(TUNE_CASES[0]), seed=seed,
        timeout=TRAIN_TIMEOUT_S, images=images, labels=labels, head_epochs=TUNE_HEAD_EPOCHS,
        cases=list(TUNE_CASES), learning_rate=TUNE_RATE, epochs=1, batch_size=BATCH_SIZE))
    if type(answer) is not dict or isinstance(answer, Opaque) or answer.get("before") is None:
        fail("the grader could not read the model fine-tuning started from")
    call = _tune_call(num_layers)
    if answer.get(f"after_{num_layers}") is None:
        fail(f"{call} returned a {str(answer.get(f'returned_{num_layers}'))[:60]}; it should "
             "return the model it was given, recompiled: `return model`")
    error = answer.get(f"step_error_{num_layers}")
    if error is not None:
        fail(f"after {call} one step of the grader's own training failed ({str(error)[:200]})")
    return {"before": _rebuild(answer.get(f"before_{num_layers}"),
                               "build_transfer_model, once trained,"),
            "after": _rebuild(answer.get(f"after_{num_layers}"), call),
            "probed": _rebuild(answer.get(f"probed_{num_layers}"), call),
            "optimizer": answer.get(f"optimizer_{num_layers}")}


def _base_moved(start: Any, end: Any, what: str) -> set[str]:
    """The base's layers (by the base's names) whose weights differ between two rebuilt
    transfer models."""
    changed = _changed(_base_part(end, what, head=True), _base_part(start, what, head=True))
    return {name.split("/")[0] for name in changed}


def _unfrozen(answer: dict[str, Any], num_layers: int) -> set[str]:
    """The extractor's layers that one step of the grader's own training moved after
    fine_tune: the trainable ones (weightless layers cannot show it)."""
    return _base_moved(answer["after"], answer["probed"], f"after {_tune_call(num_layers)}")


def _count_message(num_layers: int, on: set[str]) -> str | None:
    """Why the trainable layers ``on`` (those with weights that a training step moved) are not
    the top ``num_layers`` (None when they are)."""
    names = [name for name, _ in EXTRACTOR]
    expected = names[len(names) - num_layers:] if num_layers > 0 else []
    allowed = {name for name, kind in EXTRACTOR if kind == NORM}
    visible = set(expected) & set(WEIGHTED)
    if on - allowed == visible - allowed:
        return None
    call = _tune_call(num_layers)
    trained = ", ".join(name for name in names if name in on)
    if not on:
        return (f"after {call} no layer of the extractor trains (one step of the grader's own "
                "training moved none of its weights): set layer.trainable = True on each of "
                "the top num_layers layers (extractor.layers[-num_layers:]). "
                "extractor.trainable = True alone is not enough when the extractor's own flag "
                "is already True: Keras passes the flag down to the layers only when it changes")
    if on >= set(WEIGHTED) - allowed and not visible >= set(WEIGHTED) - allowed:
        return (f"after {call} every layer of the extractor trains; only the top "
                f"{num_layers} ({', '.join(expected) or 'none'}) should: freeze the others")
    if max(names.index(name) for name in on) < len(names) - num_layers:
        return (f"after {call} the bottom layers train ({trained}): fine-tuning unfreezes the "
                "top ones, nearest the head: extractor.layers[-num_layers:]")
    return (f"after {call} the layers that train are {trained}; the top {num_layers} layers "
            f"are {', '.join(expected) or 'none'}: count num_layers layers from the end of "
            "extractor.layers, weightless ones (pooling, Flatten) included")


@check(
    "fine_tune makes exactly the top num_layers layers of the extractor trainable",
    points=3,
    hint="extractor.trainable = True, then for each layer of extractor.layers: trainable = "
    "True for the last num_layers layers (extractor.layers[-num_layers:]), False for the rest. "
    "BatchNormalization layers may stay frozen (better so).",
    grades="fine_tune",
    uses=("feature_extractor", "build_transfer_model", "train_head"),
)
def test_fine_tune_unfreezes_top_layers(learner, seed):
    for num_layers in TUNE_CASES:
        message = _count_message(num_layers, _unfrozen(_tuned(learner, seed, num_layers),
                                                       num_layers))
        if message:
            fail(message)


@check(
    "fine_tune recompiles the model at the learning rate asked, so the unfrozen layers train",
    points=2,
    hint="After changing trainable flags, call model.compile(optimizer=keras.optimizers.Adam("
    "learning_rate=learning_rate), loss=...) again: Keras builds its training step from the "
    "weights that are trainable when it first trains after a compile, so a model already "
    "trained keeps training the head only until it is compiled again.",
    grades="fine_tune",
    uses=("feature_extractor", "build_transfer_model", "train_head"),
)
def test_fine_tune_recompiles(learner, seed):
    num_layers = TUNE_CASES[0]
    call = _tune_call(num_layers)
    answer = _tuned(learner, seed, num_layers)
    what = f"after {call} and one epoch of model.fit"
    unfrozen = _unfrozen(answer, num_layers) - {"bn1"}
    moved = _base_moved(answer["before"], answer["after"], what) - {"bn1"}
    if unfrozen and not moved:
        fail(f"{what} the unfrozen layers ({', '.join(sorted(unfrozen))}) did not change: the "
             "model was not recompiled after unfreezing them (trainable changed after the "
             "model was compiled and trained), so Keras kept training the head only. Call "
             "model.compile(...) again in fine_tune, after setting the flags")
    stuck = unfrozen - moved
    if stuck:
        fail(f"{what} the unfrozen layers {', '.join(sorted(stuck))} did not change: recompile "
             "the model after setting the flags")
    if moved - unfrozen:
        fail(f"{what} frozen layers changed ({', '.join(sorted(moved - unfrozen))}): are "
             "their weights trainable in the recompiled model?")
    optimizer = answer.get("optimizer")
    rate = optimizer.get("learning_rate") if type(optimizer) is dict else None
    if type(rate) is not float:
        fail(f"after {call} the model's optimizer has no plain learning rate the grader can "
             "read: compile with keras.optimizers.Adam(learning_rate=learning_rate)")
    if not np.isclose(rate, TUNE_RATE, rtol=1e-4):
        fail(f"after {call} the model's optimizer has learning_rate={rate:g}; fine-tuning asks "
             f"for {TUNE_RATE:g}: a much smaller step, so the pretrained weights are adjusted, "
             "not overwritten. Pass learning_rate to the optimizer")


@check(
    "fine-tuning keeps the base's BatchNormalization statistics (no training mode)",
    points=2,
    hint="When fine_tune unfreezes a BatchNormalization layer, model.fit runs it in training "
    "mode and its moving mean and variance drift to the digits' batches. Keep such layers "
    "frozen in fine_tune: if isinstance(layer, keras.layers.BatchNormalization), leave "
    "layer.trainable = False.",
    grades="fine_tune",
    uses=("feature_extractor", "build_transfer_model", "train_head"),
)
def test_fine_tune_keeps_batchnorm_statistics(learner, seed):
    num_layers = TUNE_CASES[-1]
    call = _tune_call(num_layers)
    answer = _tuned(learner, seed, num_layers)
    start = _base_part(answer["before"], "the transfer model", head=True)
    end = _base_part(answer["after"], f"after {call}", head=True)
    drifted = [name for name in _changed(end, start) if name.startswith("bn1/moving_")]
    if drifted:
        fail(f"after {call} and one epoch of model.fit the base's BatchNormalization "
             f"statistics changed ({', '.join(drifted)}): the BatchNormalization layer was "
             "unfrozen in training mode. Keep BatchNormalization layers frozen when "
             "fine-tuning (layer.trainable = False for them)")
