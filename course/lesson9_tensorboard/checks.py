"""TensorBoard: summaries, histograms and the graph.

Checks for ``exercises/lesson9_tensorboard.py``: ``log_scalars``, ``train_with_summaries`` and
``tensorboard_callback``. The learner's code writes event files in a fresh folder of its own
working folder; they come back as bytes and are read here by :mod:`grader.events` (TFRecord
framing with both CRCs checked, the protos declared with protobuf: no TensorFlow), and every
verdict is computed here from what the files hold and from the parameters returned.

Each of the three functions is called once per learner process (seeded from the function's name)
and its files are shared by the checks that judge it, so grading stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.check import check
from grader.events import MAX_FILE_BYTES, EventFile, EventFileError, Histogram, Scalar
from grader.events import read_event_file as _read_event_file
from grader.expect import describe, expect_array, fail
from grader.graphs import GraphError, nodes
from grader.learner.failures import LearnerRaised
from grader.learner.wire import Array
from grader.pytest_plugin import seed_for

PROBES = "lesson9_tensorboard"
PIXELS, CLASSES = 784, 10
LOGS = "grader-logdir"  # the logdir the probes pass, relative to the folder whose files come back
MAX_FILES = 64
MAX_TOTAL_BYTES = 24 * 2**20
CALL_TIMEOUT_S = 90

#: train_with_summaries runs on copies of one image: every batch, however it is drawn, is the
#: same, so the loss of every step follows from the returned (W, b) alone (see
#: _logits_by_step). |x|² + 1 ≈ 2 and the rate 0.25 keep each step a contraction to invert.
TRAIN_STEPS = 6
TRAIN_BATCH_SIZE = 10
TRAIN_COPIES = 30
TRAIN_LEARNING_RATE = 0.25
#: The logged float32 losses against the float64 reconstruction (see notes.md).
LOSS_RTOL, LOSS_ATOL = 1e-3, 1e-4

CALLBACK_EPOCHS = 2
CALLBACK_BATCH_SIZE = 32
CALLBACK_HIDDEN = 8

MATMUL_OPS = frozenset(["MatMul", "_FusedMatMul", "_MklMatMul", "_MklNativeFusedMatMul",
                        "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Einsum"])
LOSS_OPS = frozenset(["SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits",
                      "Softmax", "LogSoftmax"])
UPDATE_OPS = frozenset(["AssignSubVariableOp", "AssignVariableOp", "AssignAddVariableOp"])

NOT_FLUSHED = (
    "the events were still in the writer's memory when {call} returned: the file on disk holds "
    "{what}. Write inside `with writer.as_default():` and call writer.close() after the block, "
    "before returning"
)
LEFT_DEFAULT = (
    "{call} left its writer, closed, as the default writer (writer.set_as_default()): every "
    "tf.summary call after it, Keras' TensorBoard callback included, then fails with "
    "NotFoundError. Write inside `with writer.as_default():`, which puts the previous default "
    "back when the block ends, and close the writer after the block"
)
#: The fact behind LEFT_DEFAULT, reported by the learner process (see grader.reported).
LEFT_DEFAULT_FACT = "whether the function left a closed writer as the default writer"
NOTHING_WRITTEN = (
    "{call} created an event file but wrote no summary into it: tf.summary.scalar and "
    "tf.summary.histogram write only to the default writer, so call them inside `with "
    "writer.as_default():` (outside it they return False and write nothing)"
)

# -- one call per function, shared by its checks -----------------------------------------------

def _shared(learner, probe: str, label: str, **kwargs: Any) -> Any:
    """The answer of ``probe`` for this learner, computed once per grading (its failure
    raised again for each check that shares it)."""
    return learner.run_once(f"{PROBES}:{probe}", label=label,
                            seed=seed_for(f"{PROBES}::{probe}"), timeout=CALL_TIMEOUT_S,
                            **kwargs)


def _rng(probe: str) -> np.random.Generator:
    return np.random.default_rng(seed_for(f"{PROBES}::{probe}"))


# -- the files that came back -------------------------------------------------------------------


def _file_bytes(files: Any, label: str) -> dict[str, bytes]:
    if type(files) is not dict:
        fail(f"{label}: the grader got no files back ({describe(files)})")
    out: dict[str, bytes] = {}
    for path, data in files.items():
        if (type(path) is not str or not isinstance(data, Array) or data.dtype != "uint8"
                or data.array.ndim != 1):
            fail(f"{label}: the grader got a malformed file entry ({describe(data)})")
        out[path] = data.array.tobytes()
    if len(out) > MAX_FILES or sum(map(len, out.values())) > MAX_TOTAL_BYTES:
        fail(f"{label}: more than {MAX_FILES} files or {MAX_TOTAL_BYTES // 2**20} MiB were "
             "written; write one event file per run")
    return out


def _is_event_file(path: str) -> bool:
    return "tfevents" in path.rsplit("/", 1)[-1]


def _shown(path: str) -> str:
    """An event file's path without its time stamp, host and pid (messages stay the same on
    every run): ``grader-logdir/train/events.out.tfevents.…`` -> ``logdir/train/events…``."""
    folder, _, name = path.rpartition("/")
    folder = "logdir" + folder[len(LOGS):] if folder.startswith(LOGS) else folder or "."
    return f"{folder}/{name.split('.tfevents.', 1)[0]}.tfevents.…"


def _run_of(path: str) -> str:
    """The TensorBoard run of an event file under logs/: its folder relative to logs ("." at
    the top)."""
    folder = path[len(LOGS) + 1:].rpartition("/")[0]
    return folder or "."


@dataclass
class Logs:
    """The event files a call wrote, read."""

    call: str
    files: dict[str, EventFile] = field(default_factory=dict)  # path under the folder -> file
    elsewhere: list[str] = field(default_factory=list)  # event files written outside logdir
    unflushed: bool = False  # flushing the writers still alive added to the files
    left_out: int = 0
    left_default: str | None = None  # "open" or "closed": a writer left as the default
    #: How to write into logdir, in the terms of the function that was called.
    fix: str = "create a writer with tf.summary.create_file_writer(logdir) and write with it"

    def require_events(self) -> None:
        """Fail with the usual mistake's fix unless some summary reached the files."""
        if not self.files:
            if self.elsewhere:
                shown = sorted({_shown(path) for path in self.elsewhere})
                fail(f"{self.call} wrote no event file in logdir, but "
                     f"{', '.join(shown[:3])} elsewhere: pass the logdir argument, not a "
                     f"folder of your own ({self.fix})")
            fail(f"{self.call} wrote no event file in logdir: {self.fix}")
        if sum(events.values for events in self.files.values()) == 0:
            if self.unflushed:
                fail(NOT_FLUSHED.format(call=self.call, what="only its header"))
            fail(NOTHING_WRITTEN.format(call=self.call))

    def require_flushed(self) -> None:
        if self.unflushed:
            fail(NOT_FLUSHED.format(call=self.call, what="only part of them"))

    def require_default_restored(self) -> None:
        """Fail when the call left its closed writer as the default (a reported fact)."""
        if self.left_default == "closed":
            fail(LEFT_DEFAULT.format(call=self.call))

    def in_run(self, run: str | None) -> list[EventFile]:
        return [events for path, events in self.files.items()
                if run is None or _run_of(path) == run]

    def runs(self) -> list[str]:
        return sorted({_run_of(path) for path in self.files})

    def scalars(self, run: str | None = None) -> dict[str, list[Scalar]]:
        """Every scalar by tag, over the run's files, in step order (stable)."""
        merged: dict[str, list[Scalar]] = {}
        for events in self.in_run(run):
            for tag, series in events.scalars.items():
                merged.setdefault(tag, []).extend(series)
        return {tag: sorted(series, key=lambda s: s.step) for tag, series in merged.items()}

    def histograms(self, run: str | None = None) -> dict[str, list[Histogram]]:
        merged: dict[str, list[Histogram]] = {}
        for events in self.in_run(run):
            for tag, series in events.histograms.items():
                merged.setdefault(tag, []).extend(series)
        return {tag: sorted(series, key=lambda h: h.step) for tag, series in merged.items()}


