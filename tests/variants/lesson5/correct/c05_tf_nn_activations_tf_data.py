"""Correct: tf.nn.relu and tf.nn.softmax as activations, and training on a tf.data pipeline."""

import keras
import tensorflow as tf


def build_classifier(hidden_units, num_classes=10):
    model = keras.Sequential([keras.Input(shape=(784,))])
    for units in hidden_units:
        model.add(keras.layers.Dense(units, activation=tf.nn.relu))
    model.add(keras.layers.Dense(num_classes, activation=tf.nn.softmax))
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(len(images), seed=0)
               .batch(batch_size))
    return model.fit(dataset, epochs=epochs, verbose=0)
