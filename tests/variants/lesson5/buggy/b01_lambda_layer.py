"""Buggy: a Lambda layer to scale the pixels: the grader cannot rebuild it safely."""

# expect-fail: builds_compiled_model, layer_sizes, linear_classifier, hidden_activations, loss_matches_output, held_out_accuracy

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,)), keras.layers.Lambda(lambda x: x * 2.0 - 1.0)]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
