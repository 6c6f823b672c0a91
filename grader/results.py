"""Grading results as data; reports (terminal, Gradescope JSON, gradebook) render them later."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

PASSED = "passed"
FAILED = "failed"
ERROR = "error"  # the grader itself failed on this check

#: The most characters a result keeps of each text field; longer text (a message quoting a
#: learner's 4 MiB tag, say) keeps its head and tail around a note of what was cut. Applied
#: whenever a field is set, so every report, export and the gradebook get capped text.
MESSAGE_LIMIT = 4096
TEXT_LIMITS: dict[str, int] = {
    "id": 256, "title": 512, "message": MESSAGE_LIMIT, "hint": MESSAGE_LIMIT,
    "output": 20 * 1024,  # the learner process already cuts its output at 16 KiB
    "grader_traceback": 16 * 1024, "problem": MESSAGE_LIMIT,
}


def capped(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` if it has at most ``limit`` characters, else its head and tail, and how much
    was cut between them (the result has at most ``limit`` characters)."""
    if len(text) <= limit:
        return text
    room = limit - len(f"\n[… {len(text):,} characters cut …]\n")
    note = f"\n[… {len(text) - room:,} characters cut …]\n"
    head = room * 3 // 4
    return text[:head] + note + text[len(text) - (room - head):]


class CappedText:
    """Caps the text fields named in :data:`TEXT_LIMITS` on every assignment."""

    _capped_fields: ClassVar[frozenset[str]] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._capped_fields and isinstance(value, str):
            value = capped(value, TEXT_LIMITS[name])
        object.__setattr__(self, name, value)


@dataclass
class CheckResult(CappedText):
    """The verdict of one check (its text fields capped, see :data:`TEXT_LIMITS`)."""

    _capped_fields: ClassVar[frozenset[str]] = frozenset(
        ("id", "title", "message", "hint", "output", "grader_traceback"))

    id: str
    title: str
    max_points: float
    points: float
    status: str  # PASSED, FAILED or ERROR
    message: str = ""
    hint: str = ""
    outcome: str = "passed"  # passed, failed, error, timeout, crashed, out of memory, grader error
    output: str = ""  # what the learner's code printed during the check
    seed: int = 0
    duration_s: float = 0.0
    grader_traceback: str = ""  # for instructors only
    #: Gradescope's visibility: "visible" for the lessons' checks; an instructor's hidden
    #: checks are "hidden" or what their module says (see grader.hidden)
    visibility: str = "visible"
    #: what the check measured against its thresholds (see grader.expect.measure): for
    #: `grade audit`'s margins, never shown to learners
    measurements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.visibility != "visible"

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class GradingResults(CappedText):
    """Every check of one lesson for one submission."""

    _capped_fields: ClassVar[frozenset[str]] = frozenset(("problem",))

    lesson: str
    title: str
    submission: str
    sha256: str
    grader_version: str
    checks: list[CheckResult] = field(default_factory=list)
    problem: str = ""  # one line that explains a failure of every check (import failed, ...)
    duration_s: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def possible(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    @property
    def full_marks(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(total=self.total, possible=self.possible, full_marks=self.full_marks)
        return data

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's ``results.json`` shape, with our extras under ``extra_data``."""
        summary = f"{self.title}: {_points(self.total)}/{_points(self.possible)} points"
        return {
            "score": self.total,
            "max_score": self.possible,
            "execution_time": round(self.duration_s, 3),
            "output": f"{summary}\n{self.problem}".strip(),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": c.title,
                    "number": f"{index}",
                    "score": c.points,
                    "max_score": c.max_points,
                    "status": "passed" if c.passed else "failed",
                    "output": c.message if not c.passed else "",
                    "visibility": c.visibility,
                    "extra_data": {
                        "check": c.id,
                        "outcome": c.outcome,
                        # a hint helps with a failure; for a passed check it is only an answer
                        **({"hint": c.hint} if not c.passed else {}),
                        "seed": c.seed,
                        "learner_output": c.output,
                    },
                }
                for index, c in enumerate(self.checks, start=1)
            ],
            "extra_data": {
                "lesson": self.lesson,
                "submission": self.submission,
                "sha256": self.sha256,
                "grader_version": self.grader_version,
            },
        }


def _points(value: float) -> str:
    return f"{value:g}"
