"""State is int64 but the step matrix is a default (int32) constant: matmul refuses to mix them."""
# expect-fail: fibonacci_dtype_and_shape, fibonacci_graph_computes, fibonacci_large, fibonacci_returns_tensor, fibonacci_traced, fibonacci_values

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


STEP = tf.constant([[0, 1], [1, 1]])
state = tf.Variable([[0], [1]], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return tf.zeros([0], dtype=tf.int64)
    state.assign([[0], [1]])
    numbers = []
    for _ in range(n):
        numbers.append(state[0, 0])
        state.assign(tf.matmul(STEP, state))
    return tf.stack(numbers)
