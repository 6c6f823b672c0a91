"""What a class folder holds: its students and, for each lesson, each student's file.

Layouts are tried in order; the first that recognises the folder wins: nbgrader's
``submitted/<student>/<assignment>/*.ipynb`` (SUBMISSIONS is the nbgrader course folder or its
``submitted/``; each notebook's code is extracted into a lesson ``.py``), else one folder per
student holding lesson files named as in ``exercises/`` (``alice/lesson1_basics.py``) or as
notebooks (``alice/lesson1_basics.ipynb``, its code extracted; the ``.py`` is graded when both are
there). A layout only has to say which file (or extracted code) stands for a student's lesson, and
which files it ignored, and why: the batch lists them. A folder named in bytes that are not UTF-8
(``caf\xe9``, as ``unzip`` may leave it) is a student shown as ``caf\\xe9``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.curriculum import Lesson, find_lesson, lessons
from grader.errors import SetupError, UsageError
from grader.safe_read import shown


@dataclass(frozen=True)
class Submission:
    """One student's file for one lesson; ``path`` is None when the student has none;
    ``problem``: why the file handed in cannot be graded, when discovery already knows (a
    notebook that is not a readable notebook)."""

    student: str
    lesson: Lesson
    path: Path | None
    problem: str = ""


@dataclass(frozen=True)
class Picked:
    """The file that stands for a student's lesson (for a notebook: its extracted code)."""

    path: Path
    problem: str = ""


IGNORED_SHOWN = 20  # ignored files listed per folder; the rest are counted


@dataclass(frozen=True)
class Ignored:
    """A file or folder of the class folder that is nobody's lesson file, and why."""

    path: Path
    why: str

    def shown(self, root: Path) -> str:
        """The path from ``root``, as text (bytes of a name that are not UTF-8 as ``\\xNN``)."""
        path = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        return shown(path.as_posix())


@dataclass
class ClassFolder:
    """Every student × lesson of a class folder, and the files it ignored."""

    root: Path
    layout: str
    students: list[str]
    lessons: list[Lesson]
    submissions: list[Submission]
    ignored: list[Ignored] = field(default_factory=list)

    @property
    def unrecognized(self) -> list[Path]:
        return [item.path for item in self.ignored]

    def ignored_files(self, per_folder: int = IGNORED_SHOWN) -> list[tuple[str, str]]:
        """``(path from the class folder, why)`` of what was ignored, to show the instructor:
        at most ``per_folder`` of each student's folder, then how many more (a folder of
        thousands of stray files must not flood the console and the summary)."""
        rows: list[tuple[str, str]] = []
        count: Counter[Path] = Counter()
        for item in self.ignored:
            folder = item.path.parent
            count[folder] += 1
            if count[folder] <= per_folder:
                rows.append((item.shown(self.root), item.why))
        for folder, n in count.items():
            if n > per_folder:
                where = Ignored(folder, "").shown(self.root)
                rows.append((f"{where}/…", f"{n - per_folder:,} more files ignored there"))
        return rows


class Layout(Protocol):
    name: str

    def matches(self, root: Path) -> bool: ...

    def files(self, root: Path, exclude: Path | None) -> tuple[dict[str, dict[str, Picked]],
                                                                list[Ignored]]:
        """``{student: {lesson stem: file}}`` and what was ignored, with why."""
        ...


def _hidden(entry: Path) -> bool:
    return entry.name.startswith((".", "_"))  # .git, .ipynb_checkpoints, __MACOSX, __pycache__


