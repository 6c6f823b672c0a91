"""MNIST for the graders: the MNIST test set, split into a fixed grading split.

Graders train on the first 8,000 images of the MNIST test set and hold out the last 2,000, so
grading needs only the t10k files, is quick, and is identical on every machine.

Where the data comes from:

- ``MNIST_DIR`` set: that folder, holding the IDX files (``t10k-images-idx3-ubyte.gz`` and
  ``t10k-labels-idx1-ubyte.gz``, gzip-compressed or not; the ``train-*`` pair for
  :func:`load_full`) or Keras' ``mnist.npz``.
- otherwise: Keras' own download of ``mnist.npz`` (``keras.utils.get_file``, sha256-verified,
  cached under the Keras home, ``~/.keras/datasets``).

Every problem (no data and no network, a corrupt or truncated file, a checksum mismatch, a test
set that is not the real one) is a one-line :class:`~grader.errors.SetupError` saying what to do.
Returned arrays are read-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.error import HTTPError, URLError

import numpy as np

from grader._tensorflow import quiet_keras
from grader.data._files import Pair, one_line, read_idx_pair, read_npz_part, sha256_of
from grader.errors import SetupError

TRAIN_SIZE = 8000
HELD_OUT_SIZE = 2000
TEST_SET_SIZE = TRAIN_SIZE + HELD_OUT_SIZE

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
NO_DATA = (
    "MNIST is not available: set MNIST_DIR to a folder with the MNIST files, "
    "or run once with internet so Keras can download and cache mnist.npz"
)
DOWNLOAD_TIMEOUT = 60.0

# sha256 of the real t10k arrays (the IDX bodies, byte-identical to LeCun's files).
_TEST_IMAGES_SHA256 = "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"
_TEST_LABELS_SHA256 = "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"

_PARTS = {"train": "train", "test": "t10k"}  # Keras' name → the IDX files' prefix
_NPZ_NAME = "mnist.npz"

CacheDir = str | os.PathLike | None


@dataclass(frozen=True)
class GradingSplit:
    """Images as float32 in [0, 1], flattened to 784; labels as int64 class ids (read-only)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


# ---------------------------------------------------------------- public API


def load_test_set(
    *, origin: str = KERAS_ORIGIN, file_hash: str | None = KERAS_SHA256, cache_dir: CacheDir = None
) -> Pair:
    """The 10,000 real MNIST test images (uint8, 28×28) and labels (uint8).

    ``origin``, ``file_hash`` (sha256) and ``cache_dir`` (the Keras home; default
    ``$KERAS_HOME`` or ``~/.keras``) matter only when ``MNIST_DIR`` is not set.
    """
    return _test_set(_mnist_dir(), origin, file_hash, _str_or_none(cache_dir))


def load_full(
    *, origin: str = KERAS_ORIGIN, file_hash: str | None = KERAS_SHA256, cache_dir: CacheDir = None
) -> tuple[Pair, Pair]:
    """``((x_train, y_train), (x_test, y_test))`` as uint8, like ``keras.datasets.mnist``.

    Needs the training set too: the ``train-*`` IDX files or ``mnist.npz`` in ``MNIST_DIR``,
    or Keras' download. Same keyword arguments as :func:`load_test_set`.
    """
    folder, cache = _mnist_dir(), _str_or_none(cache_dir)
    train, _ = _load_part(folder, "train", origin, file_hash, cache)
    return train, _test_set(folder, origin, file_hash, cache)


def grading_split(
    *, origin: str = KERAS_ORIGIN, file_hash: str | None = KERAS_SHA256, cache_dir: CacheDir = None
) -> GradingSplit:
    """The fixed split every grader uses: first 8,000 test images to train, last 2,000 held out.

    Cached per data source: the first call loads (well under a second), later calls are free.
    """
    return _cached_split(_mnist_dir(), origin, file_hash, _str_or_none(cache_dir))


def clear_cache() -> None:
    """Forget cached grading splits (for tests that change the data under one source)."""
    _cached_split.cache_clear()


# ---------------------------------------------------------------- the split


