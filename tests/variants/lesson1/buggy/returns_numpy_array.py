"""Returns tf.stack(...).numpy(): a numpy array eagerly, and .numpy() fails when traced."""
# expect-fail: fibonacci_graph_computes, fibonacci_returns_tensor, fibonacci_traced

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
    a, b = tf.constant(0, tf.int64), tf.constant(1, tf.int64)
    numbers = [tf.zeros([], tf.int64)][:0]
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    if not numbers:
        return tf.zeros([0], tf.int64).numpy()
    return tf.stack(numbers).numpy()
