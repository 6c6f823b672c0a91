"""Correct: a functional convnet (keras.Input, layers called in a chain, keras.Model) with
BatchNormalization between the first convolution and its ReLU, and Dropout before the logits."""

import keras
import tensorflow as tf


def conv2d(x, W, b):
    return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, W, strides=1, padding="SAME"), b))


def max_pool_2x2(x):
    return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME")


def build_convnet(num_classes=10):
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(16, 5, padding="same", use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Conv2D(32, 5, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.25)(x)
    logits = keras.layers.Dense(num_classes)(x)
    model = keras.Model(inputs, logits)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
