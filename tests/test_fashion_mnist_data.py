"""The Fashion-MNIST loader on real files: FASHION_MNIST_DIR, broken folders, Keras' download.

Needs the real files: FASHION_MNIST_DIR (CI: Debian's dataset-fashion-mnist, installed under
/usr/share/datasets/fashion-mnist). The download test serves copies of them over HTTP on
127.0.0.1 and lets Keras fetch them, as ``keras.datasets.fashion_mnist`` would.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from grader.data import fashion_mnist
from grader.data.fashion_mnist import load_data, load_images
from grader.errors import SetupError

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(scope="module")
def real_dir() -> Path:
    value = os.environ.get("FASHION_MNIST_DIR") or fashion_mnist.DEBIAN_DIR
    if not all((Path(value) / name).is_file() for name in NAMES):
        pytest.skip("no Fashion-MNIST: apt-get install dataset-fashion-mnist, or set "
                    "FASHION_MNIST_DIR")
    return Path(value)


def setup_error(monkeypatch, folder: Path | str) -> str:
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))
    with pytest.raises(SetupError) as caught:
        load_data()
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 2
    return message


def test_real_folder(real_dir, monkeypatch):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(real_dir))
    (x_train, y_train), (x_test, y_test) = load_data()
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10  # balanced, as Zalando describes it
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]  # ankle boot, pullover, trouser, trouser, shirt
    assert not x_train.flags.writeable
    images, labels = load_images("test")
    assert images.shape == (10_000, 28, 28, 1) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() == 1.0 and labels.dtype == np.int64


def test_uncompressed_files(real_dir, tmp_path, monkeypatch):
    for name in NAMES:
        (tmp_path / name.removesuffix(".gz")).write_bytes(gzip.decompress(
            (real_dir / name).read_bytes()))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert load_data()[1][1][:3].tolist() == [9, 2, 1]


def test_missing_corrupt_and_fake_files(real_dir, tmp_path, monkeypatch):
    assert "is not a folder" in setup_error(monkeypatch, tmp_path / "nowhere")
    for name in NAMES[:3]:
        shutil.copy(real_dir / name, tmp_path / name)
    assert "t10k-labels-idx1-ubyte.gz" in setup_error(monkeypatch, tmp_path)
    (tmp_path / NAMES[3]).write_bytes((real_dir / NAMES[3]).read_bytes()[:100])
    assert "truncated" in setup_error(monkeypatch, tmp_path)
    labels = gzip.decompress((real_dir / NAMES[3]).read_bytes())
    fake = labels[:8] + bytes((b + 1) % 10 for b in labels[8:])  # well-formed, not the real set
    (tmp_path / NAMES[3]).write_bytes(gzip.compress(fake))
    assert "not hold the real Fashion-MNIST test set" in setup_error(monkeypatch, tmp_path)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(real_dir) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(real_dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.slow
def test_download_and_cache(server, tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    cache = tmp_path / "keras-home"
    (_, y_train), _ = load_data(origin=server, cache_dir=cache)
    assert len(y_train) == 60_000
    assert sorted(p.name for p in (cache / "datasets" / "fashion-mnist").iterdir()) == \
        sorted(NAMES)
    (_, y_train), _ = load_data(origin="http://127.0.0.1:9/", cache_dir=cache)  # cached: offline
    assert len(y_train) == 60_000


def test_no_data_and_no_network(tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    with pytest.raises(SetupError) as caught:
        load_data(origin="http://127.0.0.1:9/", cache_dir=tmp_path)
    assert str(caught.value).startswith("Fashion-MNIST is not available")
