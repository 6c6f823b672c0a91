"""Input pipelines and data parallelism.

Checks for ``exercises/lesson10_distributed.py``: ``make_dataset`` (a tf.data pipeline) and
``distributed_train`` (lesson 3's softmax model under ``tf.distribute.MirroredStrategy``).

The learner process of this lesson has two logical devices (``LOGICAL_DEVICES``), made before
TensorFlow runs its first op, so that MirroredStrategy really runs two replicas on one CPU.
Every verdict is computed here: which example each batch holds is found by matching the images
the dataset yielded against the images sent (every image is different), and the batches'
shapes and dtypes are read from their arrays, whatever object yielded them; which transformations
the pipeline chains is read from its serialized graph (:mod:`grader.graphs`); the training result
is compared with this process's own float64 gradient descent on the same global batches; that
two replicas ran, each on its share of the batch, and stayed in sync, is read from the gradients
each replica computed, compared with this process's own. Whether make_dataset returned a
tf.data.Dataset, and where the variables live (one copy per device), only the learner process
can report: those facts are declared (``reported=``) by checks worth no points.
"""

from __future__ import annotations

import weakref
import zlib
from typing import Any

import numpy as np

from grader.check import check
from grader.expect import describe, expect_array, fail
from grader.graphs import GraphError, node_inputs
from grader.learner.wire import Array

PROBES = "lesson10_distributed"
#: The learner process sees this many devices (see grader/learner/devices.py).
LOGICAL_DEVICES = 2
PIXELS, CLASSES = 784, 10
LABEL_DTYPES = ("int64", "int32", "uint8")
PARAMETER_KINDS = ("tf.Variable", "tf.Tensor", "ndarray")
FLOAT_DTYPES = ("float32", "float64")

#: The data of the shuffle-quality check: 1,000 examples, so that a buffer of a few hundred is
#: visibly too small; a full shuffle of 1,000 has |correlation| < 0.2 (14 standard deviations).
SHUFFLE_EXAMPLES, SHUFFLE_BATCH = 1000, 100
MAX_CORRELATION = 0.5
#: Training results agree with the float64 reference within ATOL + RTOL * max|reference| (the
#: reference solution is 1e-7 away; the classic mistake 0.05 or more: see notes.md).
ATOL, RTOL = 1e-5, 1e-4
TRAIN_TIMEOUT_S = 60
#: The checks of how the strategy is used and of the first steps judge the facts of one
#: training run of two steps (each run of distributed_train costs seconds: a strategy,
#: tracing), seeded by this, whichever of them runs first. Its data: 64 images, global batches
#: of 32. Two steps: the replicas' gradients in the second show whether their copies of W and b
#: were updated alike.
FACTS_IMAGES, FACTS_BATCH, FACTS_RATE, FACTS_STEPS = 64, 32, 0.5, 2
FACTS_SEED = zlib.crc32(b"lesson10_distributed::strategy facts") & 0x7FFFFFFF
_facts: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


# -- data ---------------------------------------------------------------------------------------


