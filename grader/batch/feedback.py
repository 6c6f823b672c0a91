"""Feedback for one student, in Markdown, to hand back as is: what failed, why, and hints.

Only what the student may see: check titles, messages, hints and what their own code printed;
never the grader's tracebacks nor anything about other students.
"""

from __future__ import annotations

import re

from grader.results import CheckResult

from .records import GRADED, MISSING, LessonInfo, LessonRecord, has_hidden, without_hidden

OUTPUT_LIMIT = 2000
HIDDEN_NOTE = "Your instructor also grades your work with checks of their own, not shown here."

_STATUS_WORDS = {
    "error": "your file could not be loaded",
    "timeout": "your code ran out of time",
    "out of memory": "your code used too much memory",
    "crashed": "your code crashed the process running it",
    "grader error": "the grader itself failed on a check: tell your instructor",
}


def _fenced(text: str, info: str = "text") -> str:
    """``text`` in a code fence longer than any run of backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def _points(value: float) -> str:
    return f"{value:g}"


def _check_section(check: CheckResult) -> list[str]:
    lines = [f"### ✗ {check.title} ({_points(check.points)}/{_points(check.max_points)})", ""]
    if check.message.strip():
        lines += [_fenced(check.message), ""]
    if check.hint:
        lines += [f"**Hint:** {check.hint}", ""]
    if check.output.strip():
        output = check.output
        if len(output) > OUTPUT_LIMIT:
            output = output[:OUTPUT_LIMIT] + "\n[… cut]"
        lines += ["What your code printed during this check:", "", _fenced(output), ""]
    return lines


def _lesson_section(record: LessonRecord, lesson: LessonInfo) -> list[str]:
    heading = (f"## {lesson.name}: {lesson.title} — "
               f"{_points(record.score)}/{_points(record.max_score)}")
    lines = [heading, ""]
    failing = [c for c in record.checks if not c.passed]
    passed = [c for c in record.checks if c.passed]
    filename = f"{lesson.stem}.py"
    if record.status == MISSING:
        return [*lines, f"No file `{filename}` was found in your submission, so this lesson "
                "counts 0 points. If you did submit it, check the file's name.", ""]
    if not failing:
        return [*lines, "Every check passed. Well done!", ""]
    if record.status != GRADED:
        lines += [f"**{_STATUS_WORDS.get(record.status, record.status).capitalize()}.**", ""]
    same_reason = len(failing) > 1 and len({c.message for c in failing}) == 1
    if passed:
        lines += ["Passed: " + ", ".join(c.title for c in passed) + ".", ""]
    if same_reason:  # e.g. the file does not import: one reason, and no check could judge it
        lines += [f"These {len(failing)} checks failed for the same reason:", "",
                  *(f"- {c.title} ({_points(c.points)}/{_points(c.max_points)})"
                    for c in failing),
                  "", _fenced(failing[0].message), ""]
    else:
        for check in failing:
            lines += _check_section(check)
    lines += [f"Fix `{filename}`, then check it yourself with `grade {lesson.name}` "
              "(add `--hint` to see hints).", ""]
    return lines


def feedback_markdown(
    student: str, records: list[LessonRecord], lessons: dict[str, LessonInfo], *,
    hidden: bool = False,
) -> str:
    """The feedback file of ``student``; the instructor's hidden checks only if ``hidden``
    (without them, the points are those of the checks shown, and a line says more exist)."""
    any_hidden = has_hidden(records)
    if not hidden:
        records = [without_hidden(r) for r in records]
    score = sum(r.score for r in records)
    possible = sum(r.max_score for r in records)
    lines = [f"# Feedback for {student}", "",
             f"Total: **{_points(round(score, 6))}/{_points(round(possible, 6))} points**.", "",
             *([HIDDEN_NOTE, ""] if any_hidden and not hidden else []),
             "| Lesson | Points | Status |", "|---|---|---|"]
    for record in records:
        lesson = lessons[record.lesson]
        lines.append(f"| {lesson.name}: {lesson.title} | {_points(record.score)}/"
                     f"{_points(record.max_score)} | {record.status} |")
    lines.append("")
    for record in records:
        lines += _lesson_section(record, lessons[record.lesson])
    return "\n".join(lines).rstrip() + "\n"
