"""XLA-compiled counter (jit_compile=True); fibonacci runs the 2016 matmul-and-assign step inside tf.while_loop."""

import tensorflow as tf


def make_counter():
    hits = tf.Variable(0, dtype=tf.int64)

    @tf.function(jit_compile=True)
    def counter():
        return hits.assign_add(1)

    return counter


STATE = tf.Variable([[0], [1]], dtype=tf.int64)
M = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("fibonacci is defined for n >= 0 only")
    STATE.assign([[0], [1]])
    tops = tf.TensorArray(tf.int64, size=n, element_shape=[])

    def body(k, tops):
        tops = tops.write(k, STATE[0, 0])
        with tf.control_dependencies([tops.flow]):
            STATE.assign(tf.matmul(M, STATE))
        return k + 1, tops

    _, tops = tf.while_loop(lambda k, _: k < n, body, [0, tops])
    return tops.stack()
