"""Correct: tf.linalg.matmul, He normal from tf.random.Generator, keras SGD in a tf.function step,
tf.data batching."""

import keras
import tensorflow as tf


def init_params(sizes, seed):
    gen = tf.random.Generator.from_seed(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = gen.normal([fan_in, fan_out], stddev=(2.0 / fan_in) ** 0.5)
        params.append((tf.Variable(W), tf.Variable(tf.zeros([fan_out]))))
    return params


def dense(x, W, b, activation=None):
    z = tf.linalg.matmul(x, W) + b
    return activation(z) if activation else z


def mlp_logits(x, params):
    for W, b in params[:-1]:
        x = dense(x, W, b, tf.nn.relu)
    return dense(x, *params[-1])


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate):
    params = init_params([784, *hidden_units, 10], seed=42)
    variables = [v for pair in params for v in pair]
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    data = (tf.data.Dataset.from_tensor_slices((images, labels))
            .shuffle(10000, seed=1).repeat().batch(batch_size).take(steps))
    optimizer.build(variables)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = mlp_logits(x, params)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for x, y in data:
        step(x, y)
    return params
