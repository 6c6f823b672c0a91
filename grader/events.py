"""Trusted side: what a TensorBoard event file holds, read from its bytes without TensorFlow.

An event file (``events.out.tfevents.*``) is a TFRecord file: records of
``length (uint64 LE) · masked CRC32C of the length (uint32 LE) · data · masked CRC32C of the
data``, each record's data one serialized ``Event`` proto. Both CRCs are checked here, and a
record cut short, a length larger than the file, or a CRC that does not match is a clear
:class:`EventFileError` naming the file, the record and the check; nothing is silently dropped
(tensorboard's own loader skips a truncated last record, and imports TensorFlow when it can:
neither is acceptable for a verdict).

The protos are declared here, with only the fields read and their real field numbers, so this
needs protobuf but neither TensorFlow nor tensorboard. What TensorFlow 2.21 writes, and what is
read: scalars as tensor summaries of the ``scalars`` plugin (a 0-d float tensor), or TF1's
``simple_value``; histograms as tensor summaries of the ``histograms`` plugin (a k×3 float64
tensor of left edge, right edge, count), or TF1's ``HistogramProto``; graphs as an ``Event``'s
``graph_def`` bytes, or the ``RunMetadata`` that ``tf.summary.trace_export`` writes as a string
tensor (plugin ``graph_run_metadata_graph``), whose ``GraphDef`` bytes :mod:`grader.graphs` reads.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from grader.wirescan import WireError, top_level

MAX_FILE_BYTES = 32 * 2**20
MAX_RECORD_BYTES = 16 * 2**20
#: Bounds on the work one file costs, whatever its bytes claim: records, summary values (of
#: every record together), dimensions of a tensor, values of a tensor or histogram, graphs of a
#: trace. TensorFlow writes a few per step; lesson 9's files hold a few thousand values at most.
MAX_RECORDS = 100_000
MAX_VALUES = 100_000
MAX_DIMS = 8
MAX_TENSOR_VALUES = 2**20
MAX_GRAPHS = 1_000
HEADER_BYTES, FOOTER_BYTES = 12, 4
GRAPH_PLUGINS = ("graph_run_metadata_graph", "graph_run_metadata")

# -- CRC32C (Castagnoli), as TFRecord uses it ------------------------------------------------------

_CASTAGNOLI = 0x82F63B78  # the polynomial 0x1EDC6F41, bit-reversed
_MASK_DELTA = 0xA282EAD8


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_CASTAGNOLI if crc & 1 else 0)
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """The CRC32C of ``data`` (table-driven, one byte at a time)."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: the CRC rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    """One TFRecord record holding ``data`` (for tests and for damaged-file examples)."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


class EventFileError(ValueError):
    """The bytes are not an event file this module can read; the message says what is wrong."""


def records(data: bytes, name: str) -> list[bytes]:
    """The data of every record of a TFRecord file, each record's framing and CRCs checked."""
    if len(data) > MAX_FILE_BYTES:
        raise EventFileError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    found: list[bytes] = []
    position = 0
    while position < len(data):
        if len(found) >= MAX_RECORDS:
            raise EventFileError(f"{name} holds more than {MAX_RECORDS:,} records: more than "
                                 "a summary writer writes for these exercises")
        where = f"{name}, record {len(found) + 1} (at byte {position})"
        header = data[position:position + HEADER_BYTES]
        if len(header) < HEADER_BYTES:
            raise EventFileError(f"{where} is cut short: {len(header)} of the {HEADER_BYTES} "
                                 "bytes of its header (the file was not flushed or closed?)")
        length_bytes = header[:8]
        (length,) = struct.unpack("<Q", length_bytes)
        (stored,) = struct.unpack("<I", header[8:])
        computed = masked_crc32c(length_bytes)
        if stored != computed:
            raise EventFileError(f"{where}: the CRC of its length does not match (stored "
                                 f"{stored:#010x}, computed {computed:#010x}): the file is "
                                 "damaged or not an event file")
        start = position + HEADER_BYTES
        remaining = len(data) - start
        if length > MAX_RECORD_BYTES:
            raise EventFileError(f"{where} claims {length} bytes, more than the "
                                 f"{MAX_RECORD_BYTES // 2**20} MiB a record may hold")
        if length + FOOTER_BYTES > remaining:
            raise EventFileError(f"{where} is cut short: it claims {length} bytes of data and "
                                 f"its CRC, the file has {remaining} left (the file was not "
                                 "flushed or closed?)")
        payload = data[start:start + length]
        (stored,) = struct.unpack("<I", data[start + length:start + length + FOOTER_BYTES])
        computed = masked_crc32c(payload)
        if stored != computed:
            raise EventFileError(f"{where}: the CRC of its data does not match (stored "
                                 f"{stored:#010x}, computed {computed:#010x}): the file is "
                                 "damaged")
        found.append(payload)
        position = start + length + FOOTER_BYTES
    return found


