"""The lesson registry: the lessons of the course this grader serves, from its manifest.

A lesson is a folder ``course/lessonN_<topic>/`` of a course (see :mod:`grader.course`) holding
every part of its grading (checks, notes, optional probes, reference helpers and figures), plus
``exercises/<stem>.py`` and ``solutions/<stem>.py``; the manifest ``course/course.toml`` lists
the lessons in order. A lesson's title is the manifest's, else the first line of its checks'
docstring.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from grader.check import CheckInfo, checks_in
from grader.course import STEM, Course, LessonEntry, active, active_root, ensure_package, load
from grader.errors import UsageError


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, file stem, and the course it belongs to."""

    number: int
    stem: str  # "lesson1_basics": the exercise file is exercises/<stem>.py
    course: Course

    @property
    def name(self) -> str:
        return f"lesson{self.number}"

    @property
    def filename(self) -> str:
        return f"{self.stem}.py"

    @property
    def folder(self) -> Path:
        """``course/<stem>/``: every part of this lesson's grading."""
        return self.course.grading_dir / self.stem

    @property
    def notes_path(self) -> Path:
        return self.folder / "notes.md"

    @property
    def solution_path(self) -> Path:
        return self.course.root / "solutions" / self.filename

    @property
    def stub_path(self) -> Path:
        return self.course.root / "exercises" / self.filename

    @property
    def package(self) -> str:
        return f"{self.course.package}.{self.stem}"

    @property
    def check_module_name(self) -> str:
        return f"{self.package}.checks"

    @property
    def check_path(self) -> Path:
        return self.folder / "checks.py"

    @property
    def probes_module_name(self) -> str:
        return f"{self.package}.probes"

    @property
    def reference_module_name(self) -> str:
        return f"{self.package}.reference"

    def module(self) -> ModuleType:
        ensure_package(self.course)
        if not self.check_path.is_file():
            raise UsageError(f"{self.check_path} is missing: every lesson needs its checks "
                             f"(scaffold one with `grade new-lesson {self.stem}`)")
        return importlib.import_module(self.check_module_name)

    def _entry(self) -> LessonEntry:
        return self.course.entry(self.stem)

    @property
    def title(self) -> str:
        if self._entry().title:
            return self._entry().title
        doc = (self.module().__doc__ or self.stem).strip()
        return doc.splitlines()[0].rstrip(".")

    @property
    def data(self) -> tuple[str, ...]:
        """The data sets it needs (``mnist``, ``fashion_mnist``), as the manifest says."""
        return self._entry().data

    @property
    def logical_devices(self) -> int:
        """How many devices its learner processes see: the manifest's, else its checks'
        ``LOGICAL_DEVICES``, else the course's default (see :mod:`grader.learner.devices`)."""
        if self._entry().logical_devices:
            return self._entry().logical_devices
        count = getattr(self.module(), "LOGICAL_DEVICES", self.course.logical_devices)
        return count if type(count) is int and count >= 1 else 1

    @property
    def optimize_graphs(self) -> bool:
        """Whether TensorFlow's graph optimizer (Grappler) runs in its learner processes: the
        manifest's ``optimize_graphs``, else the course's default, else true."""
        own = self._entry().optimize_graphs
        return self.course.optimize_graphs if own is None else own

    @property
    def call_timeout(self) -> float | None:
        return self._entry().call_timeout or self.course.call_timeout

    @property
    def total_timeout(self) -> float | None:
        return self._entry().total_timeout or self.course.total_timeout

    def checks(self) -> list[CheckInfo]:
        return checks_in(self.module())

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks())


@cache
def _lessons_of(root: Path) -> tuple[Lesson, ...]:
    course = load(root)
    found = [Lesson(int(STEM.match(e.stem).group(1)), e.stem, course)  # type: ignore[union-attr]
             for e in course.entries]
    return tuple(sorted(found, key=lambda lesson: lesson.number))


def lessons() -> tuple[Lesson, ...]:
    """The active course's lessons, in order."""
    return _lessons_of(active_root())


lessons.cache_clear = _lessons_of.cache_clear  # type: ignore[attr-defined]


def course() -> Course:
    """The active course (see :mod:`grader.course`)."""
    return active()


def find_lesson(name: str) -> Lesson:
    """The lesson called ``name`` ("lesson1", "1", or its file stem); a UsageError if none."""
    wanted = name.strip().lower()
    for lesson in lessons():
        if wanted in (lesson.name, str(lesson.number), lesson.stem, lesson.filename):
            return lesson
    known = ", ".join(lesson.name for lesson in lessons())
    raise UsageError(f"unknown lesson {name!r}: choose one of {known} (see `grade list`)")


def lesson_part(name: str, part: str) -> ModuleType:
    """A module of a lesson's folder, e.g. ``lesson_part("lesson8", "network")``."""
    lesson = find_lesson(name)
    ensure_package(lesson.course)
    return importlib.import_module(f"{lesson.package}.{part}")
