"""``grade batch ... --lms canvas|moodle --roster roster.csv``: the CSVs the LMSs import.

Canvas's grade import (the format of its own gradebook export): ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment; a second row
``Points Possible``; a column named ``Name (123)`` is assignment 123, any other name creates an
assignment. Moodle's "Import grades from CSV": a column to map to a user field (email address,
ID number or username) and one column per grade item.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import pytest

from grader.batch.lms import (
    CANVAS_COLUMNS,
    POINTS_POSSIBLE,
    export,
    lesson_column,
    read_roster,
)
from grader.batch.records import GRADED, MISSING, LessonInfo, LessonRecord
from grader.errors import SetupError
from grader.results import CheckResult
from tests.conftest import REPO, untouched_stub
from tests.test_cli import ENV, GRADE

LESSONS = {"lesson1_warmup": LessonInfo("lesson1_warmup", 1, "Warm-up (graphs)"),
           "lesson2_linear_regression": LessonInfo("lesson2_linear_regression", 2, "Regression")}


def _record(student: str, lesson: str, points: float, status: str = GRADED) -> LessonRecord:
    check = CheckResult(id="c", title="c", max_points=10, points=points,
                        status="passed" if points == 10 else "failed")
    return LessonRecord(student, lesson, status, None, "v", checks=[check])


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


CANVAS_ROSTER = ("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,folder\n"  # Excel's BOM
                 '"Liddell, Alice",101,S1,alice@uni.edu,Sec A,alice\n'
                 '"Builder, Bob",102,S2,bob@uni.edu,Sec A,bob\n'
                 '"Dee, Dave",103,S3,dave@uni.edu,Sec B,dave\n')
RECORDS = [_record("alice", "lesson1_warmup", 10), _record("alice", "lesson2_linear_regression", 4),
           _record("bob", "lesson1_warmup", 0, MISSING),
           _record("bob", "lesson2_linear_regression", 0, "error"),
           _record("carol", "lesson1_warmup", 10)]


@pytest.mark.parametrize("missing", ["zero", "blank"])
def test_canvas_file_has_the_documented_columns(tmp_path: Path, missing: str) -> None:
    roster = read_roster(_roster(tmp_path, CANVAS_ROSTER), "canvas")
    result = export(roster, RECORDS, LESSONS, missing=missing)
    rows = _rows(result.text)
    assert tuple(rows[0][:5]) == CANVAS_COLUMNS == (
        "Student", "ID", "SIS User ID", "SIS Login ID", "Section")
    assert rows[0][5:] == ["Lesson 1: Warm-up [graphs]", "Lesson 2: Regression"]
    for name in rows[0][5:]:  # "(123)" would make Canvas look for assignment 123
        assert not re.search(r"\(\d+\)\s*$", name)
    assert rows[1] == [POINTS_POSSIBLE, "", "", "", "", "10", "10"]
    empty = "0" if missing == "zero" else ""
    assert rows[2:] == [
        ["Liddell, Alice", "101", "S1", "alice@uni.edu", "Sec A", "10", "4"],
        ["Builder, Bob", "102", "S2", "bob@uni.edu", "Sec A", empty, "0"],  # error: a real 0
        ["Dee, Dave", "103", "S3", "dave@uni.edu", "Sec B", empty, empty],
    ]
    assert result.not_in_roster == ["carol"]  # listed, never dropped in silence
    assert result.without_submission == ["dave"]
    assert result.filename == "canvas.csv"


@pytest.mark.parametrize(("header", "column"), [("email", "Email address"),
                                                ("ID number", "ID number"),
                                                ("user_name", "Username")])
def test_moodle_file_has_the_identifier_column(tmp_path: Path, header: str,
                                               column: str) -> None:
    path = _roster(tmp_path, f"Folder,{header}\nalice,a1\nbob,b2\n")
    result = export(read_roster(path, "moodle"), RECORDS, LESSONS, missing="blank")
    assert _rows(result.text) == [
        [column, "Lesson 1: Warm-up [graphs]", "Lesson 2: Regression"],
        ["a1", "10", "4"],
        ["b2", "", "0"],
    ]
    assert result.not_in_roster == ["carol"]


def test_moodle_prefers_email_then_idnumber(tmp_path: Path) -> None:
    path = _roster(tmp_path, "username,idnumber,email,folder\nal,7,a@x.org,alice\n")
    roster = read_roster(path, "moodle")
    assert roster.identifier == "Email address"
    assert _rows(export(roster, RECORDS, LESSONS).text)[1][0] == "a@x.org"


@pytest.mark.parametrize(("lms", "text", "says"), [
    ("canvas", "Student,ID\nAlice,1\n", "no 'folder' column in its header row: add one"),
    ("canvas", "folder,Student,Section\nalice,Alice,A\n",
     "no ID / SIS User ID / SIS Login ID column"),
    ("canvas", "folder,ID\nalice,1\n,2\n", "row 3: empty folder"),
    ("canvas", "folder,ID\nalice,1\nalice,2\n", "row 3: folder 'alice' is also on row 2"),
    ("canvas", "folder,ID\nalice,1\nbob,1\n", "row 3: ID '1' is also on row 2"),
    ("canvas", "folder,ID,SIS Login ID\nalice,,\n", "row 2 (folder alice): no ID, SIS Login ID"),
    ("canvas", "folder,ID\nclass/alice,1\n", "row 2: folder 'class/alice' is a path"),
    ("canvas", "folder,ID\nalice,1,extra\n", "row 2: 3 cells but 2 columns"),
    ("moodle", "folder,username\nalice,\n", "row 2 (folder alice): empty Username"),
    ("moodle", "folder\nalice\n", "no Email address / ID number / Username column"),
    ("moodle", "folder,email\n", "has a header but no students"),
    ("moodle", "", "is empty"),
])
def test_bad_roster_is_one_line_naming_row_and_fix(tmp_path: Path, lms: str, text: str,
                                                   says: str) -> None:
    with pytest.raises(SetupError) as error:
        read_roster(_roster(tmp_path, text), lms)
    assert says in str(error.value)
    assert "\n" not in str(error.value)


def test_lesson_column_names_the_lesson() -> None:
    assert lesson_column(LESSONS["lesson2_linear_regression"]) == "Lesson 2: Regression"


@pytest.mark.slow
def test_batch_writes_the_lms_files(tmp_path: Path) -> None:
    """The CLI as an instructor runs it: grade, then the same gradebook into the other LMS."""
    submissions = tmp_path / "submissions"
    for student, source in (("alice", REPO / "solutions" / "lesson1_warmup.py"),
                            ("bob", untouched_stub("lesson1_warmup.py")),
                            ("carol", REPO / "solutions" / "lesson1_warmup.py")):
        (submissions / student).mkdir(parents=True)
        (submissions / student / "lesson1_warmup.py").write_bytes(source.read_bytes())
    roster = _roster(tmp_path, "folder,Student,ID,SIS User ID,SIS Login ID,Section,email\n"
                               "alice,Alice,1,S1,alice,A,a@x.org\nbob,Bob,2,S2,bob,A,b@x.org\n"
                               "dave,Dave,4,S4,dave,B,d@x.org\n")
    out = tmp_path / "grading"

    def batch(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([GRADE, "batch", str(submissions), "--out", str(out), "--jobs", "1",
                               *extra], env=ENV, capture_output=True, text=True, timeout=600)

    done = batch("--lms", "canvas", "--roster", str(roster))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _rows((out / "canvas.csv").read_text())
    assert rows[0] == [*CANVAS_COLUMNS, "Lesson 1: Warm-up: graphs, variables and Fibonacci"]
    assert rows[1] == [POINTS_POSSIBLE, "", "", "", "", "16"]
    assert rows[2:] == [["Alice", "1", "S1", "alice", "A", "16"],
                        ["Bob", "2", "S2", "bob", "A", "0"],
                        ["Dave", "4", "S4", "dave", "B", "0"]]
    text = " ".join(done.stdout.split())
    assert "submission folders missing from the roster (not in canvas.csv): carol" in text
    summary = (out / "summary.md").read_text()
    assert "Submission folders missing from the roster roster.csv" in summary
    assert "- carol" in summary

    done = batch("--lms", "moodle", "--roster", str(roster), "--missing", "blank")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _rows((out / "moodle.csv").read_text()) == [
        ["Email address", "Lesson 1: Warm-up: graphs, variables and Fibonacci"],
        ["a@x.org", "16"], ["b@x.org", "0"], ["d@x.org", ""]]


def test_batch_refuses_a_bad_roster_before_grading(tmp_path: Path) -> None:
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    roster = _roster(tmp_path, "folder,ID\nalice,1\nalice,2\n")
    out = tmp_path / "out"
    done = subprocess.run([GRADE, "batch", str(tmp_path / "subs"), "--out", str(out), "--lms",
                           "canvas", "--roster", str(roster)], env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert "row 3: folder 'alice' is also on row 2" in done.stderr
    assert done.stderr.count("\n") == 1
    assert not out.exists()
    done = subprocess.run([GRADE, "batch", str(tmp_path / "subs"), "--out", str(out), "--lms",
                           "canvas"], env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--lms and --roster go together" in done.stderr
