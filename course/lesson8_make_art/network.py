"""The network lesson 8 dreams with: lesson 7's base convnet, made fully convolutional.

Lesson 7's base model (:mod:`grader.data.base_model`, trained by the course on Fashion-MNIST,
weights shipped in ``grader/data/base_model.npz``) takes 28×28 images only: its ``features``
Flatten layer and its Dense ``logits`` classifier fix the size. Deep Dream's octaves grow the
image, so lesson 8 rebuilds the base from the same weights over inputs of any height and width:

    image (1, H, W, 1) in [-1, 1] → to_unit Rescaling to [0, 1] (what the base was trained on)
      → conv1  Conv2D(16, 3, same, relu): the base's conv1, bn1 and relu1 in one layer
               (the batch normalisation, in inference mode, folded into the kernel and bias)
      → pool1  MaxPooling2D(2, same) → conv2 Conv2D(32, 3, same, relu): the base's conv2
      → pool2  MaxPooling2D(2, same)
      → logits Conv2D(10, 7, same): the base's Dense(10) classifier, which looks at the whole
               flattened 7×7×32 map of a 28×28 image, as a 7×7 convolution (no activation)

On a 28×28 image, ``logits`` at the centre of its 7×7 map is exactly the base's class scores
(``tests/test_lesson8_network.py``); on a larger image it is the classifier applied at every
position. The same function builds the model in the grader's process (every expected
value) and in the learner's (the model handed to the learner's functions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

LAYERS = ("conv1", "conv2", "logits")
BN_EPSILON = 1e-3  # keras.layers.BatchNormalization's default, as the base was built


def folded_weights() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) of each layer of the dreaming model, from the base's shipped weights."""
    from grader.data.base_model import base_weights

    w = base_weights()
    scale = w["bn1/gamma"] / np.sqrt(w["bn1/moving_variance"] + BN_EPSILON)
    conv1 = (w["conv1/kernel"] * scale,
             (w["conv1/bias"] - w["bn1/moving_mean"]) * scale + w["bn1/beta"])
    logits = w["logits/kernel"].reshape(7, 7, 32, 10)  # Flatten's (row, column, channel)
    return {
        "conv1": (conv1[0].astype(np.float32), conv1[1].astype(np.float32)),
        "conv2": (np.array(w["conv2/kernel"]), np.array(w["conv2/bias"])),
        "logits": (np.ascontiguousarray(logits), np.array(w["logits/bias"])),
    }


def dream_model() -> Any:
    """The fully convolutional dreaming model (a fresh ``keras.Model``; see the module's doc)."""
    import keras

    weights = folded_weights()
    inputs = keras.Input(shape=(None, None, 1), name="image")
    x = keras.layers.Rescaling(0.5, offset=0.5, name="to_unit")(inputs)
    for name, filters, size in (("conv1", 16, 3), ("conv2", 32, 3), ("logits", 10, 7)):
        activation = None if name == "logits" else "relu"
        layer = keras.layers.Conv2D(filters, size, padding="same", activation=activation,
                                    name=name)
        x = layer(x)
        layer.set_weights(list(weights[name]))
        if name != "logits":
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{name[-1]}")(x)
    return keras.Model(inputs, x, name="dreamer")


def flat_model() -> Any:
    """A model whose one layer, ``flat``, is 0 everywhere: its dream loss has zero gradient."""
    import keras

    inputs = keras.Input(shape=(None, None, 1), name="image")
    layer = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="flat")
    outputs = layer(inputs)
    layer.set_weights([np.zeros((3, 3, 1, 4), np.float32), np.full(4, -1.0, np.float32)])
    return keras.Model(inputs, outputs, name="flat")
