"""Learner side: the grader's generic probes, which any course's checks use without a probes
module of their own (through :mod:`grader.generic` on the trusted side).

Each calls a learner function by name with the arguments a check chose and returns plain data:
the value itself (:func:`call`), the ``GraphDef`` of the function traced by ``tf.function``
(:func:`trace`), a Keras model's description for the allow-list rebuild (:func:`keras_model`),
or the files a call wrote in a fresh folder (:func:`written_files`). They judge nothing: a
verdict is the trusted side's, from this data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.learner.graph_export import serialized_graph
from grader.learner.worker import current_label

MAX_FILES = 200
MAX_FILE_BYTES = 32 * 2**20


def _function(module: ModuleType, name: str) -> Any:
    function = getattr(module, name, None)
    if not callable(function):
        raise AttributeError(f"your file has no function {name}(): define it (see the stub)")
    return function


def _arguments(args: list[Any], kwargs: dict[str, Any], tensors: bool) -> tuple[list, dict]:
    if not tensors:
        return list(args), dict(kwargs)
    import tensorflow as tf

    def convert(value: Any) -> Any:
        return tf.constant(value) if isinstance(value, np.ndarray) else value

    return [convert(v) for v in args], {k: convert(v) for k, v in kwargs.items()}


def _label(name: str, label: str | None) -> None:
    current_label(label or f"{name}(...)")


def call(module: ModuleType, name: str, args: list[Any] = (),
         kwargs: dict[str, Any] | None = None, tensors: bool = False,
         label_text: str | None = None) -> Any:
    """``name(*args, **kwargs)``'s return value (arrays as tensors when ``tensors``)."""
    function = _function(module, name)
    args, kwargs = _arguments(list(args), kwargs or {}, tensors)
    _label(name, label_text)
    return function(*args, **kwargs)


def trace(module: ModuleType, name: str, args: list[Any] = (),
          kwargs: dict[str, Any] | None = None, tensors: bool = True,
          label_text: str | None = None) -> dict[str, Any]:
    """``tf.function(name)`` called on the arguments: its value and its traced ``GraphDef``."""
    import tensorflow as tf

    function = _function(module, name)
    args, kwargs = _arguments(list(args), kwargs or {}, tensors)
    traced = function if hasattr(function, "get_concrete_function") else tf.function(function)
    _label(name, label_text or f"tf.function({name})(...)")
    value = traced(*args, **kwargs)
    graph = traced.get_concrete_function(*args, **kwargs).graph
    return {"value": value, "graph": serialized_graph(graph)}


def keras_model(module: ModuleType, name: str, args: list[Any] = (),
                kwargs: dict[str, Any] | None = None, label_text: str | None = None) -> Any:
    """The Keras model ``name(*args, **kwargs)`` returns, described for the trusted side's
    allow-list rebuild (:func:`grader.keras_models.rebuild_model`)."""
    from grader.keras_models import describe_model

    function = _function(module, name)
    _label(name, label_text)
    return describe_model(function(*args, **(kwargs or {})))


def written_files(module: ModuleType, name: str, args: list[Any] = (),
                  kwargs: dict[str, Any] | None = None, folder_arg: str = "logdir",
                  label_text: str | None = None) -> dict[str, Any]:
    """Call ``name`` with a fresh folder as keyword ``folder_arg``; return the call's value and
    every regular file it wrote there (relative path → bytes as uint8)."""
    function = _function(module, name)
    folder = tempfile.mkdtemp(prefix="written-")
    _label(name, label_text)
    value = function(*args, **{**(kwargs or {}), folder_arg: folder})
    files: dict[str, Any] = {}
    for path in sorted(Path(folder).rglob("*")):
        if len(files) >= MAX_FILES:
            break
        if path.is_file() and not path.is_symlink() and os.path.getsize(path) <= MAX_FILE_BYTES:
            files[path.relative_to(folder).as_posix()] = np.frombuffer(path.read_bytes(),
                                                                      dtype=np.uint8)
    return {"value": value, "files": files}
