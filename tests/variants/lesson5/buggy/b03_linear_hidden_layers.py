"""Buggy: hidden Dense layers without an activation: the network is a linear classifier."""

# expect-fail: hidden_activations, held_out_accuracy

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units) for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
