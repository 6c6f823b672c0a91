"""Make lesson 7's base model: train the small convnet of :mod:`grader.data.base_model`.

    FASHION_MNIST_DIR=/usr/share/datasets/fashion-mnist python -m grader.data.make_base_model

Trains on Fashion-MNIST's 60,000 training images with seed 7 (Keras' global seeds, op
determinism on), Adam at 1e-3, 3 epochs of 128-image batches, about 80 s on 2 CPU cores;
measures the accuracy on the 10,000 test images, and writes ``grader/data/base_model.npz``: one
float32 array per weight, named ``<layer>/<weight>``, in a zip written with fixed timestamps so
that the same weights give the same bytes. The committed file:

    seed 7, sha256 9a5d476603dd98464b48ff37d04c87bcb417a3cbb57d7a03a1e9974bf34198b8
    test accuracy 0.8934 (10,000 Fashion-MNIST test images)

Two runs on this 2-core machine (TensorFlow 2.21 CPU) wrote byte-identical files; another CPU or
TensorFlow build may round differently and give other bytes (then the test of the shipped file
still holds: it checks the committed file, not a fresh run). After a deliberate change, update
``WEIGHTS_SHA256`` and ``TEST_ACCURACY`` in base_model.py (the script prints them).
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np

from grader.data import base_model, fashion_mnist

SEED = 7
EPOCHS = 3
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
_EPOCH_1980 = (1980, 1, 1, 0, 0, 0)


def train(seed: int = SEED, epochs: int = EPOCHS, limit: int | None = None) -> tuple[object, float]:
    """The trained base model and its accuracy on the Fashion-MNIST test set."""
    import tensorflow as tf

    from grader._tensorflow import quiet_keras

    keras = quiet_keras()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    images, labels = fashion_mnist.load_images("train")
    test_images, test_labels = fashion_mnist.load_images("test")
    if limit:
        images, labels = images[:limit], labels[:limit]
    model = base_model.build_architecture()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(images, labels, epochs=epochs, batch_size=BATCH_SIZE, verbose=2, shuffle=True)
    logits = model.predict(test_images, batch_size=1000, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == test_labels))
    return model, accuracy


def write_npz(arrays: dict[str, np.ndarray], path: Path) -> None:
    """An ``.npz`` numpy reads, with fixed timestamps: the same arrays give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array, dtype=np.float32),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH_1980)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=base_model.WEIGHTS_FILE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    model, accuracy = train(args.seed)
    write_npz(base_model.weights_of(model), args.out)
    import hashlib

    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    print(f"WEIGHTS_SHA256 = \"{digest}\"")
    print(f"TEST_ACCURACY = {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
