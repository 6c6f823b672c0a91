"""Correct: a Keras SGD optimizer, random initial weights, histograms after each update, the
graph written with tf.summary.graph from the concrete function instead of a trace."""

import keras
import numpy as np
import tensorflow as tf


def log_scalars(logdir, tag, values):
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        step = 0
        for value in values:
            tf.summary.scalar(tag, np.float32(value), step=step)
            step += 1
        writer.flush()


def train_with_summaries(images, labels, logdir, steps, batch_size, learning_rate):
    W = tf.Variable(keras.initializers.GlorotUniform(seed=1)((784, 10)))
    b = tf.Variable(tf.zeros([10]))
    optimizer = keras.optimizers.SGD(learning_rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = x @ W + b
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, [W, b])
        optimizer.apply_gradients(zip(grads, [W, b]))
        hits = tf.cast(tf.argmax(logits, axis=1) == tf.cast(y, tf.int64), tf.float32)
        return loss, tf.reduce_mean(hits)

    images = np.asarray(images)
    labels = np.asarray(labels)
    x0, y0 = images[:batch_size], labels[:batch_size]
    concrete = train_step.get_concrete_function(tf.constant(x0), tf.constant(y0))
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        tf.summary.graph(concrete.graph)
        order = np.random.permutation(len(images))
        for step in range(steps):
            start = (step * batch_size) % len(images)
            batch = order[start:start + batch_size]
            loss, acc = train_step(tf.constant(images[batch]), tf.constant(labels[batch]))
            tf.summary.scalar("loss", loss, step=step)
            tf.summary.scalar("accuracy", acc, step=step)
            tf.summary.histogram("weights", W, step=step)
            tf.summary.histogram("biases", b, step=step)
    writer.close()
    return W, b


def tensorboard_callback(logdir):
    return keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1, write_graph=False)
