"""The project's tests do not depend on a learner's working copy of ``exercises/``.

A learner's clone holds solved (or broken) files in ``exercises/``. Tests that need an untouched
stub derive it from ``solutions/`` (``tests.conftest.untouched_stub`` / ``untouched_exercises``);
only the dev-check of what the repository ships looks at ``exercises/`` itself, and it accepts
the committed stubs as well as the files on disk.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.stubs import write_stubs
from tests.conftest import REPO

TESTS = REPO / "tests"
# (module, function): the only places that may read REPO / "exercises" (what the repo ships).
ALLOWED = {
    ("test_devcheck.py", "_committed_exercises"),
    ("test_devcheck.py", "test_lesson_has_all_its_parts"),
    ("test_devcheck.py", "test_committed_stub_is_derived_from_its_solution"),
}
# Tests that read the stubs as untouched, run in a clone whose exercises/ were all solved.
IN_A_SOLVED_CLONE = [
    "tests/test_cli.py::test_the_untouched_stub_scores_zero_with_hints_and_a_next_step",
    "tests/test_adversarial.py::"
    "test_a_conftest_and_sitecustomize_beside_the_submission_are_ignored",
    "tests/test_devcheck.py::test_untouched_stub_gets_zero[lesson1]",
    "tests/test_devcheck.py::test_every_stub_has_a_todo_and_raises",
    "tests/test_devcheck.py::test_exercise_and_solution_define_the_same_functions",
    "tests/test_devcheck.py::test_committed_stub_is_derived_from_its_solution",
    "tests/test_devcheck.py::test_every_exercise_function_has_one_solution_region",
    "tests/test_reset.py::test_reset_brings_back_a_deleted_file_as_the_derived_stub",
    "tests/test_stubs.py::test_the_lesson1_todo_says_where_the_counter_s_variable_lives",
]


def _reads_of_the_exercises_folder(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every ``<something> / "exercises"`` in a test module."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                and isinstance(node.right, ast.Constant) and node.right.value == "exercises"
                and isinstance(node.left, ast.Name) and node.left.id == "REPO"):
            found.append((function, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_no_test_reads_the_learner_s_exercises_folder() -> None:
    offenders = [f"tests/{path.name}:{line} ({function})"
                 for path in sorted(TESTS.glob("*.py"))
                 for function, line in _reads_of_the_exercises_folder(path)
                 if (path.name, function) not in ALLOWED]
    assert not offenders, (
        "these read the working copy of exercises/ (a learner's files): use "
        f"tests.conftest.untouched_stub or untouched_exercises instead: {offenders}")


def test_the_scan_finds_a_read_of_the_exercises_folder(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text('STUB = REPO / "exercises" / "lesson1_warmup.py"\n'
                      'def test_y():\n    shutil.copytree(REPO / "exercises", "x")\n')
    assert _reads_of_the_exercises_folder(module) == [("<module>", 1), ("test_y", 3)]


def _solved_clone(folder: Path) -> Path:
    """A git clone of this working tree as it is, then every exercise solved (uncommitted)."""
    clone = folder / "clone"
    shutil.copytree(REPO, clone, ignore=shutil.ignore_patterns(
        ".git", "build", "__pycache__", ".ruff_cache", ".pytest_cache", ".grade", "*.egg-info"))
    write_stubs(clone)  # it starts from the untouched stubs, whatever this tree's exercises/
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "clone"], check=True)
    for solution in (clone / "solutions").glob("lesson*_*.py"):
        shutil.copy(solution, clone / "exercises" / solution.name)
    return clone


@pytest.mark.slow
def test_the_tests_pass_in_a_clone_whose_exercises_are_solved(tmp_path: Path) -> None:
    clone = _solved_clone(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(clone))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *IN_A_SOLVED_CLONE],
        cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout, done.stdout
