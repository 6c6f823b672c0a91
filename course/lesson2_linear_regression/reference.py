"""The grader's own versions of lesson 2's helpers, put in place of the learner's while a check
that ``uses`` them runs (see :mod:`grader.check`), so one wrong helper costs only its own points.
"""

from __future__ import annotations

import tensorflow as tf


def predict(x, W, b):
    return W * x + b


def mse_loss(y_pred, y_true):
    return tf.reduce_mean(tf.square(y_pred - y_true))


def train_step(x, y, W, b, learning_rate):
    with tf.GradientTape() as tape:
        loss = mse_loss(predict(x, W, b), y)
    grad_W, grad_b = tape.gradient(loss, [W, b])
    W.assign_sub(learning_rate * grad_W)
    b.assign_sub(learning_rate * grad_b)
    return loss
