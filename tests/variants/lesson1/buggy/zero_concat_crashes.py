"""No case for n == 0: tf.concat of an empty list raises."""
# expect-fail: fibonacci_zero

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


STEP = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)
state = tf.Variable([[0], [1]], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    state.assign([[0], [1]])
    rows = []
    for _ in range(n):
        rows.append(state[0])
        state.assign(tf.matmul(STEP, state))
    return tf.concat(rows, axis=0)
