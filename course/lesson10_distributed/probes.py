"""Learner side probes for lesson 10: the learner's tf.data pipeline and distributed training.

They report plain facts for the checks to judge: the batches that make_dataset's result yields,
pass after pass, whatever its type (their arrays: the checks read shapes and dtypes from them);
its serialized graph (which transformations it chains); the gradients of W and b that each
replica computed (the data the checks verify against their own computation); and, as facts only
this process can report, whether make_dataset returned a tf.data.Dataset, which
MirroredStrategy objects were made, how often a step ran on their replicas, and every variable
made during training (shape, device, final value). They judge nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.plain import type_name
from grader.learner.worker import current_label

#: No more variables than this are reported (a model of lesson 3 has two, Keras a few more).
MAX_VARIABLES = 50
#: The first gradients of (W, b) computed on each replica that are reported (the checks read
#: the first two steps').
MAX_GRADIENTS = 8
W_SHAPE, B_SHAPE = [784, 10], [10]


def devices() -> dict[str, int]:
    """How many logical CPUs and GPUs this learner process has."""
    return {kind: len(tf.config.list_logical_devices(kind)) for kind in ("CPU", "GPU")}


def device_count(module: ModuleType) -> dict[str, int]:
    """The devices of the learner process (for the grader's own tests of its set-up)."""
    return devices()


# -- make_dataset ---------------------------------------------------------------------------


def _element(value: Any) -> Any:
    """A tensor as its numpy array; anything else as it is (the wire makes it plain data)."""
    return value.numpy() if isinstance(value, tf.Tensor) else value


def _passes(dataset: Iterable[Any], passes: int, max_batches: int) -> list[dict[str, Any]]:
    """Iterate ``dataset`` ``passes`` times (each ``for`` is one epoch), whatever its type; at
    most ``max_batches`` batches and one more each (that there is more is then data too), so an
    endless iterable still returns. Each batch goes back as its raw data, [images, labels]; an
    element that is not a pair as its type."""
    found = []
    for _ in range(passes):
        batches: list[Any] = []
        for count, element in enumerate(dataset):
            if type(element) in (tuple, list) and len(element) == 2:
                batches.append([_element(element[0]), _element(element[1])])
            else:
                batches.append({"type": type_name(element)})
            if count == max_batches:
                break
        found.append({"batches": batches})
    return found


def _describe(dataset: Any, passes: int, max_batches: int) -> dict[str, Any]:
    """The batches of ``passes`` passes over what make_dataset returned (the checks judge
    them, whatever the object; no passes: it cannot be iterated), and its type.
    ``is_dataset`` is reported, never verified: the check that reads it is worth no points."""
    found = {"type": type_name(dataset), "is_dataset": isinstance(dataset, tf.data.Dataset)}
    if not isinstance(dataset, Iterable):
        return found
    return {**found, "passes": _passes(dataset, passes, max_batches)}


def datasets(module: ModuleType, images: np.ndarray, labels: np.ndarray, batch_size: int,
             seeds: list[int], passes: int, max_batches: int) -> list[dict[str, Any]]:
    """make_dataset(images, labels, batch_size, seed) for each seed in turn (all in this one
    call), each iterated ``passes`` times."""
    found = []
    for seed in seeds:
        current_label(f"make_dataset(images, labels, batch_size={batch_size}, seed={seed}) "
                      f"with {len(images)} images")
        dataset = module.make_dataset(images, labels, batch_size, seed)
        current_label(f"iterating over make_dataset(images, labels, {batch_size}, {seed})")
        found.append(_describe(dataset, passes, max_batches))
    return found


def dataset_graph(module: ModuleType, images: np.ndarray, labels: np.ndarray, batch_size: int,
                  dataset_seed: int) -> dict[str, Any]:
    """The serialized GraphDef of make_dataset's dataset (its transformations are its nodes);
    only a tf.data.Dataset has one."""
    current_label(f"make_dataset(images, labels, batch_size={batch_size}, seed={dataset_seed})")
    dataset = module.make_dataset(images, labels, batch_size, dataset_seed)
    if not isinstance(dataset, tf.data.Dataset):
        return {"type": type_name(dataset)}
    try:
        graph = dataset._as_serialized_graph(
            external_state_policy=tf.data.experimental.ExternalStatePolicy.IGNORE)
    except Exception as exc:  # a dataset TensorFlow cannot serialize
        return {"type": type_name(dataset), "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"type": type_name(dataset), "graph": np.frombuffer(graph.numpy(), dtype=np.uint8)}


# -- distributed_train ----------------------------------------------------------------------


@contextlib.contextmanager
def _watching_strategies(made: list[int], runs: list[int]) -> Iterator[None]:
    """Record each MirroredStrategy made (its number of replicas) and each time a function was
    run on its replicas (``strategy.run``, and Keras' ``fit`` which calls it), with how many."""
    from tensorflow.python.distribute import mirrored_strategy

    strategy_class = mirrored_strategy.MirroredStrategy
    extended_class = mirrored_strategy.MirroredExtended
    original_init = strategy_class.__init__
    original_call = extended_class._call_for_each_replica

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        made.append(int(self.num_replicas_in_sync))

    def call_for_each_replica(self: Any, fn: Any, args: Any, kwargs: Any) -> Any:
        runs.append(len(self.worker_devices))
        return original_call(self, fn, args, kwargs)

    strategy_class.__init__ = init
    extended_class._call_for_each_replica = call_for_each_replica
    try:
        yield
    finally:
        strategy_class.__init__ = original_init
        extended_class._call_for_each_replica = original_call


@contextlib.contextmanager
def _recording_gradients(found: list[dict[str, Any]]) -> Iterator[None]:
    """Record each gradient of a (784, 10) and a (10,) variable that a GradientTape computes in
    a replica of a MirroredStrategy (strategy.run, Keras' fit), with the replica's number: the
    per-replica results the checks compare with their own computation. Inside a tf.function
    the values are recorded when the step runs (tf.py_function), not when it is traced."""
    from tensorflow.python.eager import backprop

    original = backprop.GradientTape.gradient

    def record(replica: Any, grad_W: Any, grad_b: Any) -> None:
        if len(found) < MAX_GRADIENTS * 4:
            found.append({"replica": int(replica), "W": grad_W.numpy(), "b": grad_b.numpy()})

    def gradient(self: Any, target: Any, sources: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, target, sources, *args, **kwargs)
        context = tf.distribute.get_replica_context()
        if context is None or tf.distribute.get_strategy().num_replicas_in_sync < 2:
            return result
        parts = [g for g in tf.nest.flatten(result) if g is not None and hasattr(g, "shape")]
        grad_W = [g for g in parts if g.shape.as_list() == W_SHAPE]
        grad_b = [g for g in parts if g.shape.as_list() == B_SHAPE]
        if len(grad_W) == 1 and len(grad_b) == 1:
            inputs = [context.replica_id_in_sync_group, tf.convert_to_tensor(grad_W[0]),
                      tf.convert_to_tensor(grad_b[0])]
            if tf.executing_eagerly():
                record(*inputs)
            else:
                tf.py_function(record, inputs, Tout=[])
        return result

    backprop.GradientTape.gradient = gradient
    try:
        yield
    finally:
        backprop.GradientTape.gradient = original


def _plain_variable(value: Any) -> Any:
    """A Keras variable as the tf.Variable it holds; anything else unchanged."""
    inner = getattr(value, "value", None)
    if not isinstance(value, tf.Variable) and isinstance(inner, tf.Variable):
        return inner
    return value


def distributed_train(module: ModuleType, images: np.ndarray, labels: np.ndarray,
                      global_batch_size: int, steps: int, learning_rate: float) -> dict[str, Any]:
    """distributed_train(...)'s (W, b), and what happened while it ran."""
    made: list[int] = []
    runs: list[int] = []
    created: list[Any] = []
    gradients: list[dict[str, Any]] = []

    def record(next_creator: Any, **kwargs: Any) -> Any:
        variable = next_creator(**kwargs)
        created.append(variable)
        return variable

    current_label(f"distributed_train(images, labels, global_batch_size={global_batch_size}, "
                  f"steps={steps}, learning_rate={learning_rate})")
    with _watching_strategies(made, runs), _recording_gradients(gradients), \
            tf.variable_creator_scope(record):
        result = module.distributed_train(images, labels, global_batch_size, steps,
                                          learning_rate)
    if type(result) in (tuple, list):
        result = type(result)(_plain_variable(part) for part in result)
    variables = []
    for variable in created[:MAX_VARIABLES]:
        try:
            value = variable.numpy()
        except Exception:  # made inside a tf.function's graph, without a value here
            value = None
        variables.append({"type": type_name(variable), "device": str(variable.device),
                          "shape": [int(d) for d in variable.shape], "value": value})
    return {"result": result, "strategies": made, "replica_runs": runs[:1000],
            "variables": variables, "devices": devices(),
            "replica_gradients": gradients[:MAX_GRADIENTS * 4]}
