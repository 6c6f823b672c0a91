"""Lessons 7 and 8: no point rests on a fact the learner process reports about itself, and each
failing check names the mistake that was made.

Lesson 7 sees which layers are trainable from the weights that one step of the grader's own
training moves (compared in the trusted process, with the head's update recomputed there), not
from the layers' flags; lesson 8 recomputes every recorded call of ``dream_step`` and follows the
chain from the start image to the returned one before it checks the octave sizes. Each attack
rewrites the grader's probe from the submission and must earn no more than its honest twin (the
same submission without the attack). The messages are checked here; which checks fail is
``tests/test_variants.py``'s.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from grader.results import GradingResults
from tests.conftest import VARIANTS

ATTACKS = Path(__file__).resolve().parent / "adversarial"


@pytest.fixture(scope="module")
def graded(grade):
    """Each file graded once for the whole module."""

    @cache
    def run(lesson: str, path: Path) -> GradingResults:
        return grade(lesson, path)

    return run


def _points(results: GradingResults) -> dict[str, float]:
    return {c.id: c.points for c in results.checks}


def _message(results: GradingResults, check: str) -> str:
    (found,) = [c for c in results.checks if c.id == check]
    assert not found.passed, f"{check} passed"
    return " ".join(found.message.split())


@pytest.mark.parametrize(("lesson", "attack", "twin", "check", "expect"), [
    ("lesson7", "forge_frozen_extractor.py", "honest_unfrozen_extractor.py",
     "extractor_is_frozen", r"step did not run as the grader wrote it"),
    ("lesson8", "forge_octaves.py", "honest_dream_without_octaves.py", "dream_octaves",
     r"not what the last call of dream_step returned"),
])
def test_a_forged_probe_earns_no_more_than_its_honest_twin(graded, lesson, attack, twin, check,
                                                           expect):
    forged = graded(lesson, ATTACKS / lesson / attack)
    honest = graded(lesson, ATTACKS / lesson / twin)
    unearned = {name: (points, _points(honest)[name])
                for name, points in _points(forged).items() if points > _points(honest)[name]}
    assert not unearned, f"points the honest twin does not earn: {unearned}"
    assert forged.total < forged.possible
    assert re.search(expect, _message(forged, check))


def test_an_extractor_left_trainable_is_named_by_the_layers_that_moved(graded):
    results = graded("lesson7", ATTACKS / "lesson7" / "honest_unfrozen_extractor.py")
    message = _message(results, "extractor_is_frozen")
    assert re.search(r"changed the weights of .*conv.*extractor\.trainable = False", message)
    assert "did not run" not in message


@pytest.mark.parametrize("check", ["dream_step_ascends", "dream_step_normalised",
                                   "dream_step_clips", "dream_step_flat_gradient"])
def test_a_tape_that_does_not_watch_the_image_is_named(graded, check):
    results = graded("lesson8", VARIANTS / "lesson8" / "buggy" / "b14_no_tape_watch.py")
    message = _message(results, check)
    assert "the gradient is None: watch the image with tape.watch(image)" in message
    assert "Attempt to convert" not in message


def test_a_clip_to_zero_one_is_named_by_the_clip_check_only(graded):
    results = graded("lesson8", VARIANTS / "lesson8" / "buggy" / "b15_clip_zero_one.py")
    assert {c.id for c in results.checks if not c.passed} == {"dream_step_clips"}
    assert "clip to [-1, 1], not to [0, 1]" in _message(results, "dream_step_clips")


@pytest.mark.parametrize(("variant", "checks"), [
    ("b16_octaves_height_width_swapped.py",
     ("dream_original_size", "dream_octaves", "dream_raises_loss")),
    ("b17_octaves_swapped_resized_back.py", ("dream_octaves", "dream_raises_loss")),
])
def test_swapped_height_and_width_are_named(graded, variant, checks):
    results = graded("lesson8", VARIANTS / "lesson8" / "buggy" / variant)
    for check in checks:
        message = _message(results, check)
        assert "height and width swapped" in message
        assert "resize the dreamed image back" not in message
