"""The lesson registry: every lesson the grader knows, found from its check modules.

A lesson is a module ``grader/checks/lessonN_<topic>.py``; its docstring's first line is the
lesson's title, and it names the learner file ``exercises/lessonN_<topic>.py``. Adding a lesson
means adding that module (and its probes, exercise and solution): nothing here changes.
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

CHECKS_DIR = Path(__file__).parent / "checks"
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
    def check_module_name(self) -> str:
        return f"grader.checks.{self.stem}"

    @property
    def check_path(self) -> Path:
        return CHECKS_DIR / self.filename

    def module(self) -> ModuleType:
        return importlib.import_module(self.check_module_name)

    @property
    def title(self) -> str:
        doc = (self.module().__doc__ or self.stem).strip()
        return doc.splitlines()[0].rstrip(".")

    def checks(self) -> list[CheckInfo]:
        return checks_in(self.module())

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks())


@cache
def lessons() -> tuple[Lesson, ...]:
    """All lessons, in order."""
    found = []
    for path in CHECKS_DIR.glob("lesson*_*.py"):
        match = _STEM.match(path.stem)
        if match:
            found.append(Lesson(int(match.group(1)), path.stem))
    return tuple(sorted(found, key=lambda lesson: lesson.number))


def find_lesson(name: str) -> Lesson:
    """The lesson called ``name`` ("lesson1", "1", or its file stem); a UsageError if none."""
    wanted = name.strip().lower()
    for lesson in lessons():
        if wanted in (lesson.name, str(lesson.number), lesson.stem, lesson.filename):
            return lesson
    known = ", ".join(lesson.name for lesson in lessons())
    raise UsageError(f"unknown lesson {name!r}: choose one of {known} (see `grade list`)")
