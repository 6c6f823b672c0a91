"""Correct: predict as x * W + b, loss as tf.reduce_mean((a - b) ** 2), W.assign(W - ...)."""

import tensorflow as tf


def predict(x, W, b):
    return x * W + b


def mse_loss(y_pred, y_true):
    return tf.reduce_mean((y_true - y_pred) ** 2)


def train_step(x, y, W, b, learning_rate):
    with tf.GradientTape() as tape:
        current = mse_loss(predict(x, W, b), y)
    gradients = tape.gradient(current, [W, b])
    W.assign(W - learning_rate * gradients[0])
    b.assign(b - learning_rate * gradients[1])
    return current


def fit(x, y, steps=201, learning_rate=0.5):
    W = tf.Variable(tf.random.uniform([1], minval=-1.0, maxval=1.0))
    b = tf.Variable([0.0])
    for step in range(steps):
        train_step(x, y, W, b, learning_rate)
    return (W, b)
