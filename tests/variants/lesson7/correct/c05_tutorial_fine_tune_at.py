"""Correct: fine_tune exactly as TensorFlow's transfer-learning tutorial writes it:
extractor.trainable = True, then every layer of extractor.layers[:-num_layers] frozen again (and
BatchNormalization kept frozen, as the TODO asks)."""

import keras


def feature_extractor(base_model):
    extractor = keras.Model(base_model.input, base_model.get_layer("features").output)
    extractor.trainable = False
    return extractor


def build_transfer_model(extractor, num_classes):
    model = keras.Sequential([extractor, keras.layers.Dense(num_classes)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def train_head(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)


def fine_tune(model, extractor, num_layers, learning_rate):
    extractor.trainable = True
    for layer in extractor.layers[:-num_layers]:
        layer.trainable = False
    for layer in extractor.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
