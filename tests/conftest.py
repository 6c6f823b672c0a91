"""Shared fixtures: one warm zygote for the whole test session, and a grading helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.curriculum import find_lesson
from grader.learner.zygote import Zygote
from grader.results import GradingResults
from grader.runner import grade_submission

REPO = Path(__file__).resolve().parents[1]
VARIANTS = Path(__file__).resolve().parent / "variants"


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote]:
    with Zygote() as warm:
        yield warm


@pytest.fixture(scope="session")
def grade(zygote: Zygote) -> Callable[..., GradingResults]:
    """``grade("lesson1", path)``: grade a file in-process, as ``grade lesson1 --submission``."""

    def run(lesson: str, path: Path, **options) -> GradingResults:
        return grade_submission(find_lesson(lesson), Path(path), zygote=zygote, **options)

    return run


def failed_checks(results: GradingResults) -> set[str]:
    """Ids of the checks that did not pass."""
    return {c.id for c in results.checks if not c.passed}


def expected_failures(path: Path) -> set[str]:
    """The check ids a variant file declares on its ``# expect-fail: a, b`` line."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect-fail:"):
            return {part.strip() for part in line.split(":", 1)[1].split(",") if part.strip()}
    raise AssertionError(f"{path} has no '# expect-fail:' line")
