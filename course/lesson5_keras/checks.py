"""The high-level API: a Keras classifier.

Checks for ``exercises/lesson5_keras.py``: ``build_classifier`` and ``train_classifier``. The
learner's process sends back each model as plain data (config, weights, loss, optimizer); this
process rebuilds it from an allow-list of standard layers (``grader.keras_models``) and judges the
rebuilt model: its architecture, and its held-out accuracy on images whose labels never enter the
learner's process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader._tensorflow import quiet_keras
from grader.check import check
from grader.data.mnist import grading_split
from grader.expect import describe, expect_number, fail, measure
from grader.keras_models import ModelRejected, held_out_accuracy, rebuild_model

PROBES = "lesson5_keras"
PIXELS, CLASSES = 784, 10

#: The training budget of the held-out check: the 2016 DNNClassifier's hidden_units=[128, 32],
#: 5 epochs of the 8,000 grading images in batches of 100 (400 steps), about 3 s on 2 cores.
HIDDEN_UNITS = [128, 32]
EPOCHS = 5
BATCH_SIZE = 100
TRAIN_TIMEOUT_S = 120
#: Calibrated with benchmarks/calibrate_lesson5.py; the table is in notes.md.
HELD_OUT_THRESHOLD = 0.93
REFERENCE_ACCURACY = "about 94.5 %"

#: Hidden layers need a non-linearity between them; any of these will do (2016: ReLU).
NONLINEAR = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid")
#: Layers that may sit anywhere in the stack without changing what it is.
NEUTRAL = ("Dropout", "BatchNormalization", "Rescaling", "Flatten", "Reshape")


def prepare() -> None:
    """Load the grading split before any check runs: missing MNIST stops grading with its fix.
    Then import Keras, which rebuilds the learner's model here: it starts in this process while
    the learner's process is still starting, not after the first model comes back."""
    grading_split()
    quiet_keras()


# -- reading a rebuilt model ----------------------------------------------------------------------


@dataclass
class Stack:
    """A rebuilt model as the lesson sees it: its input size and its Dense layers in order."""

    input_shape: tuple[Any, ...]
    units: list[int] = field(default_factory=list)
    #: the activations applied after each Dense layer, before the next one ("linear" dropped)
    activations: list[list[str]] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # layers this lesson does not expect

    def output_kind(self) -> str:
        """ "logits", "probabilities", or the activations that end the model."""
        last = self.activations[-1] if self.activations else []
        if not last:
            return "logits"
        if last == ["softmax"]:
            return "probabilities"
        return " then ".join(last)


def _activation_of(layer: Any) -> str | None:
    kind = type(layer).__name__
    config = layer.get_config()
    if kind in ("Dense", "Activation"):
        return config["activation"]
    if kind == "ReLU":
        return "leaky_relu" if config["negative_slope"] else "relu"
    if kind == "Softmax":
        return "softmax"
    return None


def _stack(model: Any) -> Stack:
    stack = Stack(tuple(model.input_shape))
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer" or kind in NEUTRAL:
            continue
        if kind == "Dense":
            stack.units.append(int(layer.units))
            stack.activations.append([])
        activation = _activation_of(layer)
        if activation is None:
            stack.others.append(kind)
        elif activation != "linear":
            if not stack.activations:
                stack.others.append(f"{kind}({activation}) before the first Dense layer")
            else:
                stack.activations[-1].append(activation)
    return stack


def _call(hidden_units: list[int], num_classes: int | None) -> str:
    return (f"build_classifier({hidden_units})" if num_classes is None
            else f"build_classifier({hidden_units}, num_classes={num_classes})")


def _rebuild(description: Any, what: str) -> Any:
    """The trusted rebuild of a model the learner's function returned, or a learner verdict."""
    if type(description) is not dict:
        fail(f"the grader could not read the model {what} returned")
    cls = description.get("class")
    if type(cls) is str and cls in ("NoneType", "tuple", "list", "dict", "History", "str"):
        fail(f"{what} should return a keras.Model, got a {cls}"
             + (": did you forget the `return model`?" if cls == "NoneType" else ""))
    try:
        return rebuild_model(description)
    except ModelRejected as exc:
        fail(f"{what} returned a model the grader cannot rebuild: {exc}")


