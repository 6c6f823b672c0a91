"""Correct: the extractor frozen layer by layer, and fine_tune as TensorFlow's transfer-learning
tutorial writes it (extractor.trainable = True, then freeze layers[:fine_tune_at]), BatchNormalization
kept frozen. fine_tune is graded with the grader's feature_extractor (extractor.trainable = False),
on a fresh transfer model for each call, as a learner calls it: the idiom is right there. (Before,
the grader called fine_tune twice on one extractor, where the second extractor.trainable = True
changes nothing, and this file was listed as buggy.)"""

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
    extractor.trainable = True
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
