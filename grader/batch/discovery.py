"""What a class folder holds: its students and, for each lesson, each student's file.

Layouts are tried in order; the first that recognises the folder wins. Today there is one:
one folder per student holding lesson files named as in ``exercises/``
(``alice/lesson1_warmup.py``). nbgrader's ``submitted/<student>/<assignment>/*.ipynb`` is the
next one: a layout only has to say which file (or extracted code) stands for a student's lesson.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.curriculum import Lesson, lessons
from grader.errors import SetupError


@dataclass(frozen=True)
class Submission:
    """One student's file for one lesson; ``path`` is None when the student has none."""

    student: str
    lesson: Lesson
    path: Path | None


@dataclass
class ClassFolder:
    """Every student × lesson of a class folder, and the files it did not recognise."""

    root: Path
    layout: str
    students: list[str]
    lessons: list[Lesson]
    submissions: list[Submission]
    unrecognized: list[Path] = field(default_factory=list)


class Layout(Protocol):
    name: str

    def matches(self, root: Path) -> bool: ...

    def files(self, root: Path, exclude: Path | None) -> tuple[dict[str, dict[str, Path]],
                                                                list[Path]]:
        """``{student: {lesson stem: file}}`` and the files that look like strays."""
        ...


def _visible_folders(root: Path, exclude: Path | None) -> list[Path]:
    folders = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")) or not entry.is_dir():
            continue
        if exclude is not None and entry.resolve() == exclude:
            continue
        folders.append(entry)
    return folders


class FolderPerStudent:
    """``SUBMISSIONS/<student>/lessonN_<topic>.py``."""

    name = "one folder per student"

    def matches(self, root: Path) -> bool:
        return True

    def files(self, root: Path, exclude: Path | None) -> tuple[dict[str, dict[str, Path]],
                                                                list[Path]]:
        known = {lesson.filename: lesson.stem for lesson in lessons()}
        found: dict[str, dict[str, Path]] = {}
        strays: list[Path] = []
        for folder in _visible_folders(root, exclude):
            found[folder.name] = {}
            for path in sorted(folder.iterdir()):
                if path.name in known:
                    found[folder.name][known[path.name]] = path
                elif path.suffix == ".py":
                    strays.append(path)
        return found, strays


LAYOUTS: tuple[Layout, ...] = (FolderPerStudent(),)


def discover(
    root: Path, *, wanted: Sequence[Lesson] | None = None, exclude: Path | None = None
) -> ClassFolder:
    """The class folder at ``root``; ``wanted`` lessons, or every lesson anyone submitted."""
    if not root.is_dir():
        raise SetupError(f"{root}: no such folder; pass the folder holding one folder per student")
    exclude = exclude.resolve() if exclude is not None else None
    layout = next(layout for layout in LAYOUTS if layout.matches(root))
    try:
        found, strays = layout.files(root, exclude)
    except OSError as exc:
        raise SetupError(
            f"cannot read {root} ({exc.strerror or exc}): check its permissions") from None
    if not found:
        raise SetupError(f"{root} holds no student folders: expected e.g. "
                         f"{root / 'alice' / lessons()[0].filename}")
    if wanted is None:
        submitted = {stem for files in found.values() for stem in files}
        wanted = [lesson for lesson in lessons() if lesson.stem in submitted]
        if not wanted:
            raise SetupError(f"{root} holds no lesson files: expected e.g. "
                             f"{root / next(iter(found)) / lessons()[0].filename}")
    students = sorted(found)
    submissions = [
        Submission(student, lesson, found[student].get(lesson.stem))
        for lesson in wanted
        for student in students
    ]
    return ClassFolder(root, layout.name, students, list(wanted), submissions, strays)
