"""The MNIST loader on real files: MNIST_DIR folders, corrupt files, Keras' download and cache.

Needs the real MNIST test set: set MNIST_DIR to a folder with the t10k IDX files (CI and the
shared data use ``../shared/data/mnist``). Nothing is mocked: the download tests serve an
``mnist.npz`` built from those files over HTTP on 127.0.0.1 and let Keras fetch it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from grader.data import mnist
from grader.data.mnist import (
    HELD_OUT_SIZE,
    NO_DATA,
    TRAIN_SIZE,
    GradingSplit,
    grading_split,
    load_full,
    load_test_set,
)
from grader.errors import SetupError

# From ../shared/data/README.md: the real t10k set.
README_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
README_FIRST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]

T10K_IMAGES = "t10k-images-idx3-ubyte"
T10K_LABELS = "t10k-labels-idx1-ubyte"
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def real_dir() -> Path:
    """The folder with the real MNIST t10k files, from MNIST_DIR as the CI sets it."""
    value = os.environ.get("MNIST_DIR")
    if not value:
        pytest.skip("MNIST_DIR is not set: point it at the real MNIST t10k files to run these")
    return Path(value)


@pytest.fixture(scope="module")
def real(real_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The real test set, read straight from the IDX files (independently of the loader)."""
    return read_idx_gz(real_dir / f"{T10K_IMAGES}.gz"), read_idx_gz(real_dir / f"{T10K_LABELS}.gz")


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached split between tests; local addresses never go through a proxy."""
    mnist.clear_cache()
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield
    mnist.clear_cache()


def read_idx_gz(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4 : 4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) if magic is None else magic.to_bytes(4)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return header + dims + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data, compresslevel=1) if path.suffix == ".gz" else data)
    return path


def write_t10k(folder: Path, images: np.ndarray, labels: np.ndarray, suffix: str = ".gz") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{T10K_IMAGES}{suffix}", images)
    write_idx(folder / f"{T10K_LABELS}{suffix}", labels)
    return folder


def write_npz(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """A Keras-style mnist.npz: the real test set, and its first 1,000 images as "train"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, x_train=images[:1000], y_train=labels[:1000], x_test=images, y_test=labels
    )
    return path


