"""The grader version a result is keyed by: the release plus a digest of what grades it.

The digest covers every file that can change a verdict, found by walking folders rather than
from a list, so that a new module, data file or helper is covered the day it is added:

- the engine: every file of the ``grader`` package (code, ``.npz`` weights, ``.ini``, scripts),
  except the lessons' folders and :data:`NOT_GRADING` (the site builder, which no grading
  imports);
- the course's own files beside the lessons (its manifest ``course/course.toml``), and
- every file of the lesson's folder (checks, probes, reference, helpers such as lesson 8's
  ``network.py``) but its notes (:data:`NOT_VERDICT`).

Changing lesson 3's folder re-grades lesson 3 only; changing the engine re-grades everything.
:func:`digest` takes the two sets of files separately, so the lessons can move out of
``grader/`` into a course folder without changing how a version is made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import grader
from grader.curriculum import Lesson

ENGINE = Path(grader.__file__).resolve().parent
#: Folders of the engine no grading reads: the static-site builder.
NOT_GRADING = ("sitebuild",)
#: A lesson's files that grade nothing: its notes (the site's and the notebooks' text; they do
#: not travel to Dask workers or into a Gradescope zip either) and its audit record (which
#: mutants `grade audit` knows to be equivalent).
NOT_VERDICT = ("notes.md", "audit.toml")


def _kept(path: Path) -> bool:
    return (path.is_file() and "__pycache__" not in path.parts
            and path.suffix not in (".pyc", ".pyo"))


def files_under(root: Path, *, skip: Iterable[Path] = ()) -> list[tuple[str, Path]]:
    """``(path relative to root, path)`` of every file under ``root``, but those in ``skip``."""
    root = root.resolve()
    skipped = [folder.resolve() for folder in skip]
    return sorted((path.relative_to(root).as_posix(), path) for path in root.rglob("*")
                  if _kept(path) and not any(path.is_relative_to(s) for s in skipped))


def engine_files(lessons_dir: Path, engine: Path = ENGINE) -> list[tuple[str, Path]]:
    """The engine's files: the package, without its lessons and what grades nothing."""
    skip = [engine / name for name in NOT_GRADING]
    if lessons_dir.resolve().is_relative_to(engine.resolve()):
        skip.append(lessons_dir)
    return files_under(engine, skip=skip)


def course_files(lessons_dir: Path) -> list[tuple[str, Path]]:
    """The files the lessons share: those directly in the lessons' folder, but prose
    (``lessonN.md``, each a link to a lesson's notes, grades nothing)."""
    return sorted((path.name, path) for path in lessons_dir.iterdir()
                  if _kept(path) and path.suffix != ".md")


def digest(*groups: tuple[str, list[tuple[str, Path]]]) -> str:
    """sha256 over named groups of ``(relative path, path)``: each file's group, path, bytes."""
    hasher = hashlib.sha256()
    for name, files in groups:
        for relative, path in files:
            hasher.update(f"{name}/{relative}".encode() + b"\0")
            hasher.update(path.read_bytes() + b"\0")
    return hasher.hexdigest()


def version_of(lesson_folder: Path, engine: Path = ENGINE) -> str:
    """The version of the lesson in ``lesson_folder`` graded by the engine in ``engine``."""
    lessons_dir = lesson_folder.parent
    value = digest(("engine", engine_files(lessons_dir, engine)),
                   ("course", course_files(lessons_dir)),
                   ("lesson", [(relative, path) for relative, path in files_under(lesson_folder)
                               if relative not in NOT_VERDICT]))
    return f"{grader.__version__}+{value[:10]}"


@cache
def grader_version(lesson: Lesson) -> str:
    """``"0.1.0+1a2b3c4d5e"``: the release and a digest of what grades ``lesson``."""
    return version_of(lesson.folder)
