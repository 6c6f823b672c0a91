"""Learner side probes for lesson 8: the dream loss, a dream step, a dream, Gram matrices.

The network is built here from the course's weights (``network.py``) and handed to the
learner's functions; only the arrays they return go back. While a check that ``uses`` a helper
runs, the learner process has put the grader's ``reference.py`` version in its place.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label

from . import network

#: At most this many dream_step calls are recorded (the grader's dreams take a dozen).
MAX_RECORDED = 64


def _shape(array: np.ndarray) -> str:
    return "×".join(str(d) for d in array.shape)


def _model(kind: str) -> Any:
    return network.flat_model() if kind == "flat" else network.dream_model()


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
    """dream(...) once, recording the image each eager call of dream_step (the grader's own
    while the check ``uses`` it) was given and the one it returned. The trusted side recomputes
    every recorded step and links them to the start and the result itself: the records are
    data it checks, not facts it takes on trust."""
    stepped: list[dict[str, Any]] = []

    def recording_step(model: Any, image: Any, layer_names: Any, step_size: Any) -> Any:
        result = inner_step(model, image, layer_names, step_size)
        if tf.executing_eagerly() and len(stepped) < MAX_RECORDED:
            with contextlib.suppress(TypeError, ValueError):
                stepped.append({"image": np.asarray(image, np.float32),
                                "result": np.asarray(result, np.float32),
                                "layers": [str(name) for name in layer_names],
                                "step_size": float(step_size)})
        return result

    inner_step = module.dream_step
    model = _model("dream")
    module.dream_step = recording_step
    try:
        current_label(f"dream(model, image of shape ({_shape(image)}), {list(layers)}, "
                      f"steps={steps}, step_size={step_size}, octaves={octaves}, "
                      f"octave_scale={octave_scale})")
        result = module.dream(model, tf.constant(image), list(layers), steps, step_size,
                              octaves, octave_scale)
    finally:
        module.dream_step = inner_step
    return {"image": result, "steps": stepped}


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
