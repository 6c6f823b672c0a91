"""Lesson 7's reference versions of the exercise functions, for checks that declare ``uses=``.

While such a check runs, the learner process calls these instead of the learner's own
``feature_extractor``, ``build_transfer_model``, ``train_head`` or ``fine_tune``, so that one
mistake costs the points of one function only. Plain Keras, the same as the solution.
"""

import keras


def feature_extractor(base_model):
    """A ``keras.Model`` from ``base_model``'s input to the output of its ``features`` layer
    (the last layer before the classifier), with every layer frozen."""
    extractor = keras.Model(base_model.input, base_model.get_layer("features").output,
                            name="extractor")
    extractor.trainable = False
    return extractor


def build_transfer_model(extractor, num_classes):
    """A compiled ``keras.Model``: the frozen ``extractor``, then a new ``Dense(num_classes)``
    head, with a loss that matches the head's output."""
    model = keras.Sequential([extractor, keras.layers.Dense(num_classes, name="head")])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_head(model, images, labels, epochs, batch_size):
    """Train ``model`` (only its head is trainable) on the labelled images; return the
    ``History`` that ``fit`` returns."""
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)


def fine_tune(model, extractor, num_layers, learning_rate):
    """Make only the top ``num_layers`` layers of ``extractor`` trainable and recompile
    ``model`` with an optimizer at ``learning_rate``; return ``model``."""
    extractor.trainable = True
    layers = extractor.layers
    top = layers[-num_layers:] if num_layers > 0 else []
    for layer in layers:
        is_norm = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = layer in top and not is_norm
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
