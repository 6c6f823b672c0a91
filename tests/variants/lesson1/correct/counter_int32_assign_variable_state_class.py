"""Counter via assign(v + 1) on int32 in a closure; fibonacci state in a tf.Module created once at import."""

import tensorflow as tf


def make_counter():
    x = tf.Variable(0, dtype=tf.int32)

    @tf.function
    def next_value():
        return x.assign(x + 1)

    return next_value


class FibonacciMachine(tf.Module):
    def __init__(self):
        super().__init__()
        self.state = tf.Variable([[0], [1]], dtype=tf.int64)
        self.matrix = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)

    def run(self, n):
        self.state.assign([[0], [1]])
        tops = []
        for _ in range(n):
            tops.append(tf.squeeze(self.state[0]))
            self.state.assign(self.matrix @ self.state)
        return tf.reshape(tf.stack(tops), [-1]) if tops else tf.zeros([0], tf.int64)


_machine = FibonacciMachine()


def fibonacci(n):
    if not isinstance(n, int) or n < 0:
        raise ValueError("n must be a non-negative int")
    return _machine.run(n)
