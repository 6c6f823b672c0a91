"""Correct: conv + b with tf.maximum(·, 0); 2016's tf.nn.max_pool with [1, 2, 2, 1]; a
functional convnet ending in softmax, compiled with the loss's name (probabilities)."""

import keras
import tensorflow as tf


def conv2d(x, W, b):
    z = tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME") + b
    return tf.maximum(z, 0.0)


def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build_convnet(num_classes=10):
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(16, 5, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 5, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
