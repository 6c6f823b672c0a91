"""Buggy: mlp_logits forgets the ReLU: the layers collapse into one linear map."""

# expect-fail: mlp_logits_any_depth, mlp_logits_values, train_mlp_heldout_accuracy

import tensorflow as tf


def init_params(sizes, seed=0):
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = tf.random.stateless_truncated_normal([fan_in, fan_out], seed=[seed, i],
                                                 stddev=(2.0 / fan_in) ** 0.5)
        params.append((tf.Variable(W), tf.Variable(tf.fill([fan_out], 0.1))))
    return params


def dense(x, W, b, activation=None):
    z = tf.matmul(x, W) + b
    return z if activation is None else activation(z)


def mlp_logits(x, params):
    for W, b in params[:-1]:
        x = dense(x, W, b)
    W, b = params[-1]
    return dense(x, W, b)


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=0):
    params = init_params([784, *hidden_units, 10], seed)
    variables = [v for pair in params for v in pair]

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=mlp_logits(x, params)))
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(learning_rate * g)

    n = int(images.shape[0])
    order, pos, epoch = None, n, 0
    for _ in range(steps):
        if pos + batch_size > n:
            order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=[seed, epoch])
            pos, epoch = 0, epoch + 1
        idx = order[pos:pos + batch_size]
        pos += batch_size
        step(tf.gather(images, idx), tf.gather(labels, idx))
    return params
