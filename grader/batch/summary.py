"""The class at a glance: each lesson's mean and spread, how often each check passes (among the
files that loaded), each student's scores, and every file that could not be graded, and why."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from .records import ERROR, GRADED, MISSING, LessonInfo, LessonRecord


def loaded(record: LessonRecord) -> bool:
    """Whether the student's file was there and imported, so that its checks could judge it."""
    return record.status not in (MISSING, ERROR) and not record.problem.startswith("importing ")


@dataclass
class LessonStats:
    lesson: LessonInfo
    scores: list[float]  # every student's, a missing file counting 0
    max_score: float
    statuses: Counter[str] = field(default_factory=Counter)
    unloadable: int = 0  # files handed in that could not be read or imported

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def spread(self) -> float:
        """The population standard deviation of the scores."""
        return statistics.pstdev(self.scores) if len(self.scores) > 1 else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0


@dataclass
class CheckStats:
    lesson: LessonInfo
    check_id: str
    title: str
    passed: int = 0
    submitted: int = 0  # students whose file for the lesson loaded (imported)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.submitted if self.submitted else 0.0


def summarize(
    records: list[LessonRecord], lessons: dict[str, LessonInfo]
) -> tuple[list[LessonStats], list[CheckStats]]:
    per_lesson: dict[str, LessonStats] = {}
    per_check: dict[tuple[str, str], CheckStats] = {}
    for record in records:
        lesson = lessons[record.lesson]
        stats = per_lesson.setdefault(record.lesson, LessonStats(lesson, [], record.max_score))
        stats.scores.append(record.score)
        stats.statuses[record.status] += 1
        stats.unloadable += record.status != MISSING and not loaded(record)
        for check in record.checks:
            entry = per_check.setdefault((record.lesson, check.id),
                                         CheckStats(lesson, check.id, check.title))
            if loaded(record):  # a file that did not import says nothing about a check
                entry.submitted += 1
                entry.passed += check.passed
    order = sorted(per_lesson.values(), key=lambda s: s.lesson.number)
    return order, list(per_check.values())


def _g(value: float) -> str:
    return f"{value:.3g}" if value != int(value) else f"{value:g}"


def render(console: Console, lessons: list[LessonStats], checks: list[CheckStats]) -> None:
    table = Table(title="Lessons", title_justify="left")
    for column in ("lesson", "students", "mean", "sd", "median", "max", "outcomes"):
        table.add_column(column, justify="left" if column in ("lesson", "outcomes") else "right")
    for s in lessons:
        outcomes = ", ".join(f"{n} {status}" for status, n in sorted(s.statuses.items()))
        table.add_row(s.lesson.name, str(len(s.scores)),
                      f"{_g(s.mean)}/{_g(s.max_score)}", _g(s.spread), _g(s.median),
                      _g(max(s.scores, default=0)), outcomes)
    console.print(table)
    rates = Table(title="Checks (pass rate among files that loaded, hardest first)",
                  title_justify="left")
    for column in ("lesson", "check", "passed", "rate"):
        rates.add_column(column, justify="right" if column in ("passed", "rate") else "left")
    for c in sorted(checks, key=lambda c: (c.pass_rate, c.lesson.number)):
        rates.add_row(c.lesson.name, c.title, f"{c.passed}/{c.submitted}",
                      f"{c.pass_rate:.0%}")
    console.print(rates)


def _cell(text: str) -> str:
    """``text`` safe in one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def markdown(lessons: list[LessonStats], checks: list[CheckStats],
             records: list[LessonRecord] | None = None,
             ignored: list[tuple[str, str]] | None = None) -> str:
    """The class summary (``summary.md``); ``ignored``: ``(file, why)`` of the class folder's
    files that no student's lesson was graded from."""
    lines = ["# Class summary", "", "| lesson | students | mean | sd | median | max | outcomes |",
             "|---|---|---|---|---|---|---|"]
    for s in lessons:
        outcomes = ", ".join(f"{n} {status}" for status, n in sorted(s.statuses.items()))
        lines.append(f"| {s.lesson.name} {s.lesson.title} | {len(s.scores)} | {_g(s.mean)}/"
                     f"{_g(s.max_score)} | {_g(s.spread)} | {_g(s.median)} | "
                     f"{_g(max(s.scores, default=0))} | {outcomes} |")
    lines += ["", "## Checks, hardest first", "",
              "Pass rates count the files that loaded; files that could not be read or "
              "imported are listed under Errors.", "",
              "| lesson | check | passed | rate |", "|---|---|---|---|"]
    for c in sorted(checks, key=lambda c: (c.pass_rate, c.lesson.number)):
        lines.append(f"| {c.lesson.name} | {c.title} | {c.passed}/{c.submitted} | "
                     f"{c.pass_rate:.0%} |")
    unloadable = [f"{s.lesson.name}: {s.unloadable}" for s in lessons if s.unloadable]
    if unloadable:
        lines += ["", "Files that did not load (left out of the pass rates): "
                  + ", ".join(unloadable) + "."]
    if records is not None:
        lines += _students(lessons, records) + _errors(lessons, records)
    if ignored is not None:
        lines += _ignored(ignored)
    return "\n".join(lines) + "\n"


def _ignored(ignored: list[tuple[str, str]]) -> list[str]:
    """Every file of the class folder that was not graded, and why."""
    lines = ["", "## Ignored files", ""]
    if not ignored:
        return [*lines, "None: every file in the class folder was a student's lesson file."]
    lines += ["| file | why |", "|---|---|"]
    lines += [f"| {_cell(path)} | {_cell(why)} |" for path, why in ignored]
    return lines


def _students(lessons: list[LessonStats], records: list[LessonRecord]) -> list[str]:
    """Each student's score and status per lesson, one row per student."""
    order = [s.lesson for s in lessons]
    table: dict[str, dict[str, LessonRecord]] = {}
    for record in records:
        table.setdefault(record.student, {})[record.lesson] = record
    lines = ["", "## Students", "",
             "| student | " + " | ".join(lesson.name for lesson in order) + " | total |",
             "|---" * (len(order) + 2) + "|"]
    for student in sorted(table):
        own = table[student]
        cells = []
        for lesson in order:
            record = own.get(lesson.stem)
            if record is None:
                cells.append("")
                continue
            status = "" if record.status == GRADED else f" {record.status}"
            cells.append(f"{_g(record.score)}/{_g(record.max_score)}{status}")
        total = sum(r.score for r in own.values())
        possible = sum(r.max_score for r in own.values())
        lines.append(f"| {_cell(student)} | " + " | ".join(cells)
                     + f" | {_g(round(total, 6))}/{_g(round(possible, 6))} |")
    return lines


def _errors(lessons: list[LessonStats], records: list[LessonRecord]) -> list[str]:
    """Every file that could not be graded in full: student, file and what went wrong."""
    names = {s.lesson.stem: s.lesson for s in lessons}
    failed = [r for r in records if r.status not in (GRADED, MISSING)]
    lines = ["", "## Errors", ""]
    if not failed:
        return [*lines, "None: every file handed in was graded in full."]
    lines += ["| student | file | status | message |", "|---|---|---|---|"]
    for record in failed:
        lesson = names.get(record.lesson)
        file = f"{record.lesson}.py" if lesson is None else f"{lesson.stem}.py"
        lines.append(f"| {_cell(record.student)} | {file} | {record.status} | "
                     f"{_cell(record.problem)[:300]} |")
    return lines
