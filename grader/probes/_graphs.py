"""Learner side: what a traced TensorFlow function's graph holds."""

from __future__ import annotations

from typing import Any


def op_types(graph: Any) -> list[str]:
    """Sorted op types of ``graph``, including the bodies of nested functions (loops, conds)."""
    graph_def = graph.as_graph_def()
    ops = {node.op for node in graph_def.node}
    for function in graph_def.library.function:
        ops.update(node.op for node in function.node_def)
    return sorted(ops)
