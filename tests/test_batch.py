"""``grade batch`` as an instructor runs it: the installed script, real SQLite, real processes.

One class folder (good, buggy, broken, hanging and crashing lesson-1/lesson-2 submissions) is
graded once per module by a clean run; the tests read its gradebook and exports, re-run it,
kill a run of it with SIGKILL and resume, and break its gradebook.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch.gradebook import Gradebook
from grader.batch.records import GRADED, without_grading
from grader.curriculum import find_lesson
from grader.errors import InfrastructureError

REPO = Path(__file__).resolve().parents[1]
VARIANTS = Path(__file__).resolve().parent / "variants"
LESSON1, LESSON2 = find_lesson("lesson1"), find_lesson("lesson2")
TIMEOUT = "6"  # per call of a student's code (the hanging file costs it once); calls take < 1 s
RUN_TIMEOUT_S = 300


def _grade_script() -> str:
    return str(Path(sys.executable).parent / "grade")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(COLUMNS="100", NO_COLOR="1", TERM="dumb")
    return env


def _batch(*args: str | Path, **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_grade_script(), "batch", *map(str, args)], capture_output=True, text=True,
        timeout=RUN_TIMEOUT_S, env=_env(), **options,
    )


def _solution(lesson) -> str:
    return (REPO / "solutions" / lesson.filename).read_text(encoding="utf-8")


# student -> {lesson stem: file text or bytes}; a lesson absent from the dict is not submitted
def _class_files() -> dict[str, dict[str, str | bytes]]:
    l1, l2 = LESSON1.stem, LESSON2.stem
    return {
        "alice": {l1: _solution(LESSON1), l2: _solution(LESSON2)},
        "bob": {
            l1: (VARIANTS / "lesson1" / "buggy" / "fibonacci_int32.py").read_text(),
            l2: (VARIANTS / "lesson2" / "buggy" / "b01_sum_not_mean.py").read_text(),
        },
        "carol": {l1: "def make_counter(:\n    pass\n"},  # syntax error; lesson 2 missing
        "dave": {
            l1: _solution(LESSON1).replace("def fibonacci(", "def fibonaci("),  # missing function
            l2: _solution(LESSON2) + "\n\ndef predict(x, W, b):\n"
                "    import ctypes\n    return ctypes.string_at(0)  # segfault\n",
        },
        "erin": {l1: "while True:\n    pass\n"},  # hangs at import
        "frank": {l1: "import os\nos._exit(3)\n", l2: b"\xff\xfe not a text file\n"},
    }


EXPECTED_STATUS = {
    ("alice", "lesson1"): "graded", ("alice", "lesson2"): "graded",
    ("bob", "lesson1"): "graded", ("bob", "lesson2"): "graded",
    ("carol", "lesson1"): "error", ("carol", "lesson2"): "missing",
    ("dave", "lesson1"): "graded", ("dave", "lesson2"): "crashed",
    ("erin", "lesson1"): "timeout", ("erin", "lesson2"): "missing",
    ("frank", "lesson1"): "crashed", ("frank", "lesson2"): "error",
}


def _write_class(root: Path, skip: tuple[str, ...] = ()) -> Path:
    for student, files in _class_files().items():
        if student in skip:
            continue
        folder = root / student
        folder.mkdir(parents=True)
        for stem, content in files.items():
            path = folder / f"{stem}.py"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
    if "frank" not in skip:
        (root / "frank" / "notes.py").write_text("# not a lesson file\n")
    return root


@dataclass
class Run:
    classdir: Path
    out: Path
    process: subprocess.CompletedProcess[str]
    seconds: float
    single: dict[tuple[str, str], dict]  # `grade lessonN --submission --json` of some files


def _dump(db: Path, *, without_student: str | None = None) -> dict[str, list[tuple]]:
    with Gradebook(db) as book:
        tables = book.dump()
    if without_student is not None:
        for table in ("students", "results", "check_results"):
            tables[table] = [row for row in tables[table] if row[0] != without_student]
    return tables


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The class graded once, and meanwhile two of its files graded alone, as a student would."""
    root = tmp_path_factory.mktemp("batch")
    classdir = _write_class(root / "class")
    out = root / "out"
    singles = {("bob", "lesson1"): classdir / "bob" / LESSON1.filename,
               ("dave", "lesson2"): classdir / "dave" / LESSON2.filename}
    started = time.monotonic()
    batch = subprocess.Popen(
        [_grade_script(), "batch", str(classdir), "--out", str(out), "--jobs", "2",
         "--timeout", TIMEOUT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env())
    single = {}
    for (student, lesson), path in singles.items():
        json_out = root / f"{student}-{lesson}.json"
        subprocess.run([_grade_script(), lesson, "--submission", str(path), "--json",
                        str(json_out), "--timeout", TIMEOUT], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT_S, env=_env(), cwd=root)
        single[(student, lesson)] = json.loads(json_out.read_text())
    stdout, stderr = batch.communicate(timeout=RUN_TIMEOUT_S)
    seconds = time.monotonic() - started
    process = subprocess.CompletedProcess(batch.args, batch.returncode, stdout, stderr)
    assert process.returncode == 0, process.stderr + process.stdout
    return Run(classdir, out, process, seconds, single)


def _results(out: Path) -> dict[tuple[str, str], dict]:
    db = sqlite3.connect(out / "gradebook.db")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT r.*, l.number FROM results r JOIN lessons l ON l.stem = r.lesson")
    found = {(row["student"], f"lesson{row['number']}"): dict(row) for row in rows}
    db.close()
    return found


def test_every_student_and_lesson_gets_exactly_one_outcome(clean_run: Run) -> None:
    results = _results(clean_run.out)
    assert {key: row["status"] for key, row in results.items()} == EXPECTED_STATUS
    assert results[("alice", "lesson1")]["score"] == LESSON1.max_points
    assert results[("alice", "lesson2")]["score"] == LESSON2.max_points
    assert 0 < results[("bob", "lesson1")]["score"] < LESSON1.max_points
    assert 0 < results[("dave", "lesson1")]["score"] < LESSON1.max_points  # the counter works
    for key in [k for k, status in EXPECTED_STATUS.items() if status not in ("graded",)]:
        if key != ("dave", "lesson2"):  # its predict crashes; some checks do not need predict
            assert results[key]["score"] == 0, key
        assert results[key]["problem"], key
    assert "SyntaxError" in results[("carol", "lesson1")]["problem"]
    assert f"did not return within {TIMEOUT} s" in results[("erin", "lesson1")]["problem"]
    assert "SIGSEGV" in results[("dave", "lesson2")]["problem"]
    assert "not a text file" in results[("frank", "lesson2")]["problem"]
    assert results[("carol", "lesson2")]["sha256"] is None
    graded = [row for row in results.values() if row["status"] == GRADED]
    assert all(len(row["sha256"]) == 64 and row["grader_version"].startswith("0.") and
               row["duration_s"] > 0 for row in graded)
    db = sqlite3.connect(clean_run.out / "gradebook.db")
    assert {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")} \
        >= {"students", "lessons", "checks", "results"}
    per_result = db.execute(
        "SELECT student, lesson, count(*) FROM check_results GROUP BY student, lesson").fetchall()
    db.close()
    sizes = {LESSON1.stem: len(LESSON1.checks()), LESSON2.stem: len(LESSON2.checks())}
    assert len(per_result) == len(EXPECTED_STATUS)
    assert all(count == sizes[lesson] for _, lesson, count in per_result)


def test_a_batch_score_equals_grading_the_file_alone(clean_run: Run) -> None:
    results = _results(clean_run.out)
    for key, alone in clean_run.single.items():
        assert results[key]["score"] == alone["score"], key
        assert results[key]["max_score"] == alone["max_score"], key
        assert results[key]["sha256"] == alone["extra_data"]["sha256"], key
    student_json = json.loads(
        (clean_run.out / "students" / "bob" / "results.json").read_text())
    alone_tests = {t["extra_data"]["check"]: t["score"]
                   for t in clean_run.single[("bob", "lesson1")]["tests"]}
    batch_tests = {t["extra_data"]["check"]: t["score"] for t in student_json["tests"]
                   if t["extra_data"]["lesson"] == LESSON1.stem}
    assert batch_tests == alone_tests


def test_exports_parse_back_and_agree_with_the_gradebook(clean_run: Run) -> None:
    results = _results(clean_run.out)
    with (clean_run.out / "grades.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {"student", "lesson", "score", "max_score", "status"} <= set(rows[0])
    assert {(r["student"], r["lesson"]): (float(r["score"]), float(r["max_score"]), r["status"])
            for r in rows} == {key: (row["score"], row["max_score"], row["status"])
                               for key, row in results.items()}
    for student in ("alice", "bob", "carol", "dave", "erin", "frank"):
        folder = clean_run.out / "students" / student
        gradescope = json.loads((folder / "results.json").read_text())
        own = {key: row for key, row in results.items() if key[0] == student}
        assert gradescope["score"] == pytest.approx(sum(row["score"] for row in own.values()))
        assert gradescope["max_score"] == LESSON1.max_points + LESSON2.max_points
        assert len(gradescope["tests"]) == len(LESSON1.checks()) + len(LESSON2.checks())
        suites = ET.parse(folder / "junit.xml").getroot()
        assert suites.tag == "testsuites"
        assert [s.get("name") for s in suites.iter("testsuite")] == [LESSON1.stem, LESSON2.stem]
        for suite, lesson in zip(suites.iter("testsuite"), (LESSON1, LESSON2), strict=True):
            cases = suite.findall("testcase")
            assert [c.get("name") for c in cases] == [info.id for info in lesson.checks()]
            not_passed = sum(1 for c in cases if c.find("failure") is not None
                             or c.find("error") is not None)
            assert int(suite.get("failures")) + int(suite.get("errors")) == not_passed
            status = {p.get("name"): p.get("value") for p in suite.iter("property")}["status"]
            assert status == results[(student, lesson.name)]["status"]
    alice = ET.parse(clean_run.out / "students" / "alice" / "junit.xml").getroot()
    assert alice.get("failures") == "0" and alice.get("errors") == "0"
    erin = ET.parse(clean_run.out / "students" / "erin" / "junit.xml").getroot()
    assert {e.get("type") for e in erin.iter("error")} == {"timeout"}


def test_feedback_says_what_failed_why_and_how_to_fix_it(clean_run: Run) -> None:
    students = clean_run.out / "students"
    bob = (students / "bob" / "feedback.md").read_text()
    int64 = next(info for info in LESSON1.checks() if "int64" in info.title)
    assert int64.title in bob and int64.hint in bob and "int32" in bob
    assert "grade lesson1" in bob
    carol = (students / "carol" / "feedback.md").read_text()
    assert "SyntaxError" in carol and "No file `lesson2_linear_regression.py`" in carol
    alice = (students / "alice" / "feedback.md").read_text()
    assert "Every check passed" in alice and "✗" not in alice
    for path in students.glob("*/feedback.md"):
        text = path.read_text()
        assert text.startswith(f"# Feedback for {path.parent.name}\n")
        assert "Traceback" not in text and str(clean_run.classdir) not in text


def test_progress_and_class_summary_are_printed(clean_run: Run) -> None:
    out = clean_run.process.stdout
    assert out.startswith("6 students")
    assert "Grading" in out and "Lessons" in out and "pass rate" in out
    assert "ignored: frank/notes.py: not a lesson file's name" in out
    assert "erin lesson1: 0/16 timeout" in out
    summary = (clean_run.out / "summary.md").read_text()
    hardest = next(info for info in LESSON1.checks() if "int64" in info.title)
    assert hardest.title in summary
    assert clean_run.process.stderr == ""


def test_a_rerun_skips_what_is_done_and_changes_nothing(clean_run: Run) -> None:
    before = _dump(clean_run.out / "gradebook.db")
    started = time.monotonic()
    again = _batch(clean_run.classdir, "--out", clean_run.out, "--jobs", "2",
                   "--timeout", TIMEOUT)
    seconds = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    assert f"{len(EXPECTED_STATUS)} results already in the gradebook" in again.stdout
    assert "0 to grade" in again.stdout
    assert seconds < 15, f"a re-run with nothing to grade took {seconds:.1f} s"
    assert _dump(clean_run.out / "gradebook.db") == before


def test_a_changed_file_is_graded_again(clean_run: Run, tmp_path: Path) -> None:
    classdir, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(clean_run.classdir, classdir)
    shutil.copytree(clean_run.out, out)
    shutil.copy(classdir / "bob" / LESSON1.filename, classdir / "alice" / LESSON1.filename)
    again = _batch(classdir, "--out", out, "--jobs", "2", "--timeout", TIMEOUT)
    assert again.returncode == 0, again.stderr
    assert "1 to grade on 1 workers" in again.stdout
    before, after = _results(clean_run.out), _results(out)
    assert after[("alice", "lesson1")]["score"] == before[("bob", "lesson1")]["score"]
    assert after[("alice", "lesson1")]["sha256"] == before[("bob", "lesson1")]["sha256"]
    del before[("alice", "lesson1")], after[("alice", "lesson1")]
    assert {k: (r["score"], r["status"]) for k, r in after.items()} == \
        {k: (r["score"], r["status"]) for k, r in before.items()}


def test_a_run_killed_at_any_moment_resumes_to_the_clean_gradebook(
    clean_run: Run, tmp_path: Path
) -> None:
    # No hanging submission here: a learner stuck in a loop would outlive a kill -9 of the batch.
    classdir = _write_class(tmp_path / "class", skip=("erin",))
    out = tmp_path / "out"
    killed = subprocess.Popen(
        [_grade_script(), "batch", str(classdir), "--out", str(out), "--jobs", "2",
         "--timeout", TIMEOUT], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=_env(), start_new_session=True)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    graded = 0
    try:
        while graded == 0 and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                db = sqlite3.connect(f"file:{out / 'gradebook.db'}?mode=ro", uri=True)
                try:
                    graded = db.execute(
                        "SELECT count(*) FROM results WHERE status != 'missing'").fetchone()[0]
                finally:
                    db.close()
            except sqlite3.Error:
                continue
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
    assert graded >= 1, "no result landed before the deadline"
    partial = _results(out)
    assert len(partial) < len(EXPECTED_STATUS) - 2, "the run ended before it could be killed"
    resumed = _batch(classdir, "--out", out, "--jobs", "2", "--timeout", TIMEOUT)
    assert resumed.returncode == 0, resumed.stderr
    assert _dump(out / "gradebook.db") == _dump(clean_run.out / "gradebook.db",
                                                without_student="erin")
    assert not list(out.rglob("*.tmp"))
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == len(EXPECTED_STATUS) - 2


def test_a_corrupt_gradebook_stops_the_run_with_one_line(tmp_path: Path) -> None:
    classdir = _write_class(tmp_path / "class", skip=("bob", "carol", "dave", "erin", "frank"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "gradebook.db").write_bytes(b"this is not a database, it was overwritten" * 100)
    result = _batch(classdir, "--out", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "gradebook.db is not a usable gradebook" in lines[0], lines
    assert not (out / "grades.csv").exists()


def test_missing_data_stops_the_run_and_is_no_student_zero(tmp_path: Path) -> None:
    lesson3 = find_lesson("lesson3")
    classdir = tmp_path / "class"
    (classdir / "alice").mkdir(parents=True)
    (classdir / "alice" / lesson3.filename).write_text(_solution(lesson3))
    (tmp_path / "no-mnist").mkdir()
    out = tmp_path / "out"
    env = {**_env(), "MNIST_DIR": str(tmp_path / "no-mnist")}
    result = subprocess.run(
        [_grade_script(), "batch", str(classdir), "--out", str(out), "--jobs", "1"],
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "MNIST" in lines[0], lines
    assert _results(out) == {}


def test_usage_errors_answer_in_one_line(tmp_path: Path) -> None:
    for args in ([tmp_path / "nowhere", "--out", tmp_path / "out"],
                 [tmp_path, "--out", tmp_path / "out", "--lessons", "9"],
                 [tmp_path, "--out", tmp_path / "out", "--jobs", "0"],
                 [tmp_path, "--out", tmp_path / "out", "--total-timeout", "0"]):
        result = _batch(*args)
        assert result.returncode == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# -- the gradebook on its own: infrastructure faults are errors, never a student's zero ----------


def _missing_record(student: str = "alice"):
    return without_grading(student, LESSON1, status="missing", problem="no file",
                           sha256=None, grader_version="test")


def test_a_locked_gradebook_is_an_infrastructure_error(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.db"
    Gradebook(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(InfrastructureError, match="locked"):
            Gradebook(path, timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_disk_is_an_infrastructure_error_and_loses_nothing(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.register(["alice", "bob"], [(LESSON1, "test")])
        book.record(_missing_record("alice"))
        pages = book._db.execute("PRAGMA page_count").fetchone()[0]
        book._db.execute(f"PRAGMA max_page_count = {pages}")
        big = _missing_record("bob")
        for check in big.checks:
            check.output = "x" * 100_000
        with pytest.raises(InfrastructureError, match="disk is full"):
            book.record(big)
        assert [(r.student, r.status) for r in book.records()] == [("alice", "missing")]


# -- in-process: discovery and outcomes --------------------------------------------------------


def test_discovery_finds_students_lessons_and_strays_and_skips_out(tmp_path: Path) -> None:
    from grader.batch.discovery import discover

    root = _write_class(tmp_path / "class", skip=("alice", "bob", "dave", "erin"))
    (root / "grading").mkdir()  # --out inside the class folder is not a student
    (root / ".git").mkdir()
    found = discover(root, exclude=root / "grading")
    assert found.students == ["carol", "frank"]
    assert [lesson.name for lesson in found.lessons] == ["lesson1", "lesson2"]
    assert {(s.student, s.lesson.name): s.path is not None for s in found.submissions} == {
        ("carol", "lesson1"): True, ("carol", "lesson2"): False,
        ("frank", "lesson1"): True, ("frank", "lesson2"): True}
    assert [p.name for p in found.unrecognized] == ["notes.py"]


def test_a_lesson_status_is_the_worst_outcome_and_its_score_the_checks_points() -> None:
    from grader.batch.records import from_results
    from grader.results import CheckResult, GradingResults

    def results(*outcomes: str) -> GradingResults:
        checks = [CheckResult(id=f"c{n}", title=f"check {n}", max_points=2.0,
                              points=2.0 if outcome == "passed" else 0.0,
                              status="passed" if outcome == "passed" else "failed",
                              outcome=outcome, message=f"{outcome} here")
                  for n, outcome in enumerate(outcomes)]
        return GradingResults("lesson1_warmup", "t", "f.py", "0" * 64, "v", checks=checks)

    cases = {("passed", "failed"): "graded", ("passed", "timeout", "failed"): "timeout",
             ("timeout", "out of memory"): "out of memory", ("out of memory", "crashed"):
             "crashed", ("error", "error"): "error", ("passed", "grader error"): "grader error"}
    for outcomes, status in cases.items():
        record = from_results("alice", LESSON1, results(*outcomes), "v")
        assert record.status == status, outcomes
        assert record.score == 2.0 * outcomes.count("passed")
        assert (record.problem == "") == (status == "graded")


def test_workers_warmed_before_the_class_is_read_grade_and_the_spares_stop(tmp_path: Path):
    """`grade batch` starts its workers (TensorFlow's import) before it reads the class: run()
    grades on them, and stops those it does not need."""
    from grader.batch.scheduling import Job, Limits, run, warm_workers

    source = (REPO / "solutions" / LESSON1.filename).read_text(encoding="utf-8")
    path = tmp_path / "alice" / LESSON1.filename
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    started = warm_workers(2)
    try:
        assert all(process._process is not None for process in started)  # already running
        done = list(run([Job("alice", LESSON1, path)], workers=2, limits=Limits(30, 300),
                        started=started))
        assert [d.reply["results"]["total"] for d in done] == [LESSON1.max_points]
        assert all(process._process is None for process in started)  # the spare and the used
    finally:
        for process in started:
            process.close()