# -- the protos ------------------------------------------------------------------------------------

# The subset of tensorflow/core/util/event.proto, framework/summary.proto, framework/tensor.proto,
# framework/tensor_shape.proto and protobuf/config.proto (RunMetadata) read here, with the same
# field numbers. proto2, so that a scalar field's presence can be told from its default (a
# simple_value of 0.0). GraphDefs stay bytes: grader.graphs reads them.
_OPT, _REP = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, \
    descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
_MESSAGES: dict[str, list[tuple[str, int, str, bool]]] = {
    "PluginData": [("plugin_name", 1, "string", False), ("content", 2, "bytes", False)],
    "SummaryMetadata": [("plugin_data", 1, "PluginData", False)],
    "Dim": [("size", 1, "int64", False)],
    "TensorShapeProto": [("dim", 2, "Dim", True)],
    "TensorProto": [
        ("dtype", 1, "int32", False), ("tensor_shape", 2, "TensorShapeProto", False),
        ("tensor_content", 4, "bytes", False), ("float_val", 5, "float", True),
        ("double_val", 6, "double", True), ("int_val", 7, "int32", True),
        ("string_val", 8, "bytes", True), ("int64_val", 10, "int64", True),
        ("half_val", 13, "int32", True),
    ],
    "HistogramProto": [
        ("min", 1, "double", False), ("max", 2, "double", False), ("num", 3, "double", False),
        ("bucket_limit", 6, "double", True), ("bucket", 7, "double", True),
    ],
    "Value": [
        ("tag", 1, "string", False), ("simple_value", 2, "float", False),
        ("histo", 5, "HistogramProto", False), ("tensor", 8, "TensorProto", False),
        ("metadata", 9, "SummaryMetadata", False),
    ],
    "Summary": [("value", 1, "Value", True)],
    "Event": [
        ("wall_time", 1, "double", False), ("step", 2, "int64", False),
        ("file_version", 3, "string", False), ("graph_def", 4, "bytes", False),
        ("summary", 5, "Summary", False),
    ],
    "FunctionGraphs": [
        ("partition_graphs", 1, "bytes", True), ("pre_optimization_graph", 2, "bytes", False),
        ("post_optimization_graph", 3, "bytes", False),
    ],
    "RunMetadata": [("partition_graphs", 3, "bytes", True),
                    ("function_graphs", 4, "FunctionGraphs", True)],
}
_SCALAR_TYPES = {
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "bytes": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "float": descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
    "double": descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
}
#: TensorFlow's DataType numbers (types.proto) of the numeric dtypes read here.
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 19: "<f2"}
_STRING_DTYPE = 7


@functools.cache
def _classes() -> dict[str, Any]:
    file = descriptor_pb2.FileDescriptorProto(
        name="grader_event_subset.proto", package="grader_events", syntax="proto2"
    )
    for name, fields in _MESSAGES.items():
        message = file.message_type.add(name=name)
        for field_name, number, kind, repeated in fields:
            entry = message.field.add(name=field_name, number=number)
            entry.label = _REP if repeated else _OPT
            if kind in _SCALAR_TYPES:
                entry.type = _SCALAR_TYPES[kind]
            else:
                entry.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
                entry.type_name = f".grader_events.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(
        pool.FindMessageTypeByName(f"grader_events.{name}")) for name in _MESSAGES}


def _parse(kind: str, data: bytes, where: str) -> Any:
    try:
        return _classes()[kind].FromString(data)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise EventFileError(f"{where} is not a valid {kind} ({exc})") from None


# -- what a file holds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    step: int
    value: float
    wall_time: float


@dataclass(frozen=True)
class Histogram:
    """One histogram: bucket ``i`` covers [left[i], right[i]] and holds counts[i] values."""

    step: int
    left: np.ndarray
    right: np.ndarray
    counts: np.ndarray
    wall_time: float

    @property
    def total(self) -> float:
        return float(self.counts.sum())


