"""Learner side probes for lesson 1: the counter and Fibonacci."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import tensorflow as tf

from grader.learner.worker import current_label
from grader.probes._graphs import op_types


def call(module: ModuleType, name: str, args: list[Any]) -> Any:
    """``module.name(*args)`` as is."""
    current_label(f"{name}({', '.join(map(repr, args))})")
    return getattr(module, name)(*args)


def counter(module: ModuleType, calls: int, counters: int = 1) -> dict[str, Any]:
    """Make ``counters`` counters and call them in turn; describe the first one's graph."""
    current_label("make_counter()")
    made = [module.make_counter() for _ in range(counters)]
    first = made[0]
    description: dict[str, Any] = {
        "is_tf_function": isinstance(first, tf.types.experimental.PolymorphicFunction),
        "callable": callable(first),
        "values": [],
    }
    for index in range(calls):
        current_label("calling the counter that make_counter() returned")
        description["values"].append(made[index % counters]())
    if description["is_tf_function"]:
        concrete = first.get_concrete_function()
        description["ops"] = op_types(concrete.graph)
        description["captured_variables"] = len(concrete.variables)
    return description


def traced_fibonacci(module: ModuleType, sizes: list[int]) -> dict[str, Any]:
    """Wrap ``fibonacci`` in one ``tf.function`` and call it for each size (retracing)."""
    traced = tf.function(module.fibonacci)
    values = []
    for n in sizes:
        current_label(f"tf.function(fibonacci)({n})")
        values.append(traced(n))
    current_label(f"tracing fibonacci({sizes[0]})")
    graph = traced.get_concrete_function(sizes[0]).graph
    return {"values": values, "ops": op_types(graph)}
