"""Counter with assign(v + 1) on int64; fibonacci with plain tensors and a Python loop."""

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        count.assign(count + 1)
        return count.read_value()

    return counter


def fibonacci(n):
    if n < 0:
        raise ValueError(f"fibonacci needs n >= 0, not {n}")
    a = tf.constant(0, dtype=tf.int64)
    b = tf.constant(1, dtype=tf.int64)
    values = []
    for _ in range(n):
        values.append(a)
        a, b = b, a + b
    if len(values) == 0:
        return tf.zeros([0], dtype=tf.int64)
    return tf.stack(values)