def _examples(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-like images (mostly 0, some ink in (0, 1]; every image different) and labels."""
    ink = rng.random((n, PIXELS)) < 0.2
    images = np.where(ink, rng.random((n, PIXELS)), 0.0).astype(np.float32)
    return images, rng.integers(0, CLASSES, n).astype(np.int64)


def _call(n: int, batch_size: int, seed: int | str = "seed") -> str:
    return f"make_dataset(images, labels, batch_size={batch_size}, seed={seed}) on {n} images"


def _datasets(learner, seed: int, images: np.ndarray, labels: np.ndarray, batch_size: int,
              seeds: list[int], passes: int, max_batches: int) -> list[dict[str, Any]]:
    found = learner.run(f"{PROBES}:datasets", label=_call(len(images), batch_size), seed=seed,
                        images=images, labels=labels, batch_size=batch_size, seeds=seeds,
                        passes=passes, max_batches=max_batches)
    if type(found) is not list or len(found) != len(seeds) or any(
            type(part) is not dict for part in found):
        fail(f"the grader could not read what {_call(len(images), batch_size)} returned "
             f"(got {describe(found)})")
    return found


def _cap(n: int, batch_size: int) -> int:
    """Batches read per pass: one epoch and two more, so an endless dataset still stops (and
    an endless one of 1,000 big batches does not fill the learner's memory)."""
    return -(-n // batch_size) + 2


def _index(images: np.ndarray) -> dict[bytes, int]:
    return {row.tobytes(): i for i, row in enumerate(images)}


def _kind(description: dict[str, Any]) -> str:
    """What make_dataset returned, as its type's name (reported: for messages only)."""
    return f"a {str(description.get('type'))[:100]}"


def _arrays(batch: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of one batch, their kinds, dtypes and shapes checked here on the
    arrays themselves (what a tf.data element_spec would say, read from the data)."""
    if type(batch) is not list or len(batch) != 2:
        got = f"a {str(batch.get('type'))[:100]}" if type(batch) is dict else describe(batch)
        fail(f"{where} is {got}, not an (images, labels) pair: make the dataset from "
             "tf.data.Dataset.from_tensor_slices((images, labels)), a tuple of the two")
    x, y = batch
    if not isinstance(x, Array) or x.kind != "ndarray":
        fail(f"the images of {where} are {describe(x)}, not a tensor of shape (batch, 784)")
    if not isinstance(y, Array) or y.kind != "ndarray":
        fail(f"the labels of {where} are {describe(y)}, not a tensor of shape (batch,)")
    if x.shape == (PIXELS,):
        fail(f"{where} is a single image, shape (784,), and its label, not a batch: add "
             ".batch(batch_size)")
    if x.dtype != "float32" or len(x.shape) != 2 or x.shape[1] != PIXELS:
        fail(f"the images of {where} should be float32 of shape (batch, 784), got {x.shape} "
             f"{x.dtype} (keep the images as they are: no cast, no reshape)")
    if y.dtype not in LABEL_DTYPES or y.shape != (x.shape[0],):
        fail(f"the labels of {where} should be integers of shape ({x.shape[0]},), got "
             f"{y.shape} {y.dtype}")
    return x.array, y.array


def _passes(description: dict[str, Any], images: np.ndarray, labels: np.ndarray,
            what: str, cap: int) -> list[dict[str, Any]]:
    """Each pass as {"batches": [[example indices]...], "more": bool}, after checking that every
    batch holds images that were given, each with its own label. Judged on the batches alone,
    whatever the object that yielded them (its type is only reported). ``cap``: the
    max_batches the probe was given; a batch beyond it says the pass goes on ("more")."""
    passes = description.get("passes")
    if "passes" not in description:
        fail(f"{what} returned {_kind(description)}, which cannot be iterated: return a "
             "tf.data.Dataset of (images, labels) batches, "
             "tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)")
    if type(passes) is not list or any(
            type(p) is not dict or type(p.get("batches")) is not list for p in passes):
        fail(f"the grader could not iterate over {what}")
    if passes and not passes[0]["batches"]:
        fail(f"{what} yields no batch at all: one pass over it should hold every example")
    index = _index(images)
    found = []
    for number, one_pass in enumerate(passes, start=1):
        batches = []
        for count, batch in enumerate(one_pass["batches"][:cap], start=1):
            where = f"batch {count} of pass {number} over {what}"
            x, y = _arrays(batch, where)
            ids = [index.get(row.tobytes(), -1) for row in x]
            if -1 in ids:
                fail(f"{where} holds images that are not among the images given: pass them "
                     "through unchanged (no normalising, no casting, no augmentation)")
            if not np.array_equal(y.astype(np.int64), labels[ids]):
                fail(f"in {where} some images come with another image's label: images and "
                     "labels were shuffled apart. Shuffle the pairs together: "
                     "from_tensor_slices((images, labels)).shuffle(...)")
            batches.append(ids)
        found.append({"batches": batches, "more": len(one_pass["batches"]) > cap})
    return found


def _order(one_pass: dict[str, Any], n: int | None = None) -> list[int]:
    """The examples of a pass in the order they came (the first ``n`` of them)."""
    return [i for batch in one_pass["batches"] for i in batch][:n]


def _expect_one_epoch(passes: list[dict[str, Any]], what: str, n: int,
                      batch_size: int) -> None:
    """Fail, naming .repeat(), when a pass over the dataset does not end after one epoch."""
    if any(p["more"] for p in passes):
        fail(f"{what} never ends: one pass over it should be one epoch ({-(-n // batch_size)} "
             "batches). Leave out .repeat(): whoever trains repeats the dataset")


def _expect_new_passes(passes: list[dict[str, Any]], what: str) -> None:
    """Fail when a pass after the first yields nothing: an iterable that runs only once."""
    for number, one_pass in enumerate(passes[1:], start=2):
        if not one_pass["batches"]:
            fail(f"pass {number} over {what} yields nothing (pass 1 yielded "
                 f"{len(passes[0]['batches'])} batches): what make_dataset returned can be "
                 "iterated only once, like an iterator or a generator. Return the "
                 "tf.data.Dataset itself: every `for` over it starts a new epoch")


NOT_SHUFFLED = ("the examples come in the order given: the dataset is not shuffled. Add "
                ".shuffle(len(images), seed=seed, reshuffle_each_iteration=True) before .batch")


# -- make_dataset -------------------------------------------------------------------------------


@check(
    "make_dataset yields (images, labels) batches",
    points=2,
    hint="tf.data.Dataset.from_tensor_slices((images, labels)) makes a dataset of (image, "
    "label) pairs; .batch(batch_size) groups them into pairs of (batch, 784) images and "
    "(batch,) labels. Return the dataset itself.",
    grades="make_dataset",
)
def test_dataset_of_batches(learner, rng, seed):
    # Judged on the batches that one pass yields, whatever the object: whether it is a
    # tf.data.Dataset only the learner process can say (the next check, worth no points).
    images, labels = _examples(rng, 40)
    what = _call(40, 8)
    (description,) = _datasets(learner, seed, images, labels, 8, [int(rng.integers(1000))],
                               passes=1, max_batches=_cap(40, 8))
    _passes(description, images, labels, what, _cap(40, 8))


@check(
    "make_dataset returns a tf.data.Dataset (reported by your process: no points)",
    points=0,
    hint="Return the tf.data.Dataset itself, not a list of batches, a generator or an "
    "iterator: a Dataset describes the pipeline, so every `for` over it is a new, reshuffled "
    "epoch, tf.data prepares batches in the background (prefetch), and a strategy can split "
    "it among replicas (strategy.experimental_distribute_dataset).",
    grades="make_dataset",
    reported="whether make_dataset returned a tf.data.Dataset",
)
def test_dataset_is_tf_data(learner, rng, seed):
    images, labels = _examples(rng, 8)
    what = _call(8, 4)
    (description,) = _datasets(learner, seed, images, labels, 4, [int(rng.integers(1000))],
                               passes=0, max_batches=0)
    if description.get("is_dataset") is not True:
        fail(f"{what} returned {_kind(description)}, not a tf.data.Dataset: build it with "
             "tf.data.Dataset.from_tensor_slices((images, labels)) and return the dataset "
             "itself (not a list of batches, a generator or an iterator)")


@check(
    "one pass over the dataset is one epoch: every example exactly once",
    points=2,
    hint="Each `for batch in dataset` is one epoch: every image once, with its label. Do not "
    "call .repeat() in make_dataset (the dataset would never end), nor .take(...).",
    grades="make_dataset",
)
def test_dataset_every_example_once(learner, rng, seed):
    n, batch_size = 64, 16
    images, labels = _examples(rng, n)
    what = _call(n, batch_size)
    (description,) = _datasets(learner, seed, images, labels, batch_size,
                               [int(rng.integers(1000))], passes=2,
                               max_batches=_cap(n, batch_size))
    passes = _passes(description, images, labels, what, _cap(n, batch_size))
    _expect_one_epoch(passes, what, n, batch_size)
    _expect_new_passes(passes, what)
    for number, one_pass in enumerate(passes, start=1):
        order = _order(one_pass)
        counts = np.bincount(order, minlength=n)
        if counts.max() > 1:
            twice = int(np.argmax(counts))
            fail(f"in pass {number} over {what} example {twice} comes {counts[twice]} times: "
                 "every example should come exactly once per epoch")
        if counts.min() == 0:
            fail(f"in pass {number} over {what} {int((counts == 0).sum())} of the {n} "
                 "examples never come: every example should come exactly once per epoch "
                 "(a .take(...) or .filter(...) too many?)")


@check(
    "the batches hold batch_size examples, and the rest of the data one smaller batch",
    points=1,
    hint="dataset.batch(batch_size) keeps the last, smaller batch; do not pass "
    "drop_remainder=True (it would drop those examples from every epoch).",
    grades="make_dataset",
)
def test_dataset_batch_sizes(learner, rng, seed):
    n, batch_size = 70, 16
    images, labels = _examples(rng, n)
    what = _call(n, batch_size)
    (description,) = _datasets(learner, seed, images, labels, batch_size,
                               [int(rng.integers(1000))], passes=1, max_batches=_cap(n, batch_size))
    (one_pass,) = _passes(description, images, labels, what, _cap(n, batch_size))
    expected = [batch_size] * (n // batch_size) + [n % batch_size]
    sizes = [len(batch) for batch in one_pass["batches"]][:len(expected)]
    if sorted(sizes) == sorted(expected):  # where the smaller batch comes is the shuffle's check
        return  # (and a .repeat() after .batch, the one-epoch check's)
    _expect_one_epoch([one_pass], what, n, batch_size)  # .repeat() before .batch
    if sizes == expected[:-1]:
        fail(f"{what} gives batches of sizes {sizes}: the last batch of {n % batch_size} "
             "examples is missing (drop_remainder=True?). Keep it: .batch(batch_size)")
    if sizes and len(set(sizes[:-1])) == 1 and sizes[0] != batch_size:
        fail(f"{what} gives batches of {sizes[0]} examples instead of batch_size = "
             f"{batch_size}: pass batch_size to .batch")
    fail(f"{what} gives batches of sizes {sizes}; expected {expected}")


@check(
    "make_dataset shuffles the examples thoroughly",
    points=2,
    hint="Shuffle the examples before batching, with a buffer as large as the data set: "
    "dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size). "
    "A small buffer only moves each example a little from its place.",
    grades="make_dataset",
)
def test_dataset_is_shuffled(learner, rng, seed):
    n, batch_size = SHUFFLE_EXAMPLES, SHUFFLE_BATCH
    images, labels = _examples(rng, n)
    what = _call(n, batch_size)
    (description,) = _datasets(learner, seed, images, labels, batch_size,
                               [int(rng.integers(1000))], passes=1, max_batches=_cap(n, batch_size))
    (one_pass,) = _passes(description, images, labels, what, _cap(n, batch_size))
    order = np.array(_order(one_pass, n))
    if len(order) < 2 or np.array_equal(order, np.arange(len(order))):
        fail(f"{what}: {NOT_SHUFFLED}")
    blocks = [sorted(batch) for batch in one_pass["batches"]]
    if all(block == list(range(block[0], block[0] + len(block))) for block in blocks if block):
        fail(f"{what} reorders whole batches but every batch holds neighbouring examples "
             f"({blocks[0][0]}..{blocks[0][-1]}, ...): shuffle the examples before .batch, "
             "not the batches after it")
    correlation = float(np.corrcoef(np.arange(len(order)), order)[0, 1])
    if correlation > MAX_CORRELATION:
        fail(f"{what}: the examples stay close to their places (correlation {correlation:.2f} "
             "between position and index): the shuffle buffer is too small. Use a buffer as "
             "large as the data set, .shuffle(len(images), ...)")


@check(
    "the order follows the seed: the same seed, the same order; another seed, another",
    points=2,
    hint="Pass the seed on: dataset.shuffle(len(images), seed=seed, ...). Without it every "
    "dataset draws an order of its own; ignoring the argument gives every seed the same order.",
    grades="make_dataset",
)
def test_dataset_order_follows_seed(learner, rng, seed):
    n, batch_size = 48, 8
    images, labels = _examples(rng, n)
    first, second = (int(s) for s in rng.choice(1000, 2, replace=False))
    cap = _cap(n, batch_size)
    found = _datasets(learner, seed, images, labels, batch_size, [first, first, second],
                      passes=2, max_batches=cap)
    orders = [[_order(p, n) for p in _passes(d, images, labels, _call(n, batch_size, s), cap)]
              for d, s in zip(found, (first, first, second), strict=True)]
    if orders[0][0] == list(range(n)):
        fail(f"{_call(n, batch_size, first)}: {NOT_SHUFFLED}")
    if orders[0] != orders[1]:
        fail(f"{_call(n, batch_size, first)} called twice gives two different orders: the "
             "shuffle is not seeded by `seed`. Pass it on: .shuffle(len(images), seed=seed, "
             "reshuffle_each_iteration=True)")
    if orders[2][0] == orders[0][0]:
        fail(f"seed={first} and seed={second} give the same order: the seed argument is "
             "ignored (a fixed seed?). Pass it on: .shuffle(len(images), seed=seed, ...)")


@check(
    "every epoch is shuffled anew",
    points=1,
    hint="dataset.shuffle(..., reshuffle_each_iteration=True) draws a new order for every "
    "pass over the dataset; with False (or a .cache() after the shuffle) every epoch repeats "
    "the first one's order.",
    grades="make_dataset",
)
def test_dataset_reshuffles_each_epoch(learner, rng, seed):
    n, batch_size = 48, 8
    images, labels = _examples(rng, n)
    what = _call(n, batch_size)
    (description,) = _datasets(learner, seed, images, labels, batch_size,
                               [int(rng.integers(1000))], passes=2, max_batches=_cap(n, batch_size))
    passes = _passes(description, images, labels, what, _cap(n, batch_size))
    first, second = (_order(p, n) for p in passes)
    if first == list(range(n)):
        fail(f"{what}: {NOT_SHUFFLED}")
    _expect_new_passes(passes, what)  # two epochs to compare, each of the same examples
    if sorted(first) != sorted(second):
        fail(f"the two passes over {what} hold different examples: each pass should be one "
             "epoch, every example once (the previous checks say more)")
    if first == second:
        fail(f"two passes over {what} give the same order: the data is shuffled once, not "
             "every epoch. Use .shuffle(..., reshuffle_each_iteration=True) (and no .cache() "
             "after it)")


def _dataset_chain(graph: dict[str, tuple[str, tuple[str, ...]]]) -> list[str]:
    """The dataset ops from the returned dataset back to its source, following first inputs."""
    chain: list[str] = []
    outputs = [inputs for op, inputs in graph.values() if op == "_Retval"]
    name = outputs[0][0] if outputs and outputs[0] else None
    while name in graph and len(chain) < 1000:
        op, inputs = graph[name]
        if "Dataset" not in op:
            break
        chain.append(op)
        name = inputs[0] if inputs else None
    return chain


@check(
    "make_dataset prefetches its batches",
    points=1,
    hint="End the pipeline with .prefetch(tf.data.AUTOTUNE): tf.data then prepares the next "
    "batches in the background while the model trains on this one.",
    grades="make_dataset",
)
def test_dataset_prefetches(learner, rng, seed):
    images, labels = _examples(rng, 6)
    what = _call(6, 2)
    description = learner.run(f"{PROBES}:dataset_graph", label=what, seed=seed, images=images,
                              labels=labels, batch_size=2, dataset_seed=int(rng.integers(1000)))
    if type(description) is not dict:
        fail(f"the grader could not read what {what} returned ({describe(description)})")
    graph = description.get("graph")  # judged on the graph; the type is only named
    if "graph" not in description and "error" not in description:
        fail(f"{what} returned {_kind(description)}, which has no tf.data pipeline whose "
             "graph the grader could read for a prefetch: build the pipeline with tf.data, "
             "tf.data.Dataset.from_tensor_slices((images, labels)) ... "
             ".prefetch(tf.data.AUTOTUNE), and return the dataset itself")
    if not isinstance(graph, Array) or graph.dtype != "uint8" or graph.array.ndim != 1:
        fail(f"the pipeline of {what} could not be read: {description.get('error')!s:.300}")
    try:
        chain = _dataset_chain(node_inputs(graph.array.tobytes()))
    except GraphError as exc:
        fail(f"the pipeline of {what} could not be read: {exc}")
    steps = " <- ".join(op.removesuffix("Dataset") for op in chain) or "nothing"
    prefetch = [i for i, op in enumerate(chain) if op.startswith("Prefetch")]
    batch = [i for i, op in enumerate(chain) if "Batch" in op]
    if not prefetch:
        fail(f"the pipeline of {what} has no prefetch ({steps}): end it with "
             ".prefetch(tf.data.AUTOTUNE)")
    if batch and min(prefetch) > min(batch):
        fail(f"the pipeline of {what} prefetches single examples before batching them "
             f"({steps}): put .prefetch(tf.data.AUTOTUNE) after .batch, last")


# -- distributed_train --------------------------------------------------------------------------


def _train(learner, seed: int, images: np.ndarray, labels: np.ndarray, batch_size: int,
           steps: int, learning_rate: float) -> tuple[dict[str, Any], str]:
    what = (f"distributed_train(images, labels, global_batch_size={batch_size}, "
            f"steps={steps}, learning_rate={learning_rate}) on {len(images)} images")
    facts = learner.run(f"{PROBES}:distributed_train", label=what, seed=seed,
                        timeout=TRAIN_TIMEOUT_S, images=images, labels=labels,
                        global_batch_size=batch_size, steps=steps, learning_rate=learning_rate)
    if type(facts) is not dict or "result" not in facts:
        fail(f"the grader could not read what {what} returned ({describe(facts)})")
    return facts, what


def _facts_data() -> tuple[np.ndarray, np.ndarray]:
    return _examples(np.random.default_rng(FACTS_SEED), FACTS_IMAGES)


def _strategy_facts(learner) -> tuple[dict[str, Any], str]:
    """What distributed_train did in two steps (shared by three checks)."""
    if learner not in _facts:
        images, labels = _facts_data()
        try:
            _facts[learner] = _train(learner, FACTS_SEED, images, labels, FACTS_BATCH,
                                     FACTS_STEPS, FACTS_RATE)
        except Exception as failure:  # the same failure for both checks, not a second wait
            _facts[learner] = failure
    found = _facts[learner]
    if isinstance(found, Exception):
        raise found
    return found


def _parameters(facts: dict[str, Any], what: str) -> tuple[np.ndarray, np.ndarray]:
    value = facts["result"]
    if type(value) not in (tuple, list) or len(value) != 2:
        fail(f"{what} should return the pair (W, b), got {describe(value)}")
    W = expect_array(value[0], label=f"the W that {what} returned", kinds=PARAMETER_KINDS,
                     shape=(PIXELS, CLASSES), dtype=FLOAT_DTYPES)
    b = expect_array(value[1], label=f"the b that {what} returned", kinds=PARAMETER_KINDS,
                     shape=(CLASSES,), dtype=FLOAT_DTYPES)
    return W.astype(np.float64), b.astype(np.float64)


def _replicas(facts: dict[str, Any]) -> int:
    """How many replicas must have computed gradients: the learner process's devices, never
    fewer than the LOGICAL_DEVICES the grader gave it (the count is the learner process's
    report: a lower one would lower the bar; the grader's own number cannot be forged)."""
    counts = facts.get("devices") if type(facts.get("devices")) is dict else {}
    reported = max([n for n in counts.values() if type(n) is int], default=0)
    return max(reported, LOGICAL_DEVICES)


def _gradient(x: np.ndarray, y: np.ndarray, W: np.ndarray,
              b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the mean softmax cross-entropy over the batch, by W and b (float64)."""
    z = x @ W + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return x.T @ p / len(y), p.mean(axis=0)


def reference_training(images: np.ndarray, labels: np.ndarray, batch_size: int, steps: int,
                       learning_rate: float, *, scale: float = 1.0, repeat: bool = True,
                       start: tuple[np.ndarray, np.ndarray] | None = None,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Plain gradient descent from zeros on the documented global batches: step k uses the
    examples k·B .. k·B + B - 1 of the data repeated end to end. ``scale`` multiplies every
    step (2: each of two replicas averaged over its own half); ``repeat=False`` stops when the
    data runs out (a missing .repeat()); ``start``: (W, b) to start from instead of zeros."""
    x_all, n = images.astype(np.float64), len(images)
    W, b = (np.zeros((PIXELS, CLASSES)), np.zeros(CLASSES)) if start is None else (
        np.array(start[0], np.float64), np.array(start[1], np.float64))
    for k in range(steps if repeat else min(steps, n // batch_size)):
        batch = (k * batch_size + np.arange(batch_size)) % n
        grad_W, grad_b = _gradient(x_all[batch], labels[batch], W, b)
        W -= scale * learning_rate * grad_W
        b -= scale * learning_rate * grad_b
    return W, b


def _close(got: tuple[np.ndarray, ...], expected: tuple[np.ndarray, ...]) -> bool:
    return all(float(np.abs(g - e).max()) <= ATOL + RTOL * float(np.abs(e).max())
               for g, e in zip(got, expected, strict=True))


def _judge_training(got: tuple[np.ndarray, np.ndarray], images: np.ndarray, labels: np.ndarray,
                    batch_size: int, steps: int, learning_rate: float, what: str) -> None:
    expected = reference_training(images, labels, batch_size, steps, learning_rate)
    if _close(got, expected):
        return
    half = batch_size // LOGICAL_DEVICES
    if not all(np.isfinite(part).all() for part in got):
        fail(f"after {what} W or b holds NaN or inf: training diverged (the loss summed "
             "instead of divided by the global batch size?)")
    known = [
        (dict(scale=2.0), f"every step is twice too large: each replica averaged the loss over "
         f"its own {half} examples (tf.reduce_mean), and the strategy then summed the "
         f"{LOGICAL_DEVICES} replicas' gradients. Divide each replica's summed loss by the "
         "GLOBAL batch size: tf.nn.compute_average_loss(per_example, "
         f"global_batch_size={batch_size})"),
        (dict(scale=0.5), "every step is half as large as it should be: the loss was divided "
         "by the global batch size and the replicas' gradients were then averaged as well. "
         "With tf.nn.compute_average_loss, sum them (tf.distribute.ReduceOp.SUM)"),
        (dict(scale=float(batch_size)), "every step is global_batch_size times too large: "
         "the per-example losses were summed and never divided; use "
         f"tf.nn.compute_average_loss(per_example, global_batch_size={batch_size})"),
        (dict(repeat=False), f"training stopped after {len(images) // batch_size} steps, when "
         f"the data ran out: repeat the data (.repeat() before .batch) to get all {steps} "
         "steps"),
    ]
    for options, message in known:
        if _close(got, reference_training(images, labels, batch_size, steps, learning_rate,
                                          **options)):
            fail(f"after {what}: {message}")
    if not any(np.abs(part).max() > 0 for part in got):
        fail(f"after {what} W and b are still zeros: the updates never reached the variables "
             "that were returned")
    W_error = float(np.abs(got[0] - expected[0]).max())
    fail(f"after {what} W is {W_error:.3g} away from plain gradient descent on the same global "
         f"batches (at most {ATOL + RTOL * float(np.abs(expected[0]).max()):.2g} is float "
         "rounding): start from zeros, train on the batches in the order given (step k on "
         f"examples k·{batch_size} .. k·{batch_size} + {batch_size - 1}, no shuffle) at the "
         "learning rate given, on the mean cross-entropy of each global batch")


def _replica_gradients(facts: dict[str, Any], what: str) -> dict[int, list[tuple[np.ndarray,
                                                                             np.ndarray]]]:
    """The (gradient of W, gradient of b) each replica computed, step by step, by replica."""
    found: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    records = facts.get("replica_gradients")
    for record in records if type(records) is list else []:
        if type(record) is not dict or type(record.get("replica")) is not int:
            fail(f"the grader could not read the gradients computed in {what}")
        grad_W = expect_array(record.get("W"), label=f"a gradient of W computed in {what}",
                              kinds=("ndarray",), shape=(PIXELS, CLASSES), dtype=FLOAT_DTYPES)
        grad_b = expect_array(record.get("b"), label=f"a gradient of b computed in {what}",
                              kinds=("ndarray",), shape=(CLASSES,), dtype=FLOAT_DTYPES)
        found.setdefault(record["replica"], []).append(
            (grad_W.astype(np.float64), grad_b.astype(np.float64)))
    return found


def _share_gradient(images: np.ndarray, labels: np.ndarray, examples: np.ndarray,
                    W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The SUM over ``examples`` of the per-example cross-entropy gradients by W and b."""
    grad_W, grad_b = _gradient(images[examples].astype(np.float64), labels[examples], W, b)
    return grad_W * len(examples), grad_b * len(examples)


def _scaled_like(got: tuple[np.ndarray, np.ndarray], summed: tuple[np.ndarray, np.ndarray],
                 scales: tuple[float, ...]) -> float | None:
    """The scale (one of ``scales``) by which ``summed`` gives ``got``, or None."""
    for scale in scales:
        if _close(got, (summed[0] * scale, summed[1] * scale)):
            return scale
    return None


def _shares(step: int, replicas: int) -> list[np.ndarray]:
    """The examples of each replica's share of global batch ``step`` of the facts' data."""
    share = FACTS_BATCH // replicas
    first = step * FACTS_BATCH % FACTS_IMAGES
    return [first + r * share + np.arange(share) for r in range(replicas)]


def _verified_replicas(facts: dict[str, Any], what: str, replicas: int) -> None:
    """Fail unless ``replicas`` replicas each computed the gradient of their own share of the
    first global batch (the grader's computation, from W = 0, b = 0)."""
    images, labels = _facts_data()
    made = [int(n) for n in facts.get("strategies", []) if type(n) is int]
    runs = [int(n) for n in facts.get("replica_runs", []) if type(n) is int]
    computed = _replica_gradients(facts, what)
    if len(computed) < replicas:
        if not made:
            fail(f"{what} made no tf.distribute.MirroredStrategy: create one, strategy = "
                 "tf.distribute.MirroredStrategy(), and train under it")
        if max(made) < replicas:
            fail(f"{what} made a MirroredStrategy of {max(made)} replica(s) although the "
                 f"process has {replicas} devices: create it with no arguments, "
                 "MirroredStrategy(), so that it takes every device")
        if not runs:
            fail(f"{what} created a MirroredStrategy but never ran anything on its replicas: "
                 "the strategy is unused. Run the training step with strategy.run(step, "
                 "args=...) on distributed batches (or Keras' fit on a model built in "
                 "strategy.scope())")
        fail(f"{what}: {len(computed)} replica(s), not {replicas}, computed a gradient of W "
             "and b with tf.GradientTape: compute them inside the function that strategy.run "
             "runs on every replica")
    zeros = (np.zeros((PIXELS, CLASSES)), np.zeros(CLASSES))
    for replica, examples in enumerate(_shares(0, replicas)):
        summed = _share_gradient(images, labels, examples, *zeros)
        if _scaled_like(computed[replica][0], summed,
                        (1 / FACTS_BATCH, 1 / len(examples), 1.0)) is None:
            whole = _share_gradient(images, labels, np.arange(FACTS_BATCH), *zeros)
            again = ("the whole global batch" if _scaled_like(
                computed[replica][0], whole, (1 / FACTS_BATCH, 1.0)) is not None
                else "something else")
            fail(f"in the first step of {what} replica {replica} computed the gradient of "
                 f"{again}, not of its share (examples {examples[0]}..{examples[-1]} of the "
                 f"global batch 0..{FACTS_BATCH - 1}): give strategy.run the batches of "
                 "strategy.experimental_distribute_dataset(dataset), which splits each global "
                 "batch among the replicas")


@check(
    "distributed_train runs its training step on both replicas (strategy.run)",
    points=2,
    hint="strategy = tf.distribute.MirroredStrategy() (no arguments: every device, here two). "
    "Run the step with strategy.run(step, args=(x, y)) on batches from "
    "strategy.experimental_distribute_dataset(dataset), or call Keras' fit on a model built "
    "inside strategy.scope().",
    grades="distributed_train",
)
def test_distributed_uses_both_replicas(learner):
    facts, what = _strategy_facts(learner)
    _verified_replicas(facts, what, _replicas(facts))


def _in_sync(facts: dict[str, Any], what: str, replicas: int) -> None:
    """Fail unless, in the second step, every replica computed its share's gradient at the same
    weights: those the first step's summed gradients give (at learning_rate, or averaged)."""
    images, labels = _facts_data()
    computed = _replica_gradients(facts, what)
    if any(len(computed.get(r, [])) < 2 for r in range(replicas)):
        fail(f"{what} trained {FACTS_STEPS} steps but its replicas did not compute a gradient "
             f"in each: the grader cannot see the replicas' copies of W and b in step 2")
    total = [sum(computed[r][0][i] for r in range(replicas)) for i in (0, 1)]
    shares = _shares(1, replicas)
    for rate in (FACTS_RATE, FACTS_RATE / replicas):
        weights = (-rate * total[0], -rate * total[1])
        if all(_scaled_like(computed[r][1], _share_gradient(images, labels, shares[r], *weights),
                            (1 / FACTS_BATCH, 1 / len(shares[r]), 1.0)) is not None
               for r in range(replicas)):
            return
    own = [(-FACTS_RATE * computed[r][0][0], -FACTS_RATE * computed[r][0][1])
           for r in range(replicas)]
    if all(_scaled_like(computed[r][1], _share_gradient(images, labels, shares[r], *own[r]),
                        (1 / FACTS_BATCH, 1 / len(shares[r]), 1.0)) is not None
           for r in range(replicas)):
        fail(f"the copies of W and b on the {replicas} replicas differ after the first step "
             f"of {what}: each replica applied only its own gradient to its copy. Apply the "
             "summed gradients (assign_sub outside strategy.run, or an optimizer)")
    fail(f"in the second step of {what} the replicas did not compute their gradients at the "
         "weights the first step gave (W and b minus learning_rate times the summed "
         "gradients): update W and b once per step, with the gradients of all replicas summed")


@check(
    "W and b stay in sync: every replica computes its gradients at the same weights",
    points=2,
    hint="Create the variables inside `with strategy.scope():`. They become MirroredVariables, "
    "one copy per device; the strategy keeps the copies equal when you update them with the "
    "summed gradients (assign_sub outside strategy.run, or an optimizer).",
    grades="distributed_train",
)
def test_distributed_variables_in_sync(learner):
    facts, what = _strategy_facts(learner)
    _parameters(facts, what)
    devices = _replicas(facts)
    # Verified here, on the gradients each replica computed (the replicas must have run).
    _verified_replicas(facts, what, devices)
    _in_sync(facts, what, devices)


@check(
    "W and b are mirrored: one copy on each replica's device (reported by your process: no "
    "points)",
    points=0,
    hint="Create W and b with tf.Variable inside `with strategy.scope():`, so that each "
    "replica's device holds a copy (a MirroredVariable).",
    grades="distributed_train",
    reported="the devices of the variables that distributed_train made",
)
def test_distributed_variables_mirrored(learner):
    facts, what = _strategy_facts(learner)
    got = _parameters(facts, what)
    devices = _replicas(facts)
    made = [v for v in facts.get("variables", []) if type(v) is dict]
    for name, value, shape in (("W", got[0], [PIXELS, CLASSES]), ("b", got[1], [CLASSES])):
        copies = [v for v in made if v.get("shape") == shape and isinstance(v.get("value"), Array)
                  and v["value"].shape == tuple(shape)]
        if not copies:
            fail(f"{what} made no tf.Variable of shape {tuple(shape)} for {name}: create it "
                 "with tf.Variable inside `with strategy.scope():`")
        same = [v for v in copies if np.allclose(v["value"].array, value, rtol=1e-6, atol=1e-7)]
        places = sorted({str(v.get("device")) for v in same})
        if len(places) >= devices:
            continue
        fail(f"{name} of {what} lives on one device only ({places[0] if places else '?'}): "
             "it was created outside `with strategy.scope():`, so the replicas share one "
             "variable instead of each holding a mirror. Create W and b inside the scope")


@check(
    "each step of distributed_train is one gradient-descent step on its global batch",
    points=2,
    hint="Each replica: per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(...), "
    "loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size); sum "
    "the replicas' gradients (strategy.reduce(tf.distribute.ReduceOp.SUM, ...)) and apply "
    "W.assign_sub(learning_rate * gradient).",
    grades="distributed_train",
)
def test_distributed_one_step(learner):
    facts, what = _strategy_facts(learner)
    images, labels = _facts_data()
    _judge_training(_parameters(facts, what), images, labels, FACTS_BATCH, FACTS_STEPS,
                    FACTS_RATE, what)


@check(
    "distributed_train equals single-device training on the same global batches",
    points=3,
    hint="Step k trains on the examples k·B .. k·B + B - 1 of the data repeated end to end "
    "(B = global_batch_size): Dataset.from_tensor_slices((images, labels)).repeat()"
    ".batch(B, drop_remainder=True).take(steps), no shuffle, from W = 0 and b = 0.",
    grades="distributed_train",
)
def test_distributed_matches_single_device(learner, rng, seed):
    images, labels = _examples(rng, 96)
    facts, what = _train(learner, seed, images, labels, 32, 8, 0.3)
    _judge_training(_parameters(facts, what), images, labels, 32, 8, 0.3, what)
