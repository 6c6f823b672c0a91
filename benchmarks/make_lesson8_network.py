"""Train lesson 8's own convnet on Fashion-MNIST and write its weights (the dreaming network).

Lesson 8 dreams with a network of the course's own, never a download. This script makes it,
reproducibly: a small convnet (three 3×3 convolution layers of 16, 32 and 32 filters, each
with ReLU, the first two followed by 2×2 max pooling, then global average pooling and a
Dense(10)) trained on Fashion-MNIST's 60,000 training images for EPOCHS epochs with
Adam(1e-3), seeded with SEED and TensorFlow's deterministic ops. Only the convolution layers'
weights are written (``conv1/kernel``, ``conv1/bias``, ...): that is all the fully convolutional
dreaming model needs (``grader/lessons/lesson8_make_art/network.py``).

    nice -n 10 python benchmarks/make_lesson8_network.py [--data /usr/share/datasets/fashion-mnist]

prints the test accuracy, the output file and its sha256 (record both in course/lesson8.md and
in ``network.WEIGHTS_SHA256``).
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.data._files import read_idx_pair, sha256_of  # noqa: E402
from grader.lessons.lesson8_make_art.network import CONV_FILTERS, WEIGHTS  # noqa: E402

SEED = 2016
EPOCHS = 2
BATCH_SIZE = 64


def _load(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx_pair(folder / f"{prefix}-images-idx3-ubyte.gz",
                                   folder / f"{prefix}-labels-idx1-ubyte.gz")
    return images.astype(np.float32)[..., None] / 255.0, labels.astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, y_train = _load(args.data, "train")
    x_test, y_test = _load(args.data, "t10k")

    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for index, filters in enumerate(CONV_FILTERS, start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                name=f"conv{index}")(x)
        if index < len(CONV_FILTERS):
            x = keras.layers.MaxPooling2D(2, name=f"pool{index}")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)

    arrays = {}
    for index in range(1, len(CONV_FILTERS) + 1):
        kernel, bias = model.get_layer(f"conv{index}").get_weights()
        arrays[f"conv{index}/kernel"] = kernel.astype(np.float32)
        arrays[f"conv{index}/bias"] = bias.astype(np.float32)
    # A zip with fixed timestamps, so that the same weights give the same bytes.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2016, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    args.out.write_bytes(buffer.getvalue())
    print(f"test accuracy {accuracy:.4f} (Fashion-MNIST, 10,000 test images)")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), sha256 {sha256_of(args.out)}")


if __name__ == "__main__":
    main()