@dataclass(frozen=True)
class Graph:
    """A graph written to the file, as serialized GraphDefs for :mod:`grader.graphs`.

    ``functions`` holds one group of GraphDefs per function the graph describes: a trace
    records every function that ran while tracing was on (each eager op runs as a function of
    its own), each with its partition graphs and its graph before and after optimization; an
    Event's ``graph_def`` is one group of one graph.
    """

    step: int
    tag: str  # "" for an Event's graph_def
    source: str  # "graph_def" (tf.summary.graph, Keras) or the plugin of a trace_export
    functions: tuple[tuple[bytes, ...], ...]


@dataclass
class EventFile:
    """Everything read from one event file, by tag, in the order written."""

    name: str
    version: str
    events: int
    scalars: dict[str, list[Scalar]] = field(default_factory=dict)
    histograms: dict[str, list[Histogram]] = field(default_factory=dict)
    graphs: list[Graph] = field(default_factory=list)
    other: dict[str, str] = field(default_factory=dict)  # tag -> plugin of other summaries
    values: int = 0  # summary values of every kind (graph_defs not counted)


def _tensor_values(tensor: Any, where: str) -> np.ndarray:
    if len(tensor.tensor_shape.dim) > MAX_DIMS:
        raise EventFileError(f"{where} holds a tensor of {len(tensor.tensor_shape.dim)} "
                             f"dimensions (at most {MAX_DIMS} are read)")
    shape = tuple(int(dim.size) for dim in tensor.tensor_shape.dim)
    size = 1
    for dim in shape:  # Python ints: a product that would overflow int64 is just too large
        size *= dim
    if any(dim < 0 for dim in shape) or size > MAX_TENSOR_VALUES:
        raise EventFileError(f"{where} holds a tensor of impossible shape {shape}")
    dtype = _DTYPES.get(tensor.dtype)
    if dtype is None:
        raise EventFileError(f"{where} holds a tensor of a type this reader does not know "
                             f"(DataType {tensor.dtype})")
    if tensor.tensor_content:
        content = tensor.tensor_content
        if len(content) != size * np.dtype(dtype).itemsize:
            raise EventFileError(f"{where} holds {len(content)} bytes of tensor content for "
                                 f"a tensor of shape {shape} and type {np.dtype(dtype).name}")
        array = np.frombuffer(content, dtype=dtype)
    else:
        listed = {"<f4": tensor.float_val, "<f8": tensor.double_val, "<i8": tensor.int64_val,
                  "<f2": tensor.half_val}.get(dtype, tensor.int_val)
        if len(listed) not in (1, size):
            raise EventFileError(f"{where} holds {len(listed)} values for a tensor of shape "
                                 f"{shape}")
        if dtype == "<f2":
            array = np.array(list(listed), dtype="<u2").view("<f2")
        else:
            array = np.array(list(listed), dtype=dtype)
        if array.size == 1 and size > 1:  # a tensor of one repeated value
            array = np.repeat(array, size)
    if array.size != size:
        raise EventFileError(f"{where} holds {array.size} values for a tensor of shape {shape}")
    return array.astype(np.float64).reshape(shape)


def _graphs_of_run_metadata(data: bytes, where: str) -> tuple[tuple[bytes, ...], ...]:
    metadata = _parse("RunMetadata", data, where)
    graphs = len(metadata.partition_graphs) + sum(
        len(function.partition_graphs) + 2 for function in metadata.function_graphs[:MAX_GRAPHS])
    if len(metadata.function_graphs) > MAX_GRAPHS or graphs > MAX_GRAPHS:
        raise EventFileError(f"{where}: a trace of more than {MAX_GRAPHS:,} graphs")
    groups = [(graph,) for graph in metadata.partition_graphs]
    for function in metadata.function_graphs:
        group = list(function.partition_graphs)
        for name in ("pre_optimization_graph", "post_optimization_graph"):
            if function.HasField(name):
                group.append(getattr(function, name))
        groups.append(tuple(group))
    return tuple(groups)


def _histogram_of_proto(histo: Any, step: int, wall: float) -> Histogram:
    """TF1's HistogramProto: bucket i holds the values up to bucket_limit[i]."""
    if max(len(histo.bucket_limit), len(histo.bucket)) > MAX_TENSOR_VALUES:
        raise EventFileError(f"a histogram of more than {MAX_TENSOR_VALUES:,} buckets")
    limits = np.array(list(histo.bucket_limit), dtype=np.float64)
    counts = np.array(list(histo.bucket), dtype=np.float64)
    if limits.size != counts.size:
        raise EventFileError("a histogram has a different number of limits and buckets")
    left = np.concatenate([[histo.min], limits[:-1]]) if limits.size else limits
    return Histogram(step, left, limits, counts, wall)


