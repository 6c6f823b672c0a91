"""One module-level variable shared by every counter make_counter() returns."""
# expect-fail: counters_are_independent

import tensorflow as tf

count = tf.Variable(0, dtype=tf.int64)


def make_counter():
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
    numbers = []
    for _ in range(n):
        numbers.append(state[0, 0])
        state.assign(tf.matmul(STEP, state))
    if not numbers:
        return tf.zeros([0], dtype=tf.int64)
    return tf.stack(numbers)

