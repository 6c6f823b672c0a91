"""Hidden checks: an instructor's own check modules, kept outside the students' repository.

``grade batch SUBMISSIONS --checks DIR`` (and ``grade lessonN --checks DIR``) adds them to the
lessons' own checks. ``DIR`` holds, for any lesson,

- a module ``lessonN_<topic>.py`` (the lesson's file stem, e.g. ``lesson1_basics.py``), or
- a folder ``lessonN_<topic>/`` of modules ``*.py`` (several files for one lesson),

written with the same :func:`grader.check.check` API and fixtures (``learner``, ``seed``,
``rng``) as the lessons' checks; they call the lesson's existing probes through
``learner.run("<stem>:<probe>", ...)`` (the learner process runs only probes of the grader
package). A module's ``VISIBILITY`` (default ``"hidden"``) is the Gradescope visibility of its
checks. See ``docs/hidden-checks.md``.

The checks travel as content, not as a path: :class:`HiddenChecks` holds the files' bytes, so a
Dask worker or a Gradescope autograder can be given them and write them out where it runs::

    hidden = HiddenChecks.from_dir(Path("instructor/checks"))  # validated, or a SetupError
    payload = hidden.files                                     # {relative path: bytes}
    again = HiddenChecks(payload)                              # on the other side
    folder = again.materialize(Path(tmpdir))                   # the files, written out
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from grader.check import CheckInfo, checks_in
from grader.curriculum import Lesson, lessons
from grader.errors import SetupError

#: Gradescope's visibility values; hidden checks default to "hidden".
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_VISIBILITY = "hidden"
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
_IGNORED = {"__pycache__"}
MAX_FILES = 200
MAX_BYTES = 2 * 2**20


@dataclass(frozen=True)
class HiddenCheck:
    """One hidden check: its declaration and the Gradescope visibility of its module."""

    info: CheckInfo
    visibility: str
    file: str  # relative to the checks folder, e.g. "lesson1_basics.py"


@dataclass(frozen=True, eq=False)
class HiddenChecks:
    """An instructor's hidden checks as content: ``files`` maps a relative POSIX path
    (``lesson1_basics.py`` or ``lesson1_basics/extra.py``) to the module's bytes."""

    files: dict[str, bytes] = field(default_factory=dict)

    # -- loading --------------------------------------------------------------------------

    @classmethod
    def from_dir(cls, path: Path) -> HiddenChecks:
        """The hidden checks in folder ``path``, validated (a one-line SetupError if not)."""
        if not path.is_dir():
            raise SetupError(f"--checks {path}: no such folder; pass the folder holding your "
                             "lessonN_<topic>.py check modules")
        remember(path)
        files: dict[str, bytes] = {}
        for entry in sorted(path.iterdir()):
            if entry.name.startswith(".") or entry.name in _IGNORED:
                continue
            if entry.is_dir():
                modules = [p for p in sorted(entry.iterdir())
                           if not p.name.startswith(".") and p.name not in _IGNORED]
                for module in modules:
                    if not (module.is_file() and _MODULE.match(module.name)):
                        raise SetupError(f"--checks: {module} is not a Python module: a "
                                         f"lesson's folder {entry.name}/ holds only *.py files")
                    files[f"{entry.name}/{module.name}"] = _read(module)
            elif entry.suffix == ".py":
                files[entry.name] = _read(entry)
            elif entry.suffix.lower() not in (".md", ".txt", ".rst"):
                raise SetupError(f"--checks: {entry} is neither a lessonN_<topic>.py module nor "
                                 "a lessonN_<topic>/ folder of modules: move it out of the folder")
        if not files:
            raise SetupError(f"--checks {path} holds no check modules: add lessonN_<topic>.py "
                             "files (see docs/hidden-checks.md)")
        hidden = cls(files)
        hidden.validate(where=path)
        return hidden

    def validate(self, where: Path | str = "--checks") -> None:
        """Every file names a lesson, parses, declares checks, and its ids are its own."""
        if len(self.files) > MAX_FILES:
            raise SetupError(f"{where}: {len(self.files)} files; at most {MAX_FILES}")
        known = {lesson.stem: lesson for lesson in lessons()}
        for name, data in self.files.items():
            parts = name.split("/")
            stem = parts[0].removesuffix(".py")
            if stem not in known or len(parts) > 2 or not _MODULE.match(parts[-1]):
                raise SetupError(
                    f"{where}/{name}: not a lesson's check module; name it after a lesson's "
                    f"file ({', '.join(sorted(known))}), e.g. {min(known)}.py or "
                    f"{min(known)}/more.py")
            try:
                ast.parse(data.decode("utf-8"), filename=name)
            except (SyntaxError, UnicodeDecodeError) as exc:
                line = getattr(exc, "lineno", None)
                raise SetupError(f"{where}/{name}" + (f", line {line}" if line else "")
                                 + f": {getattr(exc, 'msg', None) or exc}; fix the module"
                                 ) from None
        for stem in self.stems:
            ids = {info.id for info in known[stem].checks()}
            for check in self.checks(known[stem]):
                if check.info.id in ids:
                    raise SetupError(
                        f"{where}/{check.file}: check test_{check.info.id} has the id of "
                        f"another check of {known[stem].name}: rename it")
                ids.add(check.info.id)

    # -- what it holds --------------------------------------------------------------------

    @cached_property
    def digest(self) -> str:
        """A digest of every file's name and bytes: changing any check changes it."""
        hasher = hashlib.sha256()
        for name in sorted(self.files):
            hasher.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return hasher.hexdigest()

    @property
    def stems(self) -> list[str]:
        """The lessons (file stems) these checks add to."""
        return sorted({name.split("/")[0].removesuffix(".py") for name in self.files})

    def files_for(self, lesson: Lesson) -> list[str]:
        """The relative paths of ``lesson``'s hidden modules, in the order they run."""
        return sorted(n for n in self.files if n.split("/")[0].removesuffix(".py") == lesson.stem)

    def checks(self, lesson: Lesson) -> list[HiddenCheck]:
        """``lesson``'s hidden checks, in the order they run (the modules are imported)."""
        found = []
        for name in self.files_for(lesson):
            module = self._module(name)
            visibility = getattr(module, "VISIBILITY", DEFAULT_VISIBILITY)
            if visibility not in VISIBILITIES:
                raise SetupError(f"--checks {name}: VISIBILITY = {visibility!r}; use one of "
                                 f"{', '.join(map(repr, VISIBILITIES))}")
            infos = checks_in(module)
            if not infos:
                raise SetupError(f"--checks {name} declares no checks: decorate test_ functions "
                                 "with @check(title, points=..., hint=...)")
            found += [HiddenCheck(info, visibility, name) for info in infos]
        return found

    def version_suffix(self, lesson: Lesson) -> str:
        """What a lesson's grader version gains from these checks ("" when it has none)."""
        if not self.files_for(lesson):
            return ""
        hasher = hashlib.sha256()
        for name in self.files_for(lesson):
            hasher.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return f"+hidden.{hasher.hexdigest()[:10]}"

    # -- on disk --------------------------------------------------------------------------

    @property
    def package(self) -> str:
        """The package the modules are imported as (one per content: versions never mix)."""
        return f"grade_hidden_{self.digest[:16]}"

    def write(self, folder: Path) -> Path:
        """Write the files under ``folder`` in the ``--checks`` layout (what a worker loads with
        :meth:`from_dir`); return ``folder``. Only relative paths inside it are written."""
        remember(folder)
        for name, data in self.files.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                raise ValueError(f"hidden check file {name!r}: not a relative path inside the "
                                 "folder")
            target = folder.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder

    def materialize(self, folder: Path) -> Path:
        """Write the files under ``folder`` as an importable package; return the package's
        folder (``folder/<package>``), whose ``<stem>.py`` / ``<stem>/*.py`` are the modules."""
        root = folder / self.package
        root.mkdir(parents=True, exist_ok=True)
        (root / "__init__.py").write_text('"""Hidden checks (written by grade)."""\n')
        for name, data in self.files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent != root and not (target.parent / "__init__.py").exists():
                (target.parent / "__init__.py").write_text("")
            target.write_bytes(data)
        return root

    def _module(self, name: str):
        """The hidden module ``name``, imported from a private materialized copy."""
        root = _materialized(self)
        module_name = f"{self.package}." + name.removesuffix(".py").replace("/", ".")
        if str(root.parent) not in sys.path:
            sys.path.insert(0, str(root.parent))
        try:
            return importlib.import_module(module_name)
        except Exception as exc:
            raise SetupError(f"--checks {name}: importing it failed ({type(exc).__name__}: "
                             f"{str(exc)[:200]}); fix the module") from None


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SetupError(f"--checks: cannot read {path} ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise SetupError(f"--checks: {path} is larger than 2 MiB")
    return data


_FOLDERS: dict[str, Path] = {}
_SECRET: set[Path] = set()


def remember(folder: Path) -> None:
    """Note a folder holding hidden checks (here or in the process that started this one):
    learner processes must not read it."""
    _SECRET.add(folder.resolve())


def hidden_folders() -> list[Path]:
    """Every folder of hidden checks this process has read or written (the ``--checks`` folder,
    the copies it materialized or received): what the sandbox hides from learner code."""
    return sorted(_SECRET)


def _materialized(hidden: HiddenChecks) -> Path:
    """The package folder of ``hidden``, written once per grader process (removed at exit)."""
    if hidden.digest not in _FOLDERS:
        import atexit
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="grade-hidden-"))  # mode 0700
        remember(folder)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _FOLDERS[hidden.digest] = hidden.materialize(folder)
    return _FOLDERS[hidden.digest]


def materialized_paths(hidden: HiddenChecks, lesson: Lesson) -> list[Path]:
    """The files pytest collects for ``lesson``'s hidden checks."""
    root = _materialized(hidden)
    return [root / name for name in hidden.files_for(lesson)]
