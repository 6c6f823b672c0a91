"""Correct: input_shape= on the first layer, a softmax output and the string loss (probabilities)."""

import keras


def build_classifier(hidden_units, num_classes=10):
    model = keras.Sequential()
    sizes = list(hidden_units)
    for i, units in enumerate(sizes):
        if i == 0:
            model.add(keras.layers.Dense(units, activation="relu", input_shape=(784,)))
        else:
            model.add(keras.layers.Dense(units, activation="relu"))
    if sizes:
        model.add(keras.layers.Dense(num_classes, activation="softmax"))
    else:
        model.add(keras.layers.Dense(num_classes, activation="softmax", input_shape=(784,)))
    model.compile(optimizer=keras.optimizers.Adam(0.002), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, batch_size=batch_size, epochs=epochs, shuffle=True,
                     verbose=2)
