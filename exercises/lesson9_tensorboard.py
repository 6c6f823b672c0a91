"""Lesson 9 — TensorBoard: summaries, histograms and the graph.

The 2016 demo wrote summaries from inside the graph: ``tf.scalar_summary("loss", loss)``,
``tf.histogram_summary("weights", W)``, ``tf.merge_all_summaries()``, and a
``tf.train.SummaryWriter(logdir, sess.graph)`` whose ``add_summary(sess.run(merged), step)``
put them in an event file for TensorBoard. Today a writer is made with
``tf.summary.create_file_writer(logdir)``; inside ``with writer.as_default():`` every
``tf.summary.scalar(name, value, step=step)`` and ``tf.summary.histogram(name, values,
step=step)`` is written to it; ``tf.summary.trace_on(graph=True)`` before the first call of a
``tf.function`` and ``tf.summary.trace_export(name, step=0)`` after it record the traced graph
(2016's ``sess.graph``); Keras writes all of that itself with ``keras.callbacks.TensorBoard``.
Open the files with ``tensorboard --logdir <logdir>``.

Images are float32 of shape (n, 784) in [0, 1]; labels are int64 class ids 0..9 of shape (n,).

Check your work with:  grade lesson9
"""

import keras
import tensorflow as tf


def log_scalars(logdir, tag, values):
    """Write one scalar event per value under `tag`, at steps 0, 1, 2, …, into `logdir`."""
    # TODO: create a writer with tf.summary.create_file_writer(logdir); inside
    # `with writer.as_default():` call tf.summary.scalar(tag, value, step=step) for each
    # (step, value) in enumerate(values); then writer.close(), so the file is complete on disk.
    raise NotImplementedError("log_scalars")


def train_with_summaries(images, labels, logdir, steps=100, batch_size=100, learning_rate=0.5):
    """Lesson 3's softmax regression with TensorBoard summaries; return (W, b).

    W (784×10) and b (10) start from zeros; each of the `steps` steps takes the next
    `batch_size` images of a shuffled pass and one gradient-descent step of size
    `learning_rate` on their mean cross-entropy. Written to an event file in `logdir`, at every
    step 0 … steps-1: the scalars "loss" (the mean cross-entropy the step computed, before its
    update) and "accuracy" (of the same batch), and histograms "W" and "b"; once, the graph of
    the training step as tf.function traced it.
    """
    # TODO: make W, b and the batches as in lesson 3, and a @tf.function train_step(x, y) that
    # computes the logits and the loss under a GradientTape, applies W.assign_sub(learning_rate
    # * dW) (and the same for b) and returns the loss and the batch's accuracy. Create the
    # writer with tf.summary.create_file_writer(logdir) and, inside `with writer.as_default():`,
    # for each step: tf.summary.histogram("W", W, step=step) (and "b"), call train_step
    # (before the first call tf.summary.trace_on(graph=True), after it
    # tf.summary.trace_export("train_step", step=0)), then tf.summary.scalar("loss", loss,
    # step=step) and the same for "accuracy". Close the writer and return W, b.
    raise NotImplementedError("train_with_summaries")


def tensorboard_callback(logdir):
    """A Keras callback that logs to `logdir` and writes weight histograms every epoch."""
    # TODO: return keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1): Keras then
    # writes logdir/train and logdir/validation runs (epoch_loss, ...) and, every epoch, a
    # histogram of every weight.
    raise NotImplementedError("tensorboard_callback")
