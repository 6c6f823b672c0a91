"""No check for n < 0: fibonacci(-1) quietly returns an empty tensor."""
# expect-fail: fibonacci_negative

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter



def fibonacci(n):
    numbers = tf.zeros([0], tf.int64)
    a, b = tf.constant([0], tf.int64), tf.constant([1], tf.int64)
    for _ in range(n):
        numbers = tf.concat([numbers, a], 0)
        a, b = b, a + b
    return numbers
