"""Learner side probes for lesson 4: init_params, dense, mlp_logits, gradients, train_mlp."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label

ACTIVATIONS = {"relu": tf.nn.relu, "tanh": tf.math.tanh}


def _variables(params: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[tf.Variable, ...]]:
    return [(tf.Variable(W), tf.Variable(b)) for W, b in params]


def init_params(module: ModuleType, sizes: list[int], seeds: list[int]) -> list[Any]:
    """What init_params(sizes, seed) returns, for each seed in turn (repeats included)."""
    answers = []
    for seed in seeds:
        current_label(f"init_params({sizes}, seed={seed})")
        answers.append(module.init_params(list(sizes), seed))
    return answers


def dense(module: ModuleType, x: np.ndarray, W: np.ndarray, b: np.ndarray,
          activation: str | None) -> Any:
    W_var, b_var = tf.Variable(W), tf.Variable(b)
    if activation is None:
        current_label("dense(x, W, b)")
        return module.dense(tf.constant(x), W_var, b_var)
    current_label(f"dense(x, W, b, activation=tf.nn.{activation})")
    return module.dense(tf.constant(x), W_var, b_var, activation=ACTIVATIONS[activation])


def mlp_logits(module: ModuleType, x: np.ndarray,
               params: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    variables = _variables(params)
    current_label(f"mlp_logits(x, params) with {len(params)} layers")
    return module.mlp_logits(tf.constant(x), variables)


def _loss(module: ModuleType, x: tf.Tensor, labels: tf.Tensor, variables: list) -> tf.Tensor:
    logits = module.mlp_logits(x, variables)
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )


def loss_and_gradients(module: ModuleType, x: np.ndarray, labels: np.ndarray,
                       params: list[tuple[np.ndarray, np.ndarray]],
                       perturbations: list[tuple[int, int, int, float]]) -> dict[str, Any]:
    """The mean cross-entropy of mlp_logits, its tape gradients, and the loss at nearby params.

    Each perturbation (layer, 0 for W or 1 for b, flat index, delta) changes one coordinate.
    """
    x_t, labels_t = tf.constant(x), tf.constant(labels)
    variables = _variables(params)
    current_label("the cross-entropy of mlp_logits(x, params) under tf.GradientTape")
    with tf.GradientTape() as tape:
        loss = _loss(module, x_t, labels_t, variables)
    gradients = tape.gradient(loss, variables)
    losses = []
    current_label("the cross-entropy of mlp_logits(x, params) with one weight changed")
    for layer, which, index, delta in perturbations:
        changed = [[np.array(W), np.array(b)] for W, b in params]
        target = changed[layer][which].reshape(-1)
        target[index] = target[index] + np.float32(delta)
        losses.append(_loss(module, x_t, labels_t, _variables(changed)))
    return {"loss": loss, "gradients": [list(pair) for pair in gradients], "losses": losses}


def train_mlp(module: ModuleType, images: np.ndarray, labels: np.ndarray,
              hidden_units: list[int], steps: int, batch_size: int,
              learning_rate: float) -> Any:
    current_label(f"train_mlp(images, labels, hidden_units={hidden_units}, steps={steps}, "
                  f"batch_size={batch_size}, learning_rate={learning_rate})")
    return module.train_mlp(tf.constant(images), tf.constant(labels), list(hidden_units),
                            steps, batch_size, learning_rate)


def train_mlp_from_same_start(module: ModuleType, images: np.ndarray, labels: np.ndarray,
                              hidden_units: list[int], learning_rates: list[float],
                              random_seed: int) -> list[Any]:
    """train_mlp with steps=1 on one full batch, once per learning rate, each time from the same
    random state, so that every call starts from the same initial params."""
    answers = []
    for learning_rate in learning_rates:
        keras.utils.set_random_seed(random_seed)
        answers.append(train_mlp(module, images, labels, hidden_units, 1, len(images),
                                 learning_rate))
    return answers
