"""The plain-data protocol between the trusted process and a learner process.

Messages are length-prefixed JSON. Numeric arrays travel as base64 bytes with a dtype from an
allow-list and a shape; nothing is ever pickled, so decoding cannot run code. Values that are not
plain data arrive as :class:`Opaque` (just the type's name) and tensors as :class:`Array` tagged
with the kind of object the learner returned.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_MESSAGE_BYTES = 512 * 1024 * 1024
HEADER = struct.Struct(">Q")
ALLOWED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64", "complex64", "complex128"]
)

# A "run" request names its probe by module and function: "<course package>.<lesson stem>.probes:
# <function>" for a lesson's own probes, or the grader's generic probes' module.
GENERIC_PROBES = "grader.learner.generic_probes"


def probe_address(probe: str, course_package: str) -> str:
    """``"lesson2_regression:predict"`` as a request names it (the module's full name);
    ``"grader:call"`` is a generic probe (:mod:`grader.learner.generic_probes`)."""
    stem, _, function = probe.partition(":")
    if stem == "grader":
        return f"{GENERIC_PROBES}:{function}"
    return f"{course_package}.{stem}.probes:{function}"


class WireError(Exception):
    """A message was malformed, too large, or cut short."""


@dataclass(frozen=True)
class Array:
    """A numeric array the learner returned, with the kind of object it came from."""

    kind: str  # "tf.Tensor", "tf.Variable", "ndarray", "numpy scalar", or a subclass name
    array: np.ndarray

    @property
    def dtype(self) -> str:
        return str(self.array.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    def describe(self) -> str:
        return f"{self.kind} of shape {self.shape} {self.dtype}"


@dataclass(frozen=True)
class Opaque:
    """Something that is not plain data; only its type's name crosses the wire."""

    type_name: str

    def describe(self) -> str:
        return f"a {self.type_name}"


def _encode_array(array: np.ndarray) -> dict[str, Any]:
    array = np.asarray(array, order="C")
    if str(array.dtype) not in ALLOWED_DTYPES:
        raise WireError(f"arrays of dtype {array.dtype} cannot be sent")
    return {
        "dtype": str(array.dtype),
        "shape": list(array.shape),
        "b64": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _decode_array(spec: Any) -> np.ndarray:
    if not isinstance(spec, dict) or spec.get("dtype") not in ALLOWED_DTYPES:
        raise WireError("malformed array")
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise WireError("malformed array shape")
    data = base64.b64decode(spec.get("b64", ""), validate=True)
    dtype = np.dtype(spec["dtype"])
    if len(data) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError("array size does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def to_wire(value: Any) -> Any:
    """Turn trusted-side plain data (numbers, strings, arrays, containers) into JSON-able form."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, Array):
        return {"__array__": _encode_array(value.array), "kind": value.kind}
    if isinstance(value, np.ndarray):
        return {"__array__": _encode_array(value), "kind": "ndarray"}
    if isinstance(value, np.generic):
        return to_wire(value.item())
    if isinstance(value, Opaque):
        return {"__opaque__": value.type_name}
    if type(value) in (list, tuple):
        return {"__seq__": type(value).__name__, "items": [to_wire(v) for v in value]}
    if type(value) is dict:
        return {"__dict__": [[to_wire(k), to_wire(v)] for k, v in value.items()]}
    raise WireError(f"cannot send a {type(value).__name__}")


MAX_DEPTH = 64  # nesting of lists, tuples and dicts: answers are shallow; parsers are not infinite


def from_wire(data: Any, *, tag_arrays: bool = True, depth: int = 0) -> Any:
    """Rebuild values from their JSON form; arrays become :class:`Array` (or bare ndarrays)."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if depth > MAX_DEPTH:
        raise WireError(f"a value nested more than {MAX_DEPTH} levels deep")
    depth += 1
    if type(data) is list:
        return [from_wire(v, tag_arrays=tag_arrays, depth=depth) for v in data]
    if type(data) is not dict:
        raise WireError("malformed value")
    if "__array__" in data:
        array = _decode_array(data["__array__"])
        kind = data.get("kind")
        if type(kind) is not str:
            raise WireError("malformed array kind")
        return Array(kind[:200], array) if tag_arrays else array
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"])[:200])
    if "__seq__" in data:
        items = [from_wire(v, tag_arrays=tag_arrays, depth=depth) for v in data.get("items", [])]
        return tuple(items) if data["__seq__"] == "tuple" else items
    if "__dict__" in data:
        pairs = data["__dict__"]
        if type(pairs) is not list:
            raise WireError("malformed dict")
        result = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict item")
            key = from_wire(pair[0], tag_arrays=tag_arrays, depth=depth)
            if type(key) not in (str, int, float, bool) and key is not None:
                raise WireError("malformed dict key")
            result[key] = from_wire(pair[1], tag_arrays=tag_arrays, depth=depth)
        return result
    raise WireError("malformed value")


def encode_message(message: dict[str, Any]) -> bytes:
    """One JSON message, length-prefixed."""
    payload = json.dumps(message, allow_nan=True).encode("utf-8")
    return HEADER.pack(len(payload)) + payload


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    """Send one JSON message, length-prefixed."""
    sock.sendall(encode_message(message))


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks += chunk
    return bytes(chunks)


def recv_message(sock: socket.socket) -> dict[str, Any]:
    """Receive one JSON message; raise :class:`WireError` if it is malformed or too large."""
    (size,) = HEADER.unpack(recv_exactly(sock, HEADER.size))
    if size > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {size} bytes is larger than the limit")
    try:
        message = json.loads(recv_exactly(sock, size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"malformed message: {exc}") from None
    except RecursionError:
        raise WireError("malformed message: nested too deeply") from None
    if type(message) is not dict:
        raise WireError("a message must be a JSON object")
    return message
