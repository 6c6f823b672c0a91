"""Fashion-MNIST, through the same file machinery as MNIST (:mod:`grader.data.mnist`).

Lesson 7's base model (:mod:`grader.data.base_model`) is trained on it; graders never need it at
grading time (the base model ships as a weights file), only the script that makes that file and
its tests do.

Where the data comes from:

- ``FASHION_MNIST_DIR`` set: that folder, holding the four IDX files (gzip-compressed or not)
  as Debian's ``dataset-fashion-mnist`` installs them under ``/usr/share/datasets/fashion-mnist``.
- otherwise: the files ``keras.datasets.fashion_mnist`` downloads (``keras.utils.get_file``,
  cached under the Keras home, ``~/.keras/datasets/fashion-mnist``, shared with Keras).

Keras publishes no checksum for those files, and Debian recompresses them, so the grader checks
the *contents*: the sha256 of each decoded array must be that of the real Fashion-MNIST. Every
problem is a one-line :class:`~grader.errors.SetupError` saying what to do. Arrays are read-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np

from grader.data import mnist
from grader.data._files import Pair, one_line, read_idx_pair
from grader.errors import SetupError

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")  # where Keras' own loader caches them
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
NO_DATA = (
    "Fashion-MNIST is not available: set FASHION_MNIST_DIR to a folder with its four IDX files "
    f"(Debian: apt-get install dataset-fashion-mnist, then FASHION_MNIST_DIR={DEBIAN_DIR}), "
    "or run once with internet so Keras can download and cache them"
)
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
TRAIN_SET_SIZE, TEST_SET_SIZE = 60_000, 10_000

#: sha256 of the decoded arrays (the IDX bodies) of the real Fashion-MNIST files.
_SHA256 = {
    ("train", "images"): "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    ("train", "labels"): "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    ("test", "images"): "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    ("test", "labels"): "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}


def load_data(*, origin: str = KERAS_ORIGIN, cache_dir: str | os.PathLike | None = None,
              verify: bool = True) -> tuple[Pair, Pair]:
    """``((x_train, y_train), (x_test, y_test))`` as uint8, like ``keras.datasets.fashion_mnist``.

    ``origin`` (the folder URL of the four ``.gz`` files) and ``cache_dir`` (the Keras home)
    matter only when ``FASHION_MNIST_DIR`` is not set. ``verify=False`` skips the content check
    (for tests with made-up data).
    """
    folder = _folder()
    parts = []
    for part in ("train", "test"):
        if folder is not None:
            pair = _folder_part(folder, part)
        else:
            pair = read_idx_pair(*(_download(_file_name(part, kind), origin, cache_dir)
                                   for kind in ("images", "labels")))
        if verify:
            _check_real(pair, part, f"FASHION_MNIST_DIR={folder}" if folder
                        else "the downloaded Fashion-MNIST files")
        parts.append(pair)
    return parts[0], parts[1]


def load_images(part: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """One part as float32 images in [0, 1] of shape (n, 28, 28, 1) and int64 labels."""
    train, test = load_data()
    images, labels = train if part == "train" else test
    return (images[..., None].astype(np.float32) / np.float32(255.0), labels.astype(np.int64))


# ---------------------------------------------------------------- sources


def _folder() -> Path | None:
    value = os.environ.get("FASHION_MNIST_DIR", "").strip()
    if not value:
        return None
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise SetupError(f"FASHION_MNIST_DIR={value} is not a folder: point it at the "
                         f"Fashion-MNIST files (Debian: {DEBIAN_DIR})")
    return folder


def _file_name(part: str, kind: str) -> str:
    return f"{mnist._PARTS[part]}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz"


def _folder_part(folder: Path, part: str) -> Pair:
    images = mnist._find_idx(folder, part, "images", 3)
    labels = mnist._find_idx(folder, part, "labels", 1)
    if images and labels:
        return read_idx_pair(images, labels)
    missing = [name for name, found in ((_file_name(part, "images"), images),
                                        (_file_name(part, "labels"), labels)) if not found]
    raise SetupError(f"FASHION_MNIST_DIR={folder} has no {' and no '.join(missing)}: it needs "
                     "the four Fashion-MNIST IDX files (train-* and t10k-*)")


def _check_real(pair: Pair, part: str, where: str) -> None:
    """Refuse anything but the real Fashion-MNIST: the base model's accuracy is stated on it."""
    for kind, array in zip(("images", "labels"), pair, strict=True):
        digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
        if digest != _SHA256[(part, kind)]:
            raise SetupError(f"{where} does not hold the real Fashion-MNIST {part} set (its "
                             f"{kind} differ from the original files, {len(pair[1])} images): "
                             "replace them with fresh copies")


def _download(name: str, origin: str, cache_dir: str | os.PathLike | None) -> Path:
    try:
        from keras.utils import get_file
    except ImportError as error:
        raise SetupError(f"{NO_DATA} (Keras is not installed: {one_line(error)})") from error
    if cache_dir is not None:
        with contextlib.suppress(OSError):
            Path(cache_dir).expanduser().mkdir(parents=True, exist_ok=True)
    url = origin.rstrip("/") + "/" + name
    try:
        with mnist._socket_timeout(mnist.DOWNLOAD_TIMEOUT):
            return Path(get_file(fname=name, origin=url, cache_subdir=CACHE_SUBDIR,
                                 cache_dir=None if cache_dir is None else str(cache_dir)))
    except Exception as error:  # Keras turns URL errors into a bare Exception
        reason = mnist._download_failure(error)
        raise SetupError(f"{NO_DATA} (download from {url} failed: {reason})") from error
