"""``grade check-course``: the dev-check of the course served; exit 1 when it finds problems."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.markup import escape

from grader.authoring.checking import check_course
from grader.curriculum import Lesson, lessons
from grader.runner import grade_submission


def main(*, console: Console, chosen: list[Lesson] | None = None, quick: bool = False,
         device: str = "cpu") -> int:
    """Check every lesson (or ``chosen``); ``quick``: only what needs no grading."""
    from grader.learner.zygote import Zygote

    every = list(chosen or lessons())
    zygote = None if quick else Zygote(device=device).start()
    with contextlib.ExitStack() as stack:
        if zygote is not None:
            stack.callback(zygote.close)

        def grade(lesson: Lesson, path, replies=None):
            return grade_submission(lesson, path, zygote=zygote, replies=replies)

        report = check_course(every, grade=None if quick else grade,
                              on_lesson=lambda lesson: console.print(
                                  f"[dim]checking {lesson.name} ({escape(lesson.title)})[/]"))
    for line in report.reported:
        console.print(f"reported fact (declared, not verified by data): {escape(line)}",
                      soft_wrap=True)
    for line in report.problems:
        console.print(f"[red]problem:[/] {escape(line)}", soft_wrap=True)
    what = "checked without grading" if quick else "checked, solutions and stubs graded"
    if report.problems:
        console.print(f"{len(report.problems)} problem(s) in {report.lessons} lesson(s) "
                      f"({what}).")
        return 1
    console.print(f"The course is consistent: {report.lessons} lesson(s) {what}.")
    return 0