def _built(learner, seed: int, hidden_units: list[int],
           num_classes: int | None = None) -> tuple[dict[str, Any], Any, Stack]:
    what = _call(hidden_units, num_classes)
    description = learner.run(f"{PROBES}:build", label=what, seed=seed,
                              hidden_units=hidden_units, num_classes=num_classes)
    model = _rebuild(description, what)
    return description, model, _stack(model)


def _expect_layers(stack: Stack, hidden_units: list[int], num_classes: int, what: str) -> None:
    if stack.input_shape != (None, PIXELS):
        fail(f"{what} takes inputs of shape {stack.input_shape}; it should take flattened "
             f"images, (None, {PIXELS}): keras.Input(shape=({PIXELS},))")
    if stack.others:
        fail(f"{what} has layers this lesson does not use ({', '.join(stack.others)}): a stack "
             "of Dense layers is all it takes")
    expected = [*hidden_units, num_classes]
    if stack.units == expected:
        return
    if stack.units[:-1] == list(hidden_units):
        fail(f"{what} ends with a Dense layer of {stack.units[-1]} units; the output layer needs "
             f"one unit per class, num_classes={num_classes}")
    fail(f"{what} has Dense layers of {stack.units} units; expected {expected}: one hidden "
         f"layer per entry of hidden_units, then the output layer of num_classes units")


# -- build_classifier -----------------------------------------------------------------------------


@check(
    "build_classifier returns a compiled keras.Model the grader can rebuild",
    points=1,
    hint="Build a keras.Sequential (or a functional keras.Model) of standard layers (Input, "
    "Dense, Activation, Dropout, ...), call model.compile(optimizer=..., loss=...) on it, and "
    "return the model.",
    grades="build_classifier",
)
def test_builds_compiled_model(learner, seed):
    description, _, _ = _built(learner, seed, HIDDEN_UNITS)
    what = _call(HIDDEN_UNITS, None)
    if not description.get("compiled"):
        fail(f"the model {what} returned is not compiled: call model.compile(optimizer=..., "
             "loss=...) before returning it")
    if type(description.get("optimizer")) is not dict:
        fail(f"the model {what} returned has no optimizer: pass one to model.compile "
             "(optimizer=\"adam\")")


@check(
    "build_classifier makes one Dense layer per hidden_units entry, then num_classes outputs",
    points=3,
    hint="Start from keras.Input(shape=(784,)); add keras.layers.Dense(units, ...) for each "
    "units in hidden_units, in order; end with keras.layers.Dense(num_classes). Use the "
    "arguments, not fixed sizes.",
    grades="build_classifier",
)
def test_layer_sizes(learner, seed):
    for hidden_units, num_classes in (([128, 32], None), ([64], 10), ([16, 8, 4], 3)):
        _, _, stack = _built(learner, seed, hidden_units, num_classes)
        _expect_layers(stack, hidden_units, num_classes or CLASSES,
                       f"the model {_call(hidden_units, num_classes)} returned")


@check(
    "build_classifier([]) is a linear classifier (the 2016 LinearClassifier)",
    points=1,
    hint="With no hidden units the loop adds no hidden layer: the model is keras.Input then "
    "one Dense(num_classes) layer, lesson 3's softmax regression.",
    grades="build_classifier",
)
def test_linear_classifier(learner, seed):
    _, _, stack = _built(learner, seed, [])
    _expect_layers(stack, [], CLASSES, "the model build_classifier([]) returned")


