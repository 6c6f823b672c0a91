"""Correct: a functional transfer model calling the extractor with training=False; a softmax head."""

import keras


def feature_extractor(base_model):
    extractor = keras.Model(base_model.input, base_model.get_layer("features").output)
    extractor.trainable = False
    return extractor


def build_transfer_model(extractor, num_classes):
    inputs = keras.Input(shape=(28, 28, 1))
    features = extractor(inputs, training=False)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_head(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)


def fine_tune(model, extractor, num_layers, learning_rate):
    extractor.trainable = True
    for index, layer in enumerate(extractor.layers):
        in_top = index >= len(extractor.layers) - num_layers
        layer.trainable = in_top and type(layer).__name__ != "BatchNormalization"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
