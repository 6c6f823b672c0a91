"""The lesson registry: every lesson the grader knows, found from its lesson packages.

A lesson is a package ``grader/lessons/lessonN_<topic>/`` (its checks, probes and figures; see
:mod:`grader.lessons`); the first line of its checks' docstring is the lesson's title, and the
package names the learner file ``exercises/lessonN_<topic>.py``. Adding a lesson means adding
that package (and its exercise, solution and notes): nothing here changes.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from grader.check import CheckInfo, checks_in
from grader.errors import UsageError

LESSONS_DIR = Path(__file__).parent / "lessons"
_STEM = re.compile(r"^lesson(\d+)_([a-z0-9_]+)$")


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, file stem and the module holding its checks."""

    number: int
    stem: str  # "lesson1_warmup": the exercise file is exercises/<stem>.py

    @property
    def name(self) -> str:
        return f"lesson{self.number}"

    @property
    def filename(self) -> str:
        return f"{self.stem}.py"

    @property
    def folder(self) -> Path:
        """``grader/lessons/<stem>/``: every part of this lesson's grading."""
        return LESSONS_DIR / self.stem

    @property
    def package(self) -> str:
        return f"grader.lessons.{self.stem}"

    @property
    def check_module_name(self) -> str:
        return f"{self.package}.checks"

    @property
    def check_path(self) -> Path:
        return self.folder / "checks.py"

    @property
    def probes_module_name(self) -> str:
        return f"{self.package}.probes"

    def module(self) -> ModuleType:
        return importlib.import_module(self.check_module_name)

    @property
    def title(self) -> str:
        doc = (self.module().__doc__ or self.stem).strip()
        return doc.splitlines()[0].rstrip(".")

    @property
    def logical_devices(self) -> int:
        """How many devices its learner processes see: its checks' ``LOGICAL_DEVICES``, else 1
        (see :mod:`grader.learner.devices`)."""
        count = getattr(self.module(), "LOGICAL_DEVICES", 1)
        return count if type(count) is int and count >= 1 else 1

    def checks(self) -> list[CheckInfo]:
        return checks_in(self.module())

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks())


@cache
def lessons() -> tuple[Lesson, ...]:
    """All lessons, in order."""
    found = []
    for path in LESSONS_DIR.glob("lesson*_*/checks.py"):
        match = _STEM.match(path.parent.name)
        if match:
            found.append(Lesson(int(match.group(1)), path.parent.name))
    return tuple(sorted(found, key=lambda lesson: lesson.number))


def find_lesson(name: str) -> Lesson:
    """The lesson called ``name`` ("lesson1", "1", or its file stem); a UsageError if none."""
    wanted = name.strip().lower()
    for lesson in lessons():
        if wanted in (lesson.name, str(lesson.number), lesson.stem, lesson.filename):
            return lesson
    known = ", ".join(lesson.name for lesson in lessons())
    raise UsageError(f"unknown lesson {name!r}: choose one of {known} (see `grade list`)")
