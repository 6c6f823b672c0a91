"""``grade new-course DIR``: a course folder with one small example lesson."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from grader.authoring.scaffold import new_course
from grader.workspace import display_path


def main(*, folder: Path, console: Console, title: str | None = None) -> int:
    """Make the course; say what was written and what to do next; return 0."""
    written = new_course(folder, title=title)
    console.print(f"Made the course {display_path(folder)} ({len(written)} files):")
    for path in written:
        console.print(f"  {display_path(path)}")
    console.print(f"Next: cd {display_path(folder)}; grade check-course; then "
                  "grade new-lesson lesson2_<topic> --title \"...\" (see docs/authoring.md)",
                  soft_wrap=True)
    return 0
