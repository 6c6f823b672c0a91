"""tf.function wrapping a plain callable object; fibonacci's variable created lazily as a function attribute."""

import tensorflow as tf


class _Tally:
    def __init__(self):
        self.n = tf.Variable(0, dtype=tf.int64)

    def __call__(self):
        return self.n.assign_add(1)


def make_counter():
    return tf.function(_Tally())


STEP = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    if not hasattr(fibonacci, "state"):
        fibonacci.state = tf.Variable(tf.zeros([2, 1], dtype=tf.int64))
    state = fibonacci.state
    state.assign(tf.constant([[0], [1]], dtype=tf.int64))
    seq = []
    for _ in range(n):
        seq.append(state[0, 0])
        state.assign(tf.matmul(STEP, state))
    return tf.stack(seq) if seq else tf.zeros((0,), tf.int64)
