"""tf.Variable created inside the tf.function (TF2 refuses: singleton variables only)."""
# expect-fail: counter_counts, counter_graph_updates_variable, counters_are_independent

import tensorflow as tf


def make_counter():
    @tf.function
    def counter():
        count = tf.Variable(0)
        return count.assign_add(1)

    return counter


STEP = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)
state = tf.Variable([[0], [1]], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    state.assign([[0], [1]])
    numbers = []
    for _ in range(n):
        numbers.append(state[0, 0])
        state.assign(tf.matmul(STEP, state))
    if not numbers:
        return tf.zeros([0], dtype=tf.int64)
    return tf.stack(numbers)

