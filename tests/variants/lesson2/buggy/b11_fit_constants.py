"""Buggy: fit returns the 2016 answer (0.1, 0.3) without training."""

# expect-fail: fit_other_line, fit_uses_steps_and_learning_rate

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


def fit(x, y, steps=201, learning_rate=0.5):
    return tf.constant([0.1]), tf.constant([0.3])
