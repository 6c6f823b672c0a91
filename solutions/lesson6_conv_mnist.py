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
    ### BEGIN SOLUTION
    # The filter slides one pixel at a time (stride 1) in both directions; each output channel
    # is one filter's response, plus its bias; ReLU keeps the positive evidence only.
    z = tf.nn.conv2d(x, W, strides=1, padding="SAME")
    return tf.nn.relu(tf.nn.bias_add(z, b))
    ### END SOLUTION


def max_pool_2x2(x):
    """2×2 max pooling with stride 2 and SAME padding, as in 2016: (N, H, W, C) →
    (N, ceil(H / 2), ceil(W / 2), C). Each output pixel is the largest of a 2×2 block."""
    # TODO: return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME").
    ### BEGIN SOLUTION
    # SAME padding keeps an odd last row or column (it pools alone) instead of dropping it.
    return tf.nn.max_pool2d(x, ksize=2, strides=2, padding="SAME")
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    # Two convolution + pooling stages (as in 2016, but with fewer filters so that it trains in
    # seconds on a laptop CPU), then a dense output layer that gives logits.
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        # 5×5 filters over the whole image: 16 feature maps of 28×28, pooled to 14×14.
        keras.layers.Conv2D(16, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, padding="same"),
        # 5×5 filters over those 16 maps: 32 feature maps of 14×14, pooled to 7×7.
        keras.layers.Conv2D(32, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.Flatten(),
        # No softmax here: the outputs are logits and the loss applies softmax itself
        # (from_logits=True), which is more accurate than softmax followed by a log.
        keras.layers.Dense(num_classes),
    ])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),  # 2016: AdamOptimizer(1e-4)
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
    ### END SOLUTION
