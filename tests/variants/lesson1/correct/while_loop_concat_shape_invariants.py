"""fibonacci with tf.while_loop growing a vector by tf.concat (shape_invariants); n == 0 falls out naturally."""

import tensorflow as tf


def make_counter():
    v = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def f():
        new = v + 1
        v.assign(new)
        return new

    return f


def fibonacci(n):
    if n < 0:
        raise ValueError(n)
    i0 = tf.constant(0)
    acc0 = tf.zeros([0], dtype=tf.int64)
    ab0 = tf.constant([0, 1], dtype=tf.int64)

    def keep_going(i, ab, acc):
        return tf.less(i, n)

    def step(i, ab, acc):
        acc = tf.concat([acc, ab[:1]], axis=0)
        ab = tf.stack([ab[1], tf.reduce_sum(ab)])
        return i + 1, ab, acc

    _, _, acc = tf.while_loop(
        keep_going,
        step,
        [i0, ab0, acc0],
        shape_invariants=[i0.shape, ab0.shape, tf.TensorShape([None])],
    )
    return acc
