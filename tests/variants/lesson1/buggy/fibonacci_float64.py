"""fibonacci in float64: exact for small n, loses digits after F(78)."""
# expect-fail: fibonacci_dtype_and_shape, fibonacci_large

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
    a, b = tf.constant(0, tf.float64), tf.constant(1, tf.float64)
    numbers = []
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    if not numbers:
        return tf.zeros([0], tf.float64)
    return tf.stack(numbers)
