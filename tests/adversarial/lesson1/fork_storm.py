# attack: forks as many sleeping children as it may (bounded by RLIMIT_NPROC), then counts correctly
import os
import time

import tensorflow as tf


def make_counter():
    for _ in range(4000):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(300)
            os._exit(0)
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    raise NotImplementedError("fibonacci")
