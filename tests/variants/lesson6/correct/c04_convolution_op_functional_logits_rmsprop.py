"""Correct: tf.nn.convolution (conv2d's general form) and tf.nn.relu; max_pool2d with 2016's
list arguments; a functional convnet of 3 convolutions with logits, RMSprop, and the loss
function passed by name with from_logits through keras.losses.SparseCategoricalCrossentropy."""

import keras
import tensorflow as tf


def conv2d(x, W, b):
    return tf.nn.relu(tf.nn.convolution(x, W, strides=1, padding="SAME") + b)


def max_pool_2x2(x):
    return tf.nn.max_pool2d(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build_convnet(num_classes=10):
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    model = keras.Model(inputs=inputs, outputs=logits, name="convnet")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
