"""One student's result for one lesson: what the gradebook stores and the exports render."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from grader.check import CheckInfo
from grader.curriculum import Lesson
from grader.results import FAILED, CappedText, CheckResult, GradingResults

GRADED = "graded"
MISSING = "missing"
ERROR = "error"  # the file could not be imported (syntax error, exception at import) or read
TIMEOUT = "timeout"
OUT_OF_MEMORY = "out of memory"
CRASHED = "crashed"
GRADER_ERROR = "grader error"  # a check of ours failed: tell whoever maintains the grader

# The status of a lesson is the worst thing that happened while grading it, in this order; the
# score is always the sum of the checks' points, exactly as `grade lessonN --submission` gives.
_SEVERITY = (CRASHED, OUT_OF_MEMORY, TIMEOUT, ERROR, GRADER_ERROR)
STATUSES = (GRADED, MISSING, *_SEVERITY)


@dataclass(frozen=True)
class LessonInfo:
    """A lesson as the gradebook knows it (it may hold lessons this grader no longer has)."""

    stem: str
    number: int
    title: str

    @property
    def name(self) -> str:
        return f"lesson{self.number}"


@dataclass
class LessonRecord(CappedText):
    """The outcome of one student × lesson (its ``problem`` capped like a check's message)."""

    _capped_fields: ClassVar[frozenset[str]] = frozenset(("problem",))

    student: str
    lesson: str  # the lesson's stem, e.g. "lesson1_basics"
    status: str
    sha256: str | None  # None when there is no file
    grader_version: str
    checks: list[CheckResult] = field(default_factory=list)
    problem: str = ""  # one line on why the status is not "graded"
    duration_s: float = 0.0
    graded_at: str = ""

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)


def from_results(
    student: str, lesson: Lesson, results: GradingResults, grader_version: str
) -> LessonRecord:
    """The record of a graded file, its status the worst outcome among its checks."""
    status, problem = GRADED, ""
    outcomes = [c.outcome for c in results.checks]
    for candidate in _SEVERITY:
        if candidate in outcomes:
            status = candidate
            first = next(c for c in results.checks if c.outcome == candidate)
            # an import that hung or crashed names the import, not the first check that needed it
            about_import = first.message.startswith("importing ")
            problem = results.problem or (
                first.message if about_import
                # a hidden check's message stays in the gradebook's checks, not in this line
                else f"{first.title}: {candidate}" if first.hidden
                else f"{first.title}: {first.message}")
            break
    return LessonRecord(
        student=student,
        lesson=lesson.stem,
        status=status,
        sha256=results.sha256,
        grader_version=grader_version,
        checks=list(results.checks),
        problem=_one_line(problem),
        duration_s=results.duration_s,
    )


def without_grading(
    student: str,
    lesson: Lesson,
    *,
    status: str,
    problem: str,
    sha256: str | None,
    grader_version: str,
    hidden: Any = None,
) -> LessonRecord:
    """The record of a file that was not graded (missing, unreadable): every check at 0
    (``hidden``: the instructor's :class:`~grader.hidden.HiddenChecks` count too)."""
    return LessonRecord(
        student=student,
        lesson=lesson.stem,
        status=status,
        sha256=sha256,
        grader_version=grader_version,
        checks=[
            CheckResult(
                id=info.id, title=info.title, max_points=info.points, points=0.0,
                status=FAILED, message=problem, hint=info.hint, outcome=status,
                visibility=visibility,
            )
            for info, visibility in checks_with_visibility(lesson, hidden)
        ],
        problem=problem,
    )


def without_hidden(record: LessonRecord) -> LessonRecord:
    """``record`` without the instructor's hidden checks (its score: the checks shown)."""
    return dataclasses.replace(record, checks=[c for c in record.checks if not c.hidden])


WITHHELD = "a check of your instructor's: its details are not shown"


def withheld(check: CheckResult) -> CheckResult:
    """``check`` as a student may see it: a hidden check keeps its title and points, but not
    its message (which may quote expected values), hint or what the learner's code printed."""
    if not check.hidden:
        return check
    message = "" if check.passed else f"{WITHHELD} ({check.outcome})"
    return dataclasses.replace(check, message=message, hint="", output="", grader_traceback="")


def has_hidden(records: list[LessonRecord]) -> bool:
    return any(c.hidden for r in records for c in r.checks)


def checks_with_visibility(lesson: Lesson, hidden: Any = None) -> list[tuple[CheckInfo, str]]:
    """Every check of ``lesson`` with its visibility: its own, then the hidden ones."""
    own = [(info, "visible") for info in lesson.checks()]
    extra = hidden.checks(lesson) if hidden is not None else []
    return own + [(check.info, check.visibility) for check in extra]


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def results_from_dict(data: dict) -> GradingResults:
    """A :class:`GradingResults` back from its ``to_dict()`` (as a batch worker sends it)."""
    fields = {k: v for k, v in data.items() if k not in ("total", "possible", "full_marks")}
    checks = [CheckResult(**check) for check in fields.pop("checks")]
    return GradingResults(**fields, checks=checks)
