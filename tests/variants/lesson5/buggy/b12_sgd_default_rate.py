"""Buggy: optimizer="sgd", Keras' default learning rate 0.01: too slow for the budget."""

# expect-fail: held_out_accuracy

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(optimizer="sgd",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
