"""Learner side: turn whatever the learner's code returned into plain data for the wire.

Runs inside the learner process. Only exact built-in types pass as themselves; tensors, variables
and numpy values become :class:`~grader.learner.wire.Array`; anything else becomes
:class:`~grader.learner.wire.Opaque`, so no learner-defined class ever reaches the trusted side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.learner.wire import ALLOWED_DTYPES, Array, Opaque

MAX_DEPTH = 8
MAX_ITEMS = 10_000
MAX_STRING = 10_000


def type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module == "builtins" else f"{module}.{name}"


def _tensor_kind(value: Any) -> str | None:
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        return "tf.Variable"
    if isinstance(value, tf.Tensor):
        return "tf.Tensor"
    return None


def _numeric(array: np.ndarray, kind: str) -> Array | Opaque:
    if str(array.dtype) not in ALLOWED_DTYPES:
        return Opaque(f"{kind} of dtype {array.dtype}")
    return Array(kind, np.array(array, copy=True).view(np.ndarray))


def to_plain(value: Any, depth: int = 0) -> Any:
    """Describe ``value`` as plain data the trusted side can judge."""
    if value is None or type(value) in (bool, int, float):
        return value
    if type(value) is str:
        return value[:MAX_STRING]
    if depth >= MAX_DEPTH:
        return Opaque(type_name(value))
    if type(value) in (list, tuple):
        items = [to_plain(v, depth + 1) for v in value[:MAX_ITEMS]]
        return tuple(items) if type(value) is tuple else items
    if type(value) is dict:
        return {
            k: to_plain(v, depth + 1)
            for k, v in list(value.items())[:MAX_ITEMS]
            if k is None or type(k) in (str, int, float, bool)
        }
    if type(value) is np.ndarray:
        return _numeric(value, "ndarray")
    if isinstance(value, np.ndarray):
        return _numeric(np.asarray(value).view(np.ndarray), type_name(value))
    if isinstance(value, np.generic):
        return _numeric(np.asarray(value), "numpy scalar")
    kind = _tensor_kind(value)
    if kind is not None:
        try:
            return _numeric(np.asarray(value.numpy()), kind)
        except Exception:  # a symbolic tensor (no value), a string tensor, ...
            return Opaque(f"{kind} (symbolic, without a value)")
    return Opaque(type_name(value))
