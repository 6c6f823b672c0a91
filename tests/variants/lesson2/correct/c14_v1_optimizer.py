"""Correct: the 2016 optimizer, tf.compat.v1.train.GradientDescentOptimizer, in eager mode."""

import tensorflow as tf


def predict(x, W, b):
    return W * x + b


def mse_loss(y_pred, y_true):
    return tf.keras.losses.MSE(y_true, y_pred)


def train_step(x, y, W, b, learning_rate):
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(learning_rate)
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
