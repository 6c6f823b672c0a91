"""Correct: persistent tape with explicit tape.watch, one tape.gradient call per variable."""

import tensorflow as tf


def predict(x, W, b):
    return W * x + b


def mse_loss(y_pred, y_true):
    return tf.reduce_mean(tf.math.squared_difference(y_pred, y_true))


def train_step(x, y, W, b, learning_rate):
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(W)
        tape.watch(b)
        loss = mse_loss(predict(x, W, b), y)
    grad_W = tape.gradient(loss, W)
    grad_b = tape.gradient(loss, b)
    del tape
    W.assign_sub(learning_rate * grad_W)
    b.assign_sub(learning_rate * grad_b)
    return loss


def fit(x, y, steps=201, learning_rate=0.5):
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
    b = tf.Variable(tf.zeros([1]))
    for _ in range(steps):
        train_step(x, y, W, b, learning_rate)
    return W, b
