"""Learner side probes for lesson 7: the extractor, the transfer model, training, fine-tuning.

Each probe starts from a fresh copy of the course's base model (``load_base_model``, read from
the grader package), calls the learner's functions in the order a learner would, and sends back
plain data: models as :func:`grader.keras_models.describe_model` data, layer flags, the names and
shapes of the trainable weights. The trusted side rebuilds the models and compares their weights
with the shipped ones itself.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import keras
import numpy as np

from grader.data.base_model import load_base_model
from grader.keras_models import describe_model
from grader.learner.worker import current_label


def _layer_states(model: Any) -> Any:
    """Each layer of a model: name, class, its own trainable flag, how many weights it has."""
    if not isinstance(model, keras.Model):
        return None
    return [{"name": str(layer.name), "class": type(layer).__name__,
             "trainable": bool(layer.trainable), "weights": len(layer.weights)}
            for layer in model.layers]


def _trainable(model: Any) -> Any:
    """The names and shapes of the weights ``fit`` would train, in order."""
    if not isinstance(model, keras.Model):
        return None
    return [{"path": str(v.path), "shape": [int(d) for d in v.shape]}
            for v in model.trainable_weights]


def _model_state(model: Any, described: bool = True) -> dict[str, Any]:
    """A model's class, flags, trainable weights and (``described``) description; keep it at
    the top of a probe's answer: a nested model's layers sit deep already."""
    is_model = isinstance(model, keras.Model)
    return {"class": type(model).__name__, "is_model": is_model,
            "model_trainable": bool(model.trainable) if is_model else None,
            "layers": _layer_states(model), "trainable": _trainable(model),
            "description": describe_model(model) if is_model and described else None}


def _base() -> Any:
    base = load_base_model()
    current_label("feature_extractor(base_model)")
    return base


def extractor(module: ModuleType) -> dict[str, Any]:
    """feature_extractor(load_base_model()), described."""
    base = _base()
    return _model_state(module.feature_extractor(base))


def _transfer(module: ModuleType, num_classes: int) -> tuple[Any, Any]:
    extractor_model = module.feature_extractor(_base())
    current_label(f"build_transfer_model(extractor, {num_classes})")
    return extractor_model, module.build_transfer_model(extractor_model, num_classes)


def _loss_value(loss: Any, labels: np.ndarray, outputs: np.ndarray) -> Any:
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    return np.mean(np.asarray(loss(labels, outputs), dtype=np.float64))


def transfer(module: ModuleType, num_classes: int, labels: np.ndarray, logits: np.ndarray,
             probabilities: np.ndarray) -> dict[str, Any]:
    """build_transfer_model(feature_extractor(base), num_classes), described, with its
    compiled loss evaluated on given logits and on given probabilities."""
    extractor_model, model = _transfer(module, num_classes)
    answer = _model_state(model)
    answer["extractor"] = _model_state(extractor_model, described=False)
    answer["on_logits"] = answer["on_probabilities"] = None
    loss = getattr(model, "loss", None) if getattr(model, "compiled", False) else None
    if loss is not None:
        current_label(f"the loss build_transfer_model(extractor, {num_classes}) compiled")
        answer["on_logits"] = _loss_value(loss, labels, logits)
        answer["on_probabilities"] = _loss_value(loss, labels, probabilities)
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
    """The whole recipe: build, train_head, then for each ``num_layers`` in ``cases`` in turn
    fine_tune(model, extractor, num_layers, learning_rate) and ``model.fit`` for ``epochs`` (the
    grader's own step). The model described before the first fine_tune (``before``) and after
    each fit (``after_<num_layers>``), the flags each fine_tune left (``extractor_<n>``)."""
    extractor_model, model = _transfer(module, 10)
    if not isinstance(model, keras.Model):
        return {"before": None}
    current_label(f"train_head(model, images, labels, epochs={head_epochs}, "
                  f"batch_size={batch_size})")
    module.train_head(model, images, labels, head_epochs, batch_size)
    answer: dict[str, Any] = {"before": describe_model(model)}
    for num_layers in cases:
        current_label(f"fine_tune(model, extractor, num_layers={num_layers}, "
                      f"learning_rate={learning_rate:g})")
        result = module.fine_tune(model, extractor_model, num_layers, learning_rate)
        answer[f"same_{num_layers}"] = result is model
        answer[f"returned_{num_layers}"] = type(result).__name__
        answer[f"extractor_{num_layers}"] = _model_state(extractor_model, described=False)
        answer[f"optimizer_{num_layers}"] = describe_model(model)["optimizer"]
        current_label(f"model.fit(images, labels, epochs={epochs}) on the model fine_tune "
                      "returned")
        model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
        answer[f"after_{num_layers}"] = describe_model(model)
    return answer
