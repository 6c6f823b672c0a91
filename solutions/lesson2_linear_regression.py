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
    ### BEGIN SOLUTION
    # W and b broadcast over x, whether they are scalars or of shape (1,).
    return W * x + b
    ### END SOLUTION


def mse_loss(y_pred, y_true):
    """Loss: the mean squared error, a scalar."""
    # TODO: return the mean of the squared differences (tf.reduce_mean, tf.square).
    ### BEGIN SOLUTION
    # The mean (not the sum) keeps the loss, and so a good learning rate, independent of how
    # many points there are.
    return tf.reduce_mean(tf.square(y_pred - y_true))
    ### END SOLUTION


def train_step(x, y, W, b, learning_rate):
    """Optimize: one step of plain gradient descent on the tf.Variables W and b, in place.

    Returns the loss measured *before* the step (the one the gradients belong to).
    """
    # TODO: inside `with tf.GradientTape() as tape:` compute the loss of predict(x, W, b)
    # against y; get the gradients with tape.gradient(loss, [W, b]); update W and b in place
    # with assign_sub(learning_rate * gradient); return the loss.
    ### BEGIN SOLUTION
    # The tape records the operations on W and b so it can differentiate the loss by them;
    # the loss must therefore be computed inside the `with` block.
    with tf.GradientTape() as tape:
        loss = mse_loss(predict(x, W, b), y)
    grad_W, grad_b = tape.gradient(loss, [W, b])
    # assign_sub changes the variables in place: the caller's W and b see the step.
    W.assign_sub(learning_rate * grad_W)
    b.assign_sub(learning_rate * grad_b)
    return loss
    ### END SOLUTION


def fit(x, y, steps=201, learning_rate=0.5):
    """Fit y ≈ W·x + b by gradient descent from a random start; return (W, b)."""
    # TODO: create W = tf.Variable(tf.random.uniform([1], -1.0, 1.0)) and
    # b = tf.Variable(tf.zeros([1])), call train_step `steps` times, and return (W, b).
    ### BEGIN SOLUTION
    # The 2016 start: W uniform in [-1, 1), b zero, both of shape (1,).
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
    b = tf.Variable(tf.zeros([1]))
    for _ in range(steps):
        train_step(x, y, W, b, learning_rate)
    return W, b
    ### END SOLUTION
