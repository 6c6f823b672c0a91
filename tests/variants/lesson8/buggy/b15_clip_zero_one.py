"""Buggy: dream_step clips to [0, 1] (the range of the images of lessons 3 to 7) instead of
[-1, 1]: only the clip check fails; the direction, the scale and the zero step are judged on
the pixels the wrong clip left alone."""

# expect-fail: dream_step_clips

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
    return tf.clip_by_value(image + step_size * gradient, 0.0, 1.0)


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    image = tf.convert_to_tensor(image)
    original = tf.shape(image)[1:3]
    for octave in range(octaves):
        size = tf.cast(tf.cast(original, tf.float32) * octave_scale**octave, tf.int32)
        image = tf.image.resize(image, size)
        for _ in range(steps):
            image = dream_step(model, image, layer_names, step_size)
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
