"""Correct: close to today's TensorFlow Deep Dream tutorial: the loss as a list of layer
losses, a dream step traced by tf.function, the gradient normalised with tf.math.reduce_std,
and the Gram matrix of the "Neural style transfer" tutorial."""

import tensorflow as tf


def dream_loss(model, image, layer_names):
    outputs = [model.get_layer(name).output for name in layer_names]
    dream_model = tf.keras.Model(inputs=model.input, outputs=outputs)
    layer_activations = dream_model(image)
    if len(layer_names) == 1:
        layer_activations = [layer_activations]
    losses = []
    for act in layer_activations:
        losses.append(tf.math.reduce_mean(act))
    return tf.reduce_sum(losses)


def dream_step(model, image, layer_names, step_size):
    @tf.function
    def step(img):
        with tf.GradientTape() as tape:
            tape.watch(img)
            loss = dream_loss(model, img, layer_names)
        gradients = tape.gradient(loss, img)
        gradients /= tf.math.reduce_std(gradients) + 1e-8
        img = img + gradients * step_size
        return tf.clip_by_value(img, -1, 1)

    return step(tf.convert_to_tensor(image))


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    base_shape = tf.shape(image)[1:3]
    float_base_shape = tf.cast(base_shape, tf.float32)
    img = tf.convert_to_tensor(image)
    for n in range(octaves):
        new_shape = tf.cast(float_base_shape * (octave_scale**n), tf.int32)
        img = tf.image.resize(img, new_shape)
        for _ in range(steps):
            img = dream_step(model, img, layer_names, step_size)
    return tf.image.resize(img, base_shape)


def gram_matrix(input_tensor):
    result = tf.linalg.einsum("bijc,bijd->bcd", input_tensor, input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
    return result / num_locations


def style_loss(style_features, image_features):
    return tf.add_n([tf.reduce_mean((gram_matrix(s) - gram_matrix(f)) ** 2)
                     for s, f in zip(style_features, image_features)])
