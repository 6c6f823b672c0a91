"""``grade gradescope --out autograder.zip``: the zip Gradescope's "Upload autograder" takes."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader.curriculum import Lesson
from grader.curriculum import lessons as all_lessons
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S


def main(
    *,
    out: Path,
    console: Console,
    lessons: list[Lesson] | None = None,
    checks: Path | None = None,
    call_timeout: float = DEFAULT_CALL_TIMEOUT_S,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT_S,
) -> int:
    """Build the zip; return 0. ``lessons``: what it grades (default every lesson)."""
    from grader.gradescope.build import build_autograder

    chosen = list(lessons) if lessons else list(all_lessons())
    built = build_autograder(out, lessons=chosen, checks_dir=checks, call_timeout=call_timeout,
                             total_timeout=total_timeout)
    names = ", ".join(lesson.name for lesson in chosen)
    hidden = (f", {built.hidden_check_files} hidden check files"
              if built.hidden_check_files else "")
    console.print(
        f"Wrote {escape(str(out))} ({built.size_bytes / 2**20:.1f} MiB, {built.seconds:g} s): "
        f"grader {built.version}+{built.digest[:12]}, lessons {names}{hidden}, MNIST test set.\n"
        "On Gradescope: a programming assignment, Configure Autograder, Upload autograder "
        "(Ubuntu base image), then Update Autograder. Students submit their lesson file "
        "(e.g. exercises/" + chosen[0].filename + ") or its notebook.", soft_wrap=True)
    return 0
