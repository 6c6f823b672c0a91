"""The learner's view of a grading run: one row per check as it finishes, then the score."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table
from rich.text import Text

from grader.curriculum import Lesson, lessons
from grader.results import CheckResult, GradingResults


def _points(value: float) -> str:
    return f"{value:g}"


LOG_AFTER_S = 5.0  # without a terminal, mention a call once it has run this long


class TerminalReport:
    """Prints a lesson's checks as they complete, then the total and the next step."""

    def __init__(
        self, console: Console, *, show_hints: bool = False, verbose: bool = False
    ) -> None:
        self.console = console
        self.show_hints = show_hints
        self.verbose = verbose
        self._status: Status | None = None
        self._announced: set[str] = set()

    def progress(self, label: str, elapsed_s: float, detail: str) -> None:
        """A long call is running: a live status line on a terminal, one line in a log."""
        text = f"running {label} … {elapsed_s:.0f} s" + (f" · {detail}" if detail else "")
        if self.console.is_terminal:
            if self._status is None:
                self._status = Status(escape(text), console=self.console)
                self._status.start()
            else:
                self._status.update(escape(text))
        elif elapsed_s >= LOG_AFTER_S and label not in self._announced:
            self._announced.add(label)
            self.console.print(f"[dim]… {escape(label)} is still running (training?)[/]")

    def end_progress(self) -> None:
        """Remove the live status line, if any."""
        if self._status is not None:
            self._status.stop()
            self._status = None

    def header(self, lesson: Lesson, submission: str) -> None:
        self.console.print(f"[bold]Lesson {lesson.number} · {escape(lesson.title)}[/]")
        self.console.print(f"[dim]{escape(submission)}[/]")

    def check(self, result: CheckResult) -> None:
        self.end_progress()
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(width=4, no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(width=7, justify="right", no_wrap=True)
        mark = "[green]PASS[/]" if result.passed else (
            "[yellow]ERR[/]" if result.status == "error" else "[red]FAIL[/]"
        )
        detail = Text(result.title)
        if not result.passed and result.message:
            detail.append("\n" + result.message, style="dim")
        if not result.passed and self.show_hints and result.hint:
            detail.append("\nhint: " + result.hint, style="cyan")
        if self.verbose and result.output.strip():
            detail.append("\nyour code printed:\n" + result.output.rstrip(), style="dim italic")
        if self.verbose and result.grader_traceback:
            detail.append("\n" + result.grader_traceback.rstrip(), style="yellow")
        table.add_row(mark, detail, f"{_points(result.points)}/{_points(result.max_points)}")
        self.console.print(table)

    def summary(self, lesson: Lesson, results: GradingResults, command: str) -> None:
        self.end_progress()
        console = self.console
        console.print()
        if results.problem:
            console.print(f"[red]{escape(results.problem)}[/]")
        style = "green" if results.full_marks else "red" if results.total == 0 else "yellow"
        console.print(
            f"[bold {style}]Score: {_points(results.total)}/{_points(results.possible)}[/]"
            f"  ({results.duration_s:.1f} s)"
        )
        console.print(self._next_step(lesson, results, command))

    def _next_step(self, lesson: Lesson, results: GradingResults, command: str) -> str:
        if results.full_marks:
            later = [other for other in lessons() if other.number > lesson.number]
            if later:
                return (f"Full marks! Next: exercises/{later[0].filename}, "
                        f"then run [bold]grade {later[0].name}[/].")
            return "Full marks! You have finished every lesson."
        failing = next(c for c in results.checks if not c.passed)
        hint = "" if self.show_hints else f" ([bold]{command} --hint[/] shows hints)"
        return (
            f"Next: fix “{escape(failing.title)}” in {escape(results.submission)}, "
            f"then run [bold]{escape(command)}[/] again{hint}."
        )
