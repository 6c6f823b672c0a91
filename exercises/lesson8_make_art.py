"""Lesson 8 — make art: Deep Dream and style transfer.

In 2016 the workshop ended with a choice: train your own classifier, or make art. Deep Dream
turns a trained network around: instead of changing the weights to lower a loss, it changes
the *image* to raise how strongly chosen layers respond, so the network paints what it has
learnt to see. Style transfer describes a picture's texture by the correlations between a
layer's channels (Gram matrices) and makes one image's match another's.

The network is lesson 7's base convnet (the course trained it on Fashion-MNIST), made fully
convolutional so that it takes images of any size. Images are float32 tensors of shape
(1, height, width, 1) with values in [-1, 1]; ``layer_names`` are names of the model's layers
("conv1", "conv2", "logits"). Features are NHWC tensors (batch, height, width, channels).

Check your work with:  grade lesson8
"""

import keras
import tensorflow as tf


def dream_loss(model, image, layer_names):
    """How strongly the named layers respond to the image: the sum over the layers of the
    mean of each layer's activation, a scalar."""
    # TODO: build a keras.Model from model.input to the outputs of the named layers
    # (model.get_layer(name).output), call it on the image, and return the sum of
    # tf.reduce_mean of each layer's activation.
    raise NotImplementedError("dream_loss")


def dream_step(model, image, layer_names, step_size):
    """One step of gradient *ascent* on dream_loss: returns the new image (same shape)."""
    # TODO: under tf.GradientTape, watch the image (tape.watch: it is a tensor, not a
    # variable) and compute dream_loss(model, image, layer_names); take the gradient of the
    # loss by the image; divide it by its standard deviation + 1e-8 (tf.math.reduce_std);
    # ADD step_size times it to the image (ascent: make the layers respond more); clip the
    # result to [-1, 1] with tf.clip_by_value, and return it.
    raise NotImplementedError("dream_step")


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    """Deep Dream at `octaves` successive sizes: the first octave at the image's own size,
    each next one `octave_scale` times larger than the last; `steps` dream steps at each.
    Returns the dreamed image resized back to the original height and width."""
    # TODO: remember the original (height, width). For octave = 0, 1, ..., octaves - 1:
    # resize the image (tf.image.resize) to the original size times octave_scale ** octave
    # (cast to int32), then call dream_step `steps` times. Finally resize back to the
    # original size and return the image.
    raise NotImplementedError("dream")


def gram_matrix(features):
    """The Gram matrix of each image's features: (b, h, w, c) -> (b, c, c), the products of
    every pair of channels summed over all h·w positions, divided by h·w."""
    # TODO: with tf.linalg.einsum("bijc,bijd->bcd", features, features) sum the products
    # of channels c and d over the positions (i, j); divide by the number of positions
    # h·w (tf.shape(features)[1] * tf.shape(features)[2], cast to float32).
    raise NotImplementedError("gram_matrix")


def style_loss(style_features, image_features):
    """How far the image's style is from the style image's: for each layer (the two lists
    hold one features tensor per layer), the mean squared difference of their Gram
    matrices; the sum over the layers, a scalar."""
    # TODO: for each pair (style, image) of the two lists, take
    # tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(image))); return the sum
    # of these over the layers (tf.add_n).
    raise NotImplementedError("style_loss")