def use_dir(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("MNIST_DIR", str(folder))


def assert_real_split(split: GradingSplit, real: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = real
    flat = images.reshape(-1, 784).astype(np.float32) / 255
    np.testing.assert_array_equal(split.train_images, flat[:TRAIN_SIZE])
    np.testing.assert_array_equal(split.test_images, flat[-HELD_OUT_SIZE:])
    np.testing.assert_array_equal(split.train_labels, labels[:TRAIN_SIZE])
    np.testing.assert_array_equal(split.test_labels, labels[-HELD_OUT_SIZE:])


def setup_error(call: Callable[[], object]) -> str:
    """The message of the SetupError ``call`` raises; it must be one line."""
    with pytest.raises(SetupError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message, message
    assert caught.value.exit_code == 2
    return message


# ---------------------------------------------------------------- the real folder


def test_real_test_set_matches_the_readme(real_dir: Path, monkeypatch: pytest.MonkeyPatch):
    use_dir(monkeypatch, real_dir)
    images, labels = load_test_set()
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == README_LABEL_COUNTS
    assert labels[:10].tolist() == README_FIRST_LABELS
    assert images.min() == 0 and images.max() == 255


def test_grading_split_from_the_real_folder(real_dir, real, monkeypatch):
    use_dir(monkeypatch, real_dir)
    split = grading_split()
    assert split.train_images.shape == (TRAIN_SIZE, 784)
    assert split.test_images.shape == (HELD_OUT_SIZE, 784)
    assert split.train_images.dtype == split.test_images.dtype == np.float32
    assert split.train_labels.dtype == split.test_labels.dtype == np.int64
    assert split.train_images.min() >= 0.0 and split.train_images.max() == 1.0
    assert split.train_labels[:10].tolist() == README_FIRST_LABELS
    assert_real_split(split, real)


def test_grading_split_is_cached_fast_and_read_only(real_dir, monkeypatch):
    use_dir(monkeypatch, real_dir)
    start = time.process_time()  # CPU time: other processes on a busy CI machine do not count
    split = grading_split()
    assert time.process_time() - start < 1.0
    assert grading_split() is split
    for array in (split.train_images, split.train_labels, split.test_images, split.test_labels):
        assert not array.flags.writeable and array.base is None
    with pytest.raises(ValueError):
        split.train_labels[0] = 3


def test_load_full_says_the_training_set_is_missing(real_dir, monkeypatch):
    use_dir(monkeypatch, real_dir)
    message = setup_error(load_full)
    assert "no MNIST train set" in message and "train-images-idx3-ubyte.gz" in message


# ---------------------------------------------------------------- other folder layouts


def test_npz_folder(real, tmp_path, monkeypatch):
    write_npz(tmp_path / "mnist.npz", *real)
    use_dir(monkeypatch, tmp_path)
    assert_real_split(grading_split(), real)
    (x_train, y_train), (x_test, y_test) = load_full()
    np.testing.assert_array_equal(x_train, real[0][:1000])
    np.testing.assert_array_equal(y_train, real[1][:1000])
    np.testing.assert_array_equal(x_test, real[0])
    assert x_test.dtype == y_test.dtype == np.uint8


def test_uncompressed_idx_files(real, tmp_path, monkeypatch):
    use_dir(monkeypatch, write_t10k(tmp_path, *real, suffix=""))
    assert_real_split(grading_split(), real)


def test_train_and_test_idx_files(real, tmp_path, monkeypatch):
    images, labels = real
    write_t10k(tmp_path, images, labels)
    write_idx(tmp_path / f"{TRAIN_IMAGES}.gz", images[:500])
    write_idx(tmp_path / TRAIN_LABELS, labels[:500])  # one compressed, one not
    use_dir(monkeypatch, tmp_path)
    (x_train, y_train), (x_test, y_test) = load_full()
    np.testing.assert_array_equal(x_train, images[:500])
    np.testing.assert_array_equal(y_train, labels[:500])
    np.testing.assert_array_equal(x_test, images)
    np.testing.assert_array_equal(y_test, labels)
    assert_real_split(grading_split(), real)


def test_train_files_alone_are_not_enough_for_grading(real, tmp_path, monkeypatch):
    write_idx(tmp_path / f"{TRAIN_IMAGES}.gz", real[0][:500])
    write_idx(tmp_path / f"{TRAIN_LABELS}.gz", real[1][:500])
    use_dir(monkeypatch, tmp_path)
    message = setup_error(grading_split)
    assert "no MNIST test set" in message and "t10k-images-idx3-ubyte.gz" in message


def test_train_idx_with_test_from_npz(real, tmp_path, monkeypatch):
    images, labels = real
    write_idx(tmp_path / f"{TRAIN_IMAGES}.gz", images[:300])
    write_idx(tmp_path / f"{TRAIN_LABELS}.gz", labels[:300])
    write_npz(tmp_path / "mnist.npz", images, labels)
    use_dir(monkeypatch, tmp_path)
    (x_train, _), (x_test, _) = load_full()
    assert len(x_train) == 300 and len(x_test) == 10_000


# ---------------------------------------------------------------- broken data


def _swap(images, labels):
    return images, labels[::-1].copy()


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _gz(folder: Path, name: str) -> Path:
    return folder / f"{name}.gz"


def truncated_gzip(folder, images, labels):
    write_t10k(folder, images, labels)
    _truncate(_gz(folder, T10K_IMAGES))
    return f"{T10K_IMAGES}.gz", "corrupt or truncated gzip"


def corrupt_gzip(folder, images, labels):
    write_t10k(folder, images, labels)
    data = bytearray(_gz(folder, T10K_LABELS).read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # zeroes: the CRC no longer fits
    _gz(folder, T10K_LABELS).write_bytes(bytes(data))
    return f"{T10K_LABELS}.gz", "corrupt or truncated gzip"


def not_gzip(folder, images, labels):
    write_t10k(folder, images, labels)
    _gz(folder, T10K_IMAGES).write_text("<html>404 Not Found</html>")
    return f"{T10K_IMAGES}.gz", "not a gzip file"


def wrong_magic(folder, images, labels):
    write_t10k(folder, images, labels, suffix="")
    (folder / T10K_IMAGES).write_bytes(idx_bytes(images, magic=0x00000D03))
    return T10K_IMAGES, "not an MNIST IDX file"


def swapped_files(folder, images, labels):
    write_t10k(folder, images, labels)
    write_idx(_gz(folder, T10K_IMAGES), labels)
    return f"{T10K_IMAGES}.gz", "1-dimensional data, expected 3"


def truncated_body(folder, images, labels):
    write_t10k(folder, images, labels, suffix="")
    _truncate(folder / T10K_IMAGES, keep=0.99)
    return T10K_IMAGES, "is truncated"


def trailing_bytes(folder, images, labels):
    write_t10k(folder, images, labels, suffix="")
    with (folder / T10K_LABELS).open("ab") as stream:
        stream.write(b"\x00" * 7)
    return T10K_LABELS, "7 unexpected bytes"


def count_mismatch(folder, images, labels):
    write_t10k(folder, images, labels[:-1])
    return f"{T10K_LABELS}.gz", "do not belong together"


def label_out_of_range(folder, images, labels):
    bad = labels.copy()
    bad[1234] = 10
    write_t10k(folder, images, bad)
    return f"{T10K_LABELS}.gz", "outside 0..9"


def not_the_real_test_set(folder, images, labels):
    write_t10k(folder, *_swap(images, labels))
    return str(folder), "not hold the real MNIST test set"


def only_the_images_file(folder, images, labels):
    write_idx(_gz(folder, T10K_IMAGES), images)
    return f"{T10K_IMAGES}.gz", f"but not {T10K_LABELS}.gz"


def empty_folder(folder, images, labels):
    return str(folder), "has no MNIST test set"


def npz_without_test_arrays(folder, images, labels):
    np.savez(folder / "mnist.npz", x_train=images, y_train=labels)
    return "mnist.npz", "has no x_test or y_test array"


def npz_not_a_zip(folder, images, labels):
    (folder / "mnist.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    return "mnist.npz", "not a valid mnist.npz"


def npz_truncated(folder, images, labels):
    _truncate(write_npz(folder / "mnist.npz", images, labels))
    return "mnist.npz", "not a valid mnist.npz"


def npz_with_pickled_objects(folder, images, labels):
    objects = np.empty(len(labels), dtype=object)
    objects[:] = [int(label) for label in labels]
    np.savez(folder / "mnist.npz", x_test=images, y_test=objects)
    return "mnist.npz", "not a valid mnist.npz"


def npz_float_images(folder, images, labels):
    np.savez(folder / "mnist.npz", x_test=images / 255.0, y_test=labels)
    return "mnist.npz", "images must be uint8"


BROKEN = [
    truncated_gzip,
    corrupt_gzip,
    not_gzip,
    wrong_magic,
    swapped_files,
    truncated_body,
    trailing_bytes,
    count_mismatch,
    label_out_of_range,
    not_the_real_test_set,
    only_the_images_file,
    empty_folder,
    npz_without_test_arrays,
    npz_not_a_zip,
    npz_truncated,
    npz_with_pickled_objects,
    npz_float_images,
]


@pytest.mark.parametrize("breakage", BROKEN, ids=[f.__name__ for f in BROKEN])
def test_broken_data_is_a_clear_setup_error(breakage, real, tmp_path, monkeypatch):
    name, reason = breakage(tmp_path, *real)
    use_dir(monkeypatch, tmp_path)
    message = setup_error(grading_split)
    assert name in message and reason in message, message
    assert setup_error(load_test_set) == message


def test_mnist_dir_that_is_not_a_folder(tmp_path, monkeypatch):
    use_dir(monkeypatch, tmp_path / "nowhere")
    assert "is not a folder" in setup_error(grading_split)


def test_pickled_npz_is_never_unpickled(real, tmp_path, monkeypatch):
    """An object array whose unpickling would leave a trace: the loader must refuse it first."""
    trace = tmp_path / "unpickled"
    objects = np.empty(1, dtype=object)
    objects[0] = _Trap(str(trace))
    np.savez(tmp_path / "mnist.npz", x_test=real[0], y_test=objects)
    use_dir(monkeypatch, tmp_path)
    setup_error(grading_split)
    assert not trace.exists()


class _Trap:
    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


# ---------------------------------------------------------------- Keras' download and cache


@dataclass
class NpzServer:
    """An HTTP server on 127.0.0.1 serving one folder, counting the requests it answers."""

    folder: Path
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    cut_short: bool = False  # announce the whole file, send half of it, hang up

    def start(self) -> None:
        requests, cut_short = self.requests, self.cut_short

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                if cut_short:
                    self._send_half()
                else:
                    super().do_GET()

            def _send_half(self) -> None:
                data = Path(self.translate_path(self.path)).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        handler = functools.partial(Handler, directory=str(self.folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str = "mnist.npz") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def served(real, tmp_path, monkeypatch) -> Iterator[tuple[NpzServer, str]]:
    """A running server with an mnist.npz built from the real t10k files, and its sha256."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    npz = write_npz(tmp_path / "served" / "mnist.npz", *real)
    server = NpzServer(npz.parent)
    server.start()
    yield server, hashlib.sha256(npz.read_bytes()).hexdigest()
    server.stop()


@pytest.mark.slow
def test_download_verifies_caches_and_works_offline(served, real, tmp_path):
    server, sha256 = served
    cache = tmp_path / "keras-home"
    options = {"origin": server.url(), "file_hash": sha256, "cache_dir": cache}
    assert_real_split(grading_split(**options), real)
    assert server.requests == ["/mnist.npz"]
    cached = cache / "datasets" / "mnist.npz"
    assert cached.read_bytes() == (server.folder / "mnist.npz").read_bytes()

    server.stop()
    mnist.clear_cache()
    assert_real_split(grading_split(**options), real)
    (x_train, _), (_, y_test) = load_full(**options)
    assert len(x_train) == 1000
    np.testing.assert_array_equal(y_test, real[1])


@pytest.mark.slow
def test_a_corrupt_cached_file_is_downloaded_again(served, real, tmp_path):
    server, sha256 = served
    cache = tmp_path / "keras-home"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "mnist.npz").write_bytes(b"half a file")
    images, _ = load_test_set(origin=server.url(), file_hash=sha256, cache_dir=cache)
    np.testing.assert_array_equal(images, real[0])
    assert server.requests == ["/mnist.npz"]


@pytest.mark.slow
def test_download_checksum_mismatch(served, tmp_path):
    server, _ = served
    cache = tmp_path / "keras-home"
    wrong = "0" * 64
    message = setup_error(
        lambda: grading_split(origin=server.url(), file_hash=wrong, cache_dir=cache)
    )
    assert "mnist.npz" in message and server.url() in message and wrong in message
    assert "does not match its sha256" in message
    assert not (cache / "datasets" / "mnist.npz").exists()


@pytest.mark.slow
def test_download_cut_short(served, tmp_path):
    server, sha256 = served
    server.stop()
    server.cut_short = True
    server.start()
    cache = tmp_path / "keras-home"
    message = setup_error(
        lambda: grading_split(origin=server.url(), file_hash=sha256, cache_dir=cache)
    )
    assert message.startswith(NO_DATA) and server.url() in message, message
    assert not (cache / "datasets" / "mnist.npz").exists()


@pytest.mark.slow
def test_download_of_a_missing_file(served, tmp_path):
    server, _ = served
    message = setup_error(
        lambda: grading_split(origin=server.url("nothing.npz"), cache_dir=tmp_path / "keras")
    )
    assert message.startswith(NO_DATA) and "404" in message


@pytest.mark.slow
def test_no_data_and_no_network(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    origin = f"http://127.0.0.1:{port}/mnist.npz"
    message = setup_error(lambda: grading_split(origin=origin, cache_dir=tmp_path / "keras"))
    assert message.startswith(NO_DATA), message
    assert "set MNIST_DIR" in message and "run once with internet" in message
