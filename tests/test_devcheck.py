"""The dev-check: every lesson is complete and consistent, like rustlings' own checks.

Every solution gets full marks, every untouched stub gets zero, every check has a hint, and
exercises and solutions define the same functions with the same signatures.

``exercises/`` in the working tree is the learner's: these tests read the untouched stubs derived
from ``solutions/`` (``untouched_stub``), and the stubs as committed (git's ``HEAD``) where they
check what the repository ships.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from grader import reported
from grader.check import check_info
from grader.curriculum import lessons
from grader.stubs import derive_stub, solution_regions
from tests.conftest import REPO, untouched_stub

LESSONS = lessons()
IDS = [lesson.name for lesson in LESSONS]
# Every lesson file there is, registered or not yet (a lesson being written still gets its stub
# checked against its solution).


def _committed_exercises() -> dict[str, str]:
    """``exercises/lesson*_*.py`` as committed (git's HEAD), by file name; the files on disk
    when this is no git checkout (an unpacked release)."""
    listing = subprocess.run(["git", "-C", str(REPO), "ls-tree", "--name-only", "HEAD",
                              "exercises/"], capture_output=True, text=True)
    if listing.returncode != 0:
        return {p.name: p.read_text(encoding="utf-8")
                for p in (REPO / "exercises").glob("lesson*_*.py")}
    files = {}
    for path in listing.stdout.split():
        if Path(path).match("lesson*_*.py"):
            files[Path(path).name] = subprocess.run(
                ["git", "-C", str(REPO), "show", f"HEAD:{path}"], capture_output=True,
                text=True, check=True).stdout
    return files


COMMITTED = _committed_exercises()
LESSON_FILES = sorted({p.name for p in (REPO / "solutions").glob("lesson*_*.py")}
                      | set(COMMITTED) | {lesson.filename for lesson in LESSONS})


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def _signature(function: ast.FunctionDef) -> str:
    return ast.unparse(function.args)


def _parameters(function: ast.FunctionDef) -> list[str]:
    """The parameter names, without annotations (a reference helper may be typed)."""
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def test_lessons_are_found():
    assert [lesson.number for lesson in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len(LESSONS) >= 2


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_lesson_has_all_its_parts(lesson):
    assert lesson.filename in COMMITTED or (REPO / "exercises" / lesson.filename).is_file()
    assert (REPO / "solutions" / lesson.filename).is_file()
    assert (lesson.folder / "probes.py").is_file()
    assert lesson.title and lesson.title != lesson.stem


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_every_check_has_points_and_a_hint(lesson):
    checks = lesson.checks()
    assert checks, f"{lesson.name} declares no checks"
    assert len({c.id for c in checks}) == len(checks), "check ids must be unique"
    for info in checks:
        # a check resting on a fact the learner process reports is worth 0 (it teaches only)
        assert info.points > 0 or (info.reported and info.points == 0), info.id
        assert len(info.hint.strip()) >= 20, f"{info.id} needs a real hint"
        assert info.title.strip(), info.id


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_every_test_function_is_a_declared_check(lesson):
    module = lesson.module()
    for name, obj in vars(module).items():
        if callable(obj) and getattr(obj, "__module__", None) == module.__name__:
            is_check = check_info(obj) is not None
            assert is_check == name.startswith("test_"), (
                f"{name}: test functions need @check and only they may have it"
            )


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_exercise_and_solution_define_the_same_functions(lesson):
    stub = _functions(untouched_stub(lesson.filename))
    solution = _functions(REPO / "solutions" / lesson.filename)
    assert stub.keys() == solution.keys()
    for name in stub:
        assert _signature(stub[name]) == _signature(solution[name]), name


@pytest.mark.parametrize("filename", LESSON_FILES)
def test_committed_stub_is_derived_from_its_solution(filename):
    """exercises/X is exactly derive_stub(solutions/X): one source of truth, no copy by hand.

    The file as committed, or on disk: a learner's clone holds solved files on disk (and the
    untouched stubs in git); a developer who has just run ``python -m grader.stubs`` after
    editing a solution holds the new stub on disk only. A clean checkout (CI) has one of each.
    """
    solution = REPO / "solutions" / filename
    on_disk = REPO / "exercises" / filename
    shipped = {COMMITTED[filename]} if filename in COMMITTED else set()
    if on_disk.is_file():
        shipped.add(on_disk.read_text(encoding="utf-8"))
    assert solution.is_file() and shipped, f"{filename} needs both files"
    derived = derive_stub(solution.read_text(encoding="utf-8"), solution)
    assert derived in shipped, (
        f"exercises/{filename} differs from the stub derived from solutions/{filename}: edit "
        "the solution (between ### BEGIN SOLUTION / ### END SOLUTION) and write the stub with "
        "`python -m grader.stubs`"
    )


@pytest.mark.parametrize("filename", LESSON_FILES)
def test_every_exercise_function_has_one_solution_region(filename):
    solution = REPO / "solutions" / filename
    text = solution.read_text(encoding="utf-8")
    in_functions = [r.function for r in solution_regions(text, solution) if r.function]
    public = _functions(untouched_stub(filename))
    assert sorted(in_functions) == sorted(public), (
        "each exercise function needs exactly one ### BEGIN SOLUTION region in its body"
    )
    assert ast.get_docstring(ast.parse(text)).rstrip().endswith(
        f"Check your work with:  grade {filename.split('_')[0]}")


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_every_stub_has_a_todo_and_raises(lesson):
    path = untouched_stub(lesson.filename)
    source = path.read_text(encoding="utf-8")
    for name, function in _functions(path).items():
        body = ast.get_source_segment(source, function) or ""
        assert "TODO" in body, f"{name} has no TODO"
        assert "raise NotImplementedError" in body, f"{name} does not raise NotImplementedError"


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_checks_declare_the_functions_they_are_about(lesson):
    """grades/uses/depends name the lesson's exercise functions; every one is graded; every
    function a check ``uses`` has a reference version with the exercise's signature."""
    exercise = _functions(REPO / "solutions" / lesson.filename)
    reference_path = lesson.folder / "reference.py"
    reference = _functions(reference_path) if reference_path.is_file() else {}
    graded: set[str] = set()
    for info in lesson.checks():
        assert info.grades, f"{info.id} does not say which function it grades (grades=...)"
        for name in (*info.grades, *info.uses, *info.depends):
            assert name in exercise, f"{info.id} names {name!r}, not a function of the lesson"
        for name in info.uses:
            assert name in reference, f"{info.id} uses {name!r}: add it to {reference_path.name}"
            assert _parameters(reference[name]) == _parameters(exercise[name]), name
        assert not set(info.uses) & set(info.grades), f"{info.id} replaces what it grades"
        graded.update(info.grades)
    assert graded == exercise.keys(), f"no check grades {sorted(exercise.keys() - graded)}"


