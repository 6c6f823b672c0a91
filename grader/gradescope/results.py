"""Gradescope's ``results.json`` for one submission, as its autograder specification has it.

Top level: ``score``, ``execution_time``, ``output``, ``visibility``, ``stdout_visibility`` and
``tests``; each test: ``name``, ``number``, ``score``, ``max_score``, ``status`` ("passed" or
"failed"), ``output`` and ``visibility``. A failed check's output is its message and its hint; a
passed check's is empty (hints are for failures only). The instructor's hidden checks are
``hidden`` or ``after_published``. What only the instructor should read (the sandbox's state,
a grader fault's traceback) is a ``hidden`` test worth nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.batch.records import LessonRecord
from grader.curriculum import Lesson
from grader.results import CheckResult

VISIBLE, HIDDEN = "visible", "hidden"
TELL_INSTRUCTOR = "this is not your mistake; tell your instructor"


@dataclass
class Graded:
    """One lesson of the submission: its record (checks, status) and how the file was read."""

    lesson: Lesson
    record: LessonRecord
    note: str = ""


@dataclass
class Document:
    """Everything results.json says, before it is rendered."""

    graded: list[Graded] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # for the student, in order
    instructor_notes: list[str] = field(default_factory=list)
    hidden_visibility: str = HIDDEN  # of a check not the lesson's that does not say its own
    footer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def render(self, execution_time: float) -> dict[str, Any]:
        tests: list[dict[str, Any]] = []
        lines: list[str] = []
        for item in self.graded:
            record, lesson = item.record, item.lesson
            known = {info.id for info in lesson.checks()}
            status = "" if record.status == "graded" else f" ({record.status})"
            lines.append(f"{lesson.name} {lesson.title}: {record.score:g}/{record.max_score:g} "
                         f"points{status}")
            if item.note:
                lines.append(f"  {item.note}")
            if record.problem and record.problem not in self.messages:
                lines.append(f"  {record.problem}")
            for index, check in enumerate(record.checks, start=1):
                visibility = getattr(check, "visibility", VISIBLE)  # hidden checks say theirs
                if visibility == VISIBLE and check.id not in known:
                    visibility = self.hidden_visibility
                tests.append(_test(lesson, index, check, visibility))
        if self.instructor_notes:
            tests.append(instructor_test("Autograder details (instructors only)",
                                         "\n".join(self.instructor_notes), passed=True))
        score = round(sum(item.record.score for item in self.graded), 6)
        possible = round(sum(item.record.max_score for item in self.graded), 6)
        head = [f"Score: {score:g}/{possible:g} points"] if self.graded else ["Score: 0 points"]
        return {
            "score": score,
            "execution_time": round(execution_time, 3),
            "output": "\n".join([*head, *self.messages, *lines,
                                *([self.footer] if self.footer else [])]),
            "visibility": VISIBLE,
            "stdout_visibility": HIDDEN,
            "tests": tests,
            "extra_data": {
                **self.extra,
                "max_score": possible,
                "lessons": {item.record.lesson: {
                    "score": item.record.score, "max_score": item.record.max_score,
                    "status": item.record.status, "problem": item.record.problem,
                    "sha256": item.record.sha256, "grader_version": item.record.grader_version,
                } for item in self.graded},
            },
        }


def _test(lesson: Lesson, index: int, check: CheckResult, visibility: str) -> dict[str, Any]:
    output = ""
    if not check.passed:
        output = check.message.strip()
        if check.hint:
            output += f"\n\nHint: {check.hint}"
    return {
        "name": f"{lesson.name}: {check.title}",
        "number": f"{lesson.number}.{index}",
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.passed else "failed",
        "output": output,
        "visibility": visibility,
        "extra_data": {"lesson": lesson.stem, "check": check.id, "outcome": check.outcome,
                       "seed": check.seed},
    }


def instructor_test(name: str, output: str, *, passed: bool) -> dict[str, Any]:
    """A test only instructors see, worth nothing."""
    return {"name": name, "score": 0.0, "max_score": 0.0,
            "status": "passed" if passed else "failed", "output": output, "visibility": HIDDEN}


def fault(execution_time: float, detail: str, *, received: list[str]) -> dict[str, Any]:
    """results.json when the autograder itself failed: zero, the student told to tell the
    instructor, the details in a hidden test (and in the hidden stdout)."""
    files = f" (your files were received: {', '.join(received)})" if received else ""
    return {
        "score": 0.0,
        "execution_time": round(execution_time, 3),
        "output": f"The autograder failed while grading your submission{files}: "
                  f"{TELL_INSTRUCTOR}.",
        "visibility": VISIBLE,
        "stdout_visibility": HIDDEN,
        "tests": [instructor_test("Grader fault (instructors only)", detail, passed=False)],
        "extra_data": {"grader_fault": True},
    }
