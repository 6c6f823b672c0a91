"""Buggy: dream reads the image's (height, width) as (width, height): every octave, and the image
it returns, have height and width swapped."""

# expect-fail: dream_original_size, dream_octaves, dream_raises_loss

import keras
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
    width, height = int(image.shape[1]), int(image.shape[2])  # (height, width) misnamed
    for octave in range(octaves):
        scale = octave_scale**octave
        image = tf.image.resize(image, (int(height * scale), int(width * scale)))
        for _ in range(steps):
            image = dream_step(model, image, layer_names, step_size)
    return tf.image.resize(image, (height, width))


def gram_matrix(features):
    gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    shape = tf.shape(features)
    return gram / tf.cast(shape[1] * shape[2], gram.dtype)


def style_loss(style_features, image_features):
    return tf.add_n([
        tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(features)))
        for style, features in zip(style_features, image_features, strict=True)
    ])