def _logs(answer: Any, call: str, fix: str | None = None) -> Logs:
    if type(answer) is not dict:
        fail(f"{call}: the grader got {describe(answer)} instead of its files")
    as_left = _file_bytes(answer.get("files"), call)
    flushed = _file_bytes(answer.get("after_flush", {}), call)
    left_out = answer.get("left_out")
    if type(left_out) is int and left_out > 0:
        fail(f"{call} wrote more than {MAX_FILES} files or {MAX_TOTAL_BYTES // 2**20} MiB: "
             "write one event file per run")
    logs = Logs(call)
    if fix:
        logs.fix = fix
    if answer.get("left_default") in ("open", "closed"):
        logs.left_default = answer["left_default"]
    for path, data in sorted(as_left.items()):
        if not _is_event_file(path):
            continue
        if not path.startswith(f"{LOGS}/"):
            logs.elsewhere.append(path)
            continue
        if len(data) > MAX_FILE_BYTES:
            fail(f"{call} wrote an event file larger than {MAX_FILE_BYTES // 2**20} MiB "
                 f"({_shown(path)})")
        name = _shown(path)
        try:
            events = _read_event_file(data, name)
        except EventFileError as error:
            later = flushed.get(path)
            if later is not None:
                try:
                    _read_event_file(later, name)
                except EventFileError:
                    pass
                else:
                    fail(NOT_FLUSHED.format(call=call, what="a record cut in the middle"))
            fail(f"{call} left an event file the grader cannot read: {error}")
        logs.files[path] = events
        if path in flushed:
            try:
                later_events = _read_event_file(flushed[path], name)
            except EventFileError:
                later_events = events
            logs.unflushed |= later_events.values > events.values
    for path in flushed:
        if path not in as_left and path.startswith(f"{LOGS}/") and _is_event_file(path):
            logs.unflushed = True
    return logs


