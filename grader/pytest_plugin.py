"""The pytest plugin that turns a lesson's check module into graded results.

It provides the fixtures checks use (``learner``, ``seed``, ``rng``), seeds every check from its
id so each run is reproducible, and records one :class:`~grader.results.CheckResult` per check:
a :class:`~grader.check.CheckFailed` or learner failure is a failed check with its message; any
other exception is a grader error, shown to the learner as such, its traceback kept for
instructors.

While a check runs, the exercise functions it ``uses`` are the grader's reference versions in the
learner process; a failed check that ``depends`` on a function which already failed its own
checks says so first, instead of a hint that points elsewhere.
"""

from __future__ import annotations

import contextlib
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from grader import expect
from grader.check import CheckFailed, CheckInfo, check_info
from grader.errors import GraderError
from grader.learner.failures import LearnerFailure, LearnerImportFailed
from grader.learner.session import LearnerSession, displayable
from grader.results import ERROR, FAILED, PASSED, CheckResult

if TYPE_CHECKING:
    from grader.curriculum import Lesson

GRADER_FAILED = "the grader failed on this check: tell your instructor (this is not your fault)"


_salt = ""  # "" in every grading; `grade audit` salts the seeds to show they do not matter


def seed_for(check_id: str) -> int:
    """A stable seed for a check, from its id: the same on every run and machine."""
    text = f"{_salt}:{check_id}" if _salt else check_id
    return zlib.crc32(text.encode("utf-8")) & 0x7FFFFFFF


@contextlib.contextmanager
def salted_seeds(salt: str) -> Iterator[None]:
    """Every seed of the checks run in this block salted with ``salt`` ("" changes nothing):
    how `grade audit` grades the reference under other seeds."""
    global _salt
    saved, _salt = _salt, salt
    try:
        yield
    finally:
        _salt = saved


class GradingPlugin:
    """Fixtures and result collection for one grading run."""

    def __init__(
        self,
        lesson_stem: str,
        session: LearnerSession,
        on_result: Callable[[CheckResult], None] | None = None,
        *,
        lesson: Lesson | None = None,
    ) -> None:
        self.lesson_stem = lesson_stem
        self.lesson = lesson
        # Without reference helpers (a release that keeps them out) a check runs the learner's
        # own versions of the functions it ``uses``, and blames them when they fail.
        self.has_reference = lesson is None or (lesson.folder / "reference.py").is_file()
        self.session = session
        self.on_result = on_result
        self.results: dict[str, CheckResult] = {}
        self.failed_functions: set[str] = set()  # exercise functions that failed a check of theirs
        self.import_failure: LearnerImportFailed | None = None
        self.infrastructure_error: GraderError | None = None
        self._started: dict[str, float] = {}

    def pytest_pycollect_makemodule(self, module_path: Path, parent: Any) -> Any:
        """The lesson's checks as the course package imported them (``<course>.<stem>.checks``,
        relative imports working), not a second copy under a name pytest makes up."""
        if self.lesson is None or module_path.resolve() != self.lesson.check_path.resolve():
            return None
        lesson = self.lesson

        class LessonChecks(pytest.Module):
            def _getobj(self) -> Any:
                return lesson.module()

        return LessonChecks.from_parent(parent, path=module_path)

    def _seed_of(self, item: pytest.Item) -> int:
        return seed_for(f"{self.lesson_stem}::{item.name}")

    @pytest.fixture
    def learner(self) -> LearnerSession:
        return self.session

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        return self._seed_of(request.node)

    @pytest.fixture
    def rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng(seed)

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._started[item.nodeid] = time.monotonic()
        expect.start_measuring()
        info = check_info(getattr(item, "function", None))
        self.session.substitutes = info.uses if info is not None and self.has_reference else ()
        self.session.current_check = info.id if info is not None else ""

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        self.session.substitutes = ()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        outcome = yield
        report = outcome.get_result()
        info = check_info(getattr(item, "function", None))
        if info is None or item.nodeid in self.results:
            return
        error = call.excinfo.value if call.excinfo is not None else None
        if isinstance(error, GraderError):  # not the learner's fault: stop, record nothing
            self.infrastructure_error = error
            item.session.shouldstop = str(error)
            return
        if report.when == "call" or (report.when == "setup" and report.failed):
            result = self._result(item, info, call)
            if not result.passed:
                self._blame_dependencies(info, result)
                self.failed_functions.update(info.grades)
            self.results[item.nodeid] = result
            if self.on_result is not None:
                self.on_result(result)

    def _blame_dependencies(self, info: CheckInfo, result: CheckResult) -> None:
        """Say first that a composition failed because a function it runs fails its own checks."""
        runs = (*info.depends, *(() if self.has_reference else info.uses))
        broken = [name for name in runs
                  if name in self.failed_functions and name not in info.grades]
        if not broken or result.status == ERROR or self.import_failure is not None:
            return
        names = ", ".join(f"`{name}`" for name in broken)
        which = ("which fails its own checks: fix it first" if len(broken) == 1
                 else "which fail their own checks: fix them first")
        result.message = f"depends on {names}, {which} ({result.message})"
        result.hint = (f"Fix {names} first: this check runs your own {names} and cannot pass "
                       "while it is wrong. Then grade again.")

    def _result(
        self, item: pytest.Item, info: CheckInfo, call: pytest.CallInfo[Any]
    ) -> CheckResult:
        result = CheckResult(
            id=info.id,
            title=info.title,
            max_points=info.points,
            points=0.0,
            status=FAILED,
            hint=info.hint,
            seed=self._seed_of(item),
            duration_s=round(time.monotonic() - self._started.get(item.nodeid, 0.0), 3)
            if item.nodeid in self._started else 0.0,
            output=self.session.last_output,
            measurements=expect.stop_measuring(),
        )
        error = call.excinfo.value if call.excinfo is not None else None
        if error is None:
            result.points, result.status, result.outcome = info.points, PASSED, "passed"
        elif isinstance(error, LearnerImportFailed):
            self.import_failure = error
            result.message, result.outcome = displayable(error.message), error.outcome
        elif isinstance(error, LearnerFailure):  # may quote the learner's own strings
            result.message, result.outcome = displayable(error.message), error.outcome
        elif isinstance(error, CheckFailed):
            result.message, result.outcome = displayable(str(error)), "failed"
        else:
            result.status, result.outcome, result.message = ERROR, "grader error", GRADER_FAILED
            result.grader_traceback = "".join(
                traceback.format_exception(type(error), error, error.__traceback__)
            )
        return result
