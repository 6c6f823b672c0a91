"""Buggy: keras.optimizers.SGD() without learning_rate keeps its default 0.01."""

# expect-fail: train_step_size, train_held_out_accuracy

import keras
import tensorflow as tf


def logits(x, W, b):
    return tf.matmul(x, W) + b


def cross_entropy(logits, labels):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def accuracy(logits, labels):
    correct = tf.equal(tf.argmax(logits, axis=1), labels)
    return tf.reduce_mean(tf.cast(correct, tf.float32))


def train_softmax(images, labels, steps=1000, batch_size=100, learning_rate=0.5):
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    optimizer = keras.optimizers.SGD()
    data = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images)).repeat()
    for x, y in data.batch(batch_size).take(steps):
        with tf.GradientTape() as tape:
            loss = cross_entropy(logits(x, W, b), y)
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
    return W, b