def _steps(series: list[Scalar] | list[Histogram]) -> list[int]:
    return [item.step for item in series]


def _step_problem(steps: list[int], wanted: list[int], what: str) -> str | None:
    """What is wrong with the steps a series was written at, in the learner's terms."""
    if steps == wanted:
        return None
    if len(steps) > 1 and set(steps) == {0}:
        return (f"every {what} was written at step 0: pass the step number, "
                "tf.summary.scalar(name, value, step=step), with step counting 0, 1, 2, …")
    if sorted(steps) == [step + 1 for step in wanted]:
        return (f"the {what}s were written at steps {steps[0]}…{steps[-1]}: count from 0 "
                "(enumerate gives 0, 1, 2, …)")
    if len(steps) != len(wanted):
        return (f"{len(steps)} {what}s were written for {len(wanted)} steps (at steps "
                f"{_short(steps)}): write one at every step {wanted[0]}…{wanted[-1]}")
    return f"the {what}s were written at steps {_short(steps)} instead of {_short(wanted)}"


def _short(numbers: list[int]) -> str:
    text = ", ".join(map(str, numbers[:8]))
    return text + (", …" if len(numbers) > 8 else "")


def _tag_problem(found: list[str], wanted: str, what: str) -> str:
    if not found:
        return f"no {what} was written"
    near = _near(found, wanted)
    message = (f"no {what} under the tag {wanted!r}; the tags written are "
               f"{', '.join(map(repr, sorted(found)[:6]))}")
    if near:
        message += (f": {near[0]!r} is not {wanted!r} (tags are exact: no capitals, plural or "
                    "name scope)")
    return message


# -- log_scalars -----------------------------------------------------------------------------------


def _scalar_case() -> tuple[str, list[float]]:
    rng = _rng("log_scalars")
    tag = f"signal_{int(rng.integers(100, 1000))}"
    values = [round(float(v), 4) for v in rng.normal(0.0, 2.0, 5)]
    values[2] = 0.0  # a zero must be written too
    return tag, values


def _log_scalars(learner) -> tuple[Logs, str, list[float]]:
    tag, values = _scalar_case()
    call = f"log_scalars(logdir, {tag!r}, {values})"
    answer = _shared(learner, "log_scalars", label=call, tag=tag, values=values)
    return _logs(answer, call), tag, values


def _scalar_series(logs: Logs, tag: str) -> list[Scalar]:
    """The series of ``tag``, or of the only tag written (a misspelt tag is judged once)."""
    scalars = logs.scalars()
    if tag in scalars:
        return scalars[tag]
    if len(scalars) == 1:
        return next(iter(scalars.values()))
    fail(f"{logs.call}: {_tag_problem(list(scalars), tag, 'scalar')}")
    raise AssertionError  # unreachable


@check(
    "log_scalars writes an event file in logdir",
    points=1,
    hint="writer = tf.summary.create_file_writer(logdir); write inside `with "
    "writer.as_default():`; then writer.close() so everything is on disk when the function "
    "returns.",
    grades="log_scalars", uses=(), depends=(),
)
def test_log_scalars_writes_events(learner):
    logs, _, _ = _log_scalars(learner)
    logs.require_events()
    logs.require_flushed()


@check(
    "log_scalars leaves no closed writer as the default (reported by your process: no points)",
    points=0,
    hint="Write inside `with writer.as_default():` rather than writer.set_as_default(): the "
    "with block puts the previous default back, so later summaries (a callback's) still work.",
    grades="log_scalars", uses=(), depends=(),
    reported=LEFT_DEFAULT_FACT,
)
def test_log_scalars_restores_default_writer(learner):
    logs, _, _ = _log_scalars(learner)
    logs.require_default_restored()


@check(
    "log_scalars writes under the tag it is given",
    points=1,
    hint="tf.summary.scalar(tag, value, step=step) with the `tag` argument as is (not a name "
    "of your own, and outside any tf.name_scope, which would prefix it).",
    grades="log_scalars", uses=(), depends=(),
)
def test_log_scalars_tag(learner):
    logs, tag, _ = _log_scalars(learner)
    logs.require_events()
    scalars = logs.scalars()
    if tag not in scalars:
        fail(f"{logs.call}: {_tag_problem(list(scalars), tag, 'scalar')}")
    others = sorted(set(scalars) - {tag})
    if others:
        fail(f"{logs.call} also wrote the scalars {', '.join(map(repr, others[:4]))}: write "
             f"only {tag!r}")


