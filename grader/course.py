"""The course a grader serves: a folder with a manifest, found by walking up or named.

A course folder holds::

    course/course.toml          the manifest: name, title, lessons in order, defaults
    course/<stem>/              one lesson's grading: checks.py, notes.md, optional probes.py,
                                reference.py, figures.py and any helper modules or data
    exercises/<stem>.py         the learner's stubs (derived from solutions/)
    solutions/<stem>.py         the reference solutions (not in a student release)

The grader finds it from ``--course DIR`` (:func:`use`), else the ``TF_COURSE_DIR`` variable
(how subprocesses inherit it), else by walking up from the current folder to a folder holding
``course/course.toml``, else the course beside the grader package (a clone of this repository).

Lesson folders are imported by path as the packages ``<course package>.<stem>``, where the
course package is a synthetic top-level package (``tfcourse_<digest of the folder>``) whose
search path is ``course/``: one mechanism for the built-in course and any instructor's.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import os
import re
import sys
import tomllib
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import UsageError

MANIFEST = Path("course") / "course.toml"
ENV_VAR = "TF_COURSE_DIR"
STEM = re.compile(r"^lesson(\d+)_([a-z0-9_]+)$")
DATASETS = ("mnist", "fashion_mnist")
_DEFAULT_KEYS = {"logical_devices", "call_timeout", "total_timeout", "optimize_graphs"}
_LESSON_KEYS = {"stem", "title", "data"} | _DEFAULT_KEYS


@dataclass(frozen=True)
class LessonEntry:
    """One lesson as the manifest lists it."""

    stem: str
    title: str = ""
    data: tuple[str, ...] = ()
    logical_devices: int | None = None
    call_timeout: float | None = None
    total_timeout: float | None = None
    optimize_graphs: bool | None = None


@dataclass(frozen=True)
class Course:
    """A course folder and its manifest."""

    root: Path
    name: str
    title: str
    entries: tuple[LessonEntry, ...]
    logical_devices: int = 1
    call_timeout: float | None = None
    total_timeout: float | None = None
    optimize_graphs: bool = True

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def grading_dir(self) -> Path:
        """``course/``: the lessons' grading folders."""
        return self.root / "course"

    @property
    def package(self) -> str:
        """The synthetic top-level package its lesson folders are imported under."""
        return "tfcourse_" + hashlib.sha256(str(self.root).encode()).hexdigest()[:12]

    def entry(self, stem: str) -> LessonEntry:
        for entry in self.entries:
            if entry.stem == stem:
                return entry
        raise KeyError(stem)


def _fail(path: Path, what: str) -> UsageError:
    return UsageError(f"{path}: {what}")


def _number(value: Any, path: Path, key: str, *, integer: bool = False) -> Any:
    kinds = (int,) if integer else (int, float)
    if value is None:
        return None
    if type(value) not in kinds or isinstance(value, bool) or value <= 0:
        raise _fail(path, f"{key} = {value!r}: write a positive "
                          f"{'whole ' if integer else ''}number")
    return value


def _flag(value: object, path: Path, key: str) -> bool | None:
    """A manifest's true or false (None when absent), or a one-line UsageError."""
    if value is None or type(value) is bool:
        return value
    raise _fail(path, f"{key} = {value!r}: write true or false")


def _entry(item: Any, path: Path) -> LessonEntry:
    if isinstance(item, str):
        item = {"stem": item}
    if not isinstance(item, dict) or not isinstance(item.get("stem"), str):
        raise _fail(path, "each [[lessons]] needs stem = \"lessonN_topic\"")
    stem = item["stem"]
    if not STEM.match(stem):
        raise _fail(path, f"lesson {stem!r}: name it lessonN_topic (lowercase, e.g. "
                          "lesson2_embeddings)")
    unknown = sorted(set(item) - _LESSON_KEYS)
    if unknown:
        raise _fail(path, f"lesson {stem}: unknown key {unknown[0]!r}; keys are "
                          + ", ".join(sorted(_LESSON_KEYS)))
    data = item.get("data", [])
    if not isinstance(data, list) or any(name not in DATASETS for name in data):
        raise _fail(path, f"lesson {stem}: data = {data!r}; a list of {', '.join(DATASETS)}")
    title = item.get("title", "")
    if not isinstance(title, str):
        raise _fail(path, f"lesson {stem}: title must be a string")
    return LessonEntry(stem, title, tuple(data),
                       _number(item.get("logical_devices"), path, "logical_devices",
                               integer=True),
                       _number(item.get("call_timeout"), path, "call_timeout"),
                       _number(item.get("total_timeout"), path, "total_timeout"),
                       _flag(item.get("optimize_graphs"), path, "optimize_graphs"))


