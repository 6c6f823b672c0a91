"""The SQLite gradebook: students, lessons, checks, results, and each result's check verdicts.

One process writes it (the batch's main process), one transaction per result, so a run killed
at any moment leaves only whole results behind. A result is keyed by the submission's sha256
and the grader version: a re-run skips a student's lesson whose file and grader are unchanged.
Every SQLite problem (corrupt file, locked database, disk full) becomes an InfrastructureError:
the run stops and no student gets a zero for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader.curriculum import Lesson
from grader.errors import InfrastructureError
from grader.results import CheckResult
from grader.safe_read import shown

from .records import LessonRecord, checks_with_visibility

SCHEMA_VERSION = "1"
FILENAME = "gradebook.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS students (
    name TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS lessons (
    stem TEXT PRIMARY KEY,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    max_points REAL NOT NULL,
    grader_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
    lesson TEXT NOT NULL REFERENCES lessons(stem),
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    max_points REAL NOT NULL,
    hint TEXT NOT NULL,
    visibility TEXT NOT NULL DEFAULT 'visible',
    PRIMARY KEY (lesson, id)
);
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL REFERENCES students(name),
    lesson TEXT NOT NULL REFERENCES lessons(stem),
    sha256 TEXT,
    grader_version TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    problem TEXT NOT NULL,
    duration_s REAL NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (student, lesson)
);
CREATE TABLE IF NOT EXISTS check_results (
    student TEXT NOT NULL,
    lesson TEXT NOT NULL,
    check_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL,
    hint TEXT NOT NULL,
    output TEXT NOT NULL,
    seed INTEGER NOT NULL,
    duration_s REAL NOT NULL,
    visibility TEXT NOT NULL DEFAULT 'visible',
    PRIMARY KEY (student, lesson, check_id),
    FOREIGN KEY (student, lesson) REFERENCES results(student, lesson) ON DELETE CASCADE
);
"""

_TABLES = ("meta", "students", "lessons", "checks", "results", "check_results")


