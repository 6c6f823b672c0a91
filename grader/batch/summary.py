"""The class at a glance: each lesson's mean and spread, and how often each check passes."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from .records import MISSING, LessonInfo, LessonRecord


@dataclass
class LessonStats:
    lesson: LessonInfo
    scores: list[float]  # every student's, a missing file counting 0
    max_score: float
    statuses: Counter[str] = field(default_factory=Counter)

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
    submitted: int = 0  # students who handed in a file for the lesson

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
        for check in record.checks:
            entry = per_check.setdefault((record.lesson, check.id),
                                         CheckStats(lesson, check.id, check.title))
            if record.status != MISSING:
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
    rates = Table(title="Checks (pass rate among submitted files, hardest first)",
                  title_justify="left")
    for column in ("lesson", "check", "passed", "rate"):
        rates.add_column(column, justify="right" if column in ("passed", "rate") else "left")
    for c in sorted(checks, key=lambda c: (c.pass_rate, c.lesson.number)):
        rates.add_row(c.lesson.name, c.title, f"{c.passed}/{c.submitted}",
                      f"{c.pass_rate:.0%}")
    console.print(rates)


def markdown(lessons: list[LessonStats], checks: list[CheckStats]) -> str:
    lines = ["# Class summary", "", "| lesson | students | mean | sd | median | max | outcomes |",
             "|---|---|---|---|---|---|---|"]
    for s in lessons:
        outcomes = ", ".join(f"{n} {status}" for status, n in sorted(s.statuses.items()))
        lines.append(f"| {s.lesson.name} {s.lesson.title} | {len(s.scores)} | {_g(s.mean)}/"
                     f"{_g(s.max_score)} | {_g(s.spread)} | {_g(s.median)} | "
                     f"{_g(max(s.scores, default=0))} | {outcomes} |")
    lines += ["", "## Checks, hardest first", "", "| lesson | check | passed | rate |",
              "|---|---|---|---|"]
    for c in sorted(checks, key=lambda c: (c.pass_rate, c.lesson.number)):
        lines.append(f"| {c.lesson.name} | {c.title} | {c.passed}/{c.submitted} | "
                     f"{c.pass_rate:.0%} |")
    return "\n".join(lines) + "\n"
