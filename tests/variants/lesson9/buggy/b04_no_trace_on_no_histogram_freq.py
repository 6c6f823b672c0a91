"""Buggy: the graph is exported without trace_on (TF 2.21's
trace_export then raises), and the callback keeps histogram_freq=0, its default."""

# expect-fail: callback_weight_histograms, train_accuracy_values, train_graph, train_histograms, train_loss_matches_parameters, train_restores_default_writer, train_returns_parameters, train_scalar_tags_and_steps


import keras
import tensorflow as tf


def log_scalars(logdir, tag, values):
    """Write one scalar event per value under `tag`, at steps 0, 1, 2, …, into `logdir`."""
    writer = tf.summary.create_file_writer(logdir)
    # Summaries go to the default writer: outside `as_default()` tf.summary.scalar writes
    # nothing (it returns False).
    with writer.as_default():
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
            loss, accuracy = train_step(x, y)
            if step == 0:
                tf.summary.trace_export("train_step", step=0)
            tf.summary.scalar("loss", loss, step=step)
            tf.summary.scalar("accuracy", accuracy, step=step)
    writer.close()
    return W, b


def tensorboard_callback(logdir):
    """A Keras callback that logs to `logdir` and writes weight histograms every epoch."""
    return keras.callbacks.TensorBoard(log_dir=logdir)
