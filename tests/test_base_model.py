"""Lesson 7's base model: the shipped weights file, its recorded sha256, its stated accuracy."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from grader.data import base_model, fashion_mnist

REPO = Path(__file__).resolve().parents[1]


def test_file_matches_its_recorded_sha256_and_is_small():
    assert base_model.file_sha256() == base_model.WEIGHTS_SHA256
    notes = REPO / "course" / "lesson7_transfer_learning" / "notes.md"
    assert base_model.WEIGHTS_SHA256 in notes.read_text()
    assert base_model.WEIGHTS_SHA256 in (REPO / "grader/data/make_base_model.py").read_text()
    assert 20_000 < base_model.WEIGHTS_FILE.stat().st_size < 600_000


def test_weights_read_with_numpy_alone():
    weights = base_model.base_weights()
    assert tuple(weights) == base_model.WEIGHT_NAMES
    assert weights["conv1/kernel"].shape == (3, 3, 1, 16)
    assert weights["conv2/kernel"].shape == (3, 3, 16, 32)
    assert weights["logits/kernel"].shape == (7 * 7 * 32, 10)
    assert all(w.dtype == np.float32 and not w.flags.writeable for w in weights.values())
    assert np.all(weights["bn1/moving_variance"] > 0)


def test_model_loads_with_the_weights_and_reaches_its_accuracy(monkeypatch):
    folder = os.environ.get("FASHION_MNIST_DIR") or fashion_mnist.DEBIAN_DIR
    if not Path(folder, "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip("no Fashion-MNIST: apt-get install dataset-fashion-mnist")
    monkeypatch.setenv("FASHION_MNIST_DIR", folder)
    model = base_model.load_base_model()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert model.get_layer(base_model.FEATURES).output.shape == (None, 7 * 7 * 32)
    assert [layer.name for layer in model.layers[-2:]] == ["features", "logits"]
    assert "BatchNormalization" in [type(layer).__name__ for layer in model.layers]
    for name, array in base_model.weights_of(model).items():
        np.testing.assert_array_equal(array, base_model.base_weights()[name])
    images, labels = fashion_mnist.load_images("test")
    logits = np.asarray(model.predict(images, batch_size=1000, verbose=0))
    accuracy = float(np.mean(np.argmax(logits, axis=1) == labels))
    assert abs(accuracy - base_model.TEST_ACCURACY) < 0.003, accuracy  # a few flips at most
