"""The network lesson 8 dreams with: the course's own convnet, made fully convolutional.

The convolution layers of a small convnet trained on Fashion-MNIST (``network.npz``, made by
``benchmarks/make_lesson8_network.py``), rebuilt over inputs of any height and width so that
Deep Dream's octaves can grow the image. Images are (1, height, width, 1) in [-1, 1], as in
today's Deep Dream tutorial; the first layer maps them to the [0, 1] the network was trained
on. The layers to dream with are ``conv1`` (16 filters, full size), ``conv2`` (32 filters, 1/2)
and ``conv3`` (32 filters, 1/4), each a 3×3 convolution with its ReLU.

The same function builds the model in the grader's process (to compute every expected value)
and in the learner's (to hand to the learner's functions); the learner's copy may carry a
recorder that notes the image sizes it is called on.
"""

from __future__ import annotations

import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = Path(__file__).with_name("network.npz")
WEIGHTS_SHA256 = ""  # filled in from benchmarks/make_lesson8_network.py's output
CONV_FILTERS = (16, 32, 32)
LAYERS = tuple(f"conv{index}" for index in range(1, len(CONV_FILTERS) + 1))


@cache
def conv_weights() -> dict[str, np.ndarray]:
    """The convolution layers' kernels and biases, read without unpickling."""
    arrays = {}
    with zipfile.ZipFile(WEIGHTS) as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                arrays[name.removesuffix(".npy")] = np.lib.format.read_array(
                    member, allow_pickle=False)
    return arrays


def dream_model(record: list[tuple[int, int]] | None = None) -> Any:
    """The fully convolutional dreaming model (a fresh ``keras.Model``; see the module's doc).

    With ``record``, the model appends the (height, width) of every image it is called on
    (when the size is known: eagerly, or while a ``tf.function`` traces it).
    """
    import keras

    weights = conv_weights()
    inputs = keras.Input(shape=(None, None, 1), name="image")
    scale = _recording_rescaling(record) if record is not None else keras.layers.Rescaling
    x = scale(0.5, offset=0.5, name="to_unit")(inputs)
    for index, filters in enumerate(CONV_FILTERS, start=1):
        name = f"conv{index}"
        layer = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)
        x = layer(x)
        layer.set_weights([weights[f"{name}/kernel"], weights[f"{name}/bias"]])
        if index < len(CONV_FILTERS):
            x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{index}")(x)
    return keras.Model(inputs, x, name="dreamer")


def flat_model() -> Any:
    """A model whose one layer, ``flat``, is 0 everywhere: its dream loss has zero gradient."""
    import keras

    inputs = keras.Input(shape=(None, None, 1), name="image")
    layer = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="flat")
    outputs = layer(inputs)
    layer.set_weights([np.zeros((3, 3, 1, 4), np.float32), np.full(4, -1.0, np.float32)])
    return keras.Model(inputs, outputs, name="flat")


def _recording_rescaling(record: list[tuple[int, int]]) -> Any:
    import keras

    class RecordingRescaling(keras.layers.Rescaling):
        def call(self, inputs: Any) -> Any:
            shape = tuple(inputs.shape)
            if len(shape) == 4 and shape[1] is not None and shape[2] is not None:
                record.append((int(shape[1]), int(shape[2])))
            return super().call(inputs)

    return RecordingRescaling
