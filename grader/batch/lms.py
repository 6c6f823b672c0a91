"""Gradebook imports for an LMS: the CSV that Canvas's or Moodle's grade import takes.

The instructor's roster (``--roster roster.csv``) maps each submission folder to the LMS's own
identifiers. Headers are matched without regard to case, spaces, ``_`` or ``-``:

- every roster: ``folder`` (the student's folder under SUBMISSIONS, e.g. ``alice``);
- Canvas: ``Student`` (name), ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, as in
  Canvas's own gradebook export (add a ``folder`` column to that export and it is a roster);
  each student needs one of ``ID``, ``SIS User ID`` or ``SIS Login ID``, by which Canvas
  matches the row;
- Moodle: ``Email address``, ``ID number`` or ``Username`` (the first of these the roster
  has is the identifier column; Moodle's import maps it to that user field).

Canvas's file: ``Student, ID, SIS User ID, SIS Login ID, Section``, a ``Points Possible`` row,
then one row per student, one column per lesson named as the assignment it creates (a column
renamed to an existing assignment's ``Name (ID)`` updates that one). Moodle's file: the
identifier column, then one column per lesson, to map to grade items in its import. A student
with no file gets 0 or an empty cell (``--missing``); a submission folder missing from the
roster is listed, never dropped in silence.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import SetupError

from .records import MISSING, LessonInfo, LessonRecord
from .spreadsheet import csv_text

LMS_NAMES = ("canvas", "moodle")
MISSING_POLICIES = ("zero", "blank")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_IDENTIFIERS = ("ID", "SIS User ID", "SIS Login ID")
MOODLE_IDENTIFIERS = ("Email address", "ID number", "Username")
POINTS_POSSIBLE = "Points Possible"
_ALIASES = {
    "folder": ("folder", "submission", "submission folder", "student folder"),
    "Student": ("student", "name", "student name"),
    "ID": ("id", "canvas id", "canvas user id", "user id"),
    "SIS User ID": ("sis user id",),
    "SIS Login ID": ("sis login id", "login id"),
    "Section": ("section",),
    "Email address": ("email address", "email", "e mail"),
    "ID number": ("id number", "idnumber"),
    "Username": ("username", "user name"),
}


@dataclass(frozen=True)
class Student:
    """One roster row: the submission folder and the LMS's columns for that student."""

    folder: str
    columns: dict[str, str]
    row: int  # the line of the roster file


@dataclass
class Roster:
    lms: str
    path: Path
    students: list[Student]
    identifier: str  # the column the LMS matches rows by (Canvas: its first present id column)


@dataclass
class Export:
    """The CSV to import, and who could not be put in it."""

    filename: str
    text: str
    not_in_roster: list[str] = field(default_factory=list)
    without_submission: list[str] = field(default_factory=list)


