"""Correct: tf.data shuffled once (reshuffle_each_iteration=False), repeated, batched, with a
keras SGD optimizer applying the gradients in a tf.function step."""

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
    images = tf.convert_to_tensor(images, tf.float32)
    labels = tf.convert_to_tensor(labels, tf.int64)
    params = init_params([int(images.shape[1])] + list(hidden_units) + [10], seed)
    variables = [v for pair in params for v in pair]
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(int(images.shape[0]), seed=seed, reshuffle_each_iteration=False)
               .repeat().batch(batch_size))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=mlp_logits(x, params)))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for x, y in dataset.take(steps):
        step(x, y)
    return params
