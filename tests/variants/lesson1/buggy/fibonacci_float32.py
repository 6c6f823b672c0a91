"""fibonacci in float32 (tf.Variable of floats, matmul of floats)."""
# expect-fail: fibonacci_dtype_and_shape, fibonacci_large

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


STEP = tf.constant([[0.0, 1.0], [1.0, 1.0]])
state = tf.Variable([[0.0], [1.0]])


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    state.assign([[0.0], [1.0]])
    numbers = []
    for _ in range(n):
        numbers.append(state[0, 0])
        state.assign(tf.matmul(STEP, state))
    if not numbers:
        return tf.constant([])
    return tf.stack(numbers)
