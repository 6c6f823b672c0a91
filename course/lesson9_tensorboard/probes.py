"""Learner side probes for lesson 9: run the learner's logging code and return its files.

Each probe makes a fresh folder in the learner's working folder, makes it the current folder
while the learner's code runs (so a hard-coded relative path lands there too), passes
``<folder>/grader-logdir`` as the logdir, and returns every file under the folder as bytes
(bounded in number and size). What the files hold is read and judged by the trusted side
(:mod:`grader.events`), never here.

For the messages about unflushed writers, the files are also read a second time after every
``tf.summary`` writer still alive has been flushed; only the files that changed are returned
again.
"""

from __future__ import annotations

import contextlib
import gc
import os
import tempfile
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label

#: The logdir passed to the learner, inside the run folder (the checks read files under it).
LOGDIR = "grader-logdir"
MAX_FILES = 64
MAX_TOTAL_BYTES = 24 * 2**20


@contextlib.contextmanager
def _run_folder() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="run-", dir=os.getcwd())
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _own_default_writer(answer: dict[str, Any]) -> Iterator[None]:
    """Run the learner's code (and read its files), then note whether it left a writer of its
    own as the default (``writer.set_as_default()``: "open", or "closed" once closed) and put
    the default back, so that what one function leaves does not break the next one's summaries.
    Put back only after the files are read: the writer it drops may be flushed as it goes."""
    from tensorflow.python.ops import summary_ops_v2

    state = summary_ops_v2._summary_state
    before = state.writer
    try:
        yield
    finally:
        left = state.writer
        answer["left_default"] = None if left is before else (
            "closed" if getattr(left, "_closed", False) else "open")
        state.writer = before


def _files(folder: str) -> dict[str, Any]:
    """Every regular file under ``folder`` (relative path -> uint8 bytes), within the bounds."""
    found: dict[str, np.ndarray] = {}
    total, left_out = 0, 0
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            if len(found) >= MAX_FILES or total + size > MAX_TOTAL_BYTES:
                left_out += 1
                continue
            with open(path, "rb") as handle:
                data = handle.read(size)
            total += len(data)
            found[os.path.relpath(path, folder)] = np.frombuffer(data, dtype=np.uint8)
    return {"files": found, "left_out": left_out}


def _flush_writers() -> None:
    for obj in gc.get_objects():
        if isinstance(obj, tf.summary.SummaryWriter):
            with contextlib.suppress(Exception):
                obj.flush()


def _written(folder: str) -> dict[str, Any]:
    """The files as the learner's code left them, and those that changed once flushed."""
    as_left = _files(folder)
    _flush_writers()
    flushed = _files(folder)
    changed = {path: data for path, data in flushed["files"].items()
               if path not in as_left["files"] or not np.array_equal(data, as_left["files"][path])}
    return {**as_left, "after_flush": changed}


def log_scalars(module: ModuleType, tag: str, values: list[float]) -> dict[str, Any]:
    """log_scalars(<folder>/grader-logdir, tag, values)."""
    with _run_folder() as folder:
        current_label(f"log_scalars(logdir, {tag!r}, {values!r})")
        answer: dict[str, Any] = {}
        with _own_default_writer(answer):  # put back after the files are read
            returned = module.log_scalars(os.path.join(folder, LOGDIR), tag, list(values))
            written = _written(folder)
        return {"returned": returned if returned is None else type(returned).__name__,
                **answer, **written}


def train_with_summaries(module: ModuleType, images: np.ndarray, labels: np.ndarray,
                         steps: int, batch_size: int, learning_rate: float) -> dict[str, Any]:
    """train_with_summaries(images, labels, <folder>/grader-logdir, steps, ...)."""
    with _run_folder() as folder:
        current_label(f"train_with_summaries(images, labels, logdir, steps={steps}, "
                      f"batch_size={batch_size}, learning_rate={learning_rate})")
        answer: dict[str, Any] = {}
        with _own_default_writer(answer):  # put back after the files are read
            result = module.train_with_summaries(tf.constant(images), tf.constant(labels),
                                                 os.path.join(folder, LOGDIR), steps,
                                                 batch_size, learning_rate)
            written = _written(folder)
        return {"result": result, **answer, **written}


def callback_fit(module: ModuleType, images: np.ndarray, labels: np.ndarray,
                 val_images: np.ndarray, val_labels: np.ndarray, hidden_units: int,
                 epochs: int, batch_size: int) -> dict[str, Any]:
    """A small Keras model fitted with tensorboard_callback(<folder>/grader-logdir)."""
    import keras

    with _run_folder() as folder:
        current_label("tensorboard_callback(logdir)")
        callback = module.tensorboard_callback(os.path.join(folder, LOGDIR))
        answer: dict[str, Any] = {
            "kind": type(callback).__name__,
            "is_tensorboard": isinstance(callback, keras.callbacks.TensorBoard),
            "is_callback": isinstance(callback, keras.callbacks.Callback),
        }
        if not answer["is_callback"]:
            return answer
        model = keras.Sequential([
            keras.Input((images.shape[1],)),
            keras.layers.Dense(hidden_units, activation="relu", name="hidden"),
            keras.layers.Dense(10, name="output"),
        ], name="probe")
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        current_label(f"model.fit(..., epochs={epochs}, callbacks=[tensorboard_callback(logdir)])")
        with _own_default_writer({}):
            history = model.fit(images, labels, epochs=epochs, batch_size=batch_size,
                                validation_data=(val_images, val_labels), callbacks=[callback],
                                verbose=0)
            written = _written(folder)
        answer["history"] = {key: [float(v) for v in values]
                             for key, values in history.history.items()}
        answer["weights"] = {weight.path: np.asarray(weight.numpy())
                             for weight in model.weights}
        answer.update(written)
        return answer
