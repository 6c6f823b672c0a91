"""Correct: the 2016 init (truncated normal stddev 0.1, biases 0.1) and a tf.function step."""

import tensorflow as tf


def weight_variable(shape, seed):
    return tf.Variable(tf.random.stateless_truncated_normal(shape, seed=seed, stddev=0.1))


def bias_variable(shape):
    return tf.Variable(tf.constant(0.1, shape=shape))


def init_params(sizes, seed=0):
    return [(weight_variable([m, n], [seed, i]), bias_variable([n]))
            for i, (m, n) in enumerate(zip(sizes, sizes[1:]))]


def dense(x, W, b, activation=None):
    y = tf.matmul(x, W) + b
    if activation is None:
        return y
    return activation(y)


def mlp_logits(x, params):
    for i, (W, b) in enumerate(params):
        x = dense(x, W, b, None if i == len(params) - 1 else tf.nn.relu)
    return x


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=0):
    params = init_params([784] + hidden_units + [10], seed)
    variables = [v for p in params for v in p]

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=mlp_logits(x, params)))
        grads = tape.gradient(cross_entropy, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(learning_rate * g)

    n = images.shape[0]
    order = tf.random.shuffle(tf.range(n))
    pos = 0
    for _ in range(steps):
        if pos + batch_size > n:
            order, pos = tf.random.shuffle(tf.range(n)), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        train_step(tf.gather(images, idx), tf.gather(labels, idx))
    return params
