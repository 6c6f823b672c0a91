"""Counter with an empty input_signature; fibonacci assigns [b, a + b] into a vector variable (no matmul)."""

import tensorflow as tf


def make_counter():
    seen = tf.Variable(0, dtype=tf.int64)

    def bump():
        seen.assign_add(1)
        return seen.read_value()

    return tf.function(bump, input_signature=[])


pair = tf.Variable([0, 1], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    pair.assign([0, 1])
    values = tf.TensorArray(tf.int64, size=n, element_shape=())
    for i in range(n):
        values = values.write(i, pair[0])
        pair.assign(tf.stack([pair[1], pair[0] + pair[1]]))
    return values.stack()
