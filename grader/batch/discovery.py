"""What a class folder holds: its students and, for each lesson, each student's file.

Layouts are tried in order; the first that recognises the folder wins: nbgrader's
``submitted/<student>/<assignment>/*.ipynb`` (SUBMISSIONS is the nbgrader course folder or its
``submitted/``; each notebook's code is extracted into a lesson ``.py``), else one folder per
student holding lesson files named as in ``exercises/`` (``alice/lesson1_basics.py``). A layout
only has to say which file (or extracted code) stands for a student's lesson.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.curriculum import Lesson, find_lesson, lessons
from grader.errors import SetupError, UsageError


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


def _visible_folders(root: Path, exclude: Path | None, strays: list[Path]) -> list[Path]:
    folders = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")) or not entry.is_dir():
            continue
        if entry.is_symlink():  # a "student" linking to solutions/ or to a neighbour's folder
            strays.append(entry)
            continue
        if exclude is not None and entry.resolve() == exclude:
            continue
        folders.append(entry)
    return folders


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is the student's own: not a symbolic link that leads out of their folder
    (to /etc/passwd, the solutions, a neighbour's file), which the grader would read as root."""
    if not path.is_symlink():
        return True
    try:
        return path.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # a dangling or looping link
        return False


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
        for folder in _visible_folders(root, exclude, strays):
            found[folder.name] = {}
            for path in sorted(folder.iterdir()):
                if path.name in known and _inside(path, folder):
                    found[folder.name][known[path.name]] = path
                elif path.suffix == ".py" or path.name in known:
                    strays.append(path)
        return found, strays


EXTRACTED_DIR = ".notebook-code"  # in OUT: the code extracted from each student's notebooks


def nbgrader_submitted(root: Path) -> Path | None:
    """``root``'s nbgrader ``submitted/`` folder (``root`` itself may be it), or None."""
    for base in (root / "submitted", root):
        if base.is_dir() and any(base.glob("*/*/*.ipynb")):
            return base
    return None


def notebook_lesson(assignment: str, notebook: str) -> Lesson | None:
    """The lesson a notebook stands for: by its name (``lesson1_basics.ipynb``), else by its
    assignment's (``lesson1``, ``1`` or the stem)."""
    for name in (notebook, assignment):
        try:
            return find_lesson(name)
        except UsageError:
            continue
    return None


class NbgraderSubmitted:
    """nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb``: each notebook's code
    (see :mod:`grader.notebooks.extract`) is written to ``OUT/.notebook-code/<student>/`` as the
    lesson's ``.py``, which is what is graded (and fingerprinted)."""

    name = "nbgrader submitted/ notebooks"

    def matches(self, root: Path) -> bool:
        return nbgrader_submitted(root) is not None

    def files(self, root: Path, exclude: Path | None) -> tuple[dict[str, dict[str, Path]],
                                                                list[Path]]:
        from grader.notebooks.extract import notebook_module

        base = nbgrader_submitted(root)
        assert base is not None
        code_dir = (exclude / EXTRACTED_DIR) if exclude is not None else _temporary_folder()
        found: dict[str, dict[str, Path]] = {}
        strays: list[Path] = []
        for student in _real_folders(base, exclude, strays):
            found[student.name] = {}
            for assignment in _real_folders(student, exclude, strays):
                for notebook in sorted(assignment.glob("*.ipynb")):
                    lesson = notebook_lesson(assignment.name, notebook.stem)
                    if (lesson is None or lesson.stem in found[student.name]
                            or notebook.is_symlink() or not notebook.is_file()):
                        strays.append(notebook)
                        continue
                    path = code_dir / student.name / lesson.filename
                    code = notebook_module(notebook)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    if not path.is_file() or path.read_text(encoding="utf-8") != code:
                        temporary = path.with_name(f".{path.name}.tmp")
                        temporary.write_text(code, encoding="utf-8")
                        temporary.replace(path)
                    found[student.name][lesson.stem] = path
        return found, strays


def _real_folders(root: Path, exclude: Path | None, strays: list[Path]) -> list[Path]:
    """Sub-folders of ``root``, not hidden, not OUT; symbolic links (which could lead the grader,
    run as root, into another student's or the instructor's files) are strays."""
    folders = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")) or not entry.is_dir():
            continue
        if entry.is_symlink():
            strays.append(entry)
        elif exclude is None or entry.resolve() != exclude:
            folders.append(entry)
    return folders


def _temporary_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="grade-notebook-code-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


LAYOUTS: tuple[Layout, ...] = (NbgraderSubmitted(), FolderPerStudent())


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
