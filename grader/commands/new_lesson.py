"""``grade new-lesson NAME --title TITLE``: a lesson's files, scaffolded, in the course."""

from __future__ import annotations

from rich.console import Console

from grader.authoring.scaffold import new_lesson
from grader.course import active_root
from grader.workspace import display_path


def main(*, name: str, title: str, console: Console) -> int:
    """Scaffold lesson ``name`` in the course served; list its files; return 0."""
    root = active_root()
    written = new_lesson(root, name, title=title)
    console.print(f"Added {name} to {display_path(root / 'course' / 'course.toml')}:")
    for path in written:
        console.print(f"  {display_path(path)}")
    console.print("Write the solution (between ### BEGIN SOLUTION / ### END SOLUTION), the "
                  "notes and the checks, then run: grade check-course", soft_wrap=True)
    return 0
