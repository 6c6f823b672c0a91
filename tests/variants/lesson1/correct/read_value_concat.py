"""Counter that reads the variable after assign_add; fibonacci by tf.concat accumulation."""

import tensorflow as tf


def make_counter():
    counter_var = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        counter_var.assign_add(1)
        return tf.identity(counter_var)

    return counter


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be a non-negative integer")
    result = tf.zeros([0], dtype=tf.int64)
    a, b = tf.constant([0], tf.int64), tf.constant([1], tf.int64)
    for _ in range(n):
        result = tf.concat([result, a], axis=0)
        a, b = b, tf.add(a, b)
    return result
