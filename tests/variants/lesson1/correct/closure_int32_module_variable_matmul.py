"""Closure counter over an int32 variable; fibonacci the 2016 way (module-level variable, matmul)."""

import tensorflow as tf


def make_counter():
    value = tf.Variable(0)  # int32 by default

    @tf.function
    def step():
        return value.assign_add(1)

    return step


state = tf.Variable([[0], [1]], dtype=tf.int64)
update = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return tf.constant([], tf.int64)
    state.assign([[0], [1]])
    out = []
    for i in range(n):
        out.append(state[0][0])
        state.assign(tf.matmul(update, state))
    return tf.stack(out)
