"""Buggy: images and labels are shuffled with two different permutations, so each image is
trained with another image's label."""

# expect-fail: train_held_out_accuracy

import numpy as np
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
    images, labels = np.asarray(images), np.asarray(labels)
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    for step in range(steps):
        if step * batch_size % len(images) < batch_size:
            images = images[np.random.permutation(len(images))]
            labels = labels[np.random.permutation(len(labels))]
        start = step * batch_size % len(images)
        x, y = images[start:start + batch_size], labels[start:start + batch_size]
        with tf.GradientTape() as tape:
            loss = cross_entropy(logits(x, W, b), y)
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)
    return W, b
