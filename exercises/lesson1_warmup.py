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
    raise NotImplementedError("make_counter")


# Module-level state or helpers for fibonacci, if you need any
# (a tf.Variable created here, once, outlives every call).


def fibonacci(n):
    """The first n Fibonacci numbers 0, 1, 1, 2, ... as a 1-D int64 tensor."""
    # TODO: raise ValueError if n < 0. Keep the state [[F(k)], [F(k+1)]] in a tf.Variable
    # (dtype tf.int64) created once, at module level above this function (where the comment
    # says; a tf.Variable created inside fibonacci fails under tf.function with "tf.function
    # only supports singleton tf.Variables"). In fibonacci, assign it [[0], [1]], and n times:
    # record its top value, then assign back tf.matmul([[0, 1], [1, 1]], state). Return the
    # recorded values as one int64 tensor (tf.stack), or an empty int64 tensor when n == 0. It
    # must also work inside tf.function.
    raise NotImplementedError("fibonacci")
