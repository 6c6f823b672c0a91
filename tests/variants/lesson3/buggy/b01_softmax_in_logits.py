"""Buggy: logits applies softmax, so the loss applies it a second time."""

# expect-fail: logits_gradient, logits_values, train_held_out_accuracy

import tensorflow as tf


def logits(x, W, b):
    return tf.nn.softmax(tf.matmul(x, W) + b)


def cross_entropy(logits, labels):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def accuracy(logits, labels):
    correct = tf.equal(tf.argmax(logits, axis=1), labels)
    return tf.reduce_mean(tf.cast(correct, tf.float32))


def train_softmax(images, labels, steps=1000, batch_size=100, learning_rate=0.5):
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    data = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images)).repeat()
    for x, y in data.batch(batch_size).take(steps):
        with tf.GradientTape() as tape:
            loss = cross_entropy(logits(x, W, b), y)
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)
    return W, b
