"""Learner side probes for lesson 7: the extractor, the transfer model, training, fine-tuning.

Each probe starts from a fresh copy of the course's base model (``load_base_model``, read from
the grader package), calls the learner's functions in the order a learner would, and sends back
plain data: models as :func:`grader.keras_models.describe_model` data. Which layers are
trainable is never taken from the flags the learner's objects report: a probe trains the model
one step itself (plain SGD, not the learner's optimizer) and sends the model again, and the
trusted side, which rebuilds the models, sees which weights moved by comparing them outside.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from grader.data.base_model import load_base_model
from grader.keras_models import describe_model
from grader.learner.worker import current_label


def _model_state(model: Any) -> dict[str, Any]:
    """A model's class and description (None for anything but a keras.Model); keep it at
    the top of a probe's answer: a nested model's layers sit deep already."""
    return {"class": type(model).__name__,
            "description": describe_model(model) if isinstance(model, keras.Model) else None}


def _base() -> Any:
    base = load_base_model()
    current_label("feature_extractor(base_model)")
    return base


#: The grader's own head for one training step through the extractor: Dense(10) with a kernel
#: drawn from this seed (the trusted side draws the same and recomputes the step's update).
HEAD_SEED = 7
HEAD_RATE = 0.1


def head_kernel(size: int) -> np.ndarray:
    """The initial kernel of the grader's head on ``size`` features (bias: zeros)."""
    return np.random.default_rng(HEAD_SEED).normal(0.0, 0.05, (size, 10)).astype(np.float32)


def _sgd_step(model: Any, images: np.ndarray, labels: np.ndarray) -> None:
    """One step of plain SGD at ``HEAD_RATE`` on the mean cross-entropy of the model's outputs
    (as logits) on one batch of all ``images``, over the weights the model trains: what
    ``model.fit`` does with that optimizer and loss, run eagerly (no training function to
    trace for one step)."""
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        outputs = model(images, training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant(labels), logits=outputs))
        if model.losses:  # regularisation terms, as model.fit adds them
            loss += tf.add_n(model.losses)
    for variable, gradient in zip(variables, tape.gradient(loss, variables), strict=True):
        if gradient is not None:
            variable.assign_sub(HEAD_RATE * gradient)


def _grader_step(model: Any, images: np.ndarray, labels: np.ndarray,
                 head: bool) -> tuple[Any, Any]:
    """One step of the grader's own training (plain SGD; with ``head``, through a new Dense
    head of known initial weights) on a model whose weights then show which layers are
    trainable. Returns (the error or None, the head's weights after the step)."""
    try:
        trained, dense = model, None
        if head:
            dense = keras.layers.Dense(10)
            trained = keras.Sequential([model, keras.layers.Flatten(), dense])
            trained(images[:1])
            dense.set_weights([head_kernel(int(dense.kernel.shape[0])),
                               np.zeros(10, np.float32)])
        _sgd_step(trained, images, labels)
    except Exception as exc:  # the trusted side says what went wrong
        return f"{type(exc).__name__}: {str(exc)[:300]}", None
    return None, None if dense is None else [np.asarray(w) for w in dense.get_weights()]


