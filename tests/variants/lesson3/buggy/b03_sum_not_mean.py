"""Buggy: cross_entropy sums the losses of the batch instead of averaging them."""

# expect-fail: cross_entropy_large_logits, cross_entropy_value, loss_gradient, train_held_out_accuracy

import tensorflow as tf


def logits(x, W, b):
    return tf.matmul(x, W) + b


def cross_entropy(logits, labels):
    return tf.reduce_sum(
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
