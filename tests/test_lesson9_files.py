"""Lesson 9's checks on the files a learner's code leaves: missing, elsewhere, unflushed, empty,
truncated or damaged files each fail with a message that names what is wrong (no learner
process needed: the answers are made here as the probes would send them)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from grader.check import CheckFailed
from grader.curriculum import find_lesson
from grader.events import frame_record
from grader.learner.wire import Array

checks = find_lesson("lesson9").module()

HEADER = frame_record(b"\x09" + struct.pack("<d", 1.0) + b"\x1a\x0dbrain.Event:2")
NAME = f"{checks.LOGS}/events.out.tfevents.1796226808.vm.13588.0.v2"


def _scalar(step: int, value: float) -> bytes:
    value_proto = b"\x0a\x04loss\x15" + struct.pack("<f", value)
    summary = b"\x0a" + bytes([len(value_proto)]) + value_proto
    return frame_record(b"\x10" + bytes([step]) + b"\x2a" + bytes([len(summary)]) + summary)


def _answer(files: dict[str, bytes], after_flush: dict[str, bytes] | None = None) -> dict:
    def wire(group: dict[str, bytes]) -> dict:
        return {path: Array("ndarray", np.frombuffer(data, dtype=np.uint8))
                for path, data in group.items()}

    return {"files": wire(files), "after_flush": wire(after_flush or {}), "left_out": 0}


def _failure(answer: dict) -> str:
    with pytest.raises(CheckFailed) as caught:
        checks._logs(answer, "log_scalars(...)").require_events()
    return str(caught.value)


GOOD = HEADER + _scalar(0, 1.5) + _scalar(1, 2.5)


def test_good_files_are_read():
    logs = checks._logs(_answer({NAME: GOOD}), "log_scalars(...)")
    logs.require_events()
    logs.require_flushed()
    assert [(s.step, s.value) for s in logs.scalars()["loss"]] == [(0, 1.5), (1, 2.5)]


def test_no_file_at_all():
    assert "wrote no event file in logdir: create a writer with" in _failure(_answer({}))


def test_a_file_elsewhere_is_named_without_its_time_stamp():
    message = _failure(_answer({"logs/fit/train/events.out.tfevents.17.vm.1.0.v2": GOOD}))
    assert "but logs/fit/train/events.out.tfevents.… elsewhere: pass the logdir" in message


def test_header_only_then_more_once_flushed_is_not_flushed():
    message = _failure(_answer({NAME: HEADER}, {NAME: GOOD}))
    assert "still in the writer's memory" in message and "writer.close()" in message


def test_header_only_for_good_is_nothing_written_outside_as_default():
    assert "inside `with writer.as_default():`" in _failure(_answer({NAME: HEADER}))


def test_a_record_cut_in_the_middle_but_complete_once_flushed_is_not_flushed():
    message = _failure(_answer({NAME: GOOD[:-7]}, {NAME: GOOD}))
    assert "still in the writer's memory" in message and "a record cut in the middle" in message


def test_a_truncated_file_names_the_file_the_record_and_what_is_missing():
    message = _failure(_answer({NAME: GOOD[:-7]}))
    assert "logdir/events.out.tfevents.…, record 3 (at byte" in message
    assert "is cut short" in message


def test_a_flipped_byte_names_the_file_the_record_and_the_crc():
    damaged = bytearray(GOOD)
    damaged[len(HEADER) + 14] ^= 0x10
    message = _failure(_answer({NAME: bytes(damaged)}))
    assert "logdir/events.out.tfevents.…, record 2" in message
    assert "the CRC of its data does not match" in message


def test_garbage_named_as_an_event_file_fails_its_length_crc():
    message = _failure(_answer({NAME: b"not an event file, only some text"}))
    assert "record 1 (at byte 0): the CRC of its length does not match" in message


def test_an_empty_file_is_named():
    assert "is empty" in _failure(_answer({NAME: b""}))


def test_too_many_files_are_refused():
    files = {f"{checks.LOGS}/f{i}": b"" for i in range(checks.MAX_FILES + 1)}
    assert f"more than {checks.MAX_FILES} files" in _failure(_answer(files))
