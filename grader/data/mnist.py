"""MNIST for the graders: the MNIST test set, split into a fixed grading split.

Graders train on the first 8,000 images of the MNIST test set and hold out the last 2,000, so
grading needs only the t10k files, is quick, and is identical on every machine.

(Minimal first version: reads the IDX ``.gz`` files from the folder named by ``MNIST_DIR``.)
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from grader.errors import SetupError

TRAIN_SIZE = 8000
HELD_OUT_SIZE = 2000


@dataclass(frozen=True)
class GradingSplit:
    """Images as float32 in [0, 1], flattened to 784; labels as int64 class ids."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    zero, dtype_code, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise SetupError(f"{path} is not an IDX file of unsigned bytes")
    shape = struct.unpack(f">{dims}I", data[4 : 4 + 4 * dims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise SetupError(f"{path} is truncated: expected {int(np.prod(shape))} bytes of data")
    return body.reshape(shape)


def load_test_set() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test images (uint8, 28×28) and labels (uint8)."""
    folder = os.environ.get("MNIST_DIR")
    if not folder:
        raise SetupError("MNIST is not available: set MNIST_DIR to a folder with the MNIST files")
    root = Path(folder)
    images = _read_idx(root / "t10k-images-idx3-ubyte.gz")
    labels = _read_idx(root / "t10k-labels-idx1-ubyte.gz")
    return images, labels


@cache
def grading_split() -> GradingSplit:
    """The fixed split every grader uses: first 8,000 test images to train, last 2,000 held out."""
    images, labels = load_test_set()
    flat = images.reshape(len(images), 784).astype(np.float32) / 255.0
    labels64 = labels.astype(np.int64)
    return GradingSplit(
        train_images=flat[:TRAIN_SIZE],
        train_labels=labels64[:TRAIN_SIZE],
        test_images=flat[-HELD_OUT_SIZE:],
        test_labels=labels64[-HELD_OUT_SIZE:],
    )
