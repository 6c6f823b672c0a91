"""Trusted side: what a traced TensorFlow graph holds, read from its serialized ``GraphDef``.

The learner process only exports the graph's bytes; which ops it holds is decided here, outside
the learner's reach (code in the learner's process can rewrite the grader's helpers there).
Only the fields needed are declared, so this needs protobuf but not TensorFlow; a forged or
broken message is a clear failure, never a crash.
"""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from grader.wirescan import WireError, top_level

MAX_GRAPH_BYTES = 8 * 2**20
#: At most this many nodes (the graph's and its functions' together) and inputs of one node are
#: read: the graphs of these exercises hold a few thousand; millions of empty nodes would cost
#: seconds and a gigabyte to parse.
MAX_NODES = 200_000
MAX_INPUTS = 10_000

# The subset of tensorflow/core/framework/{graph,function,node_def}.proto read here, with the
# same field numbers: GraphDef.node = 1, GraphDef.library = 2, FunctionDefLibrary.function = 1,
# FunctionDef.node_def = 3, NodeDef.name = 1, NodeDef.op = 2, NodeDef.input = 3. Other fields
# are skipped.
_MESSAGES = {
    "NodeDef": [("name", 1, "string", False), ("op", 2, "string", False),
                ("input", 3, "string", True)],
    "FunctionDef": [("node_def", 3, "NodeDef", True)],
    "FunctionDefLibrary": [("function", 1, "FunctionDef", True)],
    "GraphDef": [("node", 1, "NodeDef", True), ("library", 2, "FunctionDefLibrary", False)],
}


class GraphError(ValueError):
    """The bytes are not a graph this module can read."""


@functools.cache
def _graph_def_class() -> Any:
    file = descriptor_pb2.FileDescriptorProto(
        name="grader_graph_subset.proto", package="grader_graph", syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        message = file.message_type.add(name=name)
        for field_name, number, kind, repeated in fields:
            field = message.field.add(name=field_name, number=number)
            field.label = field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL
            if kind == "string":
                field.type = field.TYPE_STRING
            else:
                field.type = field.TYPE_MESSAGE
                field.type_name = f".grader_graph.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("grader_graph.GraphDef"))


def _count_nodes(serialized: bytes) -> None:
    """Count the nodes on the wire format, before parsing: GraphError beyond MAX_NODES."""
    budget = MAX_NODES
    for number, payload in top_level(serialized, budget + 1):
        if number == 1:
            budget -= 1
        elif number == 2 and payload is not None:  # the library: functions of node_defs
            functions = top_level(payload, budget + 1)
            budget -= len(functions)
            for _, function in functions:
                if budget < 0:
                    break
                budget -= sum(1 for field, _ in top_level(function or b"", budget + 1)
                              if field == 3)
        if budget < 0:
            raise WireError(f"more than {MAX_NODES:,} entries")


def _parse(serialized: bytes) -> Any:
    if len(serialized) > MAX_GRAPH_BYTES:
        raise GraphError(f"the traced graph is larger than {MAX_GRAPH_BYTES // 2**20} MiB")
    try:
        _count_nodes(serialized)
    except WireError as exc:
        if str(exc).startswith("more than"):
            raise GraphError(f"the traced graph holds more than {MAX_NODES:,} nodes: more than "
                             "this reader reads") from None
        raise GraphError(f"the traced graph could not be read ({exc})") from None
    try:
        return _graph_def_class().FromString(serialized)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise GraphError(f"the traced graph could not be read ({exc})") from None


def node_inputs(serialized: bytes) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The top-level nodes of a serialized ``GraphDef``: name -> (op type, input node names),
    inputs without their ``:output`` suffix and control inputs without their ``^``."""
    found = {}
    for node in _parse(serialized).node:
        if len(node.input) > MAX_INPUTS:
            raise GraphError(f"node {node.name[:100]!r} of the traced graph has more than "
                             f"{MAX_INPUTS:,} inputs")
        inputs = tuple(name.lstrip("^").split(":")[0] for name in node.input)
        found[node.name] = (node.op, inputs)
    return found


def nodes(serialized: bytes) -> list[tuple[str, str]]:
    """``(name, op)`` of every node of a serialized ``GraphDef``, the bodies of the functions in
    its library included (loops and conditionals keep their bodies there)."""
    graph = _parse(serialized)
    found = [(node.name, node.op) for node in graph.node]
    for function in graph.library.function:
        found.extend((node.name, node.op) for node in function.node_def)
    return found


def op_types(serialized: bytes) -> list[str]:
    """Sorted op types of a serialized ``GraphDef``, including the bodies of the functions in
    its library."""
    return sorted({op for _, op in nodes(serialized)})
