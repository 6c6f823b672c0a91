"""Correct: softmax_cross_entropy_with_logits on one-hot labels, tf.data, keras SGD optimizer."""

import keras
import tensorflow as tf


def logits(x, W, b):
    return tf.add(tf.matmul(x, W), b)


def cross_entropy(logits, labels):
    one_hot = tf.one_hot(labels, depth=10)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=one_hot, logits=logits))


def accuracy(logits, labels):
    predictions = tf.argmax(tf.nn.softmax(logits), axis=-1)
    return tf.reduce_mean(tf.cast(tf.equal(predictions, labels), tf.float32))


def train_softmax(images, labels, steps=1000, batch_size=100, learning_rate=0.5):
    W = tf.Variable(tf.zeros((784, 10)), name="W")
    b = tf.Variable(tf.zeros((10,)), name="b")
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    data = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(8192).repeat()
    for x, y in data.batch(batch_size).take(steps):
        with tf.GradientTape() as tape:
            loss = cross_entropy(logits(x, W, b), y)
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
    return W, b
