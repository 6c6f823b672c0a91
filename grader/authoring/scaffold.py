"""``grade new-course`` and ``grade new-lesson``: a course folder and a lesson's files, from the
templates in ``grader/templates/`` (a course made this way passes its own ``grade
check-course``)."""

from __future__ import annotations

from pathlib import Path
from string import Template

from grader.course import MANIFEST, STEM, load
from grader.errors import UsageError
from grader.stubs import derive_stub

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
EXAMPLE_LESSON = ("lesson1_first_steps", "First steps with tensors")


def _render(template: str, **values: str) -> str:
    return Template((TEMPLATES / f"{template}.tmpl").read_text(encoding="utf-8")).substitute(values)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_course(folder: Path, *, title: str | None = None) -> list[Path]:
    """Make a course in ``folder`` (new or empty of a course) with one example lesson."""
    if (folder / MANIFEST).exists():
        raise UsageError(f"{folder / MANIFEST} exists already: {folder} is a course; add "
                         "lessons with `grade new-lesson NAME --title TITLE` inside it")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file: choose a folder name for the course")
    name = folder.resolve().name
    title = title or name.replace("-", " ").replace("_", " ").strip().capitalize() or "My course"
    (folder / "course").mkdir(parents=True, exist_ok=True)
    for sub in ("exercises", "solutions"):
        (folder / sub).mkdir(exist_ok=True)
    manifest = folder / MANIFEST
    manifest.write_text(_render("course/course.toml", name=name.replace('"', ""),
                                title=title.replace('"', "")), encoding="utf-8")
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_render("course/gitignore"), encoding="utf-8")
    stem, lesson_title = EXAMPLE_LESSON
    return [manifest, *new_lesson(folder, stem, title=lesson_title)]


def new_lesson(root: Path, stem: str, *, title: str) -> list[Path]:
    """Scaffold lesson ``stem`` in the course at ``root`` and list it in the manifest."""
    match = STEM.match(stem)
    if not match:
        raise UsageError(f"{stem!r}: name a lesson lessonN_topic, lowercase (e.g. "
                         "lesson2_embeddings)")
    if not title.strip() or "\n" in title:
        raise UsageError("--title: give the lesson a one-line title, e.g. --title \"Embeddings\"")
    course = load(root)
    number = int(match.group(1))
    for entry in course.entries:
        if entry.stem == stem:
            raise UsageError(f"{stem} is in the course already ({course.manifest})")
        if int(STEM.match(entry.stem).group(1)) == number:  # type: ignore[union-attr]
            raise UsageError(f"lesson{number} is {entry.stem} already: choose another number")
    folder = course.grading_dir / stem
    targets = {folder / "__init__.py": "lesson/__init__.py", folder / "checks.py":
               "lesson/checks.py", folder / "notes.md": "lesson/notes.md",
               root / "solutions" / f"{stem}.py": "lesson/solution.py"}
    existing = [path for path in targets if path.exists()]
    if existing:
        raise UsageError(f"{existing[0]} exists already: move it away or choose another name")
    values = {"stem": stem, "title": title.strip(), "name": f"lesson{number}"}
    for path, template in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render(template, **values), encoding="utf-8")
    solution = root / "solutions" / f"{stem}.py"
    stub = root / "exercises" / f"{stem}.py"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text(derive_stub(solution.read_text(encoding="utf-8"), solution), encoding="utf-8")
    text = course.manifest.read_text(encoding="utf-8")
    text = text.rstrip("\n") + "\n"
    text += (f"\n[[lessons]]\nstem = {_toml_string(stem)}\n"
             f"title = {_toml_string(title.strip())}\n")
    course.manifest.write_text(text, encoding="utf-8")
    return [*targets, stub]
