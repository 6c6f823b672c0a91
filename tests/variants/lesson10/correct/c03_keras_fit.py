"""Correct: Keras. A Dense layer built and compiled inside strategy.scope(); fit runs each step
on the replicas (Keras scales the loss by the global batch itself); (W, b) are its weights."""

import keras
import tensorflow as tf


def make_dataset(images, labels, batch_size, seed):
    pairs = tf.data.Dataset.from_tensor_slices((images, labels))
    return pairs.shuffle(pairs.cardinality(), seed, True).batch(batch_size).prefetch(1)


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        layer = keras.layers.Dense(10, kernel_initializer="zeros", bias_initializer="zeros")
        model = keras.Sequential([keras.Input((784,)), layer])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = (tf.data.Dataset.from_tensor_slices((images, labels)).repeat()
            .batch(global_batch_size, drop_remainder=True))
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    return layer.kernel, layer.bias
