"""Plain Python closure with a Python int: counts 1, 2, 3 eagerly, but no tf.function and no tf.Variable."""
# expect-fail: counter_is_tf_function, counter_graph_updates_variable

import tensorflow as tf


def make_counter():
    count = 0

    def counter():
        nonlocal count
        count += 1
        return tf.constant(count)

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
