"""Learner side probes for lesson 3: logits, the loss, accuracy, and train_softmax."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label


def logits(module: ModuleType, x: np.ndarray, W: np.ndarray, b: np.ndarray,
           as_variables: bool) -> Any:
    make = tf.Variable if as_variables else tf.constant
    W_in, b_in = make(W), make(b)
    current_label(f"logits(x, W, b) with x of shape {tuple(x.shape)}")
    return module.logits(tf.constant(x), W_in, b_in)


def logits_gradient(module: ModuleType, x: np.ndarray, W: np.ndarray,
                    b: np.ndarray) -> list[Any]:
    """The tape's gradients of sum(logits(x, W, b)) by the tf.Variables W and b."""
    variables = [tf.Variable(W), tf.Variable(b)]
    current_label("logits(x, W, b) under tf.GradientTape")
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(module.logits(tf.constant(x), *variables))
    return list(tape.gradient(total, variables))


def cross_entropy(module: ModuleType, logits: np.ndarray, labels: np.ndarray) -> Any:
    current_label(f"cross_entropy(logits, labels) with logits of shape {tuple(logits.shape)}")
    return module.cross_entropy(tf.constant(logits), tf.constant(labels))


def accuracy(module: ModuleType, cases: list[dict[str, np.ndarray]]) -> list[Any]:
    """The learner's accuracy on each hand-made case."""
    answers = []
    for case in cases:
        current_label(f"accuracy(logits, labels) on {case['name']}")
        answers.append(module.accuracy(tf.constant(case["logits"]), tf.constant(case["labels"])))
    return answers


def loss_at_points(module: ModuleType, x: np.ndarray, labels: np.ndarray,
                   points: list[tuple[np.ndarray, np.ndarray]]) -> list[dict[str, Any]]:
    """cross_entropy(logits(x, W, b), labels) and its tape gradient at each (W, b) point."""
    answers = []
    for W_value, b_value in points:
        W, b = tf.Variable(W_value), tf.Variable(b_value)
        current_label("cross_entropy(logits(x, W, b), labels) under tf.GradientTape")
        with tf.GradientTape() as tape:
            loss = module.cross_entropy(module.logits(tf.constant(x), W, b), tf.constant(labels))
        grads = tape.gradient(loss, [W, b])
        answers.append({"loss": loss, "grad_W": grads[0], "grad_b": grads[1]})
    return answers


def train_softmax(module: ModuleType, images: np.ndarray, labels: np.ndarray, steps: int,
                  batch_size: int, learning_rate: float) -> Any:
    current_label(f"train_softmax(images, labels, steps={steps}, batch_size={batch_size}, "
                  f"learning_rate={learning_rate})")
    return module.train_softmax(tf.constant(images), tf.constant(labels), steps, batch_size,
                                learning_rate)


def one_step_per_rate(module: ModuleType, images: np.ndarray, labels: np.ndarray,
                      batch_size: int, learning_rates: list[float], start_seed: int) -> list[Any]:
    """train_softmax with steps=1 once per learning rate, each from the same seeded start."""
    import keras

    answers = []
    for learning_rate in learning_rates:
        # The same seed before every call: a random initialisation starts from the same point.
        keras.utils.set_random_seed(start_seed)
        answers.append(train_softmax(module, images, labels, 1, batch_size, learning_rate))
    return answers
