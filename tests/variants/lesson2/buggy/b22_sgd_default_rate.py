"""Buggy: keras.optimizers.SGD() without learning_rate (its default 0.01 is used)."""

# expect-fail: fit_recovers_line, train_step_follows_gradient

import keras
import tensorflow as tf


def predict(x, W, b):
    return W * x + b


def mse_loss(y_pred, y_true):
    return tf.reduce_mean(tf.square(y_pred - y_true))


def train_step(x, y, W, b, learning_rate):
    optimizer = keras.optimizers.SGD()
    with tf.GradientTape() as tape:
        loss = mse_loss(predict(x, W, b), y)
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss


def fit(x, y, steps=201, learning_rate=0.5):
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
    b = tf.Variable(tf.zeros([1]))
    for _ in range(steps):
        train_step(x, y, W, b, learning_rate)
    return W, b
