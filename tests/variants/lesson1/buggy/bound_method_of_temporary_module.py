"""Counter returned as a bound tf.function method of a tf.Module nobody keeps: `self` is gone."""
# expect-fail: counter_counts, counter_graph_updates_variable, counters_are_independent

import tensorflow as tf


class CounterModule(tf.Module):
    def __init__(self):
        super().__init__()
        self.value = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def increment(self):
        self.value.assign_add(1)
        return self.value.read_value()


def make_counter():
    return CounterModule().increment


pair = tf.Variable([0, 1], dtype=tf.int64)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    pair.assign([0, 1])
    values = tf.TensorArray(tf.int64, size=n, element_shape=())
    for i in range(n):
        values = values.write(i, pair[0])
        pair.assign(tf.stack([pair[1], pair[0] + pair[1]]))
    return values.stack()
