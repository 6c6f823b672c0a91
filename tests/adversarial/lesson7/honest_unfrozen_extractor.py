# honest twin of forge_frozen_extractor.py: the same submission without the attack (the
# extractor is left trainable; build_transfer_model freezes it, so only the freezing check fails)
import keras


def feature_extractor(base_model):
    return keras.Model(base_model.input, base_model.get_layer("features").output)


def build_transfer_model(extractor, num_classes):
    extractor.trainable = False
    model = keras.Sequential([extractor, keras.layers.Dense(num_classes)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_head(model, images, labels, epochs, batch_size):
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)


def fine_tune(model, extractor, num_layers, learning_rate):
    extractor.trainable = True
    top = extractor.layers[-num_layers:] if num_layers > 0 else []
    for layer in extractor.layers:
        layer.trainable = layer in top and not isinstance(
            layer, keras.layers.BatchNormalization)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model
