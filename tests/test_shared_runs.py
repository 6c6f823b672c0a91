"""A lesson's checks that read the same learner run share one run per grading (issue 21), and
the grader's own training steps cost no more than they must, with every verdict as it was:
which checks each variant fails is ``tests/test_variants.py``'s."""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any

import numpy as np

from grader.curriculum import find_lesson
from tests.conftest import VARIANTS, expected_failures, failed_checks


def _probes_run(grade, lesson: str, path) -> tuple[Any, Counter, dict[str, set[str]]]:
    """The results, how many times each probe ran, and the checks that received its answer
    (a shared answer reaches each of them as the very same reply)."""
    replies: list[tuple[str, str, Any]] = []
    results = grade(lesson, path, replies=replies)
    runs = Counter(probe for probe, _ in {(probe, id(value)) for _, probe, value in replies})
    receivers: dict[str, set[str]] = {}
    for check_id, probe, _ in replies:
        receivers.setdefault(probe, set()).add(check_id)
    return results, runs, receivers


def test_lesson6_builds_the_convnet_once_for_its_three_architecture_checks(grade):
    # An uncompiled model: no training runs, and three checks read build_convnet's models.
    path = VARIANTS / "lesson6" / "buggy" / "b11_not_compiled.py"
    results, runs, receivers = _probes_run(grade, "lesson6", path)
    assert runs["lesson6_conv_mnist:build_convnet"] == 1
    assert len(receivers["lesson6_conv_mnist:build_convnet"]) == 3
    assert failed_checks(results) == expected_failures(path)  # each check still judged


def _model(seed: int) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        keras.layers.Conv2D(3, 3, activation="relu", name="frozen"),
        keras.layers.BatchNormalization(name="norm"),
        keras.layers.Flatten(),
        keras.layers.Dense(4, kernel_regularizer=keras.regularizers.L2(0.01), name="head"),
    ])
    model.get_layer("frozen").trainable = False
    return model


def test_lesson7_grader_step_moves_the_weights_as_one_step_of_model_fit_with_plain_sgd():
    """The grader's step, run eagerly, moves every weight exactly as the one step of
    ``model.fit`` (SGD at the same rate, cross-entropy of logits) it replaced: the frozen layer
    not at all, BatchNormalization statistics and the regularised head as fit moves them."""
    import keras

    lesson = find_lesson("lesson7")
    lesson.module()  # the course's lessons importable as a package
    probes = importlib.import_module(lesson.package + ".probes")
    rng = np.random.default_rng(7)
    images = rng.random((8, 6, 6, 1)).astype(np.float32)
    labels = rng.integers(0, 4, 8)
    by_fit, by_step = _model(3), _model(3)
    by_fit.compile(optimizer=keras.optimizers.SGD(learning_rate=probes.HEAD_RATE),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    by_fit.fit(images, labels, epochs=1, batch_size=len(images), shuffle=False, verbose=0)
    start = [np.array(w) for w in _model(3).get_weights()]
    probes._sgd_step(by_step, images, labels)
    for name, fitted, stepped, first in zip([w.path for w in by_fit.weights],
                                            by_fit.get_weights(), by_step.get_weights(), start,
                                            strict=True):
        np.testing.assert_allclose(stepped, fitted, rtol=1e-5, atol=1e-6, err_msg=name)
        if name.startswith("frozen/"):
            np.testing.assert_array_equal(stepped, first)
    assert not np.array_equal(by_step.get_layer("head").get_weights()[0], start[-2])


def test_a_shared_answer_counts_for_every_check_that_receives_it_in_check_course(grade):
    """Lesson 1's counter runs once for three checks; the one that declares the learner's
    reported fact (is it a tf.function?) receives it too, so `grade check-course` finds the
    fact declared rather than undeclared behind the first check that asked."""
    from grader.authoring.checking import reported_problems

    lesson = find_lesson("lesson1")
    replies: list[tuple[str, str, Any]] = []
    grade("lesson1", lesson.solution_path, replies=replies)
    counter = [(check_id, id(value)) for check_id, probe, value in replies
               if probe == "lesson1_warmup:counter"]
    assert len({run for _, run in counter}) == 2  # counting 1, 2, 3; two counters in turn
    assert "counter_is_tf_function" in {check_id for check_id, _ in counter}
    problems, declared = reported_problems(lesson, replies)
    assert problems == [] and any("counter_is_tf_function" in line for line in declared)
