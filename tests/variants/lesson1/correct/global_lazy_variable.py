"""fibonacci's variable created on first use through a `global` (None until then); counter with assign_add(1) int32."""

import tensorflow as tf

_state = None
_step = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)


def make_counter():
    total = tf.Variable(0, name="count")

    @tf.function
    def counter():
        total.assign_add(1)
        return total + 0

    return counter


def fibonacci(n):
    global _state
    if n < 0:
        raise ValueError("n must be >= 0")
    if _state is None:
        _state = tf.Variable([[0], [1]], dtype=tf.int64)
    _state.assign([[0], [1]])
    result = []
    for _ in range(n):
        result.append(_state[0, 0])
        _state.assign(tf.matmul(_step, _state))
    if len(result) == 0:
        return tf.constant([], dtype=tf.int64)
    return tf.stack(result)
