"""Correct: Keras HeNormal with per-layer seeds, one-hot labels and a Keras loss object,
nn.bias_add, tuples everywhere, mlp_logits written recursively, and the update in a tf.function
built inside train_mlp."""

import keras
import tensorflow as tf

loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)


def init_params(sizes, seed):
    return [
        (tf.Variable(keras.initializers.HeNormal(seed=seed + 7 * i)((sizes[i], sizes[i + 1]))),
         tf.Variable(tf.fill([sizes[i + 1]], 0.01)))
        for i in range(len(sizes) - 1)
    ]


def dense(x, W, b, activation=None):
    z = tf.nn.bias_add(tf.matmul(x, W), b)
    return z if activation is None else activation(z)


def mlp_logits(x, params):
    if len(params) == 1:
        return dense(x, params[0][0], params[0][1])
    return mlp_logits(dense(x, params[0][0], params[0][1], tf.nn.relu), params[1:])


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=3):
    params = init_params([784, *hidden_units, 10], seed)
    variables = [v for pair in params for v in pair]
    n = int(images.shape[0])

    @tf.function
    def step_on(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, mlp_logits(x, params))
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(learning_rate * g)

    for step in range(steps):
        if step % (n // batch_size or 1) == 0:
            perm = tf.random.shuffle(tf.range(n), seed=seed)
        start = (step % (n // batch_size or 1)) * batch_size
        idx = perm[start:start + batch_size]
        step_on(tf.gather(images, idx), tf.one_hot(tf.gather(labels, idx), 10))
    return params
