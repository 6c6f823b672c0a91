"""Gather everything the site shows, before anything is rendered: lessons, notes, code, checks.

Lessons come from the grader's registry (:func:`grader.curriculum.lessons`); each must have its
notes ``course/<stem>/notes.md`` (else the build fails naming that file), its exercise file and its
reference solution. A later lesson is picked up as soon as its check module and notes exist.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.check import CheckInfo
from grader.curriculum import Lesson, lessons
from grader.errors import SetupError
from grader.sitebuild.errors import SiteError
from grader.stubs import read_stub


@dataclass(frozen=True)
class Paths:
    """Where the site's sources are: the course folder, and the site's templates (the course's
    own ``site/`` if it has one, else the grader's)."""

    root: Path

    @property
    def course(self) -> Path:
        return self.root / "course"

    @property
    def templates(self) -> Path:
        own = self.root / "site"
        return own if (own / "base.html").is_file() else default_root() / "site"

    @property
    def static(self) -> Path:
        return self.templates / "static"

    def relative(self, path: Path) -> str:
        """``path`` as the repository names it (``course/lesson2_x/notes.md``), for messages."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def default_root() -> Path:
    """The repository the grader package was installed from (``pip install -e .``)."""
    return Path(grader.__file__).resolve().parent.parent


def find_paths(root: Path | None = None) -> Paths:
    """The source folders under ``root`` (default: the course served), or a SiteError."""
    from grader.course import active_root

    paths = Paths((root or active_root()).resolve())
    base = paths.templates / "base.html"
    if not base.is_file():
        raise SiteError(
            f"{base} is missing: the site's templates live in the repository's site/ folder; "
            "build the site from a clone installed with `pip install -e .`"
        )
    if not paths.course.is_dir():
        raise SiteError(f"{paths.course} is missing: the lesson notes live in course/")
    return paths


@dataclass(frozen=True)
class Function:
    """A top-level function of a lesson file, as the learner sees it."""

    name: str
    signature: str  # "predict(x, W, b)"
    summary: str  # the docstring's first line
    source: str  # the exact text of the file, decorators included
    first_line: int
    last_line: int


@dataclass(frozen=True)
class LessonSource:
    """One lesson's page, gathered: its notes, its exercise functions, its checks."""

    lesson: Lesson
    notes_path: Path
    notes: str
    exercise_path: Path
    solution_path: Path
    summary: str  # the exercise file's first docstring paragraph after the title
    functions: tuple[Function, ...]
    checks: tuple[CheckInfo, ...]

    @property
    def page(self) -> str:
        return f"{self.lesson.name}.html"

    @property
    def points(self) -> float:
        return sum(check.points for check in self.checks)


def python_functions(path: Path, text: str | None = None) -> tuple[Function, ...]:
    """The top-level functions of a Python file, with their exact source text."""
    text = path.read_text(encoding="utf-8") if text is None else text
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise SiteError(f"{path}: cannot be parsed ({error.msg}, line {error.lineno})") from None
    lines = text.splitlines()
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        last = node.end_lineno or node.lineno
        doc = ast.get_docstring(node) or ""
        found.append(
            Function(
                name=node.name,
                signature=f"{node.name}({ast.unparse(node.args)})",
                summary=doc.strip().splitlines()[0] if doc.strip() else "",
                source="\n".join(lines[first - 1 : last]),
                first_line=first,
                last_line=last,
            )
        )
    return tuple(found)


def _summary(path: Path, text: str | None = None) -> str:
    text = path.read_text(encoding="utf-8") if text is None else text
    try:
        doc = ast.get_docstring(ast.parse(text, filename=str(path))) or ""
    except SyntaxError as error:
        raise SiteError(f"{path}: cannot be parsed ({error.msg}, line {error.lineno})") from None
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    body = [p for p in paragraphs[1:] if not p.lower().startswith("check your work")]
    if not body:
        return ""
    # Shown alone, a paragraph that introduces a list ("…is today's high-level API:") ends there.
    return body[0][:-1] + "." if body[0].endswith(":") else body[0]


def gather_lesson(paths: Paths, lesson: Lesson) -> LessonSource:
    notes_path = paths.course / lesson.stem / "notes.md"
    exercise = paths.root / "exercises" / lesson.filename
    solution = paths.root / "solutions" / lesson.filename
    for needed, what in ((notes_path, "notes"), (solution, "solution")):
        if not needed.is_file():
            raise SiteError(
                f"{paths.relative(needed)} is missing: {lesson.name} ({lesson.title}) "
                f"needs its {what} file for its page"
            )
    # The page shows the untouched stub, derived from the solution: never the learner's copy.
    shown = Path(paths.relative(solution))
    try:
        stub = read_stub(solution)
    except SetupError as error:
        raise SiteError(str(error)) from None
    python_functions(shown, solution.read_text(encoding="utf-8"))  # its own line if it breaks
    return LessonSource(
        lesson=lesson,
        notes_path=notes_path,
        notes=notes_path.read_text(encoding="utf-8"),
        exercise_path=exercise,
        solution_path=solution,
        summary=_summary(shown, stub),
        functions=python_functions(shown, stub),
        checks=tuple(lesson.checks()),
    )


def gather(paths: Paths, selected: tuple[Lesson, ...] | None = None) -> tuple[LessonSource, ...]:
    """Every lesson of the registry (or ``selected``), gathered and checked for its files."""
    return tuple(gather_lesson(paths, lesson) for lesson in (selected or lessons()))
