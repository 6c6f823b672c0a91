# attack: a correct counter; fibonacci raises KeyboardInterrupt (and SIGINTs itself)
import os
import signal

import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    if n == 0:
        os.kill(os.getpid(), signal.SIGINT)
    raise KeyboardInterrupt