def extractor(module: ModuleType, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """feature_extractor(load_base_model()), described; then described again after one step of
    the grader's training through it (``after_step``): the trusted side sees which weights
    moved, that is which layers are trainable, without taking the learner's word for it."""
    base = _base()
    model = module.feature_extractor(base)
    answer = _model_state(model)
    answer["after_step"] = answer["step_error"] = None
    if answer["description"] is not None:
        current_label("one step of training through the extractor feature_extractor returned "
                      "(the grader's Dense head, plain SGD)")
        answer["step_error"], answer["head_after"] = _grader_step(model, images, labels,
                                                                  head=True)
        answer["after_step"] = describe_model(model)
    return answer


def _transfer(module: ModuleType, num_classes: int) -> tuple[Any, Any]:
    extractor_model = module.feature_extractor(_base())
    current_label(f"build_transfer_model(extractor, {num_classes})")
    return extractor_model, module.build_transfer_model(extractor_model, num_classes)


def _loss_value(loss: Any, labels: np.ndarray, outputs: np.ndarray) -> Any:
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    return np.mean(np.asarray(loss(labels, outputs), dtype=np.float64))


def transfer(module: ModuleType, num_classes: int, labels: np.ndarray, logits: np.ndarray,
             probabilities: np.ndarray, images: np.ndarray,
             image_labels: np.ndarray) -> dict[str, Any]:
    """build_transfer_model(feature_extractor(base), num_classes), described, with its
    compiled loss evaluated on given logits and on given probabilities; then described again
    after one step of the grader's own training (``after_step``: the weights that moved are
    the trainable ones)."""
    _, model = _transfer(module, num_classes)
    answer = _model_state(model)
    answer["on_logits"] = answer["on_probabilities"] = None
    loss = getattr(model, "loss", None) if getattr(model, "compiled", False) else None
    if loss is not None:
        current_label(f"the loss build_transfer_model(extractor, {num_classes}) compiled")
        answer["on_logits"] = _loss_value(loss, labels, logits)
        answer["on_probabilities"] = _loss_value(loss, labels, probabilities)
    answer["after_step"] = answer["step_error"] = None
    if isinstance(model, keras.Model):
        current_label(f"one step of the grader's own training of build_transfer_model("
                      f"extractor, {num_classes}) (plain SGD)")
        answer["step_error"], _ = _grader_step(model, images, image_labels, head=False)
        answer["after_step"] = describe_model(model)
    return answer


def _history(history: Any) -> Any:
    if not isinstance(history, keras.callbacks.History):
        return {"class": type(history).__name__, "history": None}
    return {"class": "History", "history": history.history}


def train(module: ModuleType, images: np.ndarray, labels: np.ndarray, epochs: int,
          batch_size: int) -> dict[str, Any]:
    """Build the transfer model, train_head it; what it returned and the model after."""
    _, model = _transfer(module, 10)
    if not isinstance(model, keras.Model):
        return {**_model_state(model), "history": None}
    current_label(f"train_head(model, images, labels, epochs={epochs}, batch_size={batch_size})")
    history = module.train_head(model, images, labels, epochs, batch_size)
    return {**_model_state(model), "history": _history(history)}


def fine_tune(module: ModuleType, images: np.ndarray, labels: np.ndarray, head_epochs: int,
              cases: list[int], learning_rate: float, epochs: int,
              batch_size: int) -> dict[str, Any]:
    """The whole recipe, once for each ``num_layers`` in ``cases``, each on a fresh transfer
    model (a learner calls fine_tune once on a trained model): build, train_head, fine_tune
    (model, extractor, num_layers, learning_rate), ``model.fit`` for ``epochs``, then one step
    of the grader's own training (plain SGD). Per case: the model described before
    fine_tune (``before_<n>``), after the fit (``after_<n>``) and after the grader's step
    (``probed_<n>``: the weights that moved are those of the trainable layers)."""
    answer: dict[str, Any] = {}
    for num_layers in cases:
        extractor_model, model = _transfer(module, 10)
        if not isinstance(model, keras.Model):
            return {"before": None}
        current_label(f"train_head(model, images, labels, epochs={head_epochs}, "
                      f"batch_size={batch_size})")
        module.train_head(model, images, labels, head_epochs, batch_size)
        answer[f"before_{num_layers}"] = describe_model(model)
        current_label(f"fine_tune(model, extractor, num_layers={num_layers}, "
                      f"learning_rate={learning_rate:g})")
        result = module.fine_tune(model, extractor_model, num_layers, learning_rate)
        answer[f"returned_{num_layers}"] = type(result).__name__
        if not isinstance(result, keras.Model):
            continue
        model = result  # what a learner goes on with; the trusted side rebuilds it
        answer[f"optimizer_{num_layers}"] = describe_model(model)["optimizer"]
        current_label(f"model.fit(images, labels, epochs={epochs}) on the model fine_tune "
                      "returned")
        model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
        answer[f"after_{num_layers}"] = describe_model(model)
        current_label(f"one step of the grader's own training after fine_tune(model, "
                      f"extractor, num_layers={num_layers}, ...)")
        answer[f"step_error_{num_layers}"], _ = _grader_step(
            model, images[:batch_size], labels[:batch_size], head=False)
        answer[f"probed_{num_layers}"] = describe_model(model)
    answer["before"] = True
    return answer
