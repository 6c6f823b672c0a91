# attack: a correct counter; fibonacci raises SystemExit(0)
import sys

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    sys.exit(0)
