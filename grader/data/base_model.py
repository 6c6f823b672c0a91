"""Lesson 7's base model: a small convnet the course trained itself on Fashion-MNIST.

The architecture is here, in code; the weights ship with the package as ``base_model.npz``, one
named float32 array per weight (``<layer>/<weight>``), made by ``python -m
grader.data.make_base_model`` (its docstring has the seed, the file's sha256 and the accuracy).
:func:`base_weights` reads the file with numpy alone (``allow_pickle=False``), so the trusted
process can compare a learner's weights with the originals without trusting TensorFlow.

    image 28×28×1 → conv1 Conv2D(16, 3, same) → bn1 BatchNormalization → relu1 ReLU
      → pool1 MaxPooling2D → conv2 Conv2D(32, 3, same, relu) → pool2 MaxPooling2D
      → features Flatten (7·7·32 = 1,568 values) → logits Dense(10)

The features are the convolutional part's output, flattened: a Dense layer between them and the
classifier was tried first and learned features so specific to clothes (a third of its 64 units
never fired on digits) that a head on it reached 42 % on MNIST from 300 labels, against 89 % on
the convolutional features.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import SetupError

WEIGHTS_FILE = Path(__file__).with_name("base_model.npz")
#: sha256 of ``base_model.npz`` as committed (see make_base_model.py).
WEIGHTS_SHA256 = "9a5d476603dd98464b48ff37d04c87bcb417a3cbb57d7a03a1e9974bf34198b8"
#: Its accuracy on the 10,000 Fashion-MNIST test images (make_base_model.py measured it).
TEST_ACCURACY = 0.8934
FEATURES = "features"  # the layer whose output lesson 7 reuses
CLASSIFIER = "logits"  # the base's own classifier, Dense(10) on Fashion-MNIST's classes
INPUT_SHAPE = (28, 28, 1)
#: The layers in order (InputLayer excluded), with the weights of each, in Keras' order.
LAYERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("conv1", "Conv2D", ("kernel", "bias")),
    ("bn1", "BatchNormalization", ("gamma", "beta", "moving_mean", "moving_variance")),
    ("relu1", "ReLU", ()),
    ("pool1", "MaxPooling2D", ()),
    ("conv2", "Conv2D", ("kernel", "bias")),
    ("pool2", "MaxPooling2D", ()),
    (FEATURES, "Flatten", ()),
    (CLASSIFIER, "Dense", ("kernel", "bias")),
)
WEIGHT_NAMES = tuple(f"{layer}/{w}" for layer, _, weights in LAYERS for w in weights)


def build_architecture() -> Any:
    """The base model's layers, freshly initialised (no weights loaded)."""
    from grader._tensorflow import quiet_keras

    keras = quiet_keras()
    layers = keras.layers
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Conv2D(16, 3, padding="same", name="conv1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.ReLU(name="relu1")(x)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.Flatten(name=FEATURES)(x)
    outputs = layers.Dense(10, name=CLASSIFIER)(x)
    return keras.Model(inputs, outputs, name="fashion_base")


def weights_of(model: Any) -> dict[str, np.ndarray]:
    """A model of this architecture's weights by name, as :func:`base_weights` gives them."""
    named = {}
    for layer, _, weights in LAYERS:
        for name, variable in zip(weights, model.get_layer(layer).weights, strict=True):
            named[f"{layer}/{name}"] = np.asarray(variable, dtype=np.float32)
    return named


@cache
def _read() -> dict[str, np.ndarray]:
    try:
        with np.load(WEIGHTS_FILE, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, KeyError) as error:
        raise SetupError(f"cannot read lesson 7's base model {WEIGHTS_FILE} ({error}): "
                         "reinstall the course, or run python -m grader.data.make_base_model"
                         ) from error
    if tuple(arrays) != WEIGHT_NAMES or any(a.dtype != np.float32 for a in arrays.values()):
        raise SetupError(f"{WEIGHTS_FILE} does not hold the base model's weights: reinstall the "
                         "course, or run python -m grader.data.make_base_model")
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


def base_weights() -> dict[str, np.ndarray]:
    """The shipped weights by name (``"conv1/kernel"``, ...), read-only, read with numpy alone."""
    return dict(_read())


def file_sha256() -> str:
    """The sha256 of the weights file as it is on disk."""
    return hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest()


def load_base_model() -> Any:
    """A new ``keras.Model`` of the base architecture with the shipped weights (trainable)."""
    model = build_architecture()
    arrays = _read()
    for layer, _, weights in LAYERS:
        model.get_layer(layer).set_weights([arrays[f"{layer}/{w}"] for w in weights])
    return model
