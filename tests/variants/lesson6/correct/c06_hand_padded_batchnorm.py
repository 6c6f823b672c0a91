"""Correct: conv2d pads the border itself (tf.pad, then padding VALID: the same as SAME for odd
kernels) and uses tf.nn.bias_add; max_pool_2x2 as tf.nn.max_pool2d with ksize (2, 2); a
convnet with BatchNormalization and a Rescaling-free input, logits, from_logits=True."""

import keras
import tensorflow as tf


def conv2d(x, W, b):
    kh, kw = W.shape[0], W.shape[1]
    padded = tf.pad(x, [[0, 0], [(kh - 1) // 2, kh // 2], [(kw - 1) // 2, kw // 2], [0, 0]])
    return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(padded, W, strides=1, padding="VALID"), b))


def max_pool_2x2(x):
    return tf.nn.max_pool2d(x, ksize=(2, 2), strides=(2, 2), padding="SAME")


def build_convnet(num_classes=10):
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 5, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
