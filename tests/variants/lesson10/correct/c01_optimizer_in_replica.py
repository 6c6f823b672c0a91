"""Correct: a Keras SGD optimizer applies the gradients inside strategy.run (it sums them over the
replicas itself); the pipeline is written in one chain with a fixed prefetch buffer."""

import keras
import tensorflow as tf


def make_dataset(images, labels, batch_size, seed):
    return (tf.data.Dataset.from_tensor_slices((images, labels))
            .shuffle(buffer_size=len(labels), seed=seed)
            .batch(batch_size, drop_remainder=False)
            .prefetch(2))


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        W = tf.Variable(tf.zeros([784, 10]), name="W")
        b = tf.Variable(tf.zeros([10]), name="b")
        optimizer = keras.optimizers.SGD(learning_rate)
    data = (tf.data.Dataset.from_tensor_slices((images, labels)).repeat()
            .batch(global_batch_size, drop_remainder=True).take(steps))

    def step(x, y):
        with tf.GradientTape() as tape:
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(y, x @ W + b)
            loss = tf.reduce_sum(losses) / global_batch_size
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        return loss

    @tf.function
    def distributed_step(x, y):
        return strategy.run(step, args=(x, y))

    for x, y in strategy.experimental_distribute_dataset(data):
        distributed_step(x, y)
    return W, b
