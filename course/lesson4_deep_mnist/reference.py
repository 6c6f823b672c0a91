"""The grader's own versions of lesson 4's helpers, put in place of the learner's while a check
that ``uses`` them runs (see :mod:`grader.check`), so one wrong helper costs only its own points.
"""

from __future__ import annotations

from itertools import pairwise

import tensorflow as tf


def init_params(sizes, seed=0):
    params = []
    for layer, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        W = tf.random.stateless_truncated_normal(
            [fan_in, fan_out], seed=[seed, layer], stddev=(2.0 / fan_in) ** 0.5
        )
        params.append((tf.Variable(W), tf.Variable(tf.fill([fan_out], 0.1))))
    return params


def dense(x, W, b, activation=None):
    z = tf.matmul(x, W) + b
    return z if activation is None else activation(z)


def mlp_logits(x, params):
    *hidden, (W_out, b_out) = params
    for W, b in hidden:
        x = dense(x, W, b, tf.nn.relu)
    return dense(x, W_out, b_out)
