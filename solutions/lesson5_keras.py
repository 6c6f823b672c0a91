"""Lesson 5 — the high-level API: a Keras classifier.

In 2016 the workshop switched from hand-written graphs to ``tf.contrib.learn``: a
``LinearClassifier`` (lesson 3's softmax regression in one line), then
``DNNClassifier(hidden_units=[128, 32], n_classes=10)`` (lesson 4's network in one line), trained
with ``fit`` and scored with ``evaluate``. ``tf.contrib`` is gone; Keras is today's high-level API:

  - ``DNNClassifier(hidden_units=[128, 32], n_classes=10)`` → a ``keras.Sequential`` of ``Dense``
    layers: ``Dense(128, activation="relu")``, ``Dense(32, activation="relu")``, ``Dense(10)``;
  - ``LinearClassifier(n_classes=10)`` → the same with no hidden layer: one ``Dense(10)``;
  - the loss and the optimizer the estimator chose for you → ``model.compile(optimizer=...,
    loss=...)``: the output layer and the loss must agree (logits with ``from_logits=True``, or a
    softmax output with probabilities);
  - ``classifier.fit(x, y, steps=...)`` → ``model.fit(x, y, epochs=..., batch_size=...)``, which
    returns a ``History`` of the loss per epoch.

Images are float32 in [0, 1], one flattened 784-pixel image per row; labels are int64 class ids.

Check your work with:  grade lesson5
"""

import keras


def build_classifier(hidden_units, num_classes=10):
    """A compiled Keras classifier over 784 inputs: one ReLU Dense layer per entry of
    ``hidden_units`` (none: a linear classifier), then ``num_classes`` outputs."""
    # TODO: start a list of layers with keras.Input(shape=(784,)); add
    # keras.layers.Dense(units, activation="relu") for each units in hidden_units (none at all
    # for hidden_units=[]: a linear classifier); end with keras.layers.Dense(num_classes), the
    # logits. Make a keras.Sequential of them and compile it with an optimizer
    # (keras.optimizers.Adam(learning_rate=1e-3)) and a loss that matches the logits:
    # keras.losses.SparseCategoricalCrossentropy(from_logits=True). Return the model.
    ### BEGIN SOLUTION
    layers = [keras.Input(shape=(784,))]
    for units in hidden_units:
        layers.append(keras.layers.Dense(units, activation="relu"))
    # The output layer gives logits (no activation): the loss applies softmax itself.
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
    ### END SOLUTION


def train_classifier(model, images, labels, epochs, batch_size):
    """Train ``model`` on the images for ``epochs`` passes in batches of ``batch_size``;
    return the ``History`` that ``fit`` returns."""
    # TODO: train with model.fit(images, labels, epochs=epochs, batch_size=batch_size) and
    # return the History it returns (verbose=2 prints one line per epoch).
    ### BEGIN SOLUTION
    return model.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=2)
    ### END SOLUTION
