"""Correct: conv2d and max_pool_2x2 written with keras.ops (the backend's conv and max_pool);
the model's own convolutions use padding "valid" (free to choose there), a Dense with
tf.nn.softmax as activation, and keras.losses.sparse_categorical_crossentropy (a function)."""

import keras
import tensorflow as tf
from keras import ops


def conv2d(x, W, b):
    return ops.relu(ops.conv(x, W, strides=1, padding="same") + b)


def max_pool_2x2(x):
    return ops.max_pool(x, pool_size=2, strides=2, padding="same")


def build_convnet(num_classes=10):
    model = keras.Sequential([
        keras.layers.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, kernel_size=5, activation="relu"),
        keras.layers.MaxPool2D(pool_size=2),
        keras.layers.Conv2D(32, kernel_size=3, activation="relu"),
        keras.layers.MaxPool2D(pool_size=2),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, activation=tf.nn.softmax),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.sparse_categorical_crossentropy, metrics=["accuracy"])
    return model
