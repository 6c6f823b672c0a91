"""Lesson 6 — convolutional MNIST.

A multi-layer perceptron sees an image as 784 unrelated numbers. A convolutional network keeps
the picture's shape: each layer slides small filters over the image, so the same stroke
detector works wherever the stroke is, and pooling halves the resolution so later layers see
larger parts of the digit. The 2016 workshop's "deep MNIST for experts" network (two
convolution + pooling layers, then a dense layer) reached ~99 % on the full MNIST data.

From 2016 to TensorFlow 2:
  - ``tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')`` → the same op (``strides=1``
    is enough now), on NHWC tensors: (images, height, width, channels);
  - ``tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding='SAME')`` →
    ``tf.nn.max_pool2d(x, ksize=2, strides=2, padding='SAME')``;
  - ``tf.reshape(x, [-1, 28, 28, 1])`` and hand-made ``W_conv1``, ``h_pool1``, ... with a
    ``sess.run`` training loop → a ``keras.Model`` of ``Conv2D`` and ``MaxPooling2D`` layers,
    compiled with an optimizer and a loss, trained by ``model.fit``.

The grader trains your model itself: ``model.fit(images, labels, epochs=..., batch_size=...)``
with images of shape (N, 28, 28, 1), float32 in [0, 1], and labels as int64 class ids 0..9.

Check your work with:  grade lesson6
"""

import keras
import tensorflow as tf


def conv2d(x, W, b):
    """A convolution layer: ReLU(conv(x, W) + b), stride 1, SAME padding.

    x: images (N, H, W, C_in); W: filters (kernel height, kernel width, C_in, C_out);
    b: one bias per filter (C_out,). Returns (N, H, W, C_out): SAME padding pads the border
    with zeros so that the output keeps the input's height and width.
    """
    # TODO: convolve with tf.nn.conv2d(x, W, strides=1, padding="SAME"), add the bias b
    # (tf.nn.bias_add, or +), and return tf.nn.relu of the sum.
    raise NotImplementedError("conv2d")


def max_pool_2x2(x):
    """2×2 max pooling with stride 2 and SAME padding, as in 2016: (N, H, W, C) →
    (N, ceil(H / 2), ceil(W / 2), C). Each output pixel is the largest of a 2×2 block."""
    # TODO: return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME").
    raise NotImplementedError("max_pool_2x2")


def build_convnet(num_classes=10):
    """A compiled convolutional network for 28×28×1 images with ``num_classes`` outputs."""
    # TODO: build a keras.Sequential (or functional keras.Model) with keras.Input(shape=(28, 28,
    # 1)), then two stages of keras.layers.Conv2D(filters, 5, padding="same",
    # activation="relu") + keras.layers.MaxPooling2D(2, padding="same") (16 and 32 filters
    # train in seconds), then keras.layers.Flatten() and keras.layers.Dense(num_classes) for
    # the logits. Compile it with optimizer keras.optimizers.Adam(1e-3) and the loss
    # keras.losses.SparseCategoricalCrossentropy(from_logits=True) (the labels are class ids,
    # the outputs logits), and return it. Use standard Keras layers only: the grader rebuilds
    # your model from its configuration and weights.
    raise NotImplementedError("build_convnet")
