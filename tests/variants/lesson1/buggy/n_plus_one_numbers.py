"""Off by one: range(n + 1) gives n + 1 numbers (and fibonacci(0) gives [0])."""
# expect-fail: fibonacci_values, fibonacci_dtype_and_shape, fibonacci_zero, fibonacci_large

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
    a, b = tf.constant(0, tf.int64), tf.constant(1, tf.int64)
    numbers = []
    for _ in range(n + 1):
        numbers.append(a)
        a, b = b, a + b
    return tf.stack(numbers)
