"""Numbers computed in plain Python and returned as tf.constant: the graph only holds a constant."""
# expect-fail: fibonacci_graph_computes

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
    numbers, a, b = [], 0, 1
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    return tf.constant(numbers, dtype=tf.int64)
