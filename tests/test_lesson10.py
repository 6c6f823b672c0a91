"""Lesson 10's set-up: logical devices declared by a lesson and made in its learner processes,
the trusted-side verdicts on training results and pipelines, and `grade batch` on lesson 10."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.check import CheckFailed
from grader.curriculum import find_lesson, lessons
from grader.graphs import _graph_def_class, node_inputs
from grader.learner.session import LearnerSession
from grader.learner.wire import Array
from grader.runner import machine_capabilities
from tests.conftest import REPO, untouched_stub

checks = find_lesson("lesson10").module()

LESSON10 = find_lesson("lesson10")
GRADE = str(Path(sys.executable).parent / "grade")


def test_only_lesson10_asks_for_two_devices():
    assert LESSON10.logical_devices == 2
    # by name: another test may have served another course meanwhile, and the registry's
    # Lesson objects are made anew for each course
    others = [lesson for lesson in lessons() if lesson.name != LESSON10.name]
    assert {lesson.name: lesson.logical_devices for lesson in others} == {
        lesson.name: 1 for lesson in others}


@pytest.mark.parametrize("count", [1, 2])
def test_a_forked_learner_process_has_the_devices_its_lesson_declares(zygote, count):
    """The experiment behind LOGICAL_DEVICES: the zygote imported TensorFlow but ran no op, so
    its forked child can still split its CPU (isolated, where the machine allows it)."""
    stub = untouched_stub(LESSON10.filename)
    with LearnerSession(zygote, stub, module_name=LESSON10.stem, logical_devices=count,
                        isolate=machine_capabilities().isolated) as session:
        found = session.run(f"{LESSON10.stem}:device_count", label="devices", seed=1)
    assert found == {"CPU": count, "GPU": 0}


def test_devices_cannot_be_split_once_tensorflow_has_run_an_op():
    code = ("import tensorflow as tf\n"
            "from grader.learner.devices import configure\n"
            "tf.constant(1.0) + 1\n"
            "try:\n    configure(2)\nexcept RuntimeError:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, CUDA_VISIBLE_DEVICES="-1"))
    assert done.stdout.strip() == "refused", done.stderr[-500:]


def _data(seed: int = 0):
    return checks._examples(np.random.default_rng(seed), 96)


def _verdict(got, steps: int = 8) -> str:
    images, labels = _data()
    try:
        checks._judge_training(got, images, labels, 32, steps, 0.3, "training")
    except CheckFailed as failed:
        return str(failed)
    return "passed"


def test_the_grader_descent_passes_and_float32_rounding_too():
    images, labels = _data()
    W, b = checks.reference_training(images, labels, 32, 8, 0.3)
    assert _verdict((W, b)) == "passed"
    assert _verdict((W.astype(np.float32), b.astype(np.float32))) == "passed"


@pytest.mark.parametrize(("options", "named"), [
    ({"scale": 2.0}, "twice too large"),
    ({"scale": 0.5}, "half as large"),
    ({"scale": 32.0}, "global_batch_size times too large"),
    ({"repeat": False}, "when the data ran out"),
])
def test_known_mistakes_are_named(options, named):
    images, labels = _data()
    assert named in _verdict(checks.reference_training(images, labels, 32, 8, 0.3, **options))


def test_other_wrong_training_gets_the_generic_message():
    images, labels = _data()
    W, b = checks.reference_training(images[::-1].copy(), labels[::-1].copy(), 32, 8, 0.3)
    assert "away from plain gradient descent" in _verdict((W, b))
    assert "still zeros" in _verdict((np.zeros((784, 10)), np.zeros(10)))


def _graph(*chain: str) -> bytes:
    """A GraphDef of dataset nodes, each the input of the next, the last one returned."""
    graph = _graph_def_class()()
    previous = None
    for number, op in enumerate(chain):
        node = graph.node.add(name=f"{op}/_{number}", op=op)
        if previous is not None:
            node.input.append(previous)
        node.input.append(f"Const/_{number}")
        previous = node.name
    graph.node.add(name="dataset", op="_Retval").input.append(f"{previous}:0")
    return graph.SerializeToString()


def test_the_pipeline_chain_is_read_from_the_output_back():
    chain = checks._dataset_chain(node_inputs(_graph(
        "TensorSliceDataset", "ShuffleDatasetV3", "BatchDatasetV2", "PrefetchDataset")))
    assert chain == ["PrefetchDataset", "BatchDatasetV2", "ShuffleDatasetV3",
                     "TensorSliceDataset"]
    single = checks._dataset_chain(node_inputs(_graph("TensorSliceDataset")))
    assert single == ["TensorSliceDataset"]



def _description(batches: list, *, passes: int = 1, **reported) -> dict:
    """A probe's description of make_dataset's result as the wire delivers it: the batches'
    arrays, and whatever facts the learner process reports beside them."""
    plain = [[Array("ndarray", x), Array("ndarray", y)] for x, y in batches]
    return {"type": "list", **reported, "passes": [{"batches": plain}] * passes}


def _pipeline_data(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    return checks._examples(np.random.default_rng(0), n)


def test_the_batches_are_judged_whatever_object_yields_them():
    """Issue 17 §3: the right batches pass whatever the reported type; a reported
    tf.data.Dataset with a reported element_spec of batches does not make single images pass."""
    images, labels = _pipeline_data()
    batches = [(images[i:i + 4], labels[i:i + 4]) for i in (8, 0, 4)]
    found = checks._passes(_description(batches, is_dataset=False), images, labels, "it", 3)
    assert found == [{"batches": [[8, 9, 10, 11], [0, 1, 2, 3], [4, 5, 6, 7]], "more": False}]
    spec = [{"shape": [None, 784], "dtype": "float32"}, {"shape": [None], "dtype": "int64"}]
    forged = _description([(images[0], labels[:1])], is_dataset=True, element_spec=spec)
    with pytest.raises(CheckFailed, match=r"single image.*\.batch\(batch_size\)"):
        checks._passes(forged, images, labels, "it", 3)


@pytest.mark.parametrize("batch, message", [
    ((np.zeros((4, 28, 28), np.float32), np.zeros(4, np.int64)), r"\(4, 28, 28\) float32"),
    ((np.zeros((4, 784), np.float64), np.zeros(4, np.int64)), r"\(4, 784\) float64"),
    ((np.zeros((4, 784), np.float32), np.zeros(4, np.float32)), r"labels.*\(4,\) float32"),
    ((np.zeros((4, 784), np.float32), np.zeros((4, 10), np.int64)), r"labels.*\(4, 10\)"),
])
def test_the_shapes_and_dtypes_of_batches_are_read_from_their_arrays(batch, message):
    images, labels = _pipeline_data()
    with pytest.raises(CheckFailed, match=message):
        checks._passes(_description([batch], is_dataset=True), images, labels, "it", 3)


def test_an_iterable_that_runs_once_cannot_pass_for_two_epochs():
    """A generator yields its epoch once and nothing after: the second pass is named, not
    taken for an epoch in another order."""
    images, labels = _pipeline_data()
    passes = checks._passes(_description([(images, labels)]), images, labels, "it", 3)
    checks._expect_new_passes([*passes, *passes], "it")
    with pytest.raises(CheckFailed, match=r"pass 2 over it yields nothing.*only once"):
        checks._expect_new_passes([*passes, {"batches": [], "more": False}], "it")


def test_something_that_cannot_be_iterated_is_named():
    images, labels = _pipeline_data()
    with pytest.raises(CheckFailed, match="returned a NoneType, which cannot be iterated"):
        checks._passes({"type": "NoneType", "is_dataset": False}, images, labels, "it", 3)


def test_a_pass_goes_on_when_a_batch_comes_beyond_the_cap():
    """That a pass does not end is read from the batches: one more than the probe was asked
    for (not from a flag the learner process sets)."""
    images, labels = _pipeline_data()
    batches = [(images[i:i + 4], labels[i:i + 4]) for i in (0, 4, 8)]
    (ended,) = checks._passes(_description(batches), images, labels, "it", 3)
    (endless,) = checks._passes(_description([*batches, batches[0]]), images, labels, "it", 3)
    assert (ended["more"], endless["more"]) == (False, True)
    assert endless["batches"] == ended["batches"]
    with pytest.raises(CheckFailed, match=r"never ends.*Leave out \.repeat\(\)"):
        checks._expect_one_epoch([endless], "it", 12, 4)
    checks._expect_one_epoch([ended], "it", 12, 4)

@pytest.mark.slow
def test_grade_batch_grades_a_lesson10_submission(tmp_path):
    classdir = tmp_path / "class"
    for student, source in (("ann", REPO / "solutions" / LESSON10.filename),
                            ("ben", untouched_stub(LESSON10.filename))):
        (classdir / student).mkdir(parents=True)
        (classdir / student / LESSON10.filename).write_bytes(source.read_bytes())
    out = tmp_path / "out"
    done = subprocess.run([GRADE, "batch", str(classdir), "--out", str(out), "--jobs", "1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr + done.stdout
    with (out / "grades.csv").open(encoding="utf-8") as table:
        rows = {(row["student"], row["lesson"]): row for row in csv.DictReader(table)}
    assert {key: (row["status"], float(row["score"]), float(row["max_score"]))
            for key, row in rows.items()} == {
        ("ann", "lesson10"): ("graded", LESSON10.max_points, LESSON10.max_points),
        ("ben", "lesson10"): ("graded", 0.0, LESSON10.max_points),
    }
