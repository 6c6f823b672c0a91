"""``grade reset lessonN``: put the lesson's untouched stub back, keeping the learner's file.

The stub is derived from the lesson's solution (:mod:`grader.stubs`), so it is the file as it
was handed out whatever happened to ``exercises/``. The learner's file is kept first, as
``.grade/backups/<stem>.<timestamp>.py`` in the course folder, and the command says where.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader.curriculum import Lesson
from grader.errors import SetupError
from grader.report.files import write_atomic
from grader.stubs import read_stub
from grader.workspace import display_path, find_root

BACKUPS = Path(".grade") / "backups"


def _untouched_stub(root: Path, lesson: Lesson) -> str:
    """The stub derived from the course's solution of ``lesson``; in a student release (no
    ``solutions/``), the untouched copy the release keeps in ``course/stubs/``."""
    import grader

    for base in (root, lesson.course.root, Path(grader.__file__).resolve().parent.parent):
        candidate = base / "solutions" / lesson.filename
        if candidate.is_file():
            return read_stub(candidate)
    kept = lesson.course.grading_dir / "stubs" / lesson.filename
    if kept.is_file():
        return kept.read_text(encoding="utf-8")
    raise SetupError(f"solutions/{lesson.filename} is missing: `grade reset` derives the "
                     "stub from it; restore it with `git checkout -- solutions/`")


def _backup_path(root: Path, lesson: Lesson) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = root / BACKUPS
    path = folder / f"{lesson.stem}.{stamp}.py"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{lesson.stem}.{stamp}-{number}.py"
    return path


def main(*, lesson: Lesson, console: Console) -> int:
    """Reset ``exercises/<lesson file>``; return 0 (a SetupError when it cannot)."""
    root = find_root()
    if root is None:
        raise SetupError("no exercises/ folder here or above: run grade reset inside the course "
                         "folder (your clone)")
    target = root / "exercises" / lesson.filename
    shown = display_path(target)
    stub = _untouched_stub(root, lesson)
    try:
        current = target.read_bytes() if target.exists() else None
    except OSError as error:
        raise SetupError(f"cannot read {shown} ({error.strerror or error}): check its "
                         "permissions") from None
    if current is not None and current == stub.encode("utf-8"):
        console.print(f"{escape(shown)} is already the untouched stub: nothing to reset.",
                      soft_wrap=True)
        return 0
    backup = None
    try:
        if current is not None:
            backup = _backup_path(root, lesson)
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup)
        write_atomic(target, stub)
    except OSError as error:
        raise SetupError(f"cannot reset {shown} ({error.strerror or error}): check the "
                         "permissions of exercises/ and .grade/") from None
    if backup is None:
        console.print(f"Restored {escape(shown)} (there was no file to keep).", soft_wrap=True)
    else:
        console.print(f"Reset {escape(shown)} to its untouched stub.", soft_wrap=True)
        console.print("Your version is kept in:", soft_wrap=True)
        console.print(f"  {escape(display_path(backup))}", soft_wrap=True)
    console.print(f"Start again with: grade {lesson.name}", soft_wrap=True)
    return 0
