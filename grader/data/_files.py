"""Reading and validating MNIST files: IDX (gzip-compressed or not) and Keras' ``mnist.npz``.

Every problem with a file becomes a one-line :class:`SetupError` naming the file; nothing here
unpickles, and every array that comes back has been checked for shape, dtype and label range.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from grader.errors import SetupError

Pair = tuple[np.ndarray, np.ndarray]

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
_IDX_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
_REPLACE = "replace it with a fresh copy of the MNIST files"


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def one_line(error: BaseException) -> str:
    """An exception's message squeezed onto one line."""
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------- IDX


def read_idx(path: Path, *, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes with ``ndim`` dimensions, gzip-compressed or not."""
    return _parse_idx(_read_bytes(path), path, ndim)


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SetupError(f"cannot read {path}: {one_line(error)}") from error
    compressed = raw.startswith(_GZIP_MAGIC)
    if path.suffix == ".gz" and not compressed:
        raise SetupError(f"{path} is not a gzip file (wrong magic bytes); {_REPLACE}")
    if not compressed:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise SetupError(
            f"{path} is a corrupt or truncated gzip file ({one_line(error)}); {_REPLACE}"
        ) from error


def _parse_idx(data: bytes, path: Path, ndim: int) -> np.ndarray:
    if len(data) < 4:
        raise SetupError(f"{path} is truncated: no IDX header; {_REPLACE}")
    zero, dtype_code, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != _IDX_UBYTE:
        raise SetupError(
            f"{path} is not an MNIST IDX file (magic {data[:4].hex()}, expected "
            f"0000080{ndim}); {_REPLACE}"
        )
    if dims != ndim:
        raise SetupError(
            f"{path} holds {dims}-dimensional data, expected {ndim} "
            "(images have 3 dimensions, labels 1): are the files swapped or renamed?"
        )
    header = 4 + 4 * dims
    if len(data) < header:
        raise SetupError(f"{path} is truncated inside its IDX header; {_REPLACE}")
    shape = struct.unpack(f">{dims}I", data[4:header])
    return _idx_body(data, header, shape, path)


def _idx_body(data: bytes, header: int, shape: tuple[int, ...], path: Path) -> np.ndarray:
    expected = int(np.prod(shape))
    found = len(data) - header
    if found < expected:
        raise SetupError(
            f"{path} is truncated: its header announces {expected} bytes of data, "
            f"it holds {found}; {_REPLACE}"
        )
    if found > expected:
        raise SetupError(
            f"{path} has {found - expected} unexpected bytes after its {expected} bytes of "
            f"data; {_REPLACE}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_pair(images_path: Path, labels_path: Path) -> Pair:
    """Images ``(n, 28, 28)`` and labels ``(n,)`` from a pair of IDX files, checked together."""
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    return check_pair(images, labels, images_from=images_path, labels_from=labels_path)


# ---------------------------------------------------------------- npz


def read_npz_part(path: Path, part: str) -> Pair:
    """``x_<part>`` and ``y_<part>`` of a Keras-style ``mnist.npz`` (``part``: train or test)."""
    keys = (f"x_{part}", f"y_{part}")
    try:
        images, labels = _npz_arrays(path, keys)
    except SetupError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise SetupError(
            f"{path} is not a valid mnist.npz ({one_line(error)}); {_REPLACE}"
        ) from error
    where = f"{path} ({keys[0]}, {keys[1]})"
    return check_pair(images, labels, images_from=where, labels_from=where)


def _npz_arrays(path: Path, keys: tuple[str, str]) -> Pair:
    archive = np.load(path, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise SetupError(f"{path} is a single .npy array, not an npz archive; {_REPLACE}")
    with archive:
        missing = [key for key in keys if key not in archive.files]
        if missing:
            raise SetupError(
                f"{path} has no {' or '.join(missing)} array (it holds "
                f"{', '.join(archive.files) or 'nothing'}); expected Keras' mnist.npz with "
                "x_train, y_train, x_test, y_test"
            )
        return archive[keys[0]], archive[keys[1]]


# ---------------------------------------------------------------- checks


def check_pair(
    images: np.ndarray, labels: np.ndarray, *, images_from: object, labels_from: object
) -> Pair:
    """Shapes, dtypes, matching counts and labels in 0..9; returns read-only uint8 arrays."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise SetupError(
            f"{images_from}: images must be uint8 of shape (n, 28, 28), "
            f"found {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise SetupError(
            f"{labels_from}: labels must be integers of shape (n,), "
            f"found {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels) or len(images) == 0:
        raise SetupError(
            f"{images_from} holds {len(images)} images but {labels_from} holds "
            f"{len(labels)} labels: the files do not belong together"
        )
    _check_label_range(labels, labels_from)
    return _read_only(images), _read_only(labels.astype(np.uint8, copy=False))


def _check_label_range(labels: np.ndarray, labels_from: object) -> None:
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= NUM_CLASSES:
        raise SetupError(
            f"{labels_from} holds labels from {low} to {high}, outside 0..9: "
            "not MNIST labels, or a corrupt file"
        )


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
