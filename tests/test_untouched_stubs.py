"""The site and the notebooks come from the untouched stubs, whatever a learner did to exercises/.

A copy of the course is built (site without figures, student and instructor notebooks), then its
exercises/ is scribbled over as learners do (a solved file, garbage, a syntax error, a deleted
file) and built again: every output byte must be the same, and no answer may leak.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from grader.curriculum import lessons
from grader.sitebuild import SiteError, build_site
from tests.conftest import untouched_exercises

REPO = Path(__file__).resolve().parents[1]
LESSONS = lessons()


def _course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    for folder in ("site", "course", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    untouched_exercises(root)
    return root


def _outputs(root: Path, out: Path) -> dict[str, bytes]:
    from grader.notebooks import write_notebooks

    build_site(out / "site", root=root, figures=False)
    write_notebooks(out / "student", with_solutions=False, root=root)
    write_notebooks(out / "instructor", with_solutions=True, root=root)
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


def _scribble(root: Path) -> None:
    exercises = root / "exercises"
    files = sorted(exercises.glob("lesson*_*.py"))
    shutil.copy(root / "solutions" / files[0].name, files[0])  # solved (lesson 1)
    files[1].write_text("garbage \x00 ünïcode\n" * 50, encoding="utf-8")
    text = files[2].read_text(encoding="utf-8").replace("raise NotImplementedError", "return (", 1)
    files[2].write_text(text + "\ndef extra(:\n", encoding="utf-8")  # syntax errors
    files[3].unlink()  # deleted
    for path in files[4:]:
        path.write_text(path.read_text(encoding="utf-8").replace(
            'raise NotImplementedError("', 'return 1  # mine ("'), encoding="utf-8")


def test_outputs_are_byte_identical_whatever_the_learner_did(tmp_path):
    pytest.importorskip("nbformat")
    root = _course(tmp_path)
    before = _outputs(root, tmp_path / "before")
    _scribble(root)
    after = _outputs(root, tmp_path / "after")
    assert before.keys() == after.keys()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"these outputs changed with the learner's exercises/: {changed}"
    student = before["student/lesson1_warmup.ipynb"].decode()
    answers = ("count = tf.Variable(0", "_STEP = tf.constant", "_state.assign(")
    page = before["site/lesson1.html"].decode()
    code = unescape(re.sub("<[^>]+>", "", " ".join(re.findall(r"<pre.*?</pre>", page, re.S))))
    assert 'raise NotImplementedError("make_counter")' in code
    for shown in (student, code):
        assert not any(answer in shown for answer in answers)
    assert all(a in before["instructor/lesson1_warmup.ipynb"].decode() for a in answers)
    # the calibration (for instructors) is in the instructor's notebook only
    assert "## Calibration" not in before["student/lesson2_linear_regression.ipynb"].decode()
    assert "## Calibration" in before["instructor/lesson2_linear_regression.ipynb"].decode()


def test_a_solution_that_does_not_parse_fails_the_build_in_one_line(tmp_path):
    root = _course(tmp_path)
    solution = root / "solutions" / "lesson1_warmup.py"
    lines = solution.read_text(encoding="utf-8").splitlines()
    lines[29] = "    def oops(:"
    solution.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SiteError) as error:
        build_site(tmp_path / "out", root=root, figures=False, lessons=LESSONS[:1])
    message = str(error.value)
    assert "\n" not in message
    assert "solutions/lesson1_warmup.py" in message and "line 30" in message


def test_unbalanced_markers_fail_the_build_naming_file_and_line(tmp_path):
    root = _course(tmp_path)
    solution = root / "solutions" / "lesson2_linear_regression.py"
    text = solution.read_text(encoding="utf-8")
    solution.write_text(text.replace("    ### END SOLUTION\n", "", 1), encoding="utf-8")
    with pytest.raises(SiteError, match=r"lesson2_linear_regression\.py, line \d+: "
                                        r"### BEGIN SOLUTION inside"):
        build_site(tmp_path / "out", root=root, figures=False, lessons=LESSONS[:2])


def test_the_notebook_import_cell_shows_no_tensorflow_start_up_lines(tmp_path):
    pytest.importorskip("nbformat")
    from grader.notebooks.build import lesson_cells

    cells = lesson_cells(LESSONS[0], REPO, with_solutions=False)
    imports = next(c.source for c in cells if c.grade_id == "imports")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", imports + "\nprint(tf.constant(2) + 1)"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "tf.Tensor(3" in done.stdout
    for noise in ("absl::InitializeLog", "oneDNN", "cpu_feature_guard"):
        assert noise not in done.stderr + done.stdout
    # the graded code (what the learner process imports) holds the lesson's imports only
    from grader.notebooks.extract import module_source

    graded = module_source([imports], origin="t.ipynb")
    assert "grader" not in graded.split("\n", 1)[1] and "import tensorflow as tf" in graded
