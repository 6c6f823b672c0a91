"""fibonacci itself decorated with @tf.function over a module-level variable; counter adds a typed constant."""

import tensorflow as tf


def make_counter():
    c = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def count():
        return c.assign_add(tf.constant(1, dtype=tf.int64))

    return count


fib_state = tf.Variable([[0], [1]], dtype=tf.int64)
FIB_MATRIX = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)


@tf.function
def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return tf.zeros([0], tf.int64)
    fib_state.assign([[0], [1]])
    row = []
    for _ in range(n):
        row.append(fib_state[0, 0])
        fib_state.assign(tf.matmul(FIB_MATRIX, fib_state))
    return tf.stack(row)
