"""Correct: minibatches drawn WITH replacement (each step samples batch_size indices at random,
as many tutorials do), numpy indexing, an eager loop."""

import keras
import numpy as np
import tensorflow as tf


def init_params(sizes, seed=0):
    params = []
    for i in range(len(sizes) - 1):
        init = keras.initializers.GlorotUniform(seed=seed * 1000 + i)
        W = tf.Variable(init((sizes[i], sizes[i + 1])))
        b = tf.Variable(tf.zeros([sizes[i + 1]]))
        params.append((W, b))
    return params


def dense(x, W, b, activation=None):
    out = x @ W + b
    if activation is not None:
        out = activation(out)
    return out


def mlp_logits(x, params):
    h = x
    for W, b in params[:-1]:
        h = dense(h, W, b, activation=tf.nn.relu)
    W, b = params[-1]
    return dense(h, W, b)




def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=0):
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    params = init_params([images.shape[1]] + list(hidden_units) + [10], seed)
    variables = [v for pair in params for v in pair]
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, len(images), size=batch_size)  # with replacement
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels[idx], logits=mlp_logits(images[idx], params)))
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(learning_rate * g)
    return params
