"""The trusted reader of traced graphs: it agrees with TensorFlow and refuses bad bytes cleanly."""

from __future__ import annotations

import pytest

from grader.graphs import MAX_GRAPH_BYTES, GraphError, op_types


def _traced_loop_graph() -> tuple[bytes, set[str]]:
    import tensorflow as tf

    @tf.function(autograph=False)
    def total(n):
        return tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i), (0, 0))[1]

    graph_def = total.get_concrete_function(tf.TensorSpec([], tf.int32)).graph.as_graph_def()
    ops = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        ops.update(node.op for node in function.node_def)
    return graph_def.SerializeToString(), ops


def test_it_reads_the_ops_tensorflow_wrote_loop_bodies_included():
    serialized, expected = _traced_loop_graph()
    ops = op_types(serialized)
    assert set(ops) == expected
    assert "AddV2" in ops  # only in the loop's body, which lives in the function library
    assert ops == sorted(ops)


def test_an_empty_message_is_an_empty_graph_and_unknown_fields_are_skipped():
    assert op_types(b"") == []
    assert op_types(b"\x0a\x05\x12\x03Add" + b"\x22\x03abc") == ["Add"]  # + versions


@pytest.mark.parametrize("data", [
    b"\xff\xff\xff\xff",  # not protobuf
    b"\x0a\x7f" + b"\x00" * 3,  # a node whose length runs past the end
    b"\x0a\x05\x12\xff\xfe\xfd\xfc",  # an op name that is not UTF-8
], ids=["garbage", "truncated", "not-utf8"])
def test_broken_or_forged_bytes_are_a_clear_error(data):
    with pytest.raises(GraphError, match="could not be read"):
        op_types(data)


def test_a_huge_graph_is_refused_before_parsing():
    with pytest.raises(GraphError, match="larger than"):
        op_types(b"\x00" * (MAX_GRAPH_BYTES + 1))


def test_millions_of_empty_nodes_are_refused_before_parsing():
    import time

    from grader.graphs import MAX_NODES

    start = time.monotonic()
    with pytest.raises(GraphError, match=f"more than {MAX_NODES:,} nodes"):
        op_types(b"\x0a\x00" * 4_000_000)
    function = b"\x1a\x00" * (MAX_NODES // 2 + 1)
    library = (b"\x0a" + _len(function) + function) * 2
    with pytest.raises(GraphError, match="more than"):
        op_types(b"\x12" + _len(library) + library)
    assert time.monotonic() - start < 3.0


def test_a_node_with_too_many_inputs_is_refused():
    from grader.graphs import node_inputs

    node = b"\x0a\x01a" + b"\x1a\x01b" * 10_001
    with pytest.raises(GraphError, match="more than 10,000 inputs"):
        node_inputs(b"\x0a" + _len(node) + node)


def _len(data: bytes) -> bytes:
    out, number = bytearray(), len(data)
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)
