"""The grader's own versions of lesson 3's helpers, put in place of the learner's while a check
that ``uses`` them runs (see :mod:`grader.check`), so one wrong helper costs only its own points.
"""

from __future__ import annotations

import tensorflow as tf


def logits(x, W, b):
    return tf.matmul(x, W) + b


def cross_entropy(logits, labels):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )


def accuracy(logits, labels):
    predictions = tf.argmax(logits, axis=1)
    return tf.reduce_mean(tf.cast(tf.equal(predictions, tf.cast(labels, tf.int64)), tf.float32))
