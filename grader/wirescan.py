"""Bounded look at protobuf wire format before a message is parsed.

Parsing a message makes an object for every entry of its repeated fields: a few megabytes of
empty entries (two bytes each) become millions of objects, seconds of work and a gigabyte of
memory. The trusted readers (:mod:`grader.events`, :mod:`grader.graphs`) first walk the
top-level fields of a message here, stopping after ``limit`` entries, so that the work per file
is bounded whatever its bytes say.
"""

from __future__ import annotations

#: Wire types: varint, 64-bit, length-delimited, (start and end group: not used here), 32-bit.
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a protobuf message, or hold more entries than allowed."""


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if position >= len(data) or shift > 63:
            raise WireError("a number runs past the end of the message")
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if not byte & 0x80:
            return value, position
        shift += 7


def top_level(data: bytes, limit: int) -> list[tuple[int, bytes | None]]:
    """``(field number, payload)`` of each top-level entry of a serialized message (payload:
    the bytes of a length-delimited entry, None for a number). :class:`WireError` when there
    are more than ``limit`` entries or the bytes are not a message."""
    found: list[tuple[int, bytes | None]] = []
    position = 0
    while position < len(data):
        if len(found) >= limit:
            raise WireError(f"more than {limit:,} entries")
        key, position = _varint(data, position)
        number, kind = key >> 3, key & 7
        if kind == _VARINT:
            _, position = _varint(data, position)
            found.append((number, None))
        elif kind in (_FIXED64, _FIXED32):
            position += 8 if kind == _FIXED64 else 4
            found.append((number, None))
        elif kind == _LENGTH:
            length, position = _varint(data, position)
            found.append((number, data[position:position + length]))
            position += length
        else:
            raise WireError(f"an entry of wire type {kind}, which these messages do not use")
        if position > len(data):
            raise WireError("an entry runs past the end of the message")
    return found

