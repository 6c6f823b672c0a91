"""Correct: one run in a subfolder of logdir, the weight histograms under a name scope and
written after each update at the next step (plus a final one), numpy parameters returned."""

import os

import keras
import tensorflow as tf


def log_scalars(logdir, tag, values):
    with tf.summary.create_file_writer(os.path.join(logdir, "run1")).as_default():
        for step, value in enumerate(values):
            tf.summary.scalar(tag, data=float(value), step=step)


def train_with_summaries(images, labels, logdir, steps, batch_size, learning_rate):
    W = tf.Variable(tf.random.normal([784, 10], stddev=0.01))
    b = tf.Variable(tf.zeros([10]))
    data = iter(tf.data.Dataset.from_tensor_slices((images, labels)).repeat()
                .shuffle(1000).batch(batch_size))

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = tf.matmul(x, W) + b
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits))
        for var, grad in zip([W, b], tape.gradient(loss, [W, b])):
            var.assign_sub(learning_rate * grad)
        right = tf.equal(tf.argmax(logits, 1), tf.cast(y, tf.int64))
        return loss, tf.reduce_mean(tf.cast(right, tf.float32))

    writer = tf.summary.create_file_writer(os.path.join(logdir, "train"))
    with writer.as_default():
        tf.summary.trace_on(graph=True, profiler=False)
        for step in range(steps):
            x, y = next(data)
            loss, accuracy = train_step(x, y)
            if step == 0:
                tf.summary.trace_export(name="step", step=step)
            tf.summary.scalar("loss", loss, step=step)
            tf.summary.scalar("accuracy", accuracy, step=step)
            with tf.name_scope("params"):
                tf.summary.histogram("W", W, step=step + 1)
                tf.summary.histogram("b", b, step=step + 1)
    writer.close()
    return W.numpy(), b.numpy()


def tensorboard_callback(logdir):
    return keras.callbacks.TensorBoard(logdir, histogram_freq=1, update_freq="epoch")