@cache
def _cached_split(
    folder: Path | None, origin: str, file_hash: str | None, cache_dir: str | None
) -> GradingSplit:
    images, labels = _test_set(folder, origin, file_hash, cache_dir)
    flat = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    labels64 = labels.astype(np.int64)
    return GradingSplit(
        train_images=_frozen(flat[:TRAIN_SIZE]),
        train_labels=_frozen(labels64[:TRAIN_SIZE]),
        test_images=_frozen(flat[TRAIN_SIZE:]),
        test_labels=_frozen(labels64[TRAIN_SIZE:]),
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    """An independent read-only copy (no ``.base`` leading to the other half of the split)."""
    copy = array.copy()
    copy.flags.writeable = False
    return copy


def _test_set(
    folder: Path | None, origin: str, file_hash: str | None, cache_dir: str | None
) -> Pair:
    (images, labels), verified = _load_part(folder, "test", origin, file_hash, cache_dir)
    if not verified:
        _check_real_test_set(images, labels, folder)
    return images, labels


def _check_real_test_set(images: np.ndarray, labels: np.ndarray, folder: Path | None) -> None:
    """Refuse anything but the real MNIST test set: thresholds are calibrated on it."""
    where = f"MNIST_DIR={folder}" if folder else "the downloaded mnist.npz"
    for what, array, expected in (
        ("labels", labels, _TEST_LABELS_SHA256),
        ("images", images, _TEST_IMAGES_SHA256),
    ):
        if hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest() != expected:
            raise SetupError(
                f"{where} does not hold the real MNIST test set (its {what} differ from the "
                f"original t10k files, {len(labels)} images); point MNIST_DIR at the real files"
            )


# ---------------------------------------------------------------- sources


def _mnist_dir() -> Path | None:
    value = os.environ.get("MNIST_DIR", "").strip()
    if not value:
        return None
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise SetupError(f"MNIST_DIR={value} is not a folder: point it at the MNIST files")
    return folder


def _load_part(
    folder: Path | None, part: str, origin: str, file_hash: str | None, cache_dir: str | None
) -> tuple[Pair, bool]:
    """One part (train or test) and whether it came from Keras' own, hash-verified file."""
    if folder is not None:
        return _folder_part(folder, part)
    path = _keras_npz(origin, file_hash, cache_dir)
    return read_npz_part(path, part), file_hash == KERAS_SHA256


def _folder_part(folder: Path, part: str) -> tuple[Pair, bool]:
    images, labels = _find_idx(folder, part, "images", 3), _find_idx(folder, part, "labels", 1)
    if images and labels:
        return read_idx_pair(images, labels), False
    npz = folder / _NPZ_NAME
    if npz.is_file():
        return read_npz_part(npz, part), sha256_of(npz) == KERAS_SHA256
    raise SetupError(_missing_message(folder, part, images or labels))


def _idx_names(part: str, kind: str, ndim: int) -> list[str]:
    prefix = _PARTS[part]
    stems = (f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte")
    return [name for stem in stems for name in (f"{stem}.gz", stem)]


def _find_idx(folder: Path, part: str, kind: str, ndim: int) -> Path | None:
    for name in _idx_names(part, kind, ndim):
        if (folder / name).is_file():
            return folder / name
    return None


def _missing_message(folder: Path, part: str, found: Path | None) -> str:
    images, labels = _idx_names(part, "images", 3)[0], _idx_names(part, "labels", 1)[0]
    if found is not None:
        other = labels if "images" in found.name else images
        return f"MNIST_DIR={folder} has {found.name} but not {other}: add it (or {_NPZ_NAME})"
    need = "" if part == "test" else " (the grader needs only t10k; this needs the training set)"
    return (
        f"MNIST_DIR={folder} has no MNIST {part} set: "
        f"add {images} and {labels}, or {_NPZ_NAME}{need}"
    )


# ---------------------------------------------------------------- Keras' download and cache


def _keras_npz(origin: str, file_hash: str | None, cache_dir: str | None) -> Path:
    """Keras' cached ``mnist.npz``, downloaded first if needed."""
    cached = _keras_cache_file(cache_dir)
    if file_hash and cached.is_file() and sha256_of(cached) == file_hash:
        return cached  # what get_file would return, without importing Keras (seconds)
    return _download(origin, file_hash, cache_dir)


def _keras_cache_file(cache_dir: str | None) -> Path:
    """Where ``keras.utils.get_file`` keeps ``mnist.npz``, following its rules."""
    home = os.path.expanduser(cache_dir or os.environ.get("KERAS_HOME") or _default_keras_home())
    if not os.access(home, os.W_OK):
        home = "/tmp/.keras"  # get_file's own fallback for a missing or read-only cache_dir
    return Path(home) / "datasets" / _NPZ_NAME


def _default_keras_home() -> str:
    base = os.path.expanduser("~")
    return os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")


def _download(origin: str, file_hash: str | None, cache_dir: str | None) -> Path:
    try:  # TensorFlow's C++ start-up log lines (oneDNN, absl) must not reach the learner
        get_file = quiet_keras().utils.get_file
    except ImportError as error:
        raise SetupError(f"{NO_DATA} (Keras is not installed: {one_line(error)})") from error
    if cache_dir is not None:  # else get_file quietly falls back to /tmp/.keras
        with contextlib.suppress(OSError):
            Path(cache_dir).expanduser().mkdir(parents=True, exist_ok=True)
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT):
            return Path(_get_file(get_file, origin, file_hash, cache_dir))
    except ValueError as error:
        if "hash" not in str(error):
            raise SetupError(f"{NO_DATA} ({one_line(error)})") from error
        raise _checksum_error(origin, file_hash, cache_dir) from error
    except Exception as error:  # Keras turns URL errors into a bare Exception
        reason = _download_failure(error)
        raise SetupError(f"{NO_DATA} (download from {origin} failed: {reason})") from error


def _download_failure(error: Exception) -> str:
    """Why a download failed, in a few words (Keras' wrapper repeats the URL)."""
    cause = error.__context__ if isinstance(error.__context__, URLError) else error
    if isinstance(cause, HTTPError):
        return f"HTTP {cause.code} {cause.reason}"
    if isinstance(cause, URLError):
        return " ".join(str(cause.reason).split())
    return one_line(error)


def _get_file(get_file, origin: str, file_hash: str | None, cache_dir: str | None) -> str:
    return get_file(
        fname=_NPZ_NAME,
        origin=origin,
        file_hash=file_hash,
        hash_algorithm="sha256",
        cache_subdir="datasets",
        cache_dir=cache_dir,
    )


def _checksum_error(origin: str, file_hash: str | None, cache_dir: str | None) -> SetupError:
    bad = _keras_cache_file(cache_dir)
    with contextlib.suppress(OSError):
        bad.unlink(missing_ok=True)  # Keras leaves the rejected file in its cache
    return SetupError(
        f"{_NPZ_NAME} downloaded from {origin} does not match its sha256 {file_hash} "
        f"(corrupt or tampered download, not kept in {bad.parent}): run again to retry, "
        "or set MNIST_DIR to a folder with the MNIST files"
    )


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """A timeout for the download's sockets, so a silent network fails instead of hanging."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds if previous is None else previous)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _str_or_none(path: CacheDir) -> str | None:
    return None if path is None else str(path)
