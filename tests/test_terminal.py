"""What the learner reads in the terminal (issue 10, item 4), as the installed ``grade`` prints
it, at 80 columns and into a pipe: an import failure once with the fix of its line, the truth
about finished lessons, and commands that are never wrapped or cut."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.curriculum import find_lesson, lessons
from tests.conftest import untouched_exercises, untouched_stub
from tests.test_cli import GRADE, REPO, Run, assert_no_traceback

LESSON1 = find_lesson("lesson1")
SOLUTION = REPO / "solutions" / LESSON1.filename
TIMEOUT_S = 240


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                        "TF_CPP_MIN_LOG_LEVEL")}
    env.update({"COLUMNS": "80", **extra})
    return env


def grade(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    done = subprocess.run([GRADE, *args], cwd=cwd, env=env or _env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    return Run(args, done.returncode, done.stdout, done.stderr)


def _course(tmp_path: Path, name: str = "course") -> Path:
    root = tmp_path / name
    untouched_exercises(root)
    return root


def _history(root: Path, complete: set[str]) -> None:
    data = {lesson.stem: {"best": lesson.max_points, "last": lesson.max_points,
                          "possible": lesson.max_points, "last_graded": "2026-01-01 10:00",
                          "sha256": ""} for lesson in lessons() if lesson.name in complete}
    (root / ".grade").mkdir(exist_ok=True)
    (root / ".grade" / "history.json").write_text(json.dumps(data), encoding="utf-8")


def _assert_command_line(run: Run, command: str) -> None:
    """``command`` stands whole on a line of its own (indented), however long it is."""
    assert f"  {command}" in run.out.splitlines(), run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    """The slow runs of this module, two at a time."""
    base = tmp_path_factory.mktemp("terminal")
    broken = _course(base, "broken")
    target = broken / "exercises" / LESSON1.filename
    lines = SOLUTION.read_text(encoding="utf-8").splitlines()
    syntax_line = next(n for n, line in enumerate(lines, 1) if line.startswith("def fibonacci"))
    lines[syntax_line - 1] = lines[syntax_line - 1].rstrip(":")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")

    almost = _course(base, "almost")  # every lesson done but lesson 3
    _history(almost, {lesson.name for lesson in lessons()} - {"lesson3"})
    shutil.copy(SOLUTION, almost / "exercises" / LESSON1.filename)
    earlier = _course(base, "earlier")  # lesson 1 not finished, lesson 2 done now, the rest done
    _history(earlier, {lesson.name for lesson in lessons()} - {"lesson1", "lesson2"})
    lesson2 = find_lesson("lesson2").filename
    shutil.copy(REPO / "solutions" / lesson2, earlier / "exercises" / lesson2)
    everything = _course(base, "everything")  # every lesson done but lesson 1, graded now
    _history(everything, {lesson.name for lesson in lessons()} - {"lesson1"})
    shutil.copy(SOLUTION, everything / "exercises" / LESSON1.filename)
    deep = base / ("a-folder-with-a-long-name-" * 3) / "submissions"
    deep.mkdir(parents=True)
    shutil.copy(untouched_stub(LESSON1.filename), deep / LESSON1.filename)
    jobs = {
        "syntax": (broken, ("lesson1",)),
        "almost": (almost, ("lesson1",)),
        "everything": (everything, ("lesson1",)),
        "earlier": (earlier, ("lesson2",)),
        "long": (almost, ("lesson1", "--submission", str(deep / LESSON1.filename))),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(grade, *args, cwd=cwd) for name, (cwd, args) in jobs.items()}
        done = {name: future.result() for name, future in futures.items()}
    done["syntax_line"] = syntax_line  # type: ignore[assignment]
    return done


@pytest.mark.slow
def test_a_syntax_error_is_printed_once_and_next_names_its_line(runs) -> None:
    run, line = runs["syntax"], runs["syntax_line"]
    assert run.code == 1, run
    assert_no_traceback(run)
    assert run.text.count("SyntaxError") == 2, run  # the problem once, and the next step
    assert run.text.count("importing lesson1_warmup.py failed") == 1, run
    assert run.out.count("FAIL") == len(LESSON1.checks()), run
    assert (f"Next: fix the SyntaxError at line {line} of exercises/lesson1_warmup.py, then "
            "run again:") in run.text, run
    _assert_command_line(run, "grade lesson1")
    assert "--hint shows hints" not in run.text  # hints do not fix a syntax error


@pytest.mark.slow
def test_full_marks_names_the_unfinished_lesson_and_finished_only_when_true(runs) -> None:
    almost, everything = runs["almost"], runs["everything"]
    assert almost.code == 0, almost
    assert "finished every lesson" not in almost.text, almost
    assert "Full marks! Next: exercises/lesson3_softmax_mnist.py, then run:" in almost.text
    _assert_command_line(almost, "grade lesson3")
    earlier = runs["earlier"]
    assert earlier.code == 0, earlier
    assert ("Full marks! Next: exercises/lesson1_warmup.py (not finished yet), then run:"
            in earlier.text), earlier
    _assert_command_line(earlier, "grade lesson1")
    assert everything.code == 0, everything
    assert "Full marks! You have finished every lesson." in everything.text, everything


@pytest.mark.slow
def test_a_long_command_is_never_wrapped_or_cut(runs) -> None:
    run = runs["long"]
    assert run.code == 1, run
    command = next(part for part in run.args if part.endswith(".py"))
    full = f"grade lesson1 --submission {command}"
    assert len(full) > 80
    _assert_command_line(run, full)
    assert f"({full} --hint shows hints)" in run.out.splitlines(), run
    assert command in run.out.splitlines(), run  # the header names the file whole


def test_grade_list_names_the_first_unfinished_lesson_and_never_cuts_a_file(tmp_path) -> None:
    course = _course(tmp_path)
    _history(course, {"lesson1", "lesson2"})
    run = grade("list", cwd=course)
    assert run.code == 0, run
    assert run.out.rstrip().splitlines()[-1] == "Grade a lesson with: grade lesson3", run
    for lesson in lessons():
        assert lesson.filename in run.out, run  # whole, on one line, not "lesson1_…"
    assert "…" not in "".join(line for line in run.out.splitlines() if ".py" in line)
    _history(course, {lesson.name for lesson in lessons()})
    done = grade("list", cwd=course)
    assert done.out.rstrip().splitlines()[-1] == "You have finished every lesson.", done
    narrow = grade("list", cwd=course, env=_env(COLUMNS="60"))
    for lesson in lessons():
        assert lesson.filename in narrow.out, narrow


@pytest.mark.parametrize("columns", [80, 100, 130])
def test_grade_list_breaks_no_title_mid_word(tmp_path, columns) -> None:
    """At 80 columns the titles once broke as "Convolutiona / l" and "TensorBoard / :"."""
    course = _course(tmp_path)
    run = grade("list", cwd=course, env=_env(COLUMNS=str(columns)))
    assert run.code == 0, run
    assert max(len(line.rstrip()) for line in run.out.splitlines()) <= columns, run
    words = run.out.split()
    for lesson in lessons():
        for word in lesson.title.split():
            assert word in words, f"{lesson.name}: {word!r} is broken at {columns} columns\n{run}"
        assert lesson.filename in words, run
        row = next(line for line in run.out.splitlines() if f" {lesson.name} " in line)
        assert "–/" in row and "not graded yet" in row, run  # one row per lesson, then its title


@pytest.mark.slow
def test_missing_mnist_shows_no_tensorflow_log_lines(tmp_path) -> None:
    course = _course(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = _env(HOME=str(home), KERAS_HOME=str(home / ".keras"),
               https_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    env.pop("MNIST_DIR", None)
    run = grade("lesson3", cwd=course, env=env)
    assert run.code == 2, run
    assert_no_traceback(run)
    for noise in ("absl::InitializeLog", "oneDNN", "cpu_feature_guard", "I0000", "W0000"):
        assert noise not in run.out + run.err, run
    assert re.search(r"MNIST_DIR=/path/to/mnist grade lesson3|set MNIST_DIR", run.err), run
