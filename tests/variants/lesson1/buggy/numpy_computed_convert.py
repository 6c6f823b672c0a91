"""Numbers computed with numpy and converted with tf.convert_to_tensor: no TensorFlow arithmetic."""
# expect-fail: fibonacci_graph_computes

import numpy as np
import tensorflow as tf


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter



def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    out = np.zeros(n, dtype=np.int64)
    if n > 1:
        out[1] = 1
    for i in range(2, n):
        out[i] = out[i - 1] + out[i - 2]
    return tf.convert_to_tensor(out)