@check(
    "every hidden layer has a non-linear activation (ReLU)",
    points=2,
    hint="Give each hidden Dense layer activation=\"relu\" (or follow it with "
    "keras.layers.ReLU()). Without it the layers multiply out into one matrix: a linear "
    "classifier. Softmax belongs on the output layer only.",
    grades="build_classifier",
)
def test_hidden_activations(learner, seed):
    for hidden_units in ([128, 32], [16, 8, 4]):
        _, _, stack = _built(learner, seed, hidden_units)
        what = f"the model {_call(hidden_units, None)} returned"
        _expect_layers(stack, hidden_units, CLASSES, what)
        for index, activations in enumerate(stack.activations[:-1]):
            name = f"{what}: hidden layer {index + 1} (Dense({stack.units[index]}))"
            if "softmax" in activations:
                fail(f"{name} has a softmax: softmax turns the output into probabilities and "
                     "belongs on the output layer only; use \"relu\" in hidden layers")
            if not any(a in NONLINEAR for a in activations):
                fail(f"{name} has no activation: without a non-linearity the hidden layers "
                     "collapse into one linear map; use activation=\"relu\"")


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(p: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(-np.log(p[np.arange(len(labels)), labels])))


@check(
    "the loss matches the output: logits with from_logits=True, or softmax with probabilities",
    points=2,
    hint="Either end with Dense(num_classes) (logits) and compile with "
    "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), or end with "
    "Dense(num_classes, activation=\"softmax\") and use \"sparse_categorical_crossentropy\" "
    "(from_logits=False). Labels are integer class ids: the Sparse loss.",
    grades="build_classifier",
)
def test_loss_matches_output(learner, rng, seed):
    n = 16
    labels = rng.integers(0, CLASSES, n).astype(np.int64)
    logits = rng.normal(0, 3, (n, CLASSES)).astype(np.float32)
    probabilities = _softmax(rng.normal(0, 2, (n, CLASSES))).astype(np.float32)
    what = _call(HIDDEN_UNITS, None)
    answer = learner.run(f"{PROBES}:loss_values", label=what, seed=seed,
                         hidden_units=HIDDEN_UNITS, labels=labels, logits=logits,
                         probabilities=probabilities)
    stack = _stack(_rebuild(answer["description"], what))
    loss = answer["description"].get("loss")
    if answer["on_logits"] is None or type(loss) is not dict:
        fail(f"the model {what} returned has no loss: compile it with loss=...")
    flag = loss.get("from_logits")
    name = loss.get("name")
    kind = stack.output_kind()
    if kind == "logits":
        got = expect_number(answer["on_logits"], label="your loss on logits")
        expected = _cross_entropy(_softmax(logits.astype(np.float64)), labels)
        if not np.isclose(got, expected, rtol=1e-3, atol=1e-4):
            if flag is not True:
                fail(f"your model's output layer has no activation, so it outputs logits, but "
                     f"its loss ({name}, from_logits={flag or False}) takes them for "
                     "probabilities: use SparseCategoricalCrossentropy(from_logits=True) (or "
                     "put a softmax on the output layer)")
            fail(f"your model's loss ({name}) on logits is {got:.5g}; the softmax "
                 f"cross-entropy of those logits is {expected:.5g}: use "
                 "keras.losses.SparseCategoricalCrossentropy(from_logits=True)")
    elif kind == "probabilities":
        got = expect_number(answer["on_probabilities"], label="your loss on probabilities")
        expected = _cross_entropy(probabilities.astype(np.float64), labels)
        if not np.isclose(got, expected, rtol=1e-3, atol=1e-4):
            if flag is True or np.isclose(got, _cross_entropy(
                    _softmax(probabilities.astype(np.float64)), labels), rtol=1e-3):
                fail(f"your model's output layer is a softmax (probabilities), but its loss "
                     f"({name}) has from_logits=True and applies softmax again: softmax twice. "
                     "Drop from_logits=True, or drop the softmax from the output layer")
            fail(f"your model's loss ({name}) on probabilities is {got:.5g}; the "
                 f"cross-entropy of those probabilities is {expected:.5g}: use "
                 "\"sparse_categorical_crossentropy\"")
    else:
        fail(f"your model's output layer ends with {kind}: it should output logits (no "
             "activation) or probabilities (softmax)")


