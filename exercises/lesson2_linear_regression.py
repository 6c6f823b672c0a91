"""Lesson 2 — linear regression with gradient descent.

The 2016 recipe, in three parts that every later lesson repeats: inference (predict), loss
(how wrong the prediction is) and optimize (move the variables against the gradient).
In 2016 ``GradientDescentOptimizer(0.5).minimize(loss)`` built the update into the graph; today
``tf.GradientTape`` records the forward pass and gives the gradients directly.

x and y are 1-D float32 tensors; W and b are tf.Variables (or tensors) of shape (1,) or ().

Check your work with:  grade lesson2
"""

import tensorflow as tf


def predict(x, W, b):
    """Inference: the line W·x + b, for a 1-D tensor of inputs x."""
    # TODO: return W times x plus b (a tensor of the same shape as x).
    raise NotImplementedError("predict")


def mse_loss(y_pred, y_true):
    """Loss: the mean squared error, a scalar."""
    # TODO: return the mean of the squared differences (tf.reduce_mean, tf.square).
    raise NotImplementedError("mse_loss")


def train_step(x, y, W, b, learning_rate):
    """Optimize: one step of plain gradient descent on the tf.Variables W and b, in place.

    Returns the loss measured *before* the step (the one the gradients belong to).
    """
    # TODO: inside `with tf.GradientTape() as tape:` compute the loss of predict(x, W, b)
    # against y; get the gradients with tape.gradient(loss, [W, b]); update W and b in place
    # with assign_sub(learning_rate * gradient); return the loss.
    raise NotImplementedError("train_step")


def fit(x, y, steps=201, learning_rate=0.5):
    """Fit y ≈ W·x + b by gradient descent from a random start; return (W, b)."""
    # TODO: create W = tf.Variable(tf.random.uniform([1], -1.0, 1.0)) and
    # b = tf.Variable(tf.zeros([1])), call train_step `steps` times, and return (W, b).
    raise NotImplementedError("fit")
