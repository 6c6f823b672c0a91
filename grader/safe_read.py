"""Read a file a student handed in, without letting it block, flood or redirect the grader.

Every place that reads a submission in the trusted process (``grade lessonN --submission``,
``grade batch``'s fingerprint and notebook extraction, the Gradescope runner) goes through
:func:`read_regular`: the file is opened once, without blocking (a FIFO named
``lesson1_basics.py`` would otherwise hang the batch) and without following a symbolic link
unless the caller vetted it, checked to be a regular file and no larger than the caller's
limit *before* anything is read (a sparse 2 GiB file costs nothing), and read once.

:func:`shown` makes a file or folder name that is not UTF-8 (a folder named in latin-1, as
``unzip`` leaves it) printable and storable: its undecodable bytes are written ``\\xe9``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["UnreadableFile", "read_regular", "shown"]

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


class UnreadableFile(ValueError):
    """The file cannot be read as a submission; the message (one line) says why and what to do."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count:,} bytes"


def read_regular(path: Path, *, limit: int, what: str = "the lesson's file",
                 follow_links: bool = False) -> bytes:
    """``path``'s bytes, read once; :class:`UnreadableFile` if it is not a regular file (a pipe,
    a device, a folder; a symbolic link unless ``follow_links``), cannot be opened, or holds
    more than ``limit`` bytes."""
    name = shown(path.name)
    try:
        fd = os.open(path, _FLAGS | (0 if follow_links else os.O_NOFOLLOW))
    except FileNotFoundError:
        raise UnreadableFile(f"{name}: no such file") from None
    except OSError as exc:
        if not follow_links and os.path.islink(path):  # O_NOFOLLOW refused it (ELOOP)
            raise UnreadableFile(f"{name} is a symbolic link: hand in the file itself, "
                                 f"as {what}") from None
        if os.path.isdir(path):
            raise UnreadableFile(f"{name} is a folder: hand in {what}") from None
        raise UnreadableFile(f"{name}: cannot read it ({exc.strerror or exc}); check its "
                             "permissions") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{name} is {_kind(info.st_mode)}, not a regular file: "
                                 f"hand in {what}")
        if info.st_size > limit:
            raise UnreadableFile(f"{name} is {_size(info.st_size)}, more than the {_size(limit)} "
                                 f"a submission may be: is it really {what}?")
        os.set_blocking(fd, True)
        chunks, left = [], limit + 1  # the file may grow between fstat and read
        while left > 0:
            chunk = os.read(fd, min(left, 2**20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise UnreadableFile(f"{name}: cannot read it ({exc.strerror or exc}); check its "
                             "permissions") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise UnreadableFile(f"{name} is more than the {_size(limit)} a submission may be: "
                             f"is it really {what}?")
    return data


def shown(name: str) -> str:
    """``name`` (from the file system, or text that came with one) as text any terminal, file or
    database takes: bytes that were not UTF-8 (kept by Python as surrogates) are written
    ``\\xNN``, any other lone surrogate ``\\udNNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escaped(char) for char in name)
    return name


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return char
