"""Independently written submissions are graded as they should be.

``tests/variants/lessonN/correct/*.py`` are other correct ways to write a lesson: each must get
full marks. ``tests/variants/lessonN/buggy/*.py`` are mistakes learners really make: each
declares on an ``# expect-fail:`` line exactly which checks it must fail; all others must pass.
"""

from __future__ import annotations

import pytest

from tests.conftest import VARIANTS, expected_failures, failed_checks

CORRECT = sorted(VARIANTS.glob("lesson*/correct/*.py"))
BUGGY = sorted(VARIANTS.glob("lesson*/buggy/*.py"))


def _lesson(path) -> str:
    return path.parent.parent.name


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: f"{_lesson(p)}/{p.stem}")
def test_correct_variant_gets_full_marks(grade, path):
    results = grade(_lesson(path), path)
    failures = {c.id: c.message for c in results.checks if not c.passed}
    assert results.full_marks, failures


@pytest.mark.parametrize("path", BUGGY, ids=lambda p: f"{_lesson(p)}/{p.stem}")
def test_buggy_variant_fails_exactly_its_checks(grade, path):
    results = grade(_lesson(path), path)
    assert failed_checks(results) == expected_failures(path), {
        c.id: c.message for c in results.checks if not c.passed
    }
    assert not results.full_marks  # it may lose only checks worth no points (reported facts)
