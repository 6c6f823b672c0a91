"""Buggy: W is updated before the gradient by b is computed (not one simultaneous step)."""

# expect-fail: train_step_follows_gradient

import tensorflow as tf


def predict(x, W, b):
    return W * x + b


def mse_loss(y_pred, y_true):
    return tf.reduce_mean(tf.square(y_pred - y_true))


def train_step(x, y, W, b, learning_rate):
    with tf.GradientTape() as tape:
        loss = mse_loss(predict(x, W, b), y)
    W.assign_sub(learning_rate * tape.gradient(loss, W))
    with tf.GradientTape() as tape:
        loss_after_W = mse_loss(predict(x, W, b), y)
    b.assign_sub(learning_rate * tape.gradient(loss_after_W, b))
    return loss


def fit(x, y, steps=201, learning_rate=0.5):
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
    b = tf.Variable(tf.zeros([1]))
    for _ in range(steps):
        train_step(x, y, W, b, learning_rate)
    return W, b
