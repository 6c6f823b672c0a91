"""Hidden checks: an instructor's own check modules added with ``--checks DIR``.

A real hidden folder (``tests/hidden_checks/``: a lesson-1 module left "hidden", a lesson-2
folder whose module says ``VISIBILITY = "after_published"``) is graded through the CLI as an
instructor runs it: ``grade lesson1 --checks`` and ``grade batch --checks``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from grader.curriculum import find_lesson
from grader.errors import SetupError
from grader.hidden import HiddenChecks

REPO = Path(__file__).resolve().parents[1]
HIDDEN = Path(__file__).resolve().parent / "hidden_checks"
LESSON1 = find_lesson("lesson1")
HIDDEN_TITLE = "fibonacci(20) is right to the last number (hidden)"
HIDDEN_HINT = "Keep multiplying by [[0, 1], [1, 1]]"
RUN_TIMEOUT_S = 300
#: lesson 1's fibonacci, wrong only when asked for 20 numbers: every visible check passes, the
#: hidden fibonacci(20) fails
SHORT_FIBONACCI = '''

_fibonacci_right = fibonacci


def fibonacci(n):
    numbers = _fibonacci_right(n)
    if n != 20:
        return numbers
    return tf.concat([numbers[:10], tf.zeros([10], tf.int64)], axis=0)
'''


def _grade(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([str(Path(sys.executable).parent / "grade"), *map(str, args)],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env,
                          cwd=cwd)


def _solution(lesson: str) -> str:
    return (REPO / "solutions" / find_lesson(lesson).filename).read_text(encoding="utf-8")


# -- the content type ---------------------------------------------------------------------------


def test_hidden_checks_travel_as_bytes_and_materialize(tmp_path):
    hidden = HiddenChecks.from_dir(HIDDEN)
    assert set(hidden.files) == {"lesson1_warmup.py",
                                 "lesson2_linear_regression/shown_after_publishing.py"}
    again = HiddenChecks(dict(hidden.files))  # what a Dask or Gradescope helper receives
    assert again.digest == hidden.digest
    package = again.materialize(tmp_path)
    assert (package / "lesson1_warmup.py").read_bytes() == hidden.files["lesson1_warmup.py"]
    checks = again.checks(LESSON1)
    assert [(c.info.title, c.visibility) for c in checks] == [(HIDDEN_TITLE, "hidden")]
    lesson2 = again.checks(find_lesson("lesson2"))
    assert [c.visibility for c in lesson2] == ["after_published"]
    assert hidden.version_suffix(LESSON1) != hidden.version_suffix(find_lesson("lesson2"))
    assert hidden.version_suffix(find_lesson("lesson3")) == ""


@pytest.mark.parametrize("layout, expected", [
    ({"lesson1_warmp.py": "x = 1\n"}, "lesson1_warmp.py: not a lesson's check module"),
    ({"lesson1_warmup.py": "def broken(:\n"}, "lesson1_warmup.py, line 1"),
    ({"lesson1_warmup/notes.json": "{}"}, "is not a Python module"),
    ({"data.csv": "a,b\n"}, "data.csv is neither a lessonN_<topic>.py module"),
    ({"lesson1_warmup.py": "x = 1\n"}, "declares no checks"),
    ({"lesson1_warmup.py": "from grader.check import check\nVISIBILITY = 'secret'\n"
      "@check('t', points=1, hint='a hint of twenty chars')\ndef test_x(learner): pass\n"},
     "VISIBILITY = 'secret'"),
    ({"lesson1_warmup.py": "from grader.check import check\n"
      "@check('t', points=1, hint='a hint of twenty chars')\n"
      "def test_fibonacci_values(learner): pass\n"}, "has the id of another check of lesson1"),
    ({}, "holds no check modules"),
])
def test_a_bad_checks_folder_is_one_line_naming_the_fix(tmp_path, layout, expected):
    folder = tmp_path / "checks"
    folder.mkdir()
    for name, text in layout.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(SetupError) as caught:
        HiddenChecks.from_dir(folder)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_checks_folder_stops_grade_lesson_before_grading(tmp_path):
    run = _grade("lesson1", "--submission", REPO / "solutions" / LESSON1.filename,
                 "--checks", tmp_path / "nowhere")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "--checks" in run.stderr and "no such folder" in \
        run.stderr


# -- grade lessonN --checks ---------------------------------------------------------------------


@pytest.mark.slow
def test_grade_lesson_adds_the_hidden_checks_and_results_json_marks_them(tmp_path,
                                                                        monkeypatch):
    submission = tmp_path / "mine.py"
    submission.write_text(_solution("lesson1") + SHORT_FIBONACCI, encoding="utf-8")
    out = tmp_path / "results.json"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    run = _grade("lesson1", "--submission", submission, "--checks", HIDDEN, "--json", out)
    assert run.returncode == 1, run.stdout + run.stderr
    assert HIDDEN_TITLE in run.stdout and "Score: 16/18" in run.stdout
    # grade ends without the interpreter's teardown, but its exit handlers still run
    assert not list(temporary.glob("grade-hidden-*"))
    document = json.loads(out.read_text())
    assert (document["score"], document["max_score"]) == (16, 18)
    tests = {t["name"]: t for t in document["tests"]}
    assert tests[HIDDEN_TITLE]["visibility"] == "hidden"
    assert tests[HIDDEN_TITLE]["status"] == "failed"
    assert {t["visibility"] for name, t in tests.items() if name != HIDDEN_TITLE} == {"visible"}
    # hints for failed checks only: a passed check's hint may be a near-answer
    for test in document["tests"]:
        assert ("hint" in test["extra_data"]) == (test["status"] == "failed"), test["name"]
    assert tests[HIDDEN_TITLE]["extra_data"]["hint"].startswith(HIDDEN_HINT)
    assert document["extra_data"]["grader_version"].endswith(
        HiddenChecks.from_dir(HIDDEN).version_suffix(LESSON1))


# -- grade batch --checks -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hidden_batch(tmp_path_factory) -> dict[str, Path]:
    """A class of three graded with the hidden checks: alice right, bob short, carol broken."""
    root = tmp_path_factory.mktemp("hidden-batch")
    classdir, out = root / "class", root / "out"
    files = {"alice": _solution("lesson1"), "bob": _solution("lesson1") + SHORT_FIBONACCI,
             "carol": "def make_counter(:\n    pass\n"}
    for student, text in files.items():
        (classdir / student).mkdir(parents=True)
        (classdir / student / LESSON1.filename).write_text(text, encoding="utf-8")
    run = _grade("batch", classdir, "--out", out, "--jobs", "1", "--lessons", "1",
                 "--checks", HIDDEN)
    assert run.returncode == 0, run.stdout + run.stderr
    return {"class": classdir, "out": out, "root": root}


@pytest.mark.slow
def test_batch_counts_hidden_points_everywhere(hidden_batch):
    out = hidden_batch["out"]
    with open(out / "grades.csv", newline="") as grades:
        rows = {row["student"]: row for row in csv.DictReader(grades)}
    assert {s: (rows[s]["score"], rows[s]["max_score"]) for s in rows} == {
        "alice": ("18", "18"), "bob": ("16", "18"), "carol": ("0", "18")}
    version = rows["alice"]["grader_version"]
    assert version.endswith(HiddenChecks.from_dir(HIDDEN).version_suffix(LESSON1))
    with sqlite3.connect(out / "gradebook.db") as db:
        stored = db.execute("SELECT student, points, visibility FROM check_results WHERE "
                            "check_id = 'hidden_fibonacci_twenty' ORDER BY student").fetchall()
    assert stored == [("alice", 2.0, "hidden"), ("bob", 0.0, "hidden"), ("carol", 0.0, "hidden")]
    bob = json.loads((out / "students" / "bob" / "results.json").read_text())
    tests = {t["name"].removeprefix("lesson1: "): t for t in bob["tests"]}
    assert tests[HIDDEN_TITLE]["visibility"] == "hidden"
    assert (bob["score"], bob["max_score"]) == (16, 18)
    for test in bob["tests"]:
        assert ("hint" in test["extra_data"]) == (test["status"] == "failed"), test["name"]
    junit = (out / "students" / "bob" / "junit.xml").read_text()
    assert "hidden_fibonacci_twenty" in junit


@pytest.mark.slow
def test_students_files_withhold_the_hidden_checks_message_unless_asked(hidden_batch, tmp_path):
    """Issue 17: bob's honest wrong answer; the hidden check's expected values and hint stay
    out of every file handed back, and are there with --feedback-hidden."""
    expected = "[0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89"  # the hidden check's expected value
    files = ("results.json", "junit.xml", "feedback.md")
    for name in files:
        text = (hidden_batch["out"] / "students" / "bob" / name).read_text()
        assert expected not in text and HIDDEN_HINT not in text, name
    shown = tmp_path / "out"
    shutil.copytree(hidden_batch["out"], shown)
    again = _grade("batch", hidden_batch["class"], "--out", shown, "--jobs", "1", "--lessons",
                   "1", "--checks", HIDDEN, "--feedback-hidden")
    assert again.returncode == 0, again.stderr
    for name in files:
        text = (shown / "students" / "bob" / name).read_text()
        assert expected in text and HIDDEN_HINT in text, name


@pytest.mark.slow
def test_feedback_leaves_hidden_checks_out_unless_asked(hidden_batch, tmp_path):
    out = hidden_batch["out"]
    feedback = (out / "students" / "bob" / "feedback.md").read_text()
    assert HIDDEN_TITLE not in feedback and HIDDEN_HINT not in feedback
    assert "16/16" in feedback and "checks of their own" in feedback
    shown = tmp_path / "out"
    shutil.copytree(out, shown)
    again = _grade("batch", hidden_batch["class"], "--out", shown, "--jobs", "1", "--lessons",
                   "1", "--checks", HIDDEN, "--feedback-hidden")
    assert again.returncode == 0, again.stderr
    assert "0 to grade" in again.stdout  # the exports are rebuilt, nothing is graded again
    feedback = (shown / "students" / "bob" / "feedback.md").read_text()
    assert HIDDEN_TITLE in feedback and HIDDEN_HINT in feedback and "16/18" in feedback


@pytest.mark.slow
def test_changing_the_hidden_checks_grades_again(hidden_batch, tmp_path):
    checks = tmp_path / "checks"
    shutil.copytree(HIDDEN, checks)
    module = checks / "lesson1_warmup.py"
    module.write_text(module.read_text().replace("points=2", "points=3"), encoding="utf-8")
    out = tmp_path / "out"
    shutil.copytree(hidden_batch["out"], out)
    again = _grade("batch", hidden_batch["class"], "--out", out, "--jobs", "1", "--lessons",
                   "1", "--checks", checks)
    assert again.returncode == 0, again.stderr
    assert "0 results already in the gradebook" in again.stdout, again.stdout
    with open(out / "grades.csv", newline="") as grades:
        assert {row["student"]: row["max_score"] for row in csv.DictReader(grades)} == {
            "alice": "19", "bob": "19", "carol": "19"}


@pytest.mark.slow
def test_summary_has_students_errors_and_rates_of_loaded_files(hidden_batch):
    summary = (hidden_batch["out"] / "summary.md").read_text()
    students = summary.split("## Students", 1)[1].split("## Errors", 1)[0]
    assert "| alice | 18/18 | 18/18 |" in students
    assert "| bob | 16/18 | 16/18 |" in students
    assert "| carol | 0/18 error | 0/18 |" in students
    errors = summary.split("## Errors", 1)[1]
    assert "| carol | lesson1_warmup.py | error |" in errors and "SyntaxError" in errors
    # carol's file did not load: the rates count alice and bob only
    assert f"| lesson1 | {HIDDEN_TITLE} | 1/2 | 50% |" in summary
    assert "Files that did not load (left out of the pass rates): lesson1: 1." in summary