def infrastructure_error(path: Path, exc: sqlite3.Error) -> InfrastructureError:
    """A one-line message that says what is wrong with the gradebook and what to do."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return InfrastructureError(
            f"{path} is locked by another program ({text}): close it (or wait for the other "
            "grade batch to end) and run again; nothing is lost")
    if "full" in lowered:
        return InfrastructureError(
            f"cannot write {path}: the disk is full ({text}); free some space and run again: "
            "results already recorded are kept")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return InfrastructureError(
            f"{path} is not a usable gradebook ({text}): move it away and run again to start a "
            "fresh one, or restore it from a backup")
    return InfrastructureError(f"gradebook {path}: {text}; check the file and run again")


class Gradebook:
    """The gradebook at ``path`` (created if absent), checked before anything is graded."""

    def __init__(self, path: Path, *, timeout: float = 5.0) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise infrastructure_error(path, exc) from None
        try:
            with self._errors():
                self._db.execute("PRAGMA foreign_keys = ON")
                self._db.execute("PRAGMA synchronous = FULL")
                # WAL where the file system allows it (readers never block the writer)
                self._db.execute("PRAGMA journal_mode = WAL")
                check = self._db.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"database disk image is malformed: {check}")
                self._create()
        except BaseException:
            self._db.close()
            raise

    # -- setup ----------------------------------------------------------------------------

    def _create(self) -> None:
        existing = {row[0] for row in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if existing and "meta" not in existing:
            raise InfrastructureError(
                f"{self.path} is a SQLite file but not a gradebook of `grade batch`: pass "
                "another --out folder or move it away")
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,))
            for table in ("checks", "check_results"):  # gradebooks from before hidden checks
                columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if "visibility" not in columns:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN visibility TEXT NOT NULL "
                                     "DEFAULT 'visible'")
        version = self._db.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if version is None or version[0] != SCHEMA_VERSION:
            found = version[0] if version else "none"
            raise InfrastructureError(
                f"{self.path} has gradebook schema {found}, this grader writes "
                f"{SCHEMA_VERSION}: use another --out folder")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise infrastructure_error(self.path, exc) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def register(self, students: list[str], lessons: list[tuple[Lesson, str]],
                 hidden: Any = None) -> None:
        """Record the class's students and each lesson (with its grader version) and checks
        (``hidden``: the instructor's hidden checks, recorded with their visibility)."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO students (name) VALUES (?)", [(shown(s),) for s in students])
            for lesson, version in lessons:
                pairs = checks_with_visibility(lesson, hidden)
                infos = [info for info, _ in pairs]
                self._db.execute(
                    "INSERT INTO lessons (stem, number, title, max_points, grader_version) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (stem) DO UPDATE SET "
                    "number = excluded.number, title = excluded.title, "
                    "max_points = excluded.max_points, grader_version = excluded.grader_version",
                    (lesson.stem, lesson.number, lesson.title,
                     sum(i.points for i in infos), version))
                self._db.execute("DELETE FROM checks WHERE lesson = ?", (lesson.stem,))
                self._db.executemany(
                    "INSERT INTO checks (lesson, id, position, title, max_points, hint, "
                    "visibility) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(lesson.stem, i.id, n, i.title, i.points, i.hint, visibility)
                     for n, (i, visibility) in enumerate(pairs)])

    def record(self, record: LessonRecord) -> None:
        """Store one result, replacing any earlier one of that student × lesson, atomically
        (text that SQLite cannot store, such as a file name that is not UTF-8, escaped)."""
        record = _storable(record)
        graded_at = record.graded_at or datetime.datetime.now(datetime.UTC).isoformat(
            timespec="seconds")
        with self._transaction():
            self._db.execute("DELETE FROM results WHERE student = ? AND lesson = ?",
                             (record.student, record.lesson))
            self._db.execute(
                "INSERT INTO results (student, lesson, sha256, grader_version, status, score, "
                "max_score, problem, duration_s, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.student, record.lesson, record.sha256, record.grader_version,
                 record.status, record.score, record.max_score, record.problem,
                 record.duration_s, graded_at))
            self._db.executemany(
                "INSERT INTO check_results (student, lesson, check_id, position, title, points, "
                "max_points, status, outcome, message, hint, output, seed, duration_s, "
                "visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(record.student, record.lesson, c.id, n, c.title, c.points, c.max_points,
                  c.status, c.outcome, c.message, c.hint, c.output, c.seed, c.duration_s,
                  c.visibility)
                 for n, c in enumerate(record.checks)])

    # -- reading --------------------------------------------------------------------------

    def keys(self) -> dict[tuple[str, str], tuple[str | None, str]]:
        """``{(student, lesson): (sha256, grader_version)}`` of every stored result."""
        with self._errors():
            rows = self._db.execute(
                "SELECT student, lesson, sha256, grader_version FROM results").fetchall()
        return {(s, lesson): (sha, version) for s, lesson, sha, version in rows}

    def lessons(self) -> list[tuple[str, int, str]]:
        """``(stem, number, title)`` of every lesson in the gradebook, in order."""
        with self._errors():
            return self._db.execute(
                "SELECT stem, number, title FROM lessons ORDER BY number").fetchall()

    def students(self) -> list[str]:
        with self._errors():
            return [row[0] for row in self._db.execute("SELECT name FROM students ORDER BY name")]

    def records(self) -> list[LessonRecord]:
        """Every stored result with its checks, by student then lesson number."""
        with self._errors():
            rows = self._db.execute(
                "SELECT r.student, r.lesson, r.status, r.sha256, r.grader_version, r.problem, "
                "r.duration_s, r.graded_at FROM results r JOIN lessons l ON l.stem = r.lesson "
                "ORDER BY r.student, l.number").fetchall()
            checks: dict[tuple[str, str], list[CheckResult]] = {}
            for row in self._db.execute(
                "SELECT student, lesson, check_id, title, max_points, points, status, message, "
                "hint, outcome, output, seed, duration_s, visibility FROM check_results "
                "ORDER BY student, lesson, position"
            ):
                checks.setdefault((row[0], row[1]), []).append(CheckResult(
                    id=row[2], title=row[3], max_points=row[4], points=row[5], status=row[6],
                    message=row[7], hint=row[8], outcome=row[9], output=row[10], seed=row[11],
                    duration_s=row[12], visibility=row[13]))
        return [
            LessonRecord(student=s, lesson=lesson, status=status, sha256=sha,
                         grader_version=version, checks=checks.get((s, lesson), []),
                         problem=problem, duration_s=duration, graded_at=graded_at)
            for s, lesson, status, sha, version, problem, duration, graded_at in rows
        ]

    def dump(self) -> dict[str, list[tuple]]:
        """Every table's rows, sorted, for comparing two runs' gradebooks.

        Left out: timings, and what the learner's code printed (it may print addresses, times
        or temporary file names); every verdict, message, point and key is in.
        """
        timing = {"duration_s", "graded_at", "output"}
        tables = {}
        with self._errors():
            for table in _TABLES:
                columns = [row[1] for row in self._db.execute(f"PRAGMA table_info({table})")
                           if row[1] not in timing]
                rows = self._db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
                tables[table] = sorted(rows, key=repr)
        return tables


def _storable(record: LessonRecord) -> LessonRecord:
    """``record`` with every text escaped as :func:`~grader.safe_read.shown` does (a student's
    folder or file name that is not UTF-8 may reach a message)."""
    checks = [dataclasses.replace(c, **{name: shown(getattr(c, name)) for name in
                                        ("title", "message", "hint", "output", "status",
                                         "outcome", "id", "visibility")})
              for c in record.checks]
    return dataclasses.replace(record, student=shown(record.student), problem=shown(
        record.problem), sha256=record.sha256, checks=checks)
