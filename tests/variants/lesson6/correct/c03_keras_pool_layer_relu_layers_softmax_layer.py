"""Correct: a Keras MaxPooling2D layer called on the tensor (padding "same"); convolutions
without activation followed by ReLU layers; a Softmax layer at the end with the default
from_logits=False; Dropout before the output."""

import keras
import tensorflow as tf


def conv2d(x, W, b):
    return tf.nn.relu(tf.nn.conv2d(x, W, 1, "SAME") + b)


def max_pool_2x2(x):
    return keras.layers.MaxPooling2D(pool_size=2, strides=2, padding="same")(x)


def build_convnet(num_classes=10):
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    model.add(keras.layers.Conv2D(16, 5, padding="same"))
    model.add(keras.layers.ReLU())
    model.add(keras.layers.MaxPooling2D(padding="same"))
    model.add(keras.layers.Conv2D(32, 5, padding="same"))
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.MaxPooling2D(padding="same"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dropout(0.2))
    model.add(keras.layers.Dense(num_classes))
    model.add(keras.layers.Softmax())
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy())
    return model
