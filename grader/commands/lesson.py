"""``grade lessonN``: grade one lesson's file, once or on every save."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from grader import history
from grader.curriculum import Lesson
from grader.errors import InfrastructureError, SetupError
from grader.hidden import HiddenChecks
from grader.learner.zygote import Zygote
from grader.report.files import write_atomic
from grader.report.terminal import TerminalReport
from grader.results import GradingResults
from grader.runner import grade_submission, read_submission
from grader.workspace import display_path, exercise_path, find_root

EXIT_FULL_MARKS = 0
EXIT_POINTS_MISSING = 1


def main(
    *,
    lesson: Lesson,
    zygote: Zygote,
    console: Console,
    submission: Path | None = None,
    json_out: Path | None = None,
    hints: bool = False,
    watch: bool = False,
    verbose: bool = False,
    call_timeout: float | None = None,
    total_timeout: float | None = None,
    checks: Path | None = None,
) -> int:
    """Grade ``lesson``; return the exit code (0 full marks, 1 points missing).

    ``checks``: a folder of an instructor's hidden checks, added to the lesson's own.
    """
    hidden = HiddenChecks.from_dir(checks) if checks is not None else None
    own_file = submission is None
    path = exercise_path(lesson) if own_file else submission
    assert path is not None
    read_submission(path)  # fail fast, before any grading, on a bad path
    if json_out is not None:
        _check_json_out(json_out, path)
    zygote.start()  # TensorFlow imports in the background while pytest loads the checks
    command = f"grade {lesson.name}" + ("" if own_file else f" --submission {display_path(path)}")
    report = TerminalReport(console, show_hints=hints, verbose=verbose)

    def grade_once() -> int:
        report.header(lesson, display_path(path))
        try:
            results = _interruptible(lambda: grade_submission(
                lesson, path, zygote=zygote, on_result=report.check,
                on_progress=report.progress, call_timeout=call_timeout,
                total_timeout=total_timeout, hidden=hidden,
            ))
        finally:
            report.end_progress()
        results.submission = display_path(path)
        # First: the next step reads the history (an instructor's hidden checks are not saved).
        _save(results, json_out, own_file and hidden is None)
        root = find_root()
        report.summary(lesson, results, command,
                       unfinished=history.unfinished(root) if root is not None else None)
        return EXIT_FULL_MARKS if results.full_marks else EXIT_POINTS_MISSING

    code = grade_once()
    if watch:
        code = _watch(path, console, grade_once, code)
    return code


def _interruptible(grade: Callable[[], GradingResults]) -> GradingResults:
    """Run ``grade``; a Ctrl-C during it stays a KeyboardInterrupt.

    pytest catches the KeyboardInterrupt and ends with "interrupted", which the runner reports as
    checks that could not run; the user only pressed Ctrl-C.
    """
    interrupted = False

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        return grade()
    try:
        signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not in the main thread: signals are not ours to handle
        return grade()
    try:
        return grade()
    except InfrastructureError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_json_out(json_out: Path, submission: Path) -> None:
    """A SetupError, before any grading, when ``--json OUT`` cannot or must not be written."""
    if json_out.is_dir():
        raise SetupError(f"--json {json_out} is a folder: pass a file name, e.g. "
                         f"{json_out / 'results.json'}")
    if not json_out.parent.is_dir():
        raise SetupError(f"cannot write {json_out}: its folder does not exist; create it first")
    if json_out.resolve() == submission.resolve():
        raise SetupError(f"--json {json_out} would overwrite the file being graded: "
                         "pass another file name, e.g. results.json")


def _save(results: GradingResults, json_out: Path | None, own_file: bool) -> None:
    if json_out is not None:
        try:
            write_atomic(json_out, json.dumps(results.to_gradescope(), indent=2) + "\n")
        except OSError as exc:
            raise SetupError(
                f"cannot write {json_out} ({exc.strerror or exc}): check the path and its "
                "permissions"
            ) from None
    root = find_root()
    if own_file and root is not None:
        history.record(root, results)


def _watch(path: Path, console: Console, grade_once, code: int) -> int:
    """Re-grade on every save of ``path`` until Ctrl-C; return the last exit code."""
    from watchfiles import watch

    target = path.resolve()
    console.print(
        f"\n[dim]Watching {display_path(path)}: save it to grade again, Ctrl-C to stop.[/]"
    )
    try:
        for changes in watch(target.parent, debounce=300, step=50, rust_timeout=0):
            if not any(Path(changed).resolve() == target for _, changed in changes):
                continue
            console.clear()
            try:
                code = grade_once()
            except SetupError as error:  # e.g. the file is being replaced: wait for next save
                console.print(f"[red]{error}[/]")
            console.print(f"\n[dim]Watching {display_path(path)}: Ctrl-C to stop.[/]")
    except KeyboardInterrupt:
        pass
    return code
