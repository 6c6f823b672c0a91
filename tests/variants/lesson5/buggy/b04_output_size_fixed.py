"""Buggy: the output layer always has 10 units, whatever num_classes says."""

# expect-fail: layer_sizes

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(10))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
