"""tf.Variable created inside fibonacci: fine eagerly, refused when tf.function traces it."""
# expect-fail: fibonacci_traced, fibonacci_graph_computes
# expect-message: fibonacci_traced: singleton tf.Variables.*Create it once, outside the tf.function.*at module level

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
    state = tf.Variable([[0], [1]], dtype=tf.int64)
    step = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)
    numbers = []
    for _ in range(n):
        numbers.append(state[0, 0])
        state.assign(tf.matmul(step, state))
    if not numbers:
        return tf.zeros([0], dtype=tf.int64)
    return tf.stack(numbers)
