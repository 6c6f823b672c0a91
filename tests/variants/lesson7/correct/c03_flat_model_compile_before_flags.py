"""Correct: the base frozen first, a flat functional model on the extractor's output, Dropout
before the head; fine_tune compiles before setting the flags, which Keras 3 accepts (it
reads the flags when fit next builds its training step)."""

import keras


def feature_extractor(base_model):
    base_model.trainable = False
    return keras.Model(inputs=base_model.inputs,
                       outputs=base_model.get_layer(name="features").output)


def build_transfer_model(extractor, num_classes):
    x = keras.layers.Dropout(0.1)(extractor.output)
    outputs = keras.layers.Dense(num_classes)(x)
    model = keras.Model(extractor.input, outputs)
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_head(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)


def fine_tune(model, extractor, num_layers, learning_rate):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    extractor.trainable = True
    layers = extractor.layers
    for position, layer in enumerate(layers):
        norm = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = position >= len(layers) - num_layers and not norm
    return model
