"""The grader's own version of lesson 5's model builder, put in place of the learner's while a
check that ``uses`` it runs (see :mod:`grader.check`): ``train_classifier`` is graded on a model
that is surely right, so a wrong ``build_classifier`` costs only its own points.
"""

from __future__ import annotations

import keras


def build_classifier(hidden_units, num_classes=10):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
