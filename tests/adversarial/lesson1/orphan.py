# attack: a correct counter that leaves a detached daemon behind (double fork, new session)
import os
import subprocess

import tensorflow as tf

subprocess.Popen(["sleep", "613"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(600)
        os._exit(0)
    os._exit(0)


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    raise NotImplementedError("fibonacci")
