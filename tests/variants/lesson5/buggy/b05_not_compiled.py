"""Buggy: build_classifier forgets model.compile: fit has no loss and no optimizer."""

# expect-fail: builds_compiled_model, held_out_accuracy, loss_matches_output

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    return keras.Sequential(layers)


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
