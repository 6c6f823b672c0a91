"""Numbers computed with Python ints and only written into a TensorArray: no TensorFlow arithmetic."""
# expect-fail: fibonacci_graph_computes

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    numbers = tf.TensorArray(tf.int64, size=n, element_shape=())
    a, b = 0, 1
    for i in range(n):
        numbers = numbers.write(i, a)
        a, b = b, a + b
    return numbers.stack()
