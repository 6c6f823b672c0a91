"""The learner's view of a grading run: one row per check as it finishes, then the score."""

from __future__ import annotations

import re

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
# The learner's file did not import: every check says so, the report says it once.
_IMPORT_FAILED = re.compile(r"^importing \S+ failed")
_IMPORT_TYPE = re.compile(r"failed(?: at line \d+)?: (?P<type>\w+(?:Error|Exception))\b")
_AT_LINE = re.compile(r"\bat line (?P<line>\d+)")


def import_problem(message: str) -> bool:
    """Whether ``message`` says the learner's file could not be imported."""
    return bool(_IMPORT_FAILED.match(message))


def fix_import(problem: str, submission: str) -> str:
    """"fix the SyntaxError at line 30 of exercises/lesson1_basics.py" from the import message."""
    at = _AT_LINE.search(problem)
    where = f" at line {at['line']} of {submission}" if at else f" in {submission}"
    if "sys.exit()" in problem:
        return f"remove the sys.exit() call{where}"
    kind = _IMPORT_TYPE.search(problem)
    if kind is None:
        return f"fix what stops {submission} from importing (above)"
    return f"fix the {kind['type']}{where}"


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
        self._import_shown = ""  # the import failure already printed, if any

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
        self._import_shown = ""  # a new grading (--watch): its import failure is shown anew
        self.console.print(f"[bold]Lesson {lesson.number} · {escape(lesson.title)}[/]")
        self.console.print(f"[dim]{escape(submission)}[/]", soft_wrap=True)  # whole, to copy

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
        message = result.message
        if not result.passed and import_problem(message):
            if not self._import_shown:  # once, above the first check it stops
                self.console.print(Text(message, style="bold red"))
                self._import_shown = message
            message = "" if message == self._import_shown else message
        if not result.passed and message:
            detail.append("\n" + message, style="dim")
        if not result.passed and self.show_hints and result.hint:
            detail.append("\nhint: " + result.hint, style="cyan")
        if self.verbose and result.output.strip():
            detail.append("\nyour code printed:\n" + result.output.rstrip(), style="dim italic")
        if self.verbose and result.grader_traceback:
            detail.append("\n" + result.grader_traceback.rstrip(), style="yellow")
        table.add_row(mark, detail, f"{_points(result.points)}/{_points(result.max_points)}")
        self.console.print(table)

    def summary(self, lesson: Lesson, results: GradingResults, command: str, *,
                unfinished: list[Lesson] | None = None) -> None:
        """The score and the next step; ``unfinished``: the lessons without full marks in the
        learner's history (None: not known, e.g. outside a course folder)."""
        self.end_progress()
        console = self.console
        console.print()
        if results.problem and results.problem != self._import_shown:
            console.print(Text(results.problem, style="red"))
        style = "green" if results.full_marks else "red" if results.total == 0 else "yellow"
        console.print(
            f"[bold {style}]Score: {_points(results.total)}/{_points(results.possible)}[/]"
            f"  ({results.duration_s:.1f} s)"
        )
        sentence, commands = self._next_step(lesson, results, command, unfinished)
        console.print(sentence)
        for line in commands:  # on a line of its own, never wrapped: a learner copies it
            console.print(f"  [bold]{escape(line)}[/]", soft_wrap=True)
        if not (results.full_marks or self.show_hints or import_problem(results.problem)):
            console.print(f"[dim]({escape(command)} --hint shows hints)[/]", soft_wrap=True)

    def _next_step(self, lesson: Lesson, results: GradingResults, command: str,
                   unfinished: list[Lesson] | None) -> tuple[str, list[str]]:
        """What to do next, as a sentence and the commands to copy (each on its own line)."""
        if results.full_marks:
            left = unfinished if unfinished is not None else [
                o for o in lessons() if o.number > lesson.number]
            if not left:
                return "Full marks! You have finished every lesson.", []
            after = [o for o in left if o.number > lesson.number]
            target = after[0] if after else left[0]
            if target == lesson:
                return (f"Full marks for {escape(results.submission)}! Your own "
                        f"exercises/{lesson.filename} is not finished yet; grade it with:",
                        [f"grade {lesson.name}"])
            still = "" if after else " (not finished yet)"
            return (f"Full marks! Next: exercises/{target.filename}{still}, then run:",
                    [f"grade {target.name}"])
        if results.problem and import_problem(results.problem):
            fix = fix_import(results.problem, results.submission)
            return f"Next: {escape(fix)}, then run again:", [command]
        failing = next(c for c in results.checks if not c.passed)
        return (f"Next: fix “{escape(failing.title)}” in {escape(results.submission)}, then "
                "run again:", [command])
