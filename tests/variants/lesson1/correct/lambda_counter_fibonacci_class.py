"""Counter as tf.function(lambda); fibonacci through a class that creates its variable on first use."""

import tensorflow as tf


def make_counter():
    clicks = tf.Variable(0, dtype=tf.int64)
    return tf.function(lambda: clicks.assign_add(1))


class _Fibonacci:
    def __init__(self):
        self.state = None
        self.step = tf.constant([[0, 1], [1, 1]], tf.int64)

    def __call__(self, n):
        if n < 0:
            raise ValueError("expected a non-negative n")
        if self.state is None:
            self.state = tf.Variable([[0], [1]], dtype=tf.int64)
        self.state.assign([[0], [1]])
        first = []
        for _ in range(n):
            first.append(self.state[0, 0])
            self.state.assign(tf.linalg.matmul(self.step, self.state))
        if not first:
            return tf.constant([], dtype=tf.int64)
        return tf.stack(first, axis=0)


_fib = _Fibonacci()


def fibonacci(n):
    return _fib(n)
