"""Correct: the stub's TODOs followed word for word, the state at the stub's module-level
placeholder (issue 18 §2: done inside fibonacci, both tracing checks failed)."""

import tensorflow as tf


def make_counter():
    """Return a tf.function that counts 1, 2, 3, ... on successive calls."""
    count = tf.Variable(0)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


# Module-level state or helpers for fibonacci, if you need any
# (a tf.Variable created here, once, outlives every call).
state = tf.Variable([[0], [1]], dtype=tf.int64)


def fibonacci(n):
    """The first n Fibonacci numbers 0, 1, 1, 2, ... as a 1-D int64 tensor."""
    if n < 0:
        raise ValueError("n < 0")
    state.assign([[0], [1]])
    recorded = []
    for _ in range(n):
        recorded.append(state[0, 0])
        state.assign(tf.matmul(tf.constant([[0, 1], [1, 1]], dtype=tf.int64), state))
    if n == 0:
        return tf.zeros([0], dtype=tf.int64)
    return tf.stack(recorded)
