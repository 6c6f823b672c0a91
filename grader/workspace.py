"""Where the learner's files are: the course folder holding ``exercises/``."""

from __future__ import annotations

from pathlib import Path

from grader.curriculum import Lesson
from grader.errors import SetupError


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder (``start`` or a parent) that holds an ``exercises/`` folder."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir():
            return folder
    return None


def exercise_path(lesson: Lesson, start: Path | None = None) -> Path:
    """The learner's file for ``lesson``, or a SetupError that says how to point at one."""
    root = find_root(start)
    if root is None:
        raise SetupError(
            f"no exercises/ folder here or above: run grade inside the course folder (your clone), "
            f"or pass --submission PATH/{lesson.filename}"
        )
    path = root / "exercises" / lesson.filename
    if not path.exists():
        raise SetupError(
            f"{path} is missing: restore the untouched stub with `grade reset {lesson.name}`, "
            "or pass --submission PATH"
        )
    return path


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
