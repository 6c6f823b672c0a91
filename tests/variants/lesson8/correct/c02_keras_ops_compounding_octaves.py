"""Correct: Keras ops throughout, a feature extractor with a dict of outputs, the std written
out by hand, and octave sizes that compound (each the last one times octave_scale)."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops


def dream_loss(model, image, layer_names):
    extractor = keras.Model(model.input,
                            {name: model.get_layer(name).output for name in layer_names})
    activations = extractor(image)
    return sum(ops.mean(activations[name]) for name in layer_names)


def dream_step(model, image, layer_names, step_size):
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = dream_loss(model, image, layer_names)
    g = tape.gradient(loss, image)
    std = ops.sqrt(ops.mean(ops.square(g - ops.mean(g))))
    image = image + step_size * g / (std + 1e-8)
    return ops.clip(image, -1.0, 1.0)


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    original = np.array(image.shape[1:3])
    size = original.astype(float)
    for octave in range(octaves):
        if octave > 0:
            size = np.floor(size * octave_scale)
        image = tf.image.resize(image, size.astype(int).tolist(), method="bicubic")
        for _ in range(steps):
            image = dream_step(model, image, layer_names, step_size)
    return tf.image.resize(image, original.tolist())


def gram_matrix(features):
    h, w = features.shape[1], features.shape[2]
    return ops.einsum("bhwc,bhwd->bcd", features, features) / (h * w)


def style_loss(style_features, image_features):
    losses = [ops.mean(ops.square(gram_matrix(s) - gram_matrix(i)))
              for s, i in zip(style_features, image_features)]
    return ops.sum(ops.stack(losses))
