"""Counter as a class whose __call__ is a tf.function; fibonacci with tf.while_loop and a TensorArray."""

import tensorflow as tf


class Counter:
    def __init__(self):
        self.total = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def __call__(self):
        self.total.assign_add(1)
        return self.total.read_value()


def make_counter():
    return Counter()


def fibonacci(n):
    if n < 0:
        raise ValueError("negative n")
    numbers = tf.TensorArray(tf.int64, size=n, element_shape=())

    def cond(i, a, b, numbers):
        return i < n

    def body(i, a, b, numbers):
        return i + 1, b, a + b, numbers.write(i, a)

    _, _, _, numbers = tf.while_loop(
        cond, body, (tf.constant(0), tf.constant(0, tf.int64), tf.constant(1, tf.int64), numbers)
    )
    return numbers.stack()