# -- train_classifier -----------------------------------------------------------------------------


def _losses(history: Any, epochs: int, what: str) -> list[float]:
    if type(history) is not dict or history.get("class") != "History":
        got = history.get("class") if type(history) is dict else describe(history)
        fail(f"{what} should return the History that model.fit returns, got a {got}: "
             "return model.fit(...)")
    values = history.get("history")
    losses = values.get("loss") if type(values) is dict else None
    if type(losses) is not list:
        fail(f"the History {what} returned has no per-epoch \"loss\": was the model compiled "
             "with a loss, and trained with model.fit?")
    if len(losses) != epochs:
        fail(f"the History {what} returned has {len(losses)} loss values; with epochs={epochs} "
             f"it should have {epochs}, one per epoch: pass epochs=epochs to model.fit")
    return [expect_number(v, label=f"a loss value in the History {what} returned")
            for v in losses]


@check(
    "train_classifier trains for `epochs` epochs and returns the History, loss going down",
    points=2,
    hint="return model.fit(images, labels, epochs=epochs, batch_size=batch_size): use the "
    "arguments, and return what fit returns.",
    grades="train_classifier", uses=("build_classifier",),
)
def test_train_returns_history(learner, rng, seed):
    split = grading_split()
    pick = rng.choice(len(split.train_images), 1000, replace=False)
    epochs, batch_size = 3, 50
    what = f"train_classifier(model, images, labels, epochs={epochs}, batch_size={batch_size})"
    answer = learner.run(f"{PROBES}:train", label=what, seed=seed, timeout=TRAIN_TIMEOUT_S,
                         hidden_units=[32], images=split.train_images[pick],
                         labels=split.train_labels[pick], epochs=epochs, batch_size=batch_size)
    losses = _losses(answer["history"], epochs, what)
    if not all(np.isfinite(losses)):
        fail(f"the losses in the History {what} returned are {losses}: training diverged")
    if not losses[-1] < losses[0]:
        fail(f"the loss per epoch in the History {what} returned, "
             f"{[round(v, 4) for v in losses]}, does not go down: is the model trained on the "
             "images with their own labels?")


@check(
    f"the trained classifier gets at least {HELD_OUT_THRESHOLD:.0%} of 2,000 held-out images "
    "right",
    points=4,
    hint=f"The grader builds build_classifier({HIDDEN_UNITS}) and trains it with "
    f"train_classifier(model, images, labels, epochs={EPOCHS}, batch_size={BATCH_SIZE}). Use a "
    "loss that matches the output, an optimizer that learns in that budget (\"adam\", or SGD "
    "with learning_rate around 0.1), and train on the images given.",
    grades="train_classifier", depends=("build_classifier",),
)
def test_held_out_accuracy(learner, seed):
    split = grading_split()
    what = (f"train_classifier(build_classifier({HIDDEN_UNITS}), images, labels, "
            f"epochs={EPOCHS}, batch_size={BATCH_SIZE})")
    answer = learner.run(f"{PROBES}:train", label=what, seed=seed, timeout=TRAIN_TIMEOUT_S,
                         hidden_units=HIDDEN_UNITS, images=split.train_images,
                         labels=split.train_labels, epochs=EPOCHS, batch_size=BATCH_SIZE)
    model = _rebuild(answer["model"], "build_classifier, once trained,")
    if not all(np.all(np.isfinite(w)) for w in model.get_weights()):
        fail(f"after {what} the model's weights hold NaN or infinity: training diverged")
    score = held_out_accuracy(model, split.test_images, split.test_labels)
    if not measure("held-out accuracy", score, HELD_OUT_THRESHOLD, at_least=True):
        fail(f"after {what} your model classifies {score:.1%} of the 2,000 held-out images "
             f"correctly; at least {HELD_OUT_THRESHOLD:.0%} is expected (the reference gets "
             f"{REFERENCE_ACCURACY})")
