"""The grader version a result is keyed by: the release plus a digest of the code that grades.

A result stays valid while neither the grader's release nor the code that judges that lesson
changes: every file of the lesson's folder in the course that can change a verdict (its checks,
probes, reference helpers and data: not its notes or figures), the course manifest, and the
shared grading machinery. Changing lesson 3's checks re-grades lesson 3 only; changing the
learner process re-grades everything.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import grader
from grader.curriculum import Lesson

_PACKAGE = Path(grader.__file__).resolve().parent
_NOT_GRADING = {"cli.py", "history.py", "workspace.py"}  # what the learner sees, not the verdict


def _grading_files(lesson: Lesson) -> list[Path]:
    shared = [p for p in _PACKAGE.glob("*.py") if p.name not in _NOT_GRADING]
    for folder in ("learner", "data"):
        shared += (_PACKAGE / folder).glob("*.py")
    shared += [_PACKAGE / "pytest.ini"]
    return sorted({p for p in shared if p.is_file()})


_NOT_VERDICT = {"notes.md", "figures.py"}  # what the site shows, not what grades


def _course_files(lesson: Lesson) -> list[Path]:
    """The lesson folder's files that can change a verdict, and the course manifest."""
    own = [p for p in lesson.folder.rglob("*") if p.is_file() and p.name not in _NOT_VERDICT
           and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".png"))]
    return sorted([*own, lesson.course.manifest])


@cache
def grader_version(lesson: Lesson) -> str:
    """``"0.1.0+1a2b3c4d5e"``: the release and a digest of what grades ``lesson``."""
    digest = hashlib.sha256()
    for path in _grading_files(lesson):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for path in _course_files(lesson):
        digest.update(b"course/" + path.relative_to(lesson.course.grading_dir).as_posix().encode()
                      + b"\0" + path.read_bytes() + b"\0")
    return f"{grader.__version__}+{digest.hexdigest()[:10]}"
