"""Correct: dream with the tutorial's jitter: the image shifted by a random tf.roll before each
step and shifted back after it (as the site's figures are made)."""

import keras
import numpy as np
import tensorflow as tf


def dream_loss(model, image, layer_names):
    outputs = [model.get_layer(name).output for name in layer_names]
    activations = keras.Model(model.input, outputs)(image)
    if not isinstance(activations, (list, tuple)):
        activations = [activations]
    return tf.add_n([tf.reduce_mean(activation) for activation in activations])


def dream_step(model, image, layer_names, step_size):
    image = tf.convert_to_tensor(image)
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = dream_loss(model, image, layer_names)
    gradient = tape.gradient(loss, image)
    gradient /= tf.math.reduce_std(gradient) + 1e-8
    return tf.clip_by_value(image + step_size * gradient, -1.0, 1.0)


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    rng = np.random.default_rng(0)
    image = tf.convert_to_tensor(image)
    original = tf.shape(image)[1:3]
    for octave in range(octaves):
        size = tf.cast(tf.cast(original, tf.float32) * octave_scale**octave, tf.int32)
        image = tf.image.resize(image, size)
        for _ in range(steps):
            dy, dx = (int(v) for v in rng.integers(-3, 4, 2))
            image = tf.roll(image, (dy, dx), (1, 2))
            image = dream_step(model, image, layer_names, step_size)
            image = tf.roll(image, (-dy, -dx), (1, 2))
    return tf.image.resize(image, original)


def gram_matrix(features):
    gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    shape = tf.shape(features)
    return gram / tf.cast(shape[1] * shape[2], gram.dtype)


def style_loss(style_features, image_features):
    return tf.add_n([
        tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(features)))
        for style, features in zip(style_features, image_features, strict=True)
    ])
