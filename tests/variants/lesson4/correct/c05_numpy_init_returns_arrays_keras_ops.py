"""Correct: weights drawn with numpy's seeded Generator, keras.ops for the layer, a manual
log-softmax loss in a tf.function step fed numpy batches, and train_mlp returning numpy arrays."""

import keras
import numpy as np
import tensorflow as tf


def init_params(sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)
        params.append([tf.Variable(W), tf.Variable(np.zeros(fan_out, np.float32))])
    return params


def dense(x, W, b, activation=None):
    z = keras.ops.matmul(x, W) + b
    return activation(z) if activation is not None else z


def mlp_logits(x, params):
    out = x
    for layer, (W, b) in enumerate(params):
        last = layer == len(params) - 1
        out = dense(out, W, b, activation=None if last else tf.nn.relu)
    return out


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=0):
    params = init_params([784] + list(hidden_units) + [10], seed)
    rng = np.random.default_rng(seed)
    images, labels = np.asarray(images), np.asarray(labels)

    @tf.function(reduce_retracing=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            log_probs = tf.nn.log_softmax(mlp_logits(x, params))
            picked = tf.gather(log_probs, y, batch_dims=1)
            loss = -tf.reduce_mean(picked)
        grads = tape.gradient(loss, params)
        for (W, b), (gW, gb) in zip(params, grads):
            W.assign_sub(learning_rate * gW)
            b.assign_sub(learning_rate * gb)

    for _ in range(steps):
        idx = rng.choice(len(images), size=min(batch_size, len(images)), replace=False)
        step(images[idx], labels[idx])
    return [(W.numpy(), b.numpy()) for W, b in params]
