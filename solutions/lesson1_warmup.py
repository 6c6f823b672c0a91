"""Lesson 1 — warm-up: graphs, variables and Fibonacci.

In 2016 you first built a graph (a blueprint) and then ran it in a ``tf.Session``. In TensorFlow 2
code runs eagerly, and ``tf.function`` traces a Python function into that same kind of graph.

Check your work with:  grade lesson1
"""

import tensorflow as tf


def make_counter():
    """Return a tf.function that counts 1, 2, 3, ... on successive calls."""
    # TODO: create a tf.Variable that starts at 0 here, in make_counter, once: outside the traced
    # function (a tf.function that creates a variable on every call fails with "tf.function only
    # supports singleton tf.Variables"). Then define an inner function decorated with
    # @tf.function that adds 1 to that variable (assign_add) and returns the new value.
    # Return the inner function. Each call of make_counter() starts its own count.
    ### BEGIN SOLUTION
    # The state must outlive each call, so it lives in a tf.Variable, created here, *outside*
    # the traced function: a tf.function may not create new variables each time it runs, and
    # Python state (``count += 1``) would only change while the function is traced.
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        # assign_add is an op in the graph: it runs on every call, not only while tracing.
        return count.assign_add(1)

    return counter
    ### END SOLUTION


### BEGIN SOLUTION
# The Fibonacci state of the 2016 slide: a variable [[F(k)], [F(k+1)]]. It is created once, at
# import, so that fibonacci() can also be traced by tf.function (which must not create variables
# again on every trace).
_state = tf.Variable(tf.zeros([2, 1], dtype=tf.int64))
_STEP = tf.constant([[0, 1], [1, 1]], dtype=tf.int64)
### END SOLUTION


def fibonacci(n):
    """The first n Fibonacci numbers 0, 1, 1, 2, ... as a 1-D int64 tensor."""
    # TODO: raise ValueError if n < 0. Keep the state [[F(k)], [F(k+1)]] in a tf.Variable
    # (dtype tf.int64) created once, at module level above this function (where the comment
    # says; a tf.Variable created inside fibonacci fails under tf.function with "tf.function
    # only supports singleton tf.Variables"). In fibonacci, assign it [[0], [1]], and n times:
    # record its top value, then assign back tf.matmul([[0, 1], [1, 1]], state). Return the
    # recorded values as one int64 tensor (tf.stack), or an empty int64 tensor when n == 0. It
    # must also work inside tf.function.
    ### BEGIN SOLUTION
    # Each step multiplies the state [[a], [b]] by [[0, 1], [1, 1]], giving [[b], [a + b]], and
    # assigns it back, as in 2016. int64 holds every Fibonacci number up to F(92).
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    _state.assign([[0], [1]])
    numbers = []
    for _ in range(n):
        numbers.append(_state[0, 0])
        _state.assign(tf.matmul(_STEP, _state))
    if not numbers:
        return tf.zeros([0], dtype=tf.int64)
    return tf.stack(numbers)
    ### END SOLUTION
