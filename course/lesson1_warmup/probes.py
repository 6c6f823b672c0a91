"""Learner side probes for lesson 1: the counter and Fibonacci."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import tensorflow as tf

from grader.learner.graph_export import serialized_graph
from grader.learner.worker import current_label, describe_exception

_TF_FUNCTION = tf.types.experimental.PolymorphicFunction


def call(module: ModuleType, name: str, args: list[Any]) -> Any:
    """``module.name(*args)`` as is."""
    current_label(f"{name}({', '.join(map(repr, args))})")
    return getattr(module, name)(*args)


def _snapshot(value: Any) -> Any:
    """A returned tf.Variable's value now (it may change on the next call); anything else as is."""
    return value.read_value() if isinstance(value, tf.Variable) else value


def _tf_function_of(made: Any) -> Any:
    """The tf.function behind a counter: the counter itself, or its ``__call__`` (an object
    whose class decorates ``__call__`` with ``@tf.function``); ``None`` for anything else."""
    if isinstance(made, _TF_FUNCTION):
        return made
    bound_call = getattr(made, "__call__", None)  # noqa: B004 - the attribute itself is wanted
    return bound_call if isinstance(bound_call, _TF_FUNCTION) else None


def counter(
    module: ModuleType, calls: int, counters: int = 1, trace: bool = False
) -> dict[str, Any]:
    """Make ``counters`` counters and call them in turn; with ``trace``, describe the graph
    of the first one. An exception of the calls (``call_error``) or of the tracing
    (``trace_error``) is described for the checks that judge each, not raised.

    A counter that returns its variable itself is seen with the value it had at each call.
    """
    current_label("make_counter()")
    made = [module.make_counter() for _ in range(counters)]
    first = made[0]
    function = _tf_function_of(first)
    description: dict[str, Any] = {
        "is_tf_function": function is not None,
        "callable": callable(first),
        "kind": type(first).__name__,
        "values": [],
    }
    try:
        for index in range(calls if callable(first) else 0):  # "not a function": judged outside
            current_label("calling the counter that make_counter() returned")
            description["values"].append(_snapshot(made[index % counters]()))
    except Exception as exc:  # the calls' checks report it; the type and the graph are judged
        description["call_error"] = describe_exception(exc)
    if trace and callable(first):
        # A plain Python counter is traced here as tf.function would trace it, so that what
        # its graph would hold is judged apart from the missing @tf.function.
        current_label("tracing the counter that make_counter() returned")
        try:
            concrete = (function or tf.function(first)).get_concrete_function()
            description["graph"] = serialized_graph(concrete.graph)
        except Exception as exc:  # the graph's check reports it; the others judge the calls
            description["trace_error"] = describe_exception(exc)
    return description


def traced_fibonacci(module: ModuleType, sizes: list[int], eager: bool = False) -> dict[str, Any]:
    """Wrap ``fibonacci`` in one ``tf.function`` and call it for each size (retracing).

    With ``eager``, also call ``fibonacci(n)`` directly just before each traced call, so the
    grader can tell "wrong when traced" from "wrong either way" (the eager result is ``None``
    when that call raised).
    """
    traced = tf.function(module.fibonacci)
    values, eager_values = [], []
    for n in sizes:
        if eager:
            current_label(f"fibonacci({n})")
            try:
                eager_values.append(_snapshot(module.fibonacci(n)))
            except Exception:
                eager_values.append(None)
        current_label(f"tf.function(fibonacci)({n})")
        values.append(traced(n))
    current_label(f"tracing fibonacci({sizes[0]})")
    graph = traced.get_concrete_function(sizes[0]).graph
    return {"values": values, "eager": eager_values, "graph": serialized_graph(graph)}