def _count_values(payload: bytes, where: str, budget: int) -> int:
    """How many summary values the Event ``payload`` holds, counted on its wire format (no more
    than ``budget``) before it is parsed: parsing millions of empty values costs seconds."""
    try:
        summaries = [data for number, data in top_level(payload, 64) if number == 5]
        found = 0
        for summary in summaries:
            found += sum(1 for number, _ in top_level(summary or b"", budget - found + 1)
                         if number == 1)
    except WireError as exc:
        if str(exc).startswith("more than"):
            raise EventFileError(f"{where} holds more summary values than the {MAX_VALUES:,} "
                                 "this reader reads from one file") from None
        raise EventFileError(f"{where} is not a valid Event ({exc})") from None
    if found > budget:
        raise EventFileError(f"{where} holds more summary values than the {MAX_VALUES:,} "
                             "this reader reads from one file")
    return found


def read_event_file(data: bytes, name: str) -> EventFile:
    """Read one event file; :class:`EventFileError` names what is wrong, if anything is (and
    nothing else escapes: whatever the bytes, the learner's file is what failed)."""
    if not data:
        raise EventFileError(f"{name} is empty: not even the header an event writer writes first")
    payloads = records(data, name)
    result = EventFile(name=name, version="", events=len(payloads))
    plugins: dict[str, str] = {}  # the plugin of each tag, from the first value that names one
    budget = MAX_VALUES
    for number, payload in enumerate(payloads, start=1):
        where = f"{name}, record {number}"
        budget -= _count_values(payload, where, budget)
        try:
            _read_event(result, plugins, number, _parse("Event", payload, where), where)
        except EventFileError:
            raise
        except (ValueError, OverflowError, TypeError, IndexError, KeyError) as exc:
            raise EventFileError(f"{where} could not be read ({type(exc).__name__}: "
                                 f"{str(exc)[:200]})") from None
    return result


def _read_event(result: EventFile, plugins: dict[str, str], number: int, event: Any,
                where: str) -> None:
    """Add what one Event holds to ``result``."""
    if number == 1:
        if not event.HasField("file_version"):
            raise EventFileError(f"{where} has no file_version: not an event file")
        result.version = event.file_version
    step, wall = int(event.step), float(event.wall_time)
    if event.HasField("graph_def"):
        result.graphs.append(Graph(step, "", "graph_def", ((event.graph_def,),)))
    for value in event.summary.value:
        result.values += 1
        tag = value.tag
        here = f"{where}, tag {tag!r}"
        if value.metadata.plugin_data.plugin_name and tag not in plugins:
            plugins[tag] = value.metadata.plugin_data.plugin_name
        plugin = plugins.get(tag, "")
        if value.HasField("simple_value"):
            result.scalars.setdefault(tag, []).append(
                Scalar(step, float(value.simple_value), wall))
        elif value.HasField("histo"):
            result.histograms.setdefault(tag, []).append(
                _histogram_of_proto(value.histo, step, wall))
        elif value.HasField("tensor") and plugin in GRAPH_PLUGINS:
            tensor = value.tensor
            if tensor.dtype != _STRING_DTYPE or len(tensor.string_val) != 1:
                raise EventFileError(f"{here}: a traced graph should be one string")
            graphs = _graphs_of_run_metadata(tensor.string_val[0], here)
            result.graphs.append(Graph(step, tag, plugin, graphs))
        elif value.HasField("tensor") and plugin == "scalars":
            array = _tensor_values(value.tensor, here)
            if array.shape != ():
                raise EventFileError(f"{here}: a scalar of shape {array.shape}")
            result.scalars.setdefault(tag, []).append(Scalar(step, float(array), wall))
        elif value.HasField("tensor") and plugin == "histograms":
            array = _tensor_values(value.tensor, here)
            if array.ndim != 2 or array.shape[1] != 3:
                raise EventFileError(f"{here}: a histogram of shape {array.shape} "
                                     "(k buckets × 3 expected)")
            result.histograms.setdefault(tag, []).append(
                Histogram(step, array[:, 0], array[:, 1], array[:, 2], wall))
        else:
            result.other.setdefault(tag, plugin or "no plugin")
