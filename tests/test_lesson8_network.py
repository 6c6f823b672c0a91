"""Lesson 8's dreaming network is lesson 7's base model, made fully convolutional."""

from __future__ import annotations

import importlib

import numpy as np

from grader.curriculum import find_lesson
from grader.data import base_model

network = importlib.import_module(find_lesson("lesson8").package + ".network")


def test_dream_model_is_the_base_model_over_any_size():
    base = base_model.load_base_model()
    dreamer = network.dream_model()
    assert [layer.name for layer in dreamer.layers if layer.weights] == list(network.LAYERS)
    images = np.random.default_rng(8).random((3, 28, 28, 1)).astype(np.float32)
    import keras

    names = ("relu1", "conv2", "logits")
    expected = keras.Model(base.input, [base.get_layer(n).output for n in names])(images)
    extractor = keras.Model(dreamer.input, [dreamer.get_layer(n).output for n in network.LAYERS])
    got = extractor(images * 2 - 1)  # the dreamer takes [-1, 1]
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-4, atol=1e-5)  # BN folded in
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[2][:, 3, 3, :], expected[2], rtol=1e-4, atol=1e-4)
    assert tuple(dreamer(np.zeros((1, 45, 37, 1), np.float32)).shape) == (1, 12, 10, 10)


def test_flat_model_has_a_zero_gradient():
    import tensorflow as tf

    image = tf.constant(np.random.default_rng(1).uniform(-1, 1, (1, 9, 9, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(network.flat_model()(image))
    assert float(loss) == 0.0
    assert not np.any(tape.gradient(loss, image).numpy())
