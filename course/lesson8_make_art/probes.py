"""Learner side probes for lesson 8: the dream loss, a dream step, a dream, Gram matrices.

The network is built here from the course's weights (``network.py``) and handed to the
learner's functions; only the arrays they return go back. While a check that ``uses`` a helper
runs, the learner process has put the grader's ``reference.py`` version in its place.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label
from . import network


def _shape(array: np.ndarray) -> str:
    return "×".join(str(d) for d in array.shape)


def _model(kind: str, record: list[tuple[int, int]] | None = None) -> Any:
    return network.flat_model() if kind == "flat" else network.dream_model(record)


def dream_loss(module: ModuleType, cases: list[dict[str, Any]]) -> list[Any]:
    """dream_loss(model, image, layer_names) on each case."""
    model = _model("dream")
    answers = []
    for case in cases:
        image, layers = case["image"], list(case["layers"])
        current_label(f"dream_loss(model, image of shape ({_shape(image)}), {layers})")
        answers.append(module.dream_loss(model, tf.constant(image), layers))
    return answers


def dream_step(module: ModuleType, cases: list[dict[str, Any]]) -> list[Any]:
    """dream_step(model, image, layer_names, step_size) on each case (``model``: "dream" for
    the course's network, "flat" for one whose loss has zero gradient)."""
    answers = []
    for case in cases:
        model = _model(case["model"])
        image, layers, step = case["image"], list(case["layers"]), case["step_size"]
        current_label(f"dream_step(model, image of shape ({_shape(image)}), {layers}, "
                      f"step_size={step})")
        answers.append(module.dream_step(model, tf.constant(image), layers, step))
    return answers


def dream(module: ModuleType, image: np.ndarray, layers: list[str], steps: int,
          step_size: float, octaves: int, octave_scale: float) -> dict[str, Any]:
    """dream(...) once, recording the image sizes the model is called on and those of the
    eager calls of dream_step (the grader's own while the check ``uses`` it)."""
    seen: list[tuple[int, int]] = []
    stepped: list[tuple[int, int]] = []

    def recording_step(model: Any, image: Any, layer_names: Any, step_size: Any) -> Any:
        shape = tuple(getattr(image, "shape", ()))
        known = len(shape) == 4 and shape[1] is not None and shape[2] is not None
        if tf.executing_eagerly() and known:
            stepped.append((int(shape[1]), int(shape[2])))
        return inner_step(model, image, layer_names, step_size)

    inner_step = module.dream_step
    model = _model("dream", seen)
    module.dream_step = recording_step
    try:
        current_label(f"dream(model, image of shape ({_shape(image)}), {list(layers)}, "
                      f"steps={steps}, step_size={step_size}, octaves={octaves}, "
                      f"octave_scale={octave_scale})")
        result = module.dream(model, tf.constant(image), list(layers), steps, step_size,
                              octaves, octave_scale)
    finally:
        module.dream_step = inner_step
    return {"image": result, "model_sizes": [list(s) for s in seen],
            "step_sizes": [list(s) for s in stepped]}


def gram_matrix(module: ModuleType, inputs: list[np.ndarray]) -> list[Any]:
    """gram_matrix(features) on each input."""
    answers = []
    for features in inputs:
        current_label(f"gram_matrix(features of shape ({_shape(features)}))")
        answers.append(module.gram_matrix(tf.constant(features)))
    return answers


def style_loss(module: ModuleType, cases: list[dict[str, Any]]) -> list[Any]:
    """style_loss(style_features, image_features) on each case (lists of tensors, one per
    layer)."""
    answers = []
    for case in cases:
        style = [tf.constant(f) for f in case["style"]]
        image = [tf.constant(f) for f in case["image"]]
        shapes = ", ".join(f"({_shape(f)})" for f in case["style"])
        current_label(f"style_loss(style_features, image_features) with features of "
                      f"shapes {shapes}")
        answers.append(module.style_loss(style, image))
    return answers
