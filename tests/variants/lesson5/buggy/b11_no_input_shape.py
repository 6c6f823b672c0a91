"""Buggy: no keras.Input: the model does not know its input size until it is trained."""

# expect-fail: builds_compiled_model, layer_sizes, linear_classifier, hidden_activations, loss_matches_output

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
