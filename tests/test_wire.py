"""The channel between the processes: plain data in, plain data out, anything else refused."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from grader.learner import wire


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_values_survive_the_trip_with_their_kinds():
    value = {"a": [1, 2.5, None, True], "b": (np.arange(6, dtype=np.int64).reshape(2, 3), "x")}
    back = wire.from_wire(wire.to_wire(value))
    assert back["a"] == [1, 2.5, None, True]
    assert isinstance(back["b"], tuple) and back["b"][1] == "x"
    assert back["b"][0].kind == "ndarray" and back["b"][0].shape == (2, 3)
    assert np.array_equal(back["b"][0].array, np.arange(6).reshape(2, 3))


def test_deep_nesting_is_refused_not_a_crash():
    assert wire.from_wire(wire.to_wire(_nested(wire.MAX_DEPTH))) == _nested(wire.MAX_DEPTH)
    with pytest.raises(wire.WireError, match="nested more than"):
        wire.from_wire(wire.to_wire(_nested(wire.MAX_DEPTH + 2)))


def test_a_message_nested_beyond_the_parser_is_a_wire_error():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        payload = b'{"value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        theirs.sendall(wire.HEADER.pack(len(payload)) + payload)
        with pytest.raises(wire.WireError, match="nested too deeply"):
            wire.recv_message(ours)


@pytest.mark.parametrize("array", [
    {"dtype": "object", "shape": [1], "b64": "gARLAS4="},  # a pickle
    {"dtype": "int64", "shape": [1000], "b64": "AAAAAAAAAAA="},  # fewer bytes than claimed
    {"dtype": "int64", "shape": "1", "b64": ""},
], ids=["object-dtype", "short-data", "bad-shape"])
def test_malformed_arrays_are_refused(array):
    with pytest.raises(wire.WireError):
        wire.from_wire({"__array__": array, "kind": "EagerTensor"})
