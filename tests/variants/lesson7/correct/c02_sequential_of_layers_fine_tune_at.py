"""Correct: the extractor as a Sequential of the base's own layers, frozen layer by layer
(so fine_tune unfreezes them layer by layer too); fine_tune in the TF tutorial's fine_tune_at
style."""

import keras


def feature_extractor(base_model):
    extractor = keras.Sequential(base_model.layers[:-1])
    for layer in extractor.layers:
        layer.trainable = False
    return extractor


def build_transfer_model(extractor, num_classes):
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), extractor,
                              keras.layers.Dense(num_classes)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def train_head(model, images, labels, epochs, batch_size):
    history = model.fit(images, labels, epochs=epochs, batch_size=batch_size, shuffle=True,
                        verbose=0)
    return history


def fine_tune(model, extractor, num_layers, learning_rate):
    for layer in extractor.layers:  # extractor.trainable = True would not reach them here:
        layer.trainable = True      # its own flag is still True, so Keras passes nothing down
    fine_tune_at = len(extractor.layers) - num_layers
    for layer in extractor.layers[:fine_tune_at]:
        layer.trainable = False
    for layer in extractor.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
