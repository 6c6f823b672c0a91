"""fibonacci with `for i in tf.range(n)` and a TensorArray (AutoGraph turns it into a loop when traced)."""

import tensorflow as tf


def make_counter():
    n = tf.Variable(0)

    @tf.function
    def inc():
        n.assign_add(1)
        return n.value()

    return inc


def fibonacci(n):
    if n < 0:
        raise ValueError("fibonacci(n) needs n >= 0")
    out = tf.TensorArray(tf.int64, size=n, element_shape=[])
    a = tf.constant(0, tf.int64)
    b = tf.constant(1, tf.int64)
    for i in tf.range(n):
        out = out.write(i, a)
        a, b = b, a + b
    return out.stack()
