"""fibonacci in int32: right for small n, wrong dtype, overflows after F(46)."""
# expect-fail: fibonacci_dtype_and_shape, fibonacci_large

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


STEP = tf.constant([[0, 1], [1, 1]])
state = tf.Variable([[0], [1]])


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    state.assign([[0], [1]])
    numbers = []
    for _ in range(n):
        numbers.append(state[0, 0])
        state.assign(tf.matmul(STEP, state))
    if not numbers:
        return tf.zeros([0], dtype=tf.int32)
    return tf.stack(numbers)