@check(
    "log_scalars writes one event per value, at steps 0, 1, 2, …",
    points=2,
    hint="for step, value in enumerate(values): tf.summary.scalar(tag, value, step=step). "
    "Without the step every value lands on the same point of the curve.",
    grades="log_scalars", uses=(), depends=(),
)
def test_log_scalars_steps(learner):
    logs, tag, values = _log_scalars(learner)
    logs.require_events()
    series = _scalar_series(logs, tag)
    problem = _step_problem(_steps(series), list(range(len(values))), "value")
    if problem:
        fail(f"{logs.call}: {problem}")


@check(
    "log_scalars writes the values it is given, in order",
    points=2,
    hint="Write each value itself (tf.summary.scalar stores it as float32), in the order of "
    "`values`, one call per value.",
    grades="log_scalars", uses=(), depends=(),
)
def test_log_scalars_values(learner):
    logs, tag, values = _log_scalars(learner)
    logs.require_events()
    series = _scalar_series(logs, tag)
    got = np.array([s.value for s in series], dtype=np.float64)
    expected = np.array(values, dtype=np.float32).astype(np.float64)
    if got.shape == expected.shape and np.array_equal(got, expected):
        return
    if got.shape == expected.shape and np.array_equal(got, expected[::-1]):
        fail(f"{logs.call} wrote the values in reverse order")
    if got.shape != expected.shape:
        if got.size and np.all(got == expected[-1]):
            fail(f"{logs.call} wrote {got.size} value(s), all the last one {values[-1]}: write "
                 "one scalar per value, inside the loop")
        fail(f"{logs.call} wrote {got.size} values for the {len(values)} given "
             f"({_short([float(f'{v:.6g}') for v in got])})")
    wrong = int(np.argmax(got != expected))
    fail(f"{logs.call}: the value at step {wrong} is {got[wrong]:.6g}, expected "
         f"{expected[wrong]:.6g} (values in order: {_short(values)})")


# -- train_with_summaries --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainCase:
    image: np.ndarray  # (784,) float32
    label: int

    @property
    def images(self) -> np.ndarray:
        return np.repeat(self.image[None, :], TRAIN_COPIES, axis=0)

    @property
    def labels(self) -> np.ndarray:
        return np.full(TRAIN_COPIES, self.label, dtype=np.int64)


def _train_case() -> TrainCase:
    rng = _rng("train_with_summaries")
    image = np.zeros(PIXELS, dtype=np.float32)
    ink = rng.choice(PIXELS, 40, replace=False)
    image[ink] = rng.uniform(0.05, 0.3, ink.size).astype(np.float32)
    return TrainCase(image, int(rng.integers(1, CLASSES)))


TRAIN_CALL = (f"train_with_summaries(images, labels, logdir, steps={TRAIN_STEPS}, "
              f"batch_size={TRAIN_BATCH_SIZE}, learning_rate={TRAIN_LEARNING_RATE})")


def _train(learner) -> tuple[Any, Logs, TrainCase]:
    case = _train_case()
    try:
        answer = _shared(learner, "train_with_summaries", label=TRAIN_CALL, images=case.images,
                         labels=case.labels, steps=TRAIN_STEPS, batch_size=TRAIN_BATCH_SIZE,
                         learning_rate=TRAIN_LEARNING_RATE)
    except LearnerRaised as error:
        if error.type == "ValueError" and "trace_on" in error.detail:
            fail(f"{error.message}\ntf.summary.trace_export needs tf.summary.trace_on("
                 "graph=True) first: call it just before the first call of the training step")
        raise
    result = answer.get("result") if type(answer) is dict else None
    return result, _logs(answer, TRAIN_CALL), case


