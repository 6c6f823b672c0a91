"""``grade reset lessonN`` as a learner runs it: the installed script, in a copy of the course."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from grader.stubs import derive_stub
from tests.conftest import untouched_exercises
from tests.test_cli import ENV, GRADE, REPO, assert_one_line_error, grade

SOLUTION = REPO / "solutions" / "lesson1_warmup.py"
UNTOUCHED = derive_stub(SOLUTION.read_text(encoding="utf-8"), SOLUTION)


def _course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(REPO / "solutions", root / "solutions")
    untouched_exercises(root)
    return root


def test_reset_restores_the_stub_and_keeps_the_learner_s_file(tmp_path: Path) -> None:
    course = _course(tmp_path)
    mine = course / "exercises" / "lesson1_warmup.py"
    mine.write_text("def make_counter(:\n    my work\n", encoding="utf-8")
    run = grade("reset", "lesson1", cwd=course)
    assert run.code == 0 and run.err == "", run
    assert mine.read_text(encoding="utf-8") == UNTOUCHED
    backups = list((course / ".grade" / "backups").glob("lesson1_warmup.*.py"))
    assert len(backups) == 1
    assert backups[0].read_text(encoding="utf-8") == "def make_counter(:\n    my work\n"
    assert backups[0].relative_to(course).as_posix() in run.out.splitlines()[2].strip(), run
    assert "grade lesson1" in run.out

    again = grade("reset", "lesson1", cwd=course)
    assert again.code == 0, again
    assert "already the untouched stub: nothing to reset" in again.text, again
    assert len(list((course / ".grade" / "backups").iterdir())) == 1

    mine.write_text("second try\n", encoding="utf-8")
    assert grade("reset", "1", cwd=course / "exercises").code == 0  # from a subfolder too
    assert len(list((course / ".grade" / "backups").iterdir())) == 2
    assert mine.read_text(encoding="utf-8") == UNTOUCHED


def test_reset_brings_back_a_deleted_file_as_the_derived_stub(
        tmp_path: Path) -> None:
    course = _course(tmp_path)
    (course / "exercises" / "lesson1_warmup.py").unlink()
    run = grade("reset", "lesson1", cwd=course)
    assert run.code == 0, run
    assert "there was no file to keep" in run.text
    assert (course / "exercises" / "lesson1_warmup.py").read_text(encoding="utf-8") == UNTOUCHED


def test_reset_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    assert_one_line_error(grade("reset", "lesson99", cwd=tmp_path), "unknown lesson")
    assert_one_line_error(grade("reset", "lesson1", cwd=tmp_path), "no exercises/ folder")
    done = subprocess.run([GRADE, "reset"], cwd=tmp_path, env=ENV, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "grade: error:" in done.stderr