def load(root: Path) -> Course:
    """The course in folder ``root``, its manifest validated (a one-line UsageError if not)."""
    root = root.resolve()
    path = root / MANIFEST
    if not path.is_file():
        raise UsageError(f"{root} is not a course folder: it has no {MANIFEST.as_posix()} "
                         "(make one with `grade new-course DIR`)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid TOML ({exc}); fix the manifest") from None
    lessons = data.get("lessons", [])
    if not isinstance(lessons, list):
        raise _fail(path, "lessons must be a list ([[lessons]] tables)")
    entries = tuple(_entry(item, path) for item in lessons)
    numbers = [int(STEM.match(e.stem).group(1)) for e in entries]  # type: ignore[union-attr]
    if len(set(numbers)) != len(numbers):
        raise _fail(path, "two lessons share a number: give each lesson its own lessonN")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - _DEFAULT_KEYS:
        raise _fail(path, "[defaults] takes " + ", ".join(sorted(_DEFAULT_KEYS)))
    name = data.get("name", root.name)
    return Course(
        root=root, name=str(name), title=str(data.get("title", name)), entries=entries,
        logical_devices=_number(defaults.get("logical_devices"), path, "logical_devices",
                                integer=True) or 1,
        call_timeout=_number(defaults.get("call_timeout"), path, "call_timeout"),
        total_timeout=_number(defaults.get("total_timeout"), path, "total_timeout"),
        optimize_graphs=_flag(defaults.get("optimize_graphs"), path,
                              "optimize_graphs") is not False,
    )



def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder (``start`` or a parent) holding ``course/course.toml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST).is_file():
            return folder
    return None


_chosen: dict[str, Path] = {}


def use(root: Path | None) -> None:
    """Serve the course at ``root`` from now on (``--course DIR``); None forgets the choice.

    Subprocesses (the learner zygote, batch workers, the figure worker) inherit it through
    ``TF_COURSE_DIR``."""
    from grader.curriculum import lessons

    if root is None:
        if "root" in _chosen and os.environ.get(ENV_VAR) == str(_chosen["root"]):
            del os.environ[ENV_VAR]
        _chosen.pop("root", None)
    else:
        course = load(root)
        _chosen["root"] = course.root
        os.environ[ENV_VAR] = str(course.root)
    lessons.cache_clear()


def _installed_beside() -> Path | None:
    import grader

    root = Path(grader.__file__).resolve().parents[1]
    return root if (root / MANIFEST).is_file() else None


def active_root() -> Path:
    """The folder of the course this grader serves now (see the module's docstring)."""
    if "root" in _chosen:
        return _chosen["root"]
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).resolve()
    found = find_root() or _installed_beside()
    if found is None:
        raise UsageError("no course here: run grade inside a course folder (one holding "
                         "course/course.toml), or pass --course DIR")
    return found


def active() -> Course:
    """The course this grader serves now."""
    return load(active_root())


def ensure_package(course: Course) -> str:
    """Make ``course``'s lesson folders importable as ``<course.package>.<stem>``; its name."""
    name = course.package
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(course.grading_dir)]
        module = types.ModuleType(name, f"The lessons of the course {course.name!r}.")
        module.__spec__ = spec
        module.__path__ = [str(course.grading_dir)]
        sys.modules[name] = module
    return name


_SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}


def grading_files(course: Course, stems: list[str] | None = None) -> dict[str, bytes]:
    """The files that grade ``course`` (or its lessons ``stems``) as content: the manifest and
    every file of each lesson's folder but its notes, by path relative to the course folder.
    This is how the course travels to a Dask worker or into a Gradescope autograder."""
    files = {MANIFEST.as_posix(): course.manifest.read_bytes()}
    for entry in course.entries:
        if stems is not None and entry.stem not in stems:
            continue
        folder = course.grading_dir / entry.stem
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(course.root)
            if path.is_file() and not _SKIPPED_PARTS & set(relative.parts) \
                    and path.suffix != ".pyc" and path.name != "notes.md":
                files[relative.as_posix()] = path.read_bytes()
    return files


def write_course(files: dict[str, bytes], folder: Path) -> Path:
    """Write :func:`grading_files`' content under ``folder`` (relative paths inside it only);
    return ``folder``, now a course folder."""
    from pathlib import PurePosixPath

    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts or \
                relative.parts[0] != "course":
            raise ValueError(f"course file {name!r}: not a path inside course/")
        target = folder.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder
