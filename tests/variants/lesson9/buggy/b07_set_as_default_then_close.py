"""Buggy (issue 18 §2): log_scalars makes its writer the default with set_as_default() and closes
it: its file is complete, but the closed writer stays the default for whatever runs next."""

# expect-fail: log_scalars_restores_default_writer
# expect-message: log_scalars_restores_default_writer: left its writer, closed, as the default.*with writer\.as_default\(\):

import keras
import tensorflow as tf


def log_scalars(logdir, tag, values):
    """Write one scalar event per value under `tag`, at steps 0, 1, 2, …, into `logdir`."""
    # TODO: create a writer with tf.summary.create_file_writer(logdir); inside
    # `with writer.as_default():` call tf.summary.scalar(tag, value, step=step) for each
    # (step, value) in enumerate(values); then writer.close(), so the file is complete on disk.
    writer = tf.summary.create_file_writer(logdir)
    # Summaries go to the default writer: outside `as_default()` tf.summary.scalar writes
    # nothing (it returns False).
    writer.set_as_default()
    for step, value in enumerate(values):
        tf.summary.scalar(tag, value, step=step)
    # close() flushes the writer's buffer to the file: without it the events may still be in
    # memory when TensorBoard (or the grader) reads the file.
    writer.close()


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
    W = tf.Variable(tf.zeros([784, 10]), name="W")
    b = tf.Variable(tf.zeros([10]), name="b")
    batches = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images), reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size)
        .take(steps)
    )

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = tf.matmul(x, W) + b
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)
        correct = tf.equal(tf.argmax(logits, axis=1), tf.cast(y, tf.int64))
        return loss, tf.reduce_mean(tf.cast(correct, tf.float32))

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        for step, (x, y) in enumerate(batches):
            # Everything written at `step` describes the model that step started from.
            tf.summary.histogram("W", W, step=step)
            tf.summary.histogram("b", b, step=step)
            if step == 0:
                # Graphs are recorded while tf.function traces, which is on the first call.
                tf.summary.trace_on(graph=True)
            loss, accuracy = train_step(x, y)
            if step == 0:
                tf.summary.trace_export("train_step", step=0)
            tf.summary.scalar("loss", loss, step=step)
            tf.summary.scalar("accuracy", accuracy, step=step)
    writer.close()
    return W, b


def tensorboard_callback(logdir):
    """A Keras callback that logs to `logdir` and writes weight histograms every epoch."""
    # TODO: return keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1): Keras then
    # writes logdir/train and logdir/validation runs (epoch_loss, ...) and, every epoch, a
    # histogram of every weight.
    # histogram_freq=0, the default, writes no histograms at all.
    return keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1)
