"""Notebooks for nbgrader, tested with nbgrader itself in a course in a temp folder.

`grade notebooks` writes lessons 1 and 2; `nbgrader generate_assignment` releases them; alice
submits the reference (the instructor's notebook), bob the released stubs, carol a notebook with
scratch work, a broken cell and lesson 2 missing. `nbgrader autograde`, `grade batch` over the same
submitted/ folder, and `grade batch --nbgrader-db` into nbgrader's gradebook must agree.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbgrader_api = pytest.importorskip("nbgrader.api")

from grader.curriculum import find_lesson  # noqa: E402
from grader.notebooks.extract import module_source  # noqa: E402

BIN = Path(sys.executable).parent
LESSONS = (find_lesson("lesson1"), find_lesson("lesson2"))
TIMEOUT_S = 600


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # nbgrader runs `alembic` from PATH; the kernel must be this environment's Python
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", COLUMNS="100", NO_COLOR="1")
    return env


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True,
                            text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _nbgrader(course: Path, *args: str) -> None:
    _run(BIN / "nbgrader", *args, cwd=course)


def _carol(released: Path, source: Path) -> None:
    """Lesson 1 half done in the stub, with scratch work, magics and a stray top-level raise."""
    notebook = nbformat.read(released, as_version=4)
    solution = nbformat.read(source, as_version=4)
    reference = {c.metadata.nbgrader["grade_id"]: c.source for c in solution.cells}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id == "solution-make_counter":
            cell.source = reference[grade_id] + "\n\nc = make_counter()\nprint(c(), c())"
        elif grade_id.startswith("state-"):
            cell.source = "%time x = 1\n" + reference[grade_id] + "\nraise NotImplementedError()"
    # fibonacci stays a stub: only the counter's checks pass
    nbformat.write(notebook, released)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("nbgrader-course")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "tf-course"\n', encoding="utf-8")
    for lesson in LESSONS:
        _run(BIN / "grade", "notebooks", "--with-solutions", "--lessons", str(lesson.number),
             "--out", course / "source" / lesson.name)
        _nbgrader(course, "generate_assignment", lesson.name)
    for lesson in LESSONS:
        name = f"{lesson.stem}.ipynb"
        for student, kind in (("alice", "source"), ("bob", "release"), ("carol", "release")):
            if student == "carol" and lesson.number == 2:
                continue  # carol did not submit lesson 2
            folder = course / "submitted" / student / lesson.name
            folder.mkdir(parents=True)
            shutil.copy(course / kind / lesson.name / name, folder / name)
            (folder / "timestamp.txt").write_text("2026-01-01 10:00:00\n", encoding="utf-8")
    name = f"{LESSONS[0].stem}.ipynb"
    _carol(course / "submitted" / "carol" / "lesson1" / name, course / "source" / "lesson1" / name)
    for lesson in LESSONS:
        _nbgrader(course, "autograde", lesson.name)
    return course


def _nbgrader_scores(database: Path) -> dict[tuple[str, str], float]:
    scores = {}
    with nbgrader_api.Gradebook(f"sqlite:///{database}") as book:
        for lesson in LESSONS:
            for submission in book.assignment_submissions(lesson.name):
                scores[(submission.student.id, lesson.name)] = submission.score
    return scores


def test_notebooks_are_valid_nbgrader_notebooks(tmp_path: Path) -> None:
    _run(BIN / "grade", "notebooks", "--out", tmp_path / "student")
    _run(BIN / "grade", "notebooks", "--out", tmp_path / "instructor", "--with-solutions")
    for lesson in LESSONS:
        for kind in ("student", "instructor"):
            notebook = nbformat.read(tmp_path / kind / f"{lesson.stem}.ipynb", as_version=4)
            nbformat.validate(notebook)
            meta = [c.metadata["nbgrader"] for c in notebook.cells]
            assert len({m["grade_id"] for m in meta}) == len(meta)
            grades = [m for m in meta if m["grade"]]
            assert [m["grade_id"] for m in grades] == [f"check-{c.id}" for c in lesson.checks()]
            assert sum(m["points"] for m in grades) == lesson.max_points
            assert all(m["locked"] != m["solution"] for m in meta)
            solutions = [c.source for c in notebook.cells if c.metadata["nbgrader"]["solution"]]
            marked = ["### BEGIN SOLUTION" in s and "### END SOLUTION" in s for s in solutions]
            assert all(marked) if kind == "instructor" else not any(marked)
            assert notebook.cells[0].cell_type == "markdown"
            assert notebook.cells[0].source.startswith(f"# Lesson {lesson.number}")


def test_extraction_keeps_definitions_and_drops_scratch_work() -> None:
    code = module_source([
        "import tensorflow as tf\n%matplotlib inline",
        "def f(x):\n    return x + 1\n\nf(2)\nfor i in range(3):\n    print(i)",
        "# grader: autograder test\ncheck('lesson1_warmup', 'x')",
        "raise NotImplementedError()\nSTATE = 3",
        "def f(x):\n    return x + 2",
    ], origin="t.ipynb")
    namespace: dict = {}
    exec(compile(code, "t.py", "exec"), namespace)
    assert namespace["f"](1) == 3 and namespace["STATE"] == 3
    assert "check(" not in code and "print" not in code
    broken = module_source(["def g(:\n    pass"], origin="t.ipynb")
    with pytest.raises(SyntaxError):
        compile(broken, "t.py", "exec")


def test_nbgrader_autograde_gives_full_points_to_the_reference_and_zero_to_the_stub(
    course: Path,
) -> None:
    scores = _nbgrader_scores(course / "gradebook.db")
    for lesson in LESSONS:
        assert scores[("alice", lesson.name)] == lesson.max_points
        assert scores[("bob", lesson.name)] == 0
    counter_points = sum(c.points for c in LESSONS[0].checks() if "counter" in c.id)
    assert scores[("carol", "lesson1")] == counter_points
    autograded = course / "autograded" / "bob" / "lesson1" / f"{LESSONS[0].stem}.ipynb"
    errors = [o for c in nbformat.read(autograded, as_version=4).cells
              if c.metadata["nbgrader"]["grade"]
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == len(LESSONS[0].checks())
    assert all("NotImplementedError" in e.evalue and "Hint:" in e.evalue for e in errors)


def test_grade_batch_over_submitted_agrees_and_writes_nbgrader_gradebook(
    course: Path, tmp_path: Path,
) -> None:
    expected = _nbgrader_scores(course / "gradebook.db")
    database = tmp_path / "gradebook.db"
    shutil.copy(course / "gradebook.db", database)
    with nbgrader_api.Gradebook(f"sqlite:///{database}") as book:
        for student, lesson in expected:
            book.remove_submission(lesson, student)
    assert _nbgrader_scores(database) == {}
    out = tmp_path / "out"
    result = _run(BIN / "grade", "batch", course, "--out", out, "--jobs", "2",
                  "--nbgrader-db", database)
    assert "nbgrader submitted/ notebooks" in result.stdout
    with (out / "grades.csv").open(encoding="utf-8") as handle:
        rows = {(r["student"], r["lesson"]): r for r in csv.DictReader(handle)}
    assert rows[("carol", "lesson2")]["status"] == "missing"
    del rows[("carol", "lesson2")]
    assert {key: float(row["score"]) for key, row in rows.items()} == expected
    assert _nbgrader_scores(database) == expected
    feedback = json.loads((out / "students" / "bob" / "results.json").read_text())
    assert feedback["score"] == 0
    assert str(course) not in (out / "students" / "carol" / "feedback.md").read_text()