def _readme_reported_list() -> list[str]:
    """The list of reported facts in the README's section on what the learner can fake."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("**What the learner process can and cannot fake.**")
    section = text[start:text.index("\n## ", start)]
    return [line for line in section.splitlines() if line.startswith("- lesson")]


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_no_point_rests_on_a_reported_fact(lesson):
    """Issue 17 §3: a fact the learner process reports about itself can be forged by rewriting
    the probes there, so a check that declares one is worth 0 points (it still teaches)."""
    assert reported.problems(lesson) == []


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_reported_facts_are_declared_and_listed(lesson, capsys):
    """Each fact a learner process reports about itself is declared by the checks resting on
    it (``reported=``), printed here lesson by lesson, and listed in the README as it is."""
    declared = reported.lines([lesson])
    with capsys.disabled():
        print(f"\n{lesson.name} reported facts:", *(declared or ["  (none)"]), sep="\n  ")
    listed = [line for line in _readme_reported_list()
              if line.startswith(f"- {lesson.name}: ")]
    assert listed == declared, (
        "README.md's list of reported facts differs from the checks' declarations: paste "
        "`python -m grader.reported` into it")


def test_the_lesson_probes_report_no_undeclared_fact():
    """The facts known to be reported (issue 17 §3): each still declared by its lesson."""
    known = {
        "lesson1": ["make_counter() returned a tf.function", "was a tf.Tensor"],
        "lesson9": ["returned a keras.callbacks.TensorBoard"],
        "lesson10": ["returned a tf.data.Dataset", "the devices of"],
    }
    for lesson in LESSONS:
        facts = " | ".join(reported.facts(lesson))
        for fragment in known.get(lesson.name, []):
            assert fragment in facts, f"{lesson.name} no longer declares {fragment!r}"


@pytest.fixture(scope="module")
def solution_results(grade):
    """Each lesson's solution, graded once for this module (and again where a test says so)."""
    graded: dict[str, object] = {}

    def results_of(lesson):
        if lesson.name not in graded:
            graded[lesson.name] = grade(lesson.name, REPO / "solutions" / lesson.filename)
        return graded[lesson.name]

    return results_of


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_solution_gets_full_marks(solution_results, lesson):
    results = solution_results(lesson)
    assert results.full_marks, {c.id: c.message for c in results.checks if not c.passed}
    assert results.total == results.possible == lesson.max_points


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_untouched_stub_gets_zero(grade, lesson):
    results = grade(lesson.name, untouched_stub(lesson.filename))
    assert results.total == 0
    assert all(c.status == "failed" for c in results.checks)
    assert all("not written yet" in c.message or "NotImplementedError" in c.message
               for c in results.checks), [c.message for c in results.checks]


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_grading_is_deterministic(grade, solution_results, lesson):
    first = solution_results(lesson)
    second = grade(lesson.name, REPO / "solutions" / lesson.filename)
    strip = [(c.id, c.points, c.status, c.message, c.seed) for c in first.checks]
    assert strip == [(c.id, c.points, c.status, c.message, c.seed) for c in second.checks]
