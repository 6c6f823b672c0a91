"""Learner side probes for lesson 5: build_classifier and train_classifier.

Models cross back as :func:`grader.keras_models.describe_model` data (config, weights, loss,
optimizer); the trusted side rebuilds them from an allow-list of standard layers and judges them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import keras
import numpy as np

from grader.keras_models import describe_model
from grader.learner.worker import current_label


def _build(module: ModuleType, hidden_units: list[int], num_classes: int | None) -> Any:
    if num_classes is None:
        current_label(f"build_classifier({hidden_units})")
        return module.build_classifier(list(hidden_units))
    current_label(f"build_classifier({hidden_units}, num_classes={num_classes})")
    return module.build_classifier(list(hidden_units), num_classes=num_classes)


def build(module: ModuleType, hidden_units: list[int], num_classes: int | None) -> Any:
    """describe_model(build_classifier(hidden_units[, num_classes]))."""
    return describe_model(_build(module, hidden_units, num_classes))


def _loss_value(loss: Any, labels: np.ndarray, outputs: np.ndarray) -> Any:
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    return np.mean(np.asarray(loss(labels, outputs), dtype=np.float64))


def loss_values(module: ModuleType, hidden_units: list[int], labels: np.ndarray,
                logits: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """The compiled loss of build_classifier's model on given logits and on given probabilities."""
    model = _build(module, hidden_units, None)
    description = describe_model(model)
    loss = getattr(model, "loss", None) if getattr(model, "compiled", False) else None
    answer: dict[str, Any] = {"description": description, "on_logits": None,
                              "on_probabilities": None}
    if loss is None:
        return answer
    current_label("your model's loss (the one given to model.compile) on integer labels")
    answer["on_logits"] = _loss_value(loss, labels, logits)
    answer["on_probabilities"] = _loss_value(loss, labels, probabilities)
    return answer


def _history(history: Any) -> Any:
    if not isinstance(history, keras.callbacks.History):
        return {"class": type(history).__name__, "history": None, "epoch": None}
    return {"class": "History", "history": history.history, "epoch": history.epoch}


def train(module: ModuleType, hidden_units: list[int], images: np.ndarray, labels: np.ndarray,
          epochs: int, batch_size: int) -> dict[str, Any]:
    """Build, train; return what train_classifier returned and the trained model."""
    model = _build(module, hidden_units, None)
    current_label(f"train_classifier(model, images, labels, epochs={epochs}, "
                  f"batch_size={batch_size})")
    history = module.train_classifier(model, images, labels, epochs, batch_size)
    return {"history": _history(history), "model": describe_model(model)}
