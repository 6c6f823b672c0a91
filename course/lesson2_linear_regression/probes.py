"""Learner side probes for lesson 2: predict, the loss, a training step, fit."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label


def _parameters(W: np.ndarray, b: np.ndarray, as_variables: bool) -> tuple[Any, Any]:
    make = tf.Variable if as_variables else tf.constant
    return make(W), make(b)


def predict(module: ModuleType, x: np.ndarray, W: np.ndarray, b: np.ndarray,
            as_variables: bool, call_label: str = "predict(x, W, b)") -> Any:
    """predict on tf.Variables or on constant tensors; ``call_label`` names the call in errors."""
    W_in, b_in = _parameters(W, b, as_variables)
    current_label(call_label)
    return module.predict(tf.constant(x), W_in, b_in)


def predict_gradient(module: ModuleType, x: np.ndarray, W: np.ndarray,
                     b: np.ndarray) -> dict[str, Any]:
    """The tape's gradient of sum(predict(x, W, b)) by the tf.Variables W and b."""
    W_var, b_var = tf.Variable(W), tf.Variable(b)
    current_label("predict(x, W, b) under tf.GradientTape")
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(module.predict(tf.constant(x), W_var, b_var))
    grad_W, grad_b = tape.gradient(total, [W_var, b_var])
    return {"grad_W": grad_W, "grad_b": grad_b}


def mse_loss(module: ModuleType, y_pred: np.ndarray, y_true: np.ndarray) -> Any:
    current_label("mse_loss(y_pred, y_true)")
    return module.mse_loss(tf.constant(y_pred), tf.constant(y_true))


def _shape(value: Any) -> list[int] | None:
    """The shape of what predict returned, as plain data (None when it has none we can read)."""
    try:
        return [int(d) for d in value.shape]
    except Exception:
        return None


def loss_and_gradient(module: ModuleType, x: np.ndarray, y: np.ndarray,
                      points: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """The learner's loss (and its tape gradient) at each (W, b) point, with shape-(1,) variables.

    Each answer also carries the shape of the prediction, so that the check can tell a loss that
    is wrong because predict's output broadcasts against y.
    """
    answers = []
    for w_value, b_value in points:
        W = tf.Variable(np.array([w_value], dtype=np.float32))
        b = tf.Variable(np.array([b_value], dtype=np.float32))
        current_label("mse_loss(predict(x, W, b), y) under tf.GradientTape")
        with tf.GradientTape() as tape:
            prediction = module.predict(tf.constant(x), W, b)
            loss = module.mse_loss(prediction, tf.constant(y))
        grads = tape.gradient(loss, [W, b])
        answers.append({"loss": loss, "grad_W": grads[0], "grad_b": grads[1],
                        "prediction_shape": _shape(prediction)})
    return answers


def train_step(module: ModuleType, x: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray,
               learning_rate: float) -> dict[str, Any]:
    W_var, b_var = tf.Variable(W), tf.Variable(b)
    current_label("train_step(x, y, W, b, learning_rate)")
    returned = module.train_step(tf.constant(x), tf.constant(y), W_var, b_var, learning_rate)
    return {"returned": returned, "W_after": W_var.numpy(), "b_after": b_var.numpy()}


def fit(module: ModuleType, x: np.ndarray, y: np.ndarray, steps: int,
        learning_rate: float) -> Any:
    current_label(f"fit(x, y, steps={steps}, learning_rate={learning_rate})")
    return module.fit(tf.constant(x), tf.constant(y), steps, learning_rate)
