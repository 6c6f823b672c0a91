"""Counter as a tf.Module with a tf.function __call__; fibonacci with tf.scan over a state pair."""

import tensorflow as tf


class Counter(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.count = tf.Variable(0, dtype=tf.int32, trainable=False)

    @tf.function
    def __call__(self):
        return self.count.assign_add(1)


def make_counter():
    return Counter()


def fibonacci(n):
    if n < 0:
        raise ValueError("n < 0")
    # state (F(k-1), F(k)); start from (F(-1), F(0)) = (1, 0)
    states = tf.scan(
        lambda pair, _: tf.stack([pair[1], pair[0] + pair[1]]),
        tf.range(n),
        initializer=tf.constant([1, 0], dtype=tf.int64),
    )
    return states[:, 0]
