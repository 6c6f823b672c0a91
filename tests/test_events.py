"""The trusted reader of event files: it agrees with what TensorFlow writes, checks both CRCs of
every record, and refuses damaged, truncated or forged bytes with a message naming the file, the
record and the check."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import numpy as np
import pytest

from grader.events import (
    MAX_RECORD_BYTES,
    EventFileError,
    crc32c,
    frame_record,
    masked_crc32c,
    read_event_file,
    records,
)
from grader.graphs import op_types

NAME = "events.out.tfevents.test"


@pytest.mark.parametrize(("data", "expected"), [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),  # the standard check value of CRC-32C
    (b"a", 0xC1D04330),
    (bytes(32), 0x8A9136AA),  # RFC 3720 (iSCSI), B.4
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
])
def test_crc32c_matches_known_vectors(data, expected):
    assert crc32c(data) == expected


def test_masked_crc_is_the_rotated_crc_plus_the_tfrecord_constant():
    crc = crc32c(b"123456789")
    assert masked_crc32c(b"123456789") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@pytest.fixture(scope="module")
def tf_logdir(tmp_path_factory) -> Path:
    """Event files written by real TensorFlow: scalars, a histogram and a traced step."""
    import tensorflow as tf

    logdir = tmp_path_factory.mktemp("tf_events")
    writer = tf.summary.create_file_writer(str(logdir))
    W, b = tf.Variable(tf.zeros([4, 3])), tf.Variable(tf.zeros([3]))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=tf.matmul(x, W) + b))
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(0.5 * grad_W)
        b.assign_sub(0.5 * grad_b)
        return loss

    with writer.as_default():
        for i, value in enumerate([2.5, -1.0, 0.0, 3.25]):
            tf.summary.scalar("loss", value, step=i)
        tf.summary.histogram("values", tf.constant([1.0, 2.0, 2.0, 5.0]), step=7)
        tf.summary.trace_on(graph=True)
        step(tf.ones([2, 4]), tf.constant([0, 1], tf.int64))
        tf.summary.trace_export("train_step", step=0)
    writer.close()
    return logdir


def _the_file(logdir: Path) -> bytes:
    (path,) = logdir.glob("events.out.tfevents.*")
    return path.read_bytes()


def test_it_reads_what_tensorflow_wrote(tf_logdir):
    events = read_event_file(_the_file(tf_logdir), NAME)
    assert events.version == "brain.Event:2"
    assert [(s.step, s.value) for s in events.scalars["loss"]] == [
        (0, 2.5), (1, -1.0), (2, 0.0), (3, 3.25)]
    (histogram,) = events.histograms["values"]
    assert histogram.step == 7 and histogram.total == 4
    assert histogram.left[0] == 1.0 and histogram.right[-1] == 5.0
    assert histogram.counts[0] == 1 and histogram.counts[-1] == 1
    (graph,) = events.graphs
    assert graph.tag == "train_step" and graph.source == "graph_run_metadata_graph"
    # The trace holds one group of graphs per function run while tracing was on (the step, and
    # the eager ops that made its arguments): the step's group holds the whole step.
    per_function = [set().union(*(op_types(g) for g in group)) for group in graph.functions]
    assert any({"MatMul", "SparseSoftmaxCrossEntropyWithLogits", "AssignSubVariableOp"} <= ops
               for ops in per_function)


def test_it_agrees_with_tensorboards_own_loader(tf_logdir):
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    (path,) = tf_logdir.glob("events.out.tfevents.*")
    theirs = [(e.step, v.tag, tensor_util.make_ndarray(v.tensor))
              for e in EventFileLoader(str(path)).Load() for v in e.summary.value
              if v.metadata.plugin_data.plugin_name in ("scalars", "histograms")]
    ours = read_event_file(path.read_bytes(), NAME)
    for step, tag, array in theirs:
        if array.ndim == 0:
            assert any(s.step == step and s.value == float(array) for s in ours.scalars[tag])
        else:
            (histogram,) = ours.histograms[tag]
            np.testing.assert_array_equal(
                np.stack([histogram.left, histogram.right, histogram.counts], axis=1), array)


def test_records_frame_and_unframe():
    data = frame_record(b"first") + frame_record(b"") + frame_record(b"x" * 300)
    assert records(data, NAME) == [b"first", b"", b"x" * 300]


def _damaged(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def test_a_flipped_byte_in_the_data_fails_the_data_crc(tf_logdir):
    data = _the_file(tf_logdir)
    first = struct.unpack("<Q", data[:8])[0]
    second_start = 12 + first + 4
    with pytest.raises(EventFileError, match=r"record 2 \(at byte \d+\): the CRC of its data"):
        read_event_file(_damaged(data, second_start + 12 + 3), NAME)


def test_a_flipped_byte_in_a_length_fails_the_length_crc(tf_logdir):
    with pytest.raises(EventFileError, match=r"events.out.tfevents.test, record 1 .*the CRC of "
                                             "its length"):
        read_event_file(_damaged(_the_file(tf_logdir), 0), NAME)


def test_a_flipped_crc_byte_is_caught_too(tf_logdir):
    data = _the_file(tf_logdir)
    with pytest.raises(EventFileError, match="CRC of its length"):
        read_event_file(_damaged(data, 9), NAME)
    first = struct.unpack("<Q", data[:8])[0]
    with pytest.raises(EventFileError, match="CRC of its data"):
        read_event_file(_damaged(data, 12 + first + 2), NAME)


@pytest.mark.parametrize("cut", [1, 3, 4, 20, 200])
def test_a_truncated_file_is_a_clear_failure_never_a_dropped_record(tf_logdir, cut):
    data = _the_file(tf_logdir)
    with pytest.raises(EventFileError, match="cut short"):
        read_event_file(data[:-cut], NAME)


def test_a_cut_inside_the_header_says_how_many_header_bytes_there_were():
    data = frame_record(b"\x1a\x0dbrain.Event:2") + b"\x05\x00\x00"
    with pytest.raises(EventFileError, match=r"record 2 .* 3 of the 12 bytes of its header"):
        records(data, NAME)


def test_a_length_larger_than_the_file_is_refused_without_reading_on():
    length = struct.pack("<Q", 2**40)
    data = length + struct.pack("<I", masked_crc32c(length)) + b"abc"
    with pytest.raises(EventFileError, match=f"claims {2**40} bytes, more than"):
        records(data, NAME)
    length = struct.pack("<Q", MAX_RECORD_BYTES - 1)
    data = length + struct.pack("<I", masked_crc32c(length)) + b"abc"
    with pytest.raises(EventFileError, match="cut short: it claims"):
        records(data, NAME)


@pytest.mark.parametrize("data", [
    b"this is not an event file at all, only text",
    bytes(range(256)) * 4,
    b"\x00" * 64,
], ids=["text", "bytes", "zeros"])
def test_garbage_fails_the_first_crc(data):
    with pytest.raises(EventFileError, match=r"record 1 .*CRC of its length"):
        read_event_file(data, NAME)


def test_an_empty_file_and_a_file_without_version_are_named():
    with pytest.raises(EventFileError, match="is empty"):
        read_event_file(b"", NAME)
    with pytest.raises(EventFileError, match="no file_version"):
        read_event_file(frame_record(b"\x10\x05"), NAME)  # an Event with only step = 5


def test_well_framed_bytes_that_are_no_event_are_refused():
    header = frame_record(b"\x1a\x0dbrain.Event:2")
    with pytest.raises(EventFileError, match="record 2 is not a valid Event"):
        read_event_file(header + frame_record(b"\xff\xff\xff"), NAME)


def _value_event(value: bytes, step: int = 0) -> bytes:
    summary = b"\x0a" + _varint(len(value)) + value
    return b"\x10" + _varint(step) + b"\x2a" + _varint(len(summary)) + summary


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def test_tf1_simple_values_and_zero_are_read():
    header = frame_record(b"\x1a\x0dbrain.Event:2")
    zero = b"\x0a\x04loss" + b"\x15" + struct.pack("<f", 0.0)
    half = b"\x0a\x04loss" + b"\x15" + struct.pack("<f", 0.5)
    data = header + frame_record(_value_event(zero, 0)) + frame_record(_value_event(half, 1))
    events = read_event_file(data, NAME)
    assert [(s.step, s.value) for s in events.scalars["loss"]] == [(0, 0.0), (1, 0.5)]


def test_a_scalar_tensor_of_the_wrong_shape_is_named():
    plugin = b"\x0a\x07scalars"
    metadata = b"\x0a" + _varint(len(plugin)) + plugin
    shape = b"\x12\x02\x08\x02"  # dim { size: 2 }
    tensor = b"\x08\x01" + b"\x12" + _varint(len(shape)) + shape + b"\x22\x08" + bytes(8)
    value = (b"\x0a\x04loss" + b"\x42" + _varint(len(tensor)) + tensor
             + b"\x4a" + _varint(len(metadata)) + metadata)
    data = frame_record(b"\x1a\x0dbrain.Event:2") + frame_record(_value_event(value))
    with pytest.raises(EventFileError, match=r"record 2, tag 'loss': a scalar of shape \(2,\)"):
        read_event_file(data, NAME)


# -- bounded work, and only the reader's own errors (issue 17 §5) --------------------------------

HEADER = frame_record(b"\x1a\x0dbrain.Event:2")


def _tensor_value(tensor: bytes, plugin: bytes = b"scalars") -> bytes:
    plugin_data = b"\x0a" + _varint(len(plugin)) + plugin
    metadata = b"\x0a" + _varint(len(plugin_data)) + plugin_data
    return (b"\x0a\x04loss" + b"\x42" + _varint(len(tensor)) + tensor
            + b"\x4a" + _varint(len(metadata)) + metadata)


def _shape(*sizes: int) -> bytes:
    dims = b"".join(b"\x12" + _varint(len(d)) + d for d in (b"\x08" + _varint(s) for s in sizes))
    return b"\x12" + _varint(len(dims)) + dims


def test_millions_of_empty_values_are_refused_quickly_and_in_little_memory():
    import resource
    import time

    summary = b"\x0a\x00" * 6_000_000  # 12 MB of empty summary values
    event = b"\x2a" + _varint(len(summary)) + summary
    data = HEADER + frame_record(event)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with pytest.raises(EventFileError, match="more summary values than the 100,000"):
        read_event_file(data, NAME)
    assert time.monotonic() - start < 5.0  # the CRC of 12 MB is most of it
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB


def test_values_are_counted_over_the_whole_file():
    value = b"\x0a\x04loss" + b"\x15" + struct.pack("<f", 0.5)
    record = frame_record(_value_event(value))
    read_event_file(HEADER + record * 10, NAME)
    summary = (b"\x0a" + _varint(len(value)) + value) * 50_001
    event = b"\x2a" + _varint(len(summary)) + summary
    with pytest.raises(EventFileError, match="record 3 holds more summary values"):
        read_event_file(HEADER + frame_record(event) * 2, NAME)


def test_too_many_records_are_refused():
    from grader.events import MAX_RECORDS

    with pytest.raises(EventFileError, match="more than 100,000 records"):
        read_event_file(HEADER + frame_record(b"\x10\x01") * MAX_RECORDS, NAME)


@pytest.mark.parametrize(("tensor", "message"), [
    (b"\x08\x01" + _shape() + b"\x22\x03abc", r"3 bytes of tensor content for a tensor of "
     r"shape \(\) and type float32"),
    (b"\x08\x01" + _shape(2**62, 2**62, 4) + b"\x22\x04" + bytes(4), "impossible shape"),
    (b"\x08\x01" + _shape(2**40, 2**40) + b"\x22\x04" + bytes(4), "impossible shape"),
    (b"\x08\x01" + _shape(*[1] * 9) + b"\x22\x04" + bytes(4), "9 dimensions"),
    (b"\x08\x01" + _shape(3) + b"\x2a\x08" + bytes(8), r"2 values for a tensor of shape \(3,\)"),
], ids=["3-bytes-of-content", "overflowing-shape", "huge-shape", "many-dims", "few-values"])
def test_bad_tensors_are_the_files_clear_failure(tensor, message):
    data = HEADER + frame_record(_value_event(_tensor_value(tensor)))
    with pytest.raises(EventFileError, match=rf"record 2, tag 'loss'.*{message}"):
        read_event_file(data, NAME)


def test_a_histogram_of_impossible_size_is_refused():
    tensor = b"\x08\x02" + _shape(2**21, 3) + b"\x32\x08" + bytes(8)
    data = HEADER + frame_record(_value_event(_tensor_value(tensor, b"histograms")))
    with pytest.raises(EventFileError, match="impossible shape"):
        read_event_file(data, NAME)


def test_nothing_but_the_readers_own_error_escapes():
    """Whatever bytes a record holds, the reader fails with EventFileError, never another
    exception (a grader fault): every prefix and byte flip of a valid record."""
    tensor = b"\x08\x01" + _shape() + b"\x22\x04" + struct.pack("<f", 0.5)
    event = _value_event(_tensor_value(tensor))
    assert read_event_file(HEADER + frame_record(event), NAME).scalars["loss"][0].value == 0.5
    for cut in range(len(event)):
        for variant in (event[:cut], event[:cut] + b"\xff" + event[cut + 1:]):
            with contextlib.suppress(EventFileError):
                read_event_file(HEADER + frame_record(variant), NAME)
