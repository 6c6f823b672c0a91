"""Buggy: conv2d moves the filter 2 pixels at a time (strides copied from the pooling)."""

# expect-fail: conv2d_shapes, conv2d_values

import keras
import tensorflow as tf


def conv2d(x, W, b):
    return tf.nn.relu(tf.nn.conv2d(x, W, strides=[1, 2, 2, 1], padding="SAME") + b)


def max_pool_2x2(x):
    return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME")


def build_convnet(num_classes=10):
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.Conv2D(32, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