def _parameters(result: Any) -> tuple[np.ndarray, np.ndarray]:
    if type(result) not in (tuple, list) or len(result) != 2:
        fail(f"{TRAIN_CALL} should return the pair (W, b), got {describe(result)}")
    kinds = ("tf.Variable", "tf.Tensor", "ndarray")
    W = expect_array(result[0], label=f"the W that {TRAIN_CALL} returned", kinds=kinds,
                     shape=(PIXELS, CLASSES), dtype=("float32", "float64"))
    b = expect_array(result[1], label=f"the b that {TRAIN_CALL} returned", kinds=kinds,
                     shape=(CLASSES,), dtype=("float32", "float64"))
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        fail(f"{TRAIN_CALL} returned a W or b holding NaN or inf")
    return W.astype(np.float64), b.astype(np.float64)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _history(case: TrainCase, W: np.ndarray,
             b: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The logits, W and b at the start of every step 0 … T (T: the returned ones).

    Every batch holds copies of one image x, so a step of plain gradient descent is
    z ← z − η(|x|² + 1)(softmax(z) − onehot(y)) for the logits z = x·W + b, with
    W ← W − η x (softmax(z) − onehot(y)) and b ← b − η (softmax(z) − onehot(y)). Each step is
    inverted from the returned (W, b) backwards by a fixed-point iteration, a contraction as
    η(|x|² + 1) < 1.
    """
    x = case.image.astype(np.float64)
    onehot = np.eye(CLASSES)[case.label]
    c = float(x @ x) + 1.0
    rate = TRAIN_LEARNING_RATE
    logits, weights, biases = [x @ W + b], [W], [b]
    for _ in range(TRAIN_STEPS):
        after = logits[0]
        z = after.copy()
        for _ in range(200):
            z = after + rate * c * (_softmax(z) - onehot)
        error = _softmax(z) - onehot
        logits.insert(0, z)
        weights.insert(0, weights[0] + rate * np.outer(x, error))
        biases.insert(0, biases[0] + rate * error)
    return logits, weights, biases


def _loss_of(z: np.ndarray, label: int) -> float:
    shifted = z - z.max()
    return float(np.log(np.exp(shifted).sum()) - shifted[label])


def _by_step(series: list[Scalar]) -> list[tuple[int, float]]:
    """(step, value) pairs to judge: by their steps when those are distinct steps of the run,
    else in the order written (wrong steps are judged by the tags-and-steps check)."""
    steps = _steps(series)
    if len(set(steps)) == len(steps) and all(0 <= s < TRAIN_STEPS for s in steps):
        return [(s.step, s.value) for s in series]
    return [(index, s.value) for index, s in enumerate(series[:TRAIN_STEPS])]


def _near(found: list[str], wanted: str) -> list[str]:
    """Tags that are ``wanted`` misspelt: capitals, a plural, a name scope in front."""
    return [tag for tag in found if tag.lower() == wanted.lower()
            or tag.lower().rsplit("/", 1)[-1] in (wanted, f"{wanted}s", f"{wanted}es")]


def _train_series(logs: Logs, tag: str) -> list[Scalar]:
    """The series of ``tag``, or of its one misspelling (judged by the tags check only)."""
    scalars = logs.scalars()
    if tag in scalars:
        return scalars[tag]
    near = _near(list(scalars), tag)
    if len(near) == 1:
        return scalars[near[0]]
    fail(f"{TRAIN_CALL}: {_tag_problem(list(scalars), tag, 'scalar')}")
    raise AssertionError  # unreachable


@check(
    "train_with_summaries returns (W, b) of shapes (784, 10) and (10,)",
    points=1,
    hint="Train lesson 3's model (W = tf.Variable(tf.zeros([784, 10])), b of 10) and end with "
    "`return W, b`, after the writer is closed.",
    grades="train_with_summaries", uses=(), depends=(),
)
def test_train_returns_parameters(learner):
    result, _, _ = _train(learner)
    _parameters(result)


@check(
    "train_with_summaries logs the scalars 'loss' and 'accuracy' at every step",
    points=2,
    hint="Inside `with writer.as_default():`, after each step: tf.summary.scalar(\"loss\", "
    "loss, step=step) and tf.summary.scalar(\"accuracy\", accuracy, step=step), step = 0, 1, "
    "…, steps - 1; close the writer at the end.",
    grades="train_with_summaries", uses=(), depends=(),
)
def test_train_scalar_tags_and_steps(learner):
    _, logs, _ = _train(learner)
    logs.require_events()
    logs.require_flushed()
    wanted = list(range(TRAIN_STEPS))
    scalars = logs.scalars()
    for tag in ("loss", "accuracy"):
        if tag not in scalars:
            fail(f"{TRAIN_CALL}: {_tag_problem(list(scalars), tag, 'scalar')}")
        problem = _step_problem(_steps(_train_series(logs, tag)), wanted, f"{tag!r} scalar")
        if problem:
            fail(f"{TRAIN_CALL}: {problem}")


@check(
    "train_with_summaries leaves no closed writer as the default (reported by your process: "
    "no points)",
    points=0,
    hint="Write inside `with writer.as_default():` rather than writer.set_as_default(): the "
    "with block puts the previous default back, so later summaries (a callback's) still work.",
    grades="train_with_summaries", uses=(), depends=(),
    reported=LEFT_DEFAULT_FACT,
)
def test_train_restores_default_writer(learner):
    _, logs, _ = _train(learner)
    logs.require_default_restored()


@check(
    "the logged loss of every step matches the (W, b) train_with_summaries returns",
    points=3,
    hint="Log the loss each step computed (the mean cross-entropy of its batch, before its "
    "update), at that step's number, and take plain gradient-descent steps of size "
    "learning_rate: the grader goes back from your returned (W, b) step by step.",
    grades="train_with_summaries", uses=(), depends=(),
)
def test_train_loss_matches_parameters(learner):
    result, logs, case = _train(learner)
    W, b = _parameters(result)
    logs.require_events()
    pairs = _by_step(_train_series(logs, "loss"))
    logits, _, _ = _history(case, W, b)
    losses = [_loss_of(z, case.label) for z in logits]
    values = np.array([value for _, value in pairs])
    if len(values) > 1 and np.all(values == values[0]):
        fail(f"{TRAIN_CALL}: every logged loss is {values[0]:.6g}: log the loss that each step "
             "computed (the value train_step returns), not one computed once")
    for step, value in pairs:
        expected = losses[step]
        if np.isclose(value, expected, rtol=LOSS_RTOL, atol=LOSS_ATOL):
            continue
        if np.isclose(value, losses[step + 1], rtol=LOSS_RTOL, atol=LOSS_ATOL):
            fail(f"{TRAIN_CALL}: the loss logged at step {step} ({value:.6g}) is the loss after "
                 f"that step's update; log the loss the step computed before it ({expected:.6g})")
        if step > 0 and np.isclose(value, losses[step - 1], rtol=LOSS_RTOL, atol=LOSS_ATOL):
            fail(f"{TRAIN_CALL}: the loss logged at step {step} ({value:.6g}) is the one of step "
                 f"{step - 1}: write each loss at its own step's number")
        fail(f"{TRAIN_CALL}: the loss logged at step {step} is {value:.6g}, but the (W, b) you "
             f"returned imply {expected:.6g} there (going back from them by steps of plain "
             f"gradient descent with learning_rate={TRAIN_LEARNING_RATE} on these batches). Is "
             "the logged loss the one the step computed, and does each step use learning_rate?")


@check(
    "the logged accuracy is a fraction in [0, 1] that matches the batch's predictions",
    points=1,
    hint="accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, axis=1), y), "
    "tf.float32)) on the step's batch, from the same logits as the loss: a fraction, not a "
    "percentage.",
    grades="train_with_summaries", uses=(), depends=(),
)
def test_train_accuracy_values(learner):
    result, logs, case = _train(learner)
    W, b = _parameters(result)
    logs.require_events()
    pairs = _by_step(_train_series(logs, "accuracy"))
    values = np.array([value for _, value in pairs])
    if np.any(values > 1) and np.all(values <= 100):
        fail(f"{TRAIN_CALL}: the logged accuracy reaches {values.max():g}: log a fraction in "
             "[0, 1], not a percentage")
    outside = values[~((values >= 0) & (values <= 1))]
    if outside.size:
        fail(f"{TRAIN_CALL}: the logged accuracy takes the value {outside[0]:g}, outside "
             "[0, 1]")
    logits, _, _ = _history(case, W, b)
    for step, value in pairs:
        z = logits[step]
        top = np.sort(z)[::-1]
        if top[0] - top[1] < 1e-3:
            continue  # a tie (the zero start): argmax's choice is not graded
        expected = float(np.argmax(z) == case.label)
        if abs(value - expected) > 1e-6:
            fail(f"{TRAIN_CALL}: the accuracy logged at step {step} is {value:g}, but the "
                 f"batch's predictions at that step give {expected:g} (every image of this "
                 "batch is the same): is it the accuracy of the step's own logits?")


def _matches(histogram: Histogram, values: np.ndarray) -> bool:
    """Does ``histogram`` describe ``values`` (count, range, and bucket counts)?"""
    if round(histogram.total) != values.size or histogram.left.size == 0:
        return False
    low, high = float(values.min()), float(values.max())
    tolerance = 1e-4 + 1e-3 * (high - low)
    if abs(histogram.left[0] - low) > tolerance or abs(histogram.right[-1] - high) > tolerance:
        return False
    edges = np.concatenate([histogram.left, histogram.right[-1:]])
    if high - low < 1e-3 or np.any(np.diff(edges) <= 0):
        return True  # a constant tensor: all in one bucket, nothing more to compare
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
    return float(np.abs(counts - histogram.counts).sum()) <= 0.02 * values.size + 2


def _judge_histograms(logs: Logs, what: str, size: int, states: list[np.ndarray]) -> None:
    series = {tag: items for tag, items in logs.histograms().items()
              if items and all(round(h.total) == size for h in items)}
    if not series:
        found = [f"{tag!r} ({int(items[0].total)} values)"
                 for tag, items in logs.histograms().items() if items]
        fail(f"{TRAIN_CALL} wrote no histogram of {what} ({size:,} values): "
             f"tf.summary.histogram({what!r}, {what}, step=step) inside the writer's "
             f"as_default(); histograms written: {', '.join(found) or 'none'}")
    problems = []
    for tag, items in series.items():
        if len(items) > 1 and set(_steps(items)) == {0}:
            problems.append(f"every histogram {tag!r} was written at step 0: pass step=step")
            continue
        for histogram in items:
            step = histogram.step
            candidates = [states[s] for s in (step, step + 1) if 0 <= s < len(states)]
            if not any(_matches(histogram, state) for state in candidates):
                problems.append(
                    f"the histogram {tag!r} at step {step} (values from "
                    f"{histogram.left[0]:.4g} to {histogram.right[-1]:.4g}) does not match "
                    f"{what} at that step (from {candidates[0].min():.4g} to "
                    f"{candidates[0].max():.4g})" if candidates else
                    f"the histogram {tag!r} is at step {step}, outside 0…{TRAIN_STEPS}")
                break
        else:
            return
    fail(f"{TRAIN_CALL}: {problems[0]}: write the histogram of the variable {what} itself, "
         "at the step's number")


@check(
    "train_with_summaries writes histograms of W and b",
    points=2,
    hint="At each step, tf.summary.histogram(\"W\", W, step=step) and "
    "tf.summary.histogram(\"b\", b, step=step), inside the writer's as_default(): TensorBoard "
    "draws how the weights spread out as they train.",
    grades="train_with_summaries", uses=(), depends=(),
)
def test_train_histograms(learner):
    result, logs, case = _train(learner)
    W, b = _parameters(result)
    logs.require_events()
    _, weights, biases = _history(case, W, b)
    _judge_histograms(logs, "W", PIXELS * CLASSES, weights)
    _judge_histograms(logs, "b", CLASSES, biases)


def _gradient_node(name: str) -> bool:
    return any(part in ("gradient_tape", "gradients") for part in name.split("/"))


def _missing_parts(found: list[tuple[str, str]]) -> list[str]:
    """What a training step needs that the nodes ``found`` lack, in the learner's terms."""
    ops = {op for _, op in found}
    missing = []
    if not ops & MATMUL_OPS:
        missing.append("no matrix product (the logits tf.matmul(x, W) + b)")
    if not (ops & LOSS_OPS or {"Exp", "Log"} <= ops):
        missing.append("no softmax cross-entropy (the loss)")
    if not any(_gradient_node(name) for name, _ in found):
        missing.append("no gradient (tape.gradient)")
    if not (ops & UPDATE_OPS or any(op.startswith("ResourceApply") for op in ops)):
        missing.append("no update of the variables (W.assign_sub(...))")
    return missing


@check(
    "the traced graph of the training step computes logits, loss, gradients and the update",
    points=3,
    hint="Make the whole training step one @tf.function (logits, loss, tape.gradient, "
    "assign_sub); call tf.summary.trace_on(graph=True) before its first call (tracing happens "
    "then) and tf.summary.trace_export(\"train_step\", step=0) after it, inside the writer's "
    "as_default().",
    grades="train_with_summaries", uses=(), depends=(),
)
def test_train_graph(learner):
    _, logs, _ = _train(learner)
    logs.require_events()
    graphs = [graph for events in logs.files.values() for graph in events.graphs]
    if not graphs:
        fail(f"{TRAIN_CALL} wrote no graph: call tf.summary.trace_on(graph=True) before the "
             "first call of the @tf.function training step and tf.summary.trace_export(name, "
             "step=0) after it, inside `with writer.as_default():`")
    # A trace records every function that ran while it was on, each eager op as a function of
    # its own: the training step is one function (one graph) holding every part.
    functions: list[list[tuple[str, str]]] = []
    for graph in graphs:
        for group in graph.functions:
            found: list[tuple[str, str]] = []
            for graph_def in group:
                try:
                    found.extend(nodes(graph_def))
                except GraphError as error:
                    fail(f"{TRAIN_CALL} wrote a graph the grader cannot read: {error}")
            if found:
                functions.append(found)
    late = ("tf.summary.trace_on(graph=True) must come before the first call of the training "
            "step (a tf.function records its graph when it traces, on that first call), and "
            "the step must be a @tf.function")
    if not functions:
        fail(f"{TRAIN_CALL} exported an empty trace: {late}")
    best = min(functions, key=lambda found: len(_missing_parts(found)))
    missing = _missing_parts(best)
    if not missing:
        return
    if len(missing) >= 3:
        fail(f"the trace {TRAIN_CALL} exported holds no graph of a training step, only "
             f"{len(functions)} small function(s) of single ops: {late}")
    ops = sorted({op for _, op in best})
    fail(f"the graph of the traced function {TRAIN_CALL} exported holds {'; '.join(missing)}: "
         f"make the whole training step one @tf.function (ops found: {', '.join(ops[:12])})")


# -- tensorboard_callback --------------------------------------------------------------------------


def _callback_case() -> dict[str, Any]:
    rng = _rng("callback_fit")

    def images(n: int) -> np.ndarray:
        return np.where(rng.random((n, PIXELS)) < 0.2, rng.random((n, PIXELS)),
                        0.0).astype(np.float32)

    return {"images": images(96), "labels": rng.integers(0, CLASSES, 96).astype(np.int64),
            "val_images": images(32), "val_labels": rng.integers(0, CLASSES, 32).astype(np.int64),
            "hidden_units": CALLBACK_HIDDEN, "epochs": CALLBACK_EPOCHS,
            "batch_size": CALLBACK_BATCH_SIZE}


CALLBACK_CALL = (f"model.fit(..., epochs={CALLBACK_EPOCHS}, validation_data=..., "
                 "callbacks=[tensorboard_callback(logdir)])")


def _callback(learner) -> tuple[dict[str, Any], Logs]:
    answer = _shared(learner, "callback_fit", label="tensorboard_callback(logdir)",
                     **_callback_case())
    if type(answer) is not dict:
        fail(f"tensorboard_callback: the grader got {describe(answer)}")
    if answer.get("is_tensorboard") is not True and answer.get("is_callback") is not True:
        fail(f"tensorboard_callback(logdir) should return a keras.callbacks.TensorBoard, "
             f"got a {str(answer.get('kind'))[:80]}, which is not a Keras callback")
    return answer, _logs(answer, CALLBACK_CALL, fix="return "
                         "keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1): the "
                         "callback writes logdir/train and logdir/validation itself")


@check(
    "tensorboard_callback returns a keras.callbacks.TensorBoard (reported by your process: no "
    "points)",
    points=0,
    hint="return keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1): the logdir "
    "argument, not a folder of your own.",
    grades="tensorboard_callback", uses=(), depends=(),
    reported="whether tensorboard_callback returned a keras.callbacks.TensorBoard",
)
def test_callback_is_tensorboard(learner):
    answer, logs = _callback(learner)
    if answer.get("is_tensorboard") is not True:
        fail("tensorboard_callback(logdir) should return a keras.callbacks.TensorBoard, got a "
             f"{str(answer.get('kind'))[:80]}")
    logs.require_events()


def _history_values(answer: dict[str, Any], key: str) -> list[float]:
    history = answer.get("history")
    values = history.get(key) if type(history) is dict else None
    if type(values) is not list or not all(type(v) is float for v in values):
        fail(f"{CALLBACK_CALL}: the fit's history has no {key!r}")
    return values


@check(
    "after fit, logdir holds train/ and validation/ runs with epoch_loss at every epoch",
    points=2,
    hint="keras.callbacks.TensorBoard(log_dir=logdir) writes logdir/train and "
    "logdir/validation itself during fit: pass logdir as log_dir, unchanged.",
    grades="tensorboard_callback", uses=(), depends=(),
)
def test_callback_epoch_loss(learner):
    answer, logs = _callback(learner)
    logs.require_events()
    for run, key in (("train", "loss"), ("validation", "val_loss")):
        if run not in logs.runs():
            fail(f"{CALLBACK_CALL} left no {run}/ run in logdir (runs found: "
                 f"{', '.join(logs.runs())}): log_dir should be logdir itself")
        scalars = logs.scalars(run)
        if "epoch_loss" not in scalars:
            problem = _tag_problem(list(scalars), "epoch_loss", "scalar")
            fail(f"{CALLBACK_CALL}: in the {run}/ run, {problem}")
        series = scalars["epoch_loss"]
        expected = _history_values(answer, key)
        problem = _step_problem(_steps(series), list(range(len(expected))), "epoch_loss")
        if problem:
            fail(f"{CALLBACK_CALL}, {run}/ run: {problem}")
        got = np.array([s.value for s in series])
        if not np.allclose(got, np.array(expected, dtype=np.float32), rtol=1e-5, atol=1e-6):
            fail(f"{CALLBACK_CALL}: the {run}/ run's epoch_loss ({_short(list(got))}) is not the "
                 f"fit's {key} ({_short(expected)})")


@check(
    "the callback writes a histogram of every weight at every epoch",
    points=2,
    hint="histogram_freq=1: Keras then writes a histogram of every kernel and bias at the end "
    "of every epoch (the default, 0, writes none; 2 writes every other epoch).",
    grades="tensorboard_callback", uses=(), depends=(),
)
def test_callback_weight_histograms(learner):
    answer, logs = _callback(learner)
    logs.require_events()
    weights = answer.get("weights")
    if type(weights) is not dict or not weights:
        fail(f"{CALLBACK_CALL}: the grader got no weights of the fitted model")
    histograms = logs.histograms()
    if not histograms:
        fail(f"{CALLBACK_CALL} wrote no histogram: pass histogram_freq=1 (the default, 0, "
             "writes none)")
    epochs = list(range(CALLBACK_EPOCHS))
    for path, value in weights.items():
        final = expect_array(value, label=f"the weight {path}", kinds=("ndarray",))
        series = next((items for tag, items in histograms.items()
                       if tag in (f"{path}/histogram", path)), None)
        if series is None:
            fail(f"{CALLBACK_CALL} wrote no histogram of the weight {path!r} (histograms: "
                 f"{', '.join(sorted(histograms)[:4])})")
        steps = _steps(series)
        if steps != epochs:
            every = ("every other epoch or less often: histogram_freq=1 writes one every epoch"
                     if len(steps) < len(epochs) else "")
            fail(f"{CALLBACK_CALL}: the histograms of {path!r} are at epochs {_short(steps)} "
                 f"instead of {_short(epochs)}" + (f" ({every})" if every else ""))
        if not _matches(series[-1], final.astype(np.float64).ravel()):
            fail(f"{CALLBACK_CALL}: the last histogram of {path!r} does not describe the "
                 "weight's final values")