def _key(header: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", header).lower().split())


def _columns(headers: list[str]) -> dict[str, int]:
    """Our column names → their index in the roster's header row."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = _key(header)
        for name, aliases in _ALIASES.items():
            if key in aliases and name not in found:
                found[name] = index
    return found


def read_roster(path: Path, lms: str) -> Roster:
    """The roster at ``path`` for ``lms``; a bad roster is one SetupError naming row and fix."""
    if lms not in LMS_NAMES:
        raise SetupError(f"--lms {lms}: choose one of {', '.join(LMS_NAMES)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SetupError(f"--roster {path}: no such file; pass the roster CSV (a 'folder' "
                         "column and the LMS's student identifiers)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"--roster {path}: cannot read it as UTF-8 text ({exc}); save it as "
                         "CSV UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise SetupError(f"--roster {path} is empty: add a header row (folder, ...) and one row "
                         "per student")
    columns = _columns(rows[0])
    if "folder" not in columns:
        raise SetupError(f"{path}: no 'folder' column in its header row: add one naming each "
                         "student's submission folder (e.g. alice)")
    wanted = CANVAS_COLUMNS if lms == "canvas" else MOODLE_IDENTIFIERS
    identifiers = CANVAS_IDENTIFIERS if lms == "canvas" else MOODLE_IDENTIFIERS
    present = [name for name in identifiers if name in columns]
    if not present:
        raise SetupError(f"{path}: no {' / '.join(identifiers)} column: add the column "
                         f"{lms.capitalize()} identifies students by")
    identifier = present[0]
    students: list[Student] = []
    seen_folders: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(rows[0]):
            raise SetupError(f"{path} row {line}: {len(row)} cells but {len(rows[0])} "
                             "columns in the header: quote cells that hold commas")
        cells = {name: (row[index].strip() if index < len(row) else "")
                 for name, index in columns.items()}
        folder = cells["folder"]
        if not folder:
            raise SetupError(f"{path} row {line}: empty folder: fill in the student's "
                             "submission folder name (or delete the row)")
        if "/" in folder or "\\" in folder or folder in (".", ".."):
            raise SetupError(f"{path} row {line}: folder {folder!r} is a path: give the "
                             "folder's own name, as under SUBMISSIONS (e.g. alice)")
        if folder in seen_folders:
            raise SetupError(f"{path} row {line}: folder {folder!r} is also on row "
                             f"{seen_folders[folder]}: keep one row per student")
        seen_folders[folder] = line
        if lms == "moodle":
            ident = cells.get(identifier, "")
            if not ident:
                raise SetupError(f"{path} row {line} (folder {folder}): empty {identifier}: "
                                 "fill it in (Moodle matches students by it)")
        else:
            ident = next((cells[name] for name in present if cells.get(name)), "")
            if not ident:
                raise SetupError(f"{path} row {line} (folder {folder}): no "
                                 f"{', '.join(present)}: fill one in (Canvas matches students "
                                 "by them)")
        key = f"{identifier}={cells.get(identifier, ident)}"
        if cells.get(identifier) and key in seen_ids:
            raise SetupError(f"{path} row {line}: {identifier} {cells[identifier]!r} is also on "
                             f"row {seen_ids[key]}: one row per student")
        seen_ids[key] = line
        students.append(Student(folder, {name: cells.get(name, "") for name in wanted}, line))
    if not students:
        raise SetupError(f"{path} has a header but no students: add one row per student")
    return Roster(lms, path, students, identifier)


def lesson_column(lesson: LessonInfo) -> str:
    """The assignment's name: no "(…)", which Canvas reads as an assignment id."""
    title = lesson.title.replace("(", "[").replace(")", "]")
    return f"Lesson {lesson.number}: {title}"


def export(roster: Roster, records: list[LessonRecord], lessons: dict[str, LessonInfo],
           *, missing: str = "zero") -> Export:
    """The CSV for ``roster.lms`` from the gradebook's ``records``."""
    if missing not in MISSING_POLICIES:
        raise SetupError(f"--missing {missing}: choose one of {', '.join(MISSING_POLICIES)}")
    ordered = sorted(lessons.values(), key=lambda lesson: lesson.number)
    by_key = {(r.student, r.lesson): r for r in records}
    possible: dict[str, float] = {}
    for record in records:
        possible[record.lesson] = max(possible.get(record.lesson, 0.0), record.max_score)
    empty = "0" if missing == "zero" else ""
    rows: list[list[str]] = []
    if roster.lms == "canvas":
        head = list(CANVAS_COLUMNS)
        rows.append([*head, *(lesson_column(lesson) for lesson in ordered)])
        rows.append([POINTS_POSSIBLE, "", "", "", "",
                     *(f"{possible.get(lesson.stem, 0.0):g}" for lesson in ordered)])
    else:
        head = [roster.identifier]
        rows.append([*head, *(lesson_column(lesson) for lesson in ordered)])
    submitted = {r.student for r in records}
    for student in roster.students:
        cells = []
        for lesson in ordered:
            record = by_key.get((student.folder, lesson.stem))
            cells.append(empty if record is None or record.status == MISSING
                         else f"{record.score:g}")
        rows.append([*(student.columns.get(name, "") for name in head), *cells])
    listed = {student.folder for student in roster.students}
    return Export(
        filename=f"{roster.lms}.csv",
        text=csv_text(rows),
        not_in_roster=sorted(submitted - listed),
        without_submission=[s.folder for s in roster.students if s.folder not in submitted],
    )


def summary_markdown(result: Export, roster: Roster) -> str:
    """The summary.md section on the LMS file: who is not in it and why."""
    lines = [f"\n## {roster.lms.capitalize()} import ({result.filename})\n"]
    if result.not_in_roster:
        lines.append(f"Submission folders missing from the roster {roster.path.name} (not in "
                     f"{result.filename}: add them to the roster and run again):\n")
        lines += [f"- {name}" for name in result.not_in_roster]
    else:
        lines.append(f"Every submission folder is in the roster {roster.path.name}.")
    if result.without_submission:
        lines.append(f"\nRoster students with no submission folder: "
                     f"{', '.join(result.without_submission)}")
    return "\n".join(lines) + "\n"
