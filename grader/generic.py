"""Checks without a probes module: the trusted side of the grader's generic probes.

A check calls a learner function by name with arguments it chose and judges the plain data
that comes back, here in the trusted process::

    from grader.generic import call, traced_graph

    @check("double(x) doubles", points=1, hint="Return 2 * x.", grades="double")
    def test_double(learner, seed):
        x = np.arange(3.0)
        expect_close(call(learner, "double", x, seed=seed), 2 * x, "double(x)")

- :func:`call`: the return value (arrays as :class:`~grader.learner.wire.Array`);
- :func:`traced_graph`: the value and the op types of the ``tf.function`` graph it traces;
- :func:`keras_model`: the returned Keras model, rebuilt here through the allow-list
  (:func:`grader.keras_models.rebuild_model`; a model it cannot rebuild fails the check);
- :func:`written_files`: the value and the files the call wrote in a fresh folder.

Each takes ``once=True`` for a call that several checks judge (a training, a model): it then
runs once per grading and those checks share its answer. Give it the seed of the call, not of
the check (``seed=seed_for("<lesson>::<call>")``, from :mod:`grader.pytest_plugin`), or each
check's own seed makes each call a different one.

The learner side is :mod:`grader.learner.generic_probes`; a lesson's own ``probes.py`` stays
possible for what these cannot do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.check import CheckFailed
from grader.graphs import GraphError, op_types
from grader.learner.wire import Array

_SHORT = 40


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>"
    text = repr(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def describe_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``"double(<array (3,) float64>, scale=2)"``: a call as messages show it."""
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _run(learner: Any, probe: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
         seed: int, label: str | None, timeout: float | None, once: bool,
         **options: Any) -> Any:
    label = label or describe_call(name, args, kwargs)
    run = learner.run_once if once else learner.run
    return run(f"grader:{probe}", label=label, seed=seed, timeout=timeout, name=name,
               args=list(args), kwargs=kwargs, label_text=label, **options)


def call(learner: Any, name: str, *args: Any, seed: int, tensors: bool = False,
         label: str | None = None, timeout: float | None = None, once: bool = False,
         **kwargs: Any) -> Any:
    """``name(*args, **kwargs)`` in the learner process, its answer as plain data
    (``tensors``: numpy arrays are passed as ``tf.constant``; ``once``: see the module)."""
    return _run(learner, "call", name, args, kwargs, seed, label, timeout, once,
                tensors=tensors)


def traced_graph(learner: Any, name: str, *args: Any, seed: int, tensors: bool = True,
                 label: str | None = None, timeout: float | None = None, once: bool = False,
                 **kwargs: Any) -> tuple[Any, list[str]]:
    """``tf.function(name)(*args, **kwargs)``: its value and the op types of its traced graph
    (read here by :mod:`grader.graphs`; a :class:`~grader.graphs.GraphError` if unreadable)."""
    answer = _run(learner, "trace", name, args, kwargs, seed, label, timeout, once,
                  tensors=tensors)
    graph = answer.get("graph") if type(answer) is dict else None
    if not isinstance(graph, Array) or graph.dtype != "uint8":
        raise CheckFailed(f"no graph came back from tracing {name}: is it a TensorFlow "
                          "computation?")
    try:
        return answer.get("value"), op_types(graph.array.tobytes())
    except GraphError as error:
        raise CheckFailed(f"the graph traced from {name} cannot be read ({error})") from None


def keras_model(learner: Any, name: str, *args: Any, seed: int, label: str | None = None,
                timeout: float | None = None, once: bool = False, **kwargs: Any) -> Any:
    """The ``keras.Model`` that ``name(*args, **kwargs)`` returns, rebuilt in this process
    from its config and weights through the allow-list of standard layers."""
    from grader.keras_models import ModelRejected, rebuild_model

    description = _run(learner, "keras_model", name, args, kwargs, seed, label, timeout, once)
    try:
        return rebuild_model(description)
    except ModelRejected as error:
        raise CheckFailed(f"{name}: {error}") from None


def keras_compiled(learner: Any, name: str, *args: Any, seed: int, label: str | None = None,
                   timeout: float | None = None, once: bool = False,
                   **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """:func:`keras_model`, and how the model was compiled: ``{"compiled": bool, "loss": the
    loss's class or name, "from_logits": bool or None}`` (read from the model's description,
    as its layers are)."""
    from grader.keras_models import ModelRejected, rebuild_model

    description = _run(learner, "keras_model", name, args, kwargs, seed, label, timeout, once)
    try:
        model = rebuild_model(description)
    except ModelRejected as error:
        raise CheckFailed(f"{name}: {error}") from None
    loss = description.get("loss") if type(description) is dict else None
    loss = loss if type(loss) is dict else {}
    flag = loss.get("from_logits")
    if loss.get("kind") == "name" and flag is None:  # a loss by name: Keras reads probabilities
        flag = False
    return model, {"compiled": bool(type(description) is dict and description.get("compiled")),
                   "loss": str(loss.get("name") or ""),
                   "from_logits": flag if type(flag) is bool else None}


def written_files(learner: Any, name: str, *args: Any, seed: int, folder_arg: str = "logdir",
                  label: str | None = None, timeout: float | None = None, once: bool = False,
                  **kwargs: Any) -> tuple[Any, dict[str, bytes]]:
    """Call ``name`` with a fresh folder as keyword ``folder_arg``: its value and the files it
    wrote there (relative path → bytes)."""
    answer = _run(learner, "written_files", name, args, kwargs, seed, label, timeout, once,
                  folder_arg=folder_arg)
    found = answer.get("files") if type(answer) is dict else None
    files = {path: data.array.tobytes() for path, data in (found or {}).items()
             if type(path) is str and isinstance(data, Array) and data.dtype == "uint8"}
    return answer.get("value"), files
