"""Correct: Dense layers followed by separate keras.layers.ReLU() layers; SGD with momentum."""

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.layers.InputLayer(shape=(784,))]
    for units in hidden_units:
        layers += [keras.layers.Dense(units), keras.layers.ReLU()]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_classifier(model, images, labels, epochs, batch_size):
    return model.fit(x=images, y=labels, batch_size=batch_size, epochs=epochs, verbose=0)
