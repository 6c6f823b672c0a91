"""``grade release --out DIR``: what students get, made from the course folder.

The release holds the manifest, each lesson's folder (notes, visible checks, probes, figures,
and its reference helpers unless the author keeps them out), the stubs derived from
``solutions/`` in ``exercises/`` and an untouched copy of each in ``course/stubs/`` (for
``grade reset``). It holds no ``solutions/``, no tests, and no hidden checks (those live
outside the course folder and are passed with ``--checks DIR``).
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import MANIFEST
from grader.curriculum import Lesson
from grader.errors import UsageError
from grader.stubs import read_stub

_SKIPPED = {"__pycache__", ".pytest_cache"}


@dataclass
class Release:
    """What a release carries, for the author to read."""

    out: Path
    files: list[Path] = field(default_factory=list)
    references: dict[str, list[str]] = field(default_factory=dict)  # lesson → helpers shipped
    kept_out: dict[str, list[str]] = field(default_factory=dict)  # lesson → helpers left out


def _helpers(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)
            and not n.name.startswith("_")]


def _copy(source: Path, target: Path, files: list[Path]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    files.append(target)


def make_release(root: Path, lessons: list[Lesson], out: Path, *,
                 with_reference: bool = True, force: bool = False) -> Release:
    """Write the student release of the course at ``root`` into ``out``."""
    out = out.resolve()
    if root.resolve() == out or root.resolve() in out.parents:
        raise UsageError(f"--out {out} is inside the course folder: release to a folder "
                         "outside it (e.g. ../student-repo)")
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"--out {out} is not empty: choose a new folder, or pass --force to "
                         "replace it")
    if out.exists() and force:
        shutil.rmtree(out)
    release = Release(out)
    _copy(root / MANIFEST, out / MANIFEST, release.files)
    for name in (".gitignore", "README.md"):
        if (root / name).is_file():
            _copy(root / name, out / name, release.files)
    for lesson in lessons:
        for path in sorted(lesson.folder.rglob("*")):
            relative = path.relative_to(lesson.folder)
            if not path.is_file() or _SKIPPED & set(relative.parts) or path.suffix == ".pyc":
                continue
            if relative == Path("reference.py"):
                helpers = _helpers(path)
                if not with_reference:
                    release.kept_out[lesson.name] = helpers
                    continue
                release.references[lesson.name] = helpers
            _copy(path, out / "course" / lesson.stem / relative, release.files)
        stub = read_stub(lesson.solution_path)
        for target in (out / "exercises" / lesson.filename,
                       out / "course" / "stubs" / lesson.filename):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(stub, encoding="utf-8")
            release.files.append(target)
    return release
