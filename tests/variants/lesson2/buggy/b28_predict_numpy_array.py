"""Buggy: predict returns a numpy array (W.numpy() * x + b.numpy())."""

# expect-fail: fit_recovers_line, predict_gradient, predict_values, predict_with_scalar_tensors

import tensorflow as tf


def predict(x, W, b):
    return W.numpy() * x.numpy() + b.numpy()


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
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
    b = tf.Variable(tf.zeros([1]))
    for _ in range(steps):
        train_step(x, y, W, b, learning_rate)
    return W, b
