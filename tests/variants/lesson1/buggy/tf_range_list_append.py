"""Loops over tf.range(n) and appends to a Python list: fine eagerly, broken when traced."""
# expect-fail: fibonacci_traced, fibonacci_graph_computes

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
    if n == 0:
        return tf.zeros([0], tf.int64)
    a, b = tf.constant(0, tf.int64), tf.constant(1, tf.int64)
    numbers = []
    for _ in tf.range(n):
        numbers.append(a)
        a, b = b, a + b
    return tf.stack(numbers)
