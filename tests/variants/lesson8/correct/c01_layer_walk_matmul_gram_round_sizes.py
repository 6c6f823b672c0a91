"""Correct: dream_loss walks the layers by hand, the octave sizes are rounded, and the Gram
matrix is a reshape and a matmul."""

import numpy as np
import tensorflow as tf


def dream_loss(model, image, layer_names):
    x = image
    total = 0.0
    for layer in model.layers[1:]:
        x = layer(x)
        if layer.name in layer_names:
            total = total + tf.reduce_mean(x)
    return tf.convert_to_tensor(total)


def dream_step(model, image, layer_names, step_size):
    image = tf.Variable(image)
    with tf.GradientTape() as tape:
        loss = dream_loss(model, image, layer_names)
    gradient = tape.gradient(loss, image)
    gradient = gradient / (tf.math.reduce_std(gradient) + 1e-8)
    return tf.clip_by_value(image + gradient * step_size, -1, 1)


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    height, width = int(image.shape[1]), int(image.shape[2])
    for octave in range(octaves):
        size = [int(round(height * octave_scale**octave)), int(round(width * octave_scale**octave))]
        image = tf.image.resize(image, size)
        for _ in range(steps):
            image = dream_step(model, image, layer_names, step_size)
    return tf.image.resize(image, [height, width])


def gram_matrix(features):
    b, h, w, c = tf.unstack(tf.shape(features))
    flat = tf.reshape(features, [b, h * w, c])
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(h * w, tf.float32)


def style_loss(style_features, image_features):
    loss = tf.constant(0.0)
    for style, image in zip(style_features, image_features):
        loss += tf.reduce_mean((gram_matrix(style) - gram_matrix(image)) ** 2)
    return loss
