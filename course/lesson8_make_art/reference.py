"""The grader's own versions of lesson 8's helper functions, in plain TensorFlow.

A check that grades one function with ``uses=(...)`` runs it in the learner's process with
these in place of the learner's helpers, so that, say, ``dream_step`` is judged on its own even
when the learner's ``dream_loss`` is wrong. The trusted side computes its expected values with
the same functions, on its own copy of the network.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf


def dream_loss(model: Any, image: Any, layer_names: list[str]) -> Any:
    """The sum over the named layers of the mean of each layer's activation."""
    import keras

    outputs = [model.get_layer(name).output for name in layer_names]
    activations = keras.Model(model.input, outputs)(image)
    if not isinstance(activations, (list, tuple)):
        activations = [activations]
    return tf.add_n([tf.reduce_mean(activation) for activation in activations])


def dream_gradient(model: Any, image: Any, layer_names: list[str]) -> Any:
    """The gradient of :func:`dream_loss` by the image."""
    image = tf.convert_to_tensor(image, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = dream_loss(model, image, layer_names)
    return tape.gradient(loss, image)


def dream_step(model: Any, image: Any, layer_names: list[str], step_size: float) -> Any:
    """One step of normalised gradient ascent, clipped to [-1, 1]."""
    image = tf.convert_to_tensor(image, tf.float32)
    gradient = dream_gradient(model, image, layer_names)
    gradient /= tf.math.reduce_std(gradient) + 1e-8
    return tf.clip_by_value(image + step_size * gradient, -1.0, 1.0)


def gram_matrix(features: Any) -> Any:
    """(b, h, w, c) -> (b, c, c), divided by h·w."""
    gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    shape = tf.shape(features)
    return gram / tf.cast(shape[1] * shape[2], gram.dtype)
