"""``grade audit [LESSON ...]``: prove a lesson's checks — planted bugs caught, seeds that do not
matter, thresholds with their margins (see :mod:`grader.audit`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.audit import saved
from grader.audit.run import BROKEN, CAUGHT, EQUIVALENT, SURVIVED, LessonAudit, audit_lesson
from grader.batch.scheduling import Limits
from grader.curriculum import Lesson, lessons
from grader.errors import SetupError
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S
from grader.report.files import write_atomic
from grader.runner import machine_capabilities

EXIT_OK = 0
EXIT_WEAK = 1


def solution_of(lesson: Lesson) -> Path:
    """The lesson's reference solution, or a SetupError saying where it was looked for."""
    path = lesson.solution_path
    if not path.is_file():
        raise SetupError(f"no {path}: grade audit mutates the reference solution; run it on the "
                         "instructor's course folder (a student release has no solutions/)")
    return path


def main(
    *,
    console: Console,
    chosen: list[Lesson] | None = None,
    seeds: int = 20,
    max_mutants: int | None = None,
    jobs: int | None = None,
    json_out: Path | None = None,
    call_timeout: float = DEFAULT_CALL_TIMEOUT_S,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT_S,
) -> int:
    """Audit ``chosen`` lessons (default: all); exit 0 only when every one meets the goals."""
    if seeds < 0:
        raise SetupError("--seeds takes a whole number, 0 or more")
    targets = chosen or list(lessons())
    solutions = {lesson.stem: solution_of(lesson) for lesson in targets}
    workers = max(1, jobs or os.cpu_count() or 1)
    limits = Limits(call_s=call_timeout, total_s=total_timeout)
    isolate = machine_capabilities().isolated
    audits: list[LessonAudit] = []
    for lesson in targets:
        audits.append(_audit_one(console, lesson, solutions[lesson.stem], seeds=seeds,
                                 max_mutants=max_mutants, workers=workers, limits=limits,
                                 isolate=isolate))
    for audit in audits:  # the site's instructor section shows the last audit of each lesson
        lesson = next(lesson for lesson in targets if lesson.stem == audit.lesson)
        original = solutions[audit.lesson].read_text(encoding="utf-8")
        saved.save(lesson, dict(audit.to_dict(original, solutions[audit.lesson].name),
                                seeds_asked=seeds))
    console.print(summary_table(audits))
    for audit in audits:
        _print_findings(console, audit, solutions[audit.lesson])
    if json_out is not None:
        report = {"lessons": [a.to_dict(solutions[a.lesson].read_text(encoding="utf-8"),
                                        solutions[a.lesson].name) for a in audits],
                  "seeds": seeds, "max_mutants": max_mutants}
        write_atomic(json_out, json.dumps(report, indent=2) + "\n")
        console.print(f"Report: {json_out}", soft_wrap=True)
    return EXIT_OK if all(a.ok for a in audits) else EXIT_WEAK


def _audit_one(console: Console, lesson: Lesson, solution: Path, **options) -> LessonAudit:
    columns = (TextColumn(f"Auditing {lesson.name}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(lesson.name, total=None)
        return audit_lesson(
            lesson, solution, **options,
            on_total=lambda n: progress.update(task, total=n),
            on_progress=lambda _name: progress.advance(task),
        )


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def summary_table(audits: list[LessonAudit]) -> Table:
    """One row per lesson: mutants, caught, survived, known equivalents, seeds, the verdict."""
    table = Table(title="grade audit")
    for name in ("lesson", "mutants", "caught", "survived", "equivalent", "broken", "score",
                 "seeds full marks", "tightest margin", "verdict"):
        table.add_column(name, justify="left" if name in ("lesson", "verdict") else "right")
    for a in audits:
        tight = a.margins[0] if a.margins else None
        table.add_row(
            a.lesson, f"{len(a.mutants)}" + (f" of {a.generated}" if a.generated > len(a.mutants)
                                              else ""),
            str(a.count(CAUGHT)), str(a.count(SURVIVED)), str(a.count(EQUIVALENT)),
            str(a.count(BROKEN)), _percent(a.score),
            f"{len(a.seeds) - a.seeds_failed}/{len(a.seeds)}",
            f"{tight.margin:+.3g} ({tight.name})" if tight else "–",
            "ok" if a.ok else ("reference fails" if a.problem else "weak"),
        )
    return table


def _print_findings(console: Console, audit: LessonAudit, solution: Path) -> None:
    original = solution.read_text(encoding="utf-8")
    if audit.problem:
        console.print(f"[red]{audit.lesson}: {escape(audit.problem)}[/]", soft_wrap=True)
    for result in audit.mutants:
        if result.status != SURVIVED:
            continue
        console.print(
            f"[yellow]{audit.lesson}: survived[/] {result.mutant.id} in "
            f"`{result.mutant.function}` (line {result.mutant.line}): "
            f"{escape(result.mutant.what)}; no check lost a point. Add or sharpen a check, or "
            f"record it as equivalent in course/{audit.lesson}/audit.toml with the reason.",
            soft_wrap=True)
        console.print(escape(result.mutant.diff(original, solution.name)), soft_wrap=True,
                      highlight=False)
    for run in audit.seeds:
        for failure in run.failed:
            console.print(
                f"[red]{audit.lesson}: seed salt {run.salt}[/]: the reference lost "
                f"{escape(failure['check'])} (seed {failure['seed']}): "
                f"{escape(str(failure['message'])[:300])}", soft_wrap=True)
    for stale in audit.stale:
        console.print(f"{audit.lesson}: course/{audit.lesson}/audit.toml records {stale}, "
                      "which no mutant has any more: remove the line", soft_wrap=True)
    if audit.margins:
        table = Table(title=f"{audit.lesson}: thresholds over {len(audit.seeds) + 1} runs of "
                      "the reference (tightest first)")
        for name in ("check", "measure", "threshold", "worst", "best", "margin"):
            table.add_column(name, justify="left" if name in ("check", "measure") else "right")
        for t in audit.margins:
            sign = "≥" if t.at_least else "≤"
            table.add_row(t.check, t.name, f"{sign} {t.threshold:.4g}", f"{t.worst:.4g}",
                          f"{t.best:.4g}", f"{t.margin:+.3g}")
        console.print(table)
