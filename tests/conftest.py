"""Shared fixtures: one warm zygote for the whole test session, a grading helper, and the
untouched stubs.

``exercises/`` is the learner's working copy: in a clone where the lessons were solved it holds
solutions. A test that needs an untouched stub takes it from :func:`untouched_stub` or
:func:`untouched_exercises` (derived from ``solutions/`` by :mod:`grader.stubs`), never from
``REPO / "exercises"`` (``tests/test_working_copy.py`` holds every test module to that).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from grader.curriculum import find_lesson
from grader.learner.zygote import Zygote
from grader.results import GradingResults
from grader.runner import grade_submission
from grader.stubs import read_stub

REPO = Path(__file__).resolve().parents[1]
VARIANTS = Path(__file__).resolve().parent / "variants"
SOLUTIONS = REPO / "solutions"


def untouched_exercises(folder: Path, solutions: Path = SOLUTIONS) -> Path:
    """``folder/exercises/`` holding every lesson's untouched stub, derived from ``solutions``,
    as a fresh clone has it (whatever the repository's working copy of ``exercises/`` holds)."""
    exercises = folder / "exercises"
    exercises.mkdir(parents=True, exist_ok=True)
    for solution in sorted(solutions.glob("lesson*_*.py")):
        (exercises / solution.name).write_text(read_stub(solution), encoding="utf-8")
    return exercises


@cache
def _stub_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="grader-tests-stubs-"))
    folder.chmod(0o755)  # readable as a submission is, by the sandbox's own user too
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return untouched_exercises(folder)


def untouched_stub(filename: str) -> Path:
    """The untouched stub of ``exercises/<filename>`` (derived from ``solutions/``), as a file."""
    path = _stub_folder() / filename
    if not path.is_file():
        raise FileNotFoundError(f"no solutions/{filename} to derive exercises/{filename} from")
    return path


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
