"""Buggy: a logits output with the default loss (from_logits=False): logits taken for
probabilities."""

# expect-fail: loss_matches_output, held_out_accuracy

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
