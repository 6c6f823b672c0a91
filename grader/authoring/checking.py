"""``grade check-course``: the dev-check for any course, each problem one line with its fix.

Static checks (files, stubs, checks' declarations) need no TensorFlow; then each lesson's
solution is graded (full marks expected) and its untouched stub (zero expected), and every
answer of a lesson's own probes is read for facts the learner process decided about itself
(a bool, a count) that a check did not declare as reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from grader import reported
from grader.check import CheckInfo, check_info
from grader.curriculum import Lesson
from grader.errors import GraderError
from grader.learner.wire import Array, Opaque
from grader.stubs import StubError, derive_stub, solution_regions

_COUNT_WORDS = {"count", "counts", "passed", "correct", "matches", "replicas"}


def _is_count(key: str) -> bool:
    """Does a dict key name a count ("n_correct", "num_replicas", "steps_passed")?"""
    words = [w for w in re.split(r"[^a-z0-9]+", key.lower()) if w]
    return bool(words) and (words[0] in ("n", "num", "number") or bool(_COUNT_WORDS & set(words)))


@dataclass
class CourseReport:
    """What the check found: problems (each a line with its fix) and declared facts."""

    problems: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)  # "lesson2 test_x: fact" lines
    lessons: int = 0


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def _parameters(function: ast.FunctionDef) -> list[str]:
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def static_problems(lesson: Lesson) -> list[str]:
    """The problems found without running anything."""
    name, root = lesson.name, lesson.course.root
    out: list[str] = []
    if not lesson.notes_path.is_file():
        out.append(f"{name}: course/{lesson.stem}/notes.md is missing: write the lesson's notes")
    solution, stub = lesson.solution_path, lesson.stub_path
    if not solution.is_file():
        return [*out, f"{name}: solutions/{lesson.filename} is missing: write the reference "
                      "solution (`grade new-lesson` scaffolds one)"]
    text = solution.read_text(encoding="utf-8")
    try:
        derived = derive_stub(text, solution)
        regions = solution_regions(text, solution)
        functions = _functions(text)
    except (StubError, SyntaxError) as error:
        return [*out, f"{name}: {error}"]
    if not stub.is_file() or stub.read_text(encoding="utf-8") != derived:
        out.append(f"{name}: exercises/{lesson.filename} is not the stub derived from "
                   f"solutions/{lesson.filename}: run `python -m grader.stubs {root}`")
    in_functions = sorted(r.function for r in regions if r.function)
    if in_functions != sorted(functions):
        out.append(f"{name}: each public function of solutions/{lesson.filename} needs exactly "
                   "one ### BEGIN SOLUTION / ### END SOLUTION region in its body")
    stub_functions = _functions(derived)
    for fname, node in stub_functions.items():
        body = ast.get_source_segment(derived, node) or ""
        if "TODO" not in body:
            out.append(f"{name}: {fname}() has no TODO comment: say what to write above its "
                       "### BEGIN SOLUTION line")
    try:
        checks = lesson.checks()
        module = lesson.module()
    except GraderError as error:
        return [*out, f"{name}: {error}"]
    except Exception as error:  # the author's module: any error is theirs to fix
        return [*out, f"{name}: importing course/{lesson.stem}/checks.py failed "
                      f"({type(error).__name__}: {error}); fix the module"]
    if not checks:
        out.append(f"{name}: course/{lesson.stem}/checks.py declares no checks: decorate "
                   "test_ functions with @check(title, points=..., hint=..., grades=...)")
    out += _check_problems(lesson, checks, module, functions)
    out += [f"{line}" for line in reported.problems(lesson)]  # a reported fact earns no point
    return out


def _check_problems(lesson: Lesson, checks: list[CheckInfo], module: Any,
                    functions: dict[str, ast.FunctionDef]) -> list[str]:
    name, out = lesson.name, []
    seen: set[str] = set()
    for attr, obj in vars(module).items():
        if callable(obj) and getattr(obj, "__module__", None) == module.__name__ and \
                (check_info(obj) is not None) != attr.startswith("test_"):
            out.append(f"{name}: {attr}: a test_ function needs @check, and only test_ "
                       "functions may have it (rename it or decorate it)")
    reference_path = lesson.folder / "reference.py"
    reference = (_functions(reference_path.read_text(encoding="utf-8"))
                 if reference_path.is_file() else {})
    graded: set[str] = set()
    for info in checks:
        where = f"{name}: check test_{info.id}"
        if info.id in seen:
            out.append(f"{where}: two checks share this id: rename one")
        seen.add(info.id)
        if not info.points > 0 and not getattr(info, "reported", ()):
            out.append(f"{where}: points={info.points}: give it a positive number of points "
                       "(only a check resting on a declared reported fact is worth 0)")
        if len(info.hint.strip()) < 20:
            out.append(f"{where}: its hint is too short: say in a sentence how to fix the code")
        if not info.grades:
            out.append(f"{where}: say which function it grades (grades=\"...\")")
        for fname in (*info.grades, *info.uses, *info.depends):
            if fname not in functions:
                out.append(f"{where}: names {fname!r}, not a function of "
                           f"solutions/{lesson.filename}: fix the name")
        for fname in info.uses:
            if fname not in reference:
                out.append(f"{where}: uses {fname!r}: add a reference version of it to "
                           f"course/{lesson.stem}/reference.py")
            elif fname in functions and \
                    _parameters(reference[fname]) != _parameters(functions[fname]):
                out.append(f"{where}: reference.py's {fname} takes other parameters than the "
                           "exercise's: give it the same signature")
        if set(info.uses) & set(info.grades):
            out.append(f"{where}: it uses (replaces) a function it grades: drop it from uses")
        graded.update(info.grades)
    for fname in sorted(set(functions) - graded):
        out.append(f"{name}: no check grades {fname}(): add one with grades=\"{fname}\"")
    return out


def _facts(value: Any, path: str = "", key: str = "") -> Iterator[tuple[str, Any]]:
    """Learner-decided facts in a probe's answer: bools anywhere, and counts by their name."""
    if type(value) is bool:
        yield path or "the answer", value
    elif type(value) is int and _is_count(key):
        yield path, value
    elif type(value) in (list, tuple):
        for i, item in enumerate(value[:50]):
            yield from _facts(item, f"{path}[{i}]", key)
    elif type(value) is dict:
        for name, item in value.items():
            yield from _facts(item, f"{path}[{name!r}]" if path else repr(name), str(name))
    elif isinstance(value, Array) and value.array.dtype == bool and value.array.size <= 16:
        yield path or "the answer", value.array.tolist()
    elif isinstance(value, Opaque):
        return


