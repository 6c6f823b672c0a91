"""Correct: keras SGD inside a tf.function step, tf.data epochs with reshuffling, tf.keras
initializers (truncated normal) and a dense helper with a default ReLU-free path."""

import tensorflow as tf


def init_params(sizes, seed=0):
    params = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        init = tf.keras.initializers.TruncatedNormal(stddev=0.1, seed=seed * 31 + i)
        params.append((tf.Variable(init([n_in, n_out]), name=f"W{i}"),
                       tf.Variable(tf.keras.initializers.Constant(0.1)([n_out]), name=f"b{i}")))
    return params


def dense(x, W, b, activation=None):
    z = tf.add(tf.matmul(x, W), b)
    if activation:
        z = activation(z)
    return z


def mlp_logits(x, params):
    hidden, output = params[:-1], params[-1]
    for W, b in hidden:
        x = dense(x, W, b, tf.nn.relu)
    return dense(x, output[0], output[1])


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=0):
    params = init_params([784, *hidden_units, 10], seed)
    variables = [v for pair in params for v in pair]
    opt = tf.keras.optimizers.SGD(learning_rate)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
                y, mlp_logits(x, params), from_logits=True))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    data = tf.data.Dataset.from_tensor_slices((images, labels))
    done = 0
    while done < steps:
        for x, y in data.shuffle(len(images), seed=done).batch(batch_size, drop_remainder=True):
            if done == steps:
                break
            step(x, y)
            done += 1
    return params
