"""Correct: tf.add / tf.multiply / tf.subtract spelled out, tf.reduce_mean(tf.square(...))."""

import tensorflow as tf


def predict(x, W, b):
    return tf.add(tf.multiply(W, x), b)


def mse_loss(y_pred, y_true):
    return tf.reduce_mean(tf.square(tf.subtract(y_pred, y_true)))


def train_step(x, y, W, b, learning_rate):
    with tf.GradientTape() as tape:
        loss = mse_loss(predict(x, W, b), y)
    dW, db = tape.gradient(loss, [W, b])
    W.assign_sub(tf.multiply(learning_rate, dW))
    b.assign_sub(tf.multiply(learning_rate, db))
    return loss


def fit(x, y, steps=201, learning_rate=0.5):
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
    b = tf.Variable(tf.zeros([1]))
    for _ in range(steps):
        train_step(x, y, W, b, learning_rate)
    return W, b
