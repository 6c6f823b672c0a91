"""Buggy: the 2016 hidden_units=[128, 32] written in, whatever hidden_units says."""

# expect-fail: layer_sizes, linear_classifier, hidden_activations

import keras


def build_classifier(hidden_units, num_classes=10):
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(num_classes),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