def reported_problems(lesson: Lesson, replies: list[tuple[str, str, Any]]) -> tuple[
        list[str], list[str]]:
    """Lesson probes that answer with a fact the learner process decided (a bool, a count)
    while no check calling them declares a reported fact (problems); the declared facts of
    the checks that received one (to list)."""
    infos = {info.id: info for info in lesson.checks()}
    callers: dict[str, list[str]] = {}
    first_fact: dict[str, tuple[str, Any]] = {}
    for check_id, probe, value in replies:
        if check_id not in infos or probe.startswith("grader:"):
            continue  # the generic probes return the learner function's own answer
        callers.setdefault(probe, [])
        if check_id not in callers[probe]:
            callers[probe].append(check_id)
        facts = list(_facts(value))
        if facts and probe not in first_fact:
            first_fact[probe] = facts[0]
    problems, declared = [], []
    for probe, (where, fact) in first_fact.items():
        reported = {check_id: tuple(getattr(infos[check_id], "reported", ()) or ())
                    for check_id in callers[probe]}
        if any(reported.values()):
            declared += [f"{lesson.name} test_{check_id}: {text}"
                         for check_id, texts in reported.items() for text in texts]
            continue
        problems.append(
            f"{lesson.name}: probe {probe} (called by test_{callers[probe][0]}) returns "
            f"{where} = {fact!r}, a fact the learner process decides about itself: return the "
            "data and judge it in the check, or declare it with @check(..., reported=(\"what it "
            "reports\",)) and give that check 0 points")
    return problems, sorted(set(declared))


def check_course(lessons: list[Lesson], *, grade: Callable[..., Any] | None,
                 on_lesson: Callable[[Lesson], None] = lambda lesson: None) -> CourseReport:
    """Check ``lessons``; ``grade(lesson, path, replies=list)`` grades a file (None: only the
    static checks)."""
    report = CourseReport(lessons=len(lessons))
    for lesson in lessons:
        on_lesson(lesson)
        problems = static_problems(lesson)
        report.problems += problems
        if grade is None or problems:
            continue
        replies: list[tuple[str, str, Any]] = []
        results = grade(lesson, lesson.solution_path, replies=replies)
        for check in results.checks:
            if not check.passed:
                why = check.message[:160]
                if check.grader_traceback:  # the check itself broke: say where, for its author
                    lines = check.grader_traceback.strip().splitlines()
                    where = [line.strip() for line in lines if line.strip().startswith("File ")]
                    why = f"the check raised {lines[-1][:160]}" + (
                        f" at {where[-1][5:]}" if where else "")
                report.problems.append(
                    f"{lesson.name}: the solution fails test_{check.id} ({why}): fix the "
                    "solution or the check")
        found, declared = reported_problems(lesson, replies)
        report.problems += found
        report.reported += declared
        stub = grade(lesson, lesson.stub_path)
        for check in stub.checks:
            if check.points > 0:
                report.problems.append(
                    f"{lesson.name}: the untouched stub earns {check.points:g} on "
                    f"test_{check.id}: make the check call the function it grades")
    return report

