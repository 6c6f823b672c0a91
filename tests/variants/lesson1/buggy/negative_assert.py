"""fibonacci(-1) fails an assert (AssertionError) instead of raising ValueError."""
# expect-fail: fibonacci_negative

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter



def fibonacci(n):
    assert n >= 0, "n must be >= 0"
    a, b = tf.constant(0, tf.int64), tf.constant(1, tf.int64)
    numbers = []
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    return tf.stack(numbers) if numbers else tf.zeros([0], tf.int64)
