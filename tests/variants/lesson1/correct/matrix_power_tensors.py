"""fibonacci from powers of [[0, 1], [1, 1]] as plain tensors: M^k holds F(k) in its corner."""

import tensorflow as tf


def make_counter():
    ticks = tf.Variable(initial_value=0, dtype=tf.int64, trainable=False)

    @tf.function()
    def tick():
        return ticks.assign_add(1)

    return tick


Q = tf.constant([[0, 1], [1, 1]], tf.int64)


def fibonacci(n):
    n = int(n)
    if n < 0:
        raise ValueError("n cannot be negative")
    power = tf.eye(2, dtype=tf.int64)  # Q^0
    found = []
    for _ in range(n):
        found.append(power[0, 1])
        power = tf.matmul(power, Q)
    return tf.convert_to_tensor(found, dtype=tf.int64) if found else tf.zeros([0], tf.int64)
