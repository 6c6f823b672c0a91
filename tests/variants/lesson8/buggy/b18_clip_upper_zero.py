"""dream_step clips to [-1, 0]: a mutant `grade audit` planted that used to keep full marks."""
# expect-fail: dream_step_clips

import keras
import tensorflow as tf


def dream_loss(model, image, layer_names):
    """How strongly the named layers respond to the image: the sum over the layers of the
    mean of each layer's activation, a scalar."""
    # TODO: build a keras.Model from model.input to the outputs of the named layers
    # (model.get_layer(name).output), call it on the image, and return the sum of
    # tf.reduce_mean of each layer's activation.
    ### BEGIN SOLUTION
    outputs = [model.get_layer(name).output for name in layer_names]
    activations = keras.Model(model.input, outputs)(image)
    if not isinstance(activations, (list, tuple)):
        activations = [activations]
    return tf.add_n([tf.reduce_mean(activation) for activation in activations])
    ### END SOLUTION


def dream_step(model, image, layer_names, step_size):
    """One step of gradient *ascent* on dream_loss: returns the new image (same shape)."""
    # TODO: under tf.GradientTape, watch the image (tape.watch: it is a tensor, not a
    # variable) and compute dream_loss(model, image, layer_names); take the gradient of the
    # loss by the image; divide it by its standard deviation + 1e-8 (tf.math.reduce_std);
    # ADD step_size times it to the image (ascent: make the layers respond more); clip the
    # result to [-1, 1] with tf.clip_by_value, and return it.
    ### BEGIN SOLUTION
    image = tf.convert_to_tensor(image)
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = dream_loss(model, image, layer_names)
    gradient = tape.gradient(loss, image)
    # Normalising makes the step's size independent of the layer's scale: step_size is the
    # change of a typical pixel, whatever layer is dreamed with.
    gradient /= tf.math.reduce_std(gradient) + 1e-8
    return tf.clip_by_value(image + step_size * gradient, -1.0, 0.0)
    ### END SOLUTION


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    """Deep Dream at `octaves` successive sizes: the first octave at the image's own size,
    each next one `octave_scale` times larger than the last; `steps` dream steps at each.
    Returns the dreamed image resized back to the original height and width."""
    # TODO: remember the original (height, width). For octave = 0, 1, ..., octaves - 1:
    # resize the image (tf.image.resize) to the original size times octave_scale ** octave
    # (cast to int32), then call dream_step `steps` times. Finally resize back to the
    # original size and return the image.
    ### BEGIN SOLUTION
    image = tf.convert_to_tensor(image)
    original = tf.shape(image)[1:3]
    for octave in range(octaves):
        size = tf.cast(tf.cast(original, tf.float32) * octave_scale**octave, tf.int32)
        image = tf.image.resize(image, size)
        for _ in range(steps):
            image = dream_step(model, image, layer_names, step_size)
    return tf.image.resize(image, original)
    ### END SOLUTION


def gram_matrix(features):
    """The Gram matrix of each image's features: (b, h, w, c) -> (b, c, c), the products of
    every pair of channels summed over all h·w positions, divided by h·w."""
    # TODO: with tf.linalg.einsum("bijc,bijd->bcd", features, features) sum the products
    # of channels c and d over the positions (i, j); divide by the number of positions
    # h·w (tf.shape(features)[1] * tf.shape(features)[2], cast to float32).
    ### BEGIN SOLUTION
    gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    shape = tf.shape(features)
    return gram / tf.cast(shape[1] * shape[2], gram.dtype)
    ### END SOLUTION


def style_loss(style_features, image_features):
    """How far the image's style is from the style image's: for each layer (the two lists
    hold one features tensor per layer), the mean squared difference of their Gram
    matrices; the sum over the layers, a scalar."""
    # TODO: for each pair (style, image) of the two lists, take
    # tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(image))); return the sum
    # of these over the layers (tf.add_n).
    ### BEGIN SOLUTION
    return tf.add_n([
        tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(features)))
        for style, features in zip(style_features, image_features, strict=True)
    ])
    ### END SOLUTION
