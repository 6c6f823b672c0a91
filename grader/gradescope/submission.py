"""Which files of a Gradescope submission stand for which lessons.

A file named as in ``exercises/`` (``lesson1_basics.py``) is that lesson's; a notebook is the
lesson its name says (``lesson1_basics.ipynb``), graded on the code extracted from it exactly as
``grade batch`` extracts nbgrader notebooks; when the autograder grades one lesson only, a lone
``.py`` (or, failing that, a lone notebook) of any name is that lesson's. Anything else is a
clear message to the student, never a guess. Files are read later, through
:mod:`grader.safe_read` (regular files only, their size bounded before reading); a name that is
not UTF-8 is shown escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.batch.discovery import notebook_lesson
from grader.curriculum import Lesson
from grader.safe_read import shown

PY, NOTEBOOK = "py", "notebook"


@dataclass(frozen=True)
class Found:
    """The file submitted for ``lesson``; ``note`` tells the student how it was read."""

    lesson: Lesson
    path: Path
    kind: str  # PY or NOTEBOOK
    note: str = ""


def submitted_files(folder: Path) -> list[Path]:
    """Regular files under ``folder`` (no hidden files, no macOS zip debris, no links)."""
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") or part == "__MACOSX" for part in relative):
            continue
        if path.is_file() and not path.is_symlink():
            files.append(path)
    return files


def find(folder: Path, lessons: list[Lesson]) -> tuple[list[Found], str]:
    """The lesson files in ``folder``, in course order, and a message when there are none."""
    files = submitted_files(folder)
    by_name = {lesson.filename: lesson for lesson in lessons}
    wanted = {lesson.stem for lesson in lessons}
    picked: dict[str, Found] = {}
    for path in files:
        lesson = by_name.get(path.name)
        if lesson is not None and lesson.stem not in picked:
            picked[lesson.stem] = Found(lesson, path, PY)
    for path in files:
        if path.suffix != ".ipynb":
            continue
        lesson = notebook_lesson("", path.stem)
        if lesson is not None and lesson.stem in wanted and lesson.stem not in picked:
            picked[lesson.stem] = Found(lesson, path, NOTEBOOK, _notebook_note(path, lesson))
    if not picked and len(lessons) == 1:
        only = lessons[0]
        scripts = [p for p in files if p.suffix == ".py"]
        notebooks = [p for p in files if p.suffix == ".ipynb"]
        if len(scripts) == 1:
            picked[only.stem] = Found(only, scripts[0], PY, f"{_shown(scripts[0], folder)} was "
                                      f"graded as {only.filename}, the lesson of this assignment")
        elif not scripts and len(notebooks) == 1:
            picked[only.stem] = Found(only, notebooks[0], NOTEBOOK,
                                      _notebook_note(notebooks[0], only))
    found = sorted(picked.values(), key=lambda item: item.lesson.number)
    return found, "" if found else _nothing_found(folder, files, lessons)


def _notebook_note(path: Path, lesson: Lesson) -> str:
    return (f"{shown(path.name)} is a notebook: its code cells (definitions, imports and "
            f"assignments) were graded as {lesson.filename}")


def _shown(path: Path, folder: Path) -> str:
    return shown(path.relative_to(folder).as_posix())


def _expected(lessons: list[Lesson]) -> str:
    names = [lesson.filename for lesson in lessons]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _nothing_found(folder: Path, files: list[Path], lessons: list[Lesson]) -> str:
    expected = _expected(lessons)
    if not files:
        return f"Nothing was submitted: upload your {expected} (from exercises/) and submit again."
    shown = ", ".join(_shown(path, folder) for path in files[:5])
    more = f" and {len(files) - 5} more" if len(files) > 5 else ""
    return (f"No lesson file found: this assignment grades {expected}, and you submitted "
            f"{shown}{more}. Submit the file from exercises/ under its own name "
            f"({lessons[0].filename}) and submit again.")