def _student_folders(root: Path, exclude: Path | None, ignored: list[Ignored],
                     loose: str = "") -> list[tuple[str, Path]]:
    """``(student, folder)`` of ``root``'s sub-folders, not hidden, not OUT; a symbolic link
    (which could lead the grader, run as root, into another student's or the instructor's files)
    is ignored, and so is a folder whose name, shown as text, is another's (``loose``: why a
    file beside the folders is ignored, if they are to be listed)."""
    folders: dict[str, Path] = {}
    for entry in sorted(root.iterdir()):
        if _hidden(entry):
            continue
        if not entry.is_dir():
            if loose and entry.resolve() != exclude:
                ignored.append(Ignored(entry, loose))
            continue
        if entry.is_symlink():  # a "student" linking to solutions/ or to a neighbour's folder
            ignored.append(Ignored(entry, "a symbolic link to a folder (not followed)"))
        elif exclude is not None and entry.resolve() == exclude:
            continue
        elif shown(entry.name) in folders:
            ignored.append(Ignored(entry, f"its name reads as {shown(entry.name)!r}, another "
                                          "student's folder: rename one of them"))
        else:
            folders[shown(entry.name)] = entry
    return sorted(folders.items())


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
    """``SUBMISSIONS/<student>/lessonN_<topic>.py`` (or ``.ipynb``)."""

    name = "one folder per student"

    def matches(self, root: Path) -> bool:
        return True

    def files(self, root: Path, exclude: Path | None) -> tuple[dict[str, dict[str, Picked]],
                                                                list[Ignored]]:
        scripts = {lesson.filename: lesson for lesson in lessons()}
        notebooks = {f"{lesson.stem}.ipynb": lesson for lesson in lessons()}
        found: dict[str, dict[str, Picked]] = {}
        ignored: list[Ignored] = []
        code_dir: Path | None = None
        for student, folder in _student_folders(root, exclude, ignored,
                                                loose="not in a student's folder"):
            try:
                entries = sorted(path for path in folder.iterdir() if not _hidden(path))
            except OSError as exc:
                ignored.append(Ignored(folder, f"cannot be read ({exc.strerror or exc})"))
                continue
            found[student] = {}
            for path in entries:  # scripts first: a lesson's .py wins over its notebook
                if path.name in scripts and _inside(path, folder):
                    found[student][scripts[path.name].stem] = Picked(path)
            for path in entries:
                if path.name in scripts:
                    if found[student].get(scripts[path.name].stem) != Picked(path):
                        ignored.append(Ignored(path, "a symbolic link out of the student's "
                                                     "folder"))
                elif path.name in notebooks:
                    lesson = notebooks[path.name]
                    if lesson.stem in found[student]:
                        ignored.append(Ignored(path, f"{lesson.filename} is graded instead "
                                                     "(one file per lesson)"))
                    elif not _inside(path, folder):
                        ignored.append(Ignored(path, "a symbolic link out of the student's "
                                                     "folder"))
                    else:
                        code_dir = code_dir or _code_dir(exclude)
                        found[student][lesson.stem] = _extracted(path, code_dir / student,
                                                                 lesson)
                else:
                    ignored.append(Ignored(path, _not_a_lesson_file(path)))
        return found, ignored


def _not_a_lesson_file(path: Path) -> str:
    example = lessons()[0]
    if path.is_dir():
        return f"a folder: lesson files go right in the student's folder ({example.filename})"
    return (f"not a lesson file's name (e.g. {example.filename} or {example.stem}.ipynb, "
            "as in exercises/)")


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


def _code_dir(exclude: Path | None) -> Path:
    return (exclude / EXTRACTED_DIR) if exclude is not None else _temporary_folder()


def _extracted(notebook: Path, folder: Path, lesson: Lesson) -> Picked:
    """``folder/<lesson>.py``: the code of ``notebook`` (an unreadable notebook gives a module
    that fails at import, and the problem), rewritten only when it changed."""
    from grader.notebooks.extract import read_notebook

    path = folder / lesson.filename
    code, problem = read_notebook(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != code:
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(code, encoding="utf-8")
        temporary.replace(path)
    return Picked(path, problem)


class NbgraderSubmitted:
    """nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb``: each notebook's code
    (see :mod:`grader.notebooks.extract`) is written to ``OUT/.notebook-code/<student>/`` as the
    lesson's ``.py``, which is what is graded (and fingerprinted)."""

    name = "nbgrader submitted/ notebooks"

    def matches(self, root: Path) -> bool:
        return nbgrader_submitted(root) is not None

    def files(self, root: Path, exclude: Path | None) -> tuple[dict[str, dict[str, Picked]],
                                                                list[Ignored]]:
        base = nbgrader_submitted(root)
        assert base is not None
        code_dir = _code_dir(exclude)
        found: dict[str, dict[str, Picked]] = {}
        ignored: list[Ignored] = []
        for student, folder in _student_folders(base, exclude, ignored):
            found[student] = {}
            for _, assignment in _student_folders(folder, exclude, ignored):
                for notebook in sorted(assignment.glob("*.ipynb")):
                    lesson = notebook_lesson(assignment.name, notebook.stem)
                    if lesson is None:
                        ignored.append(Ignored(notebook, "names no lesson (e.g. "
                                                         f"{lessons()[0].stem}.ipynb)"))
                    elif lesson.stem in found[student]:
                        ignored.append(Ignored(notebook, f"a second notebook of {lesson.name} "
                                                         "(one file per lesson)"))
                    elif notebook.is_symlink() or not notebook.is_file():
                        ignored.append(Ignored(notebook, "not a regular file"))
                    else:
                        found[student][lesson.stem] = _extracted(notebook, code_dir / student,
                                                                  lesson)
        return found, ignored


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
        found, ignored = layout.files(root, exclude)
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
        Submission(student, lesson, picked.path if picked else None,
                   picked.problem if picked else "")
        for lesson in wanted
        for student in students
        for picked in [found[student].get(lesson.stem)]
    ]
    return ClassFolder(root, layout.name, students, list(wanted), submissions, ignored)
