"""What an autograder cell of a course notebook runs, in the notebook's kernel.

``check(lesson_stem, check_id)`` takes the code of the cells executed so far (the kernel's input
history, through the same extraction rule as ``grade batch``), writes it to a temporary module,
and has it graded by a ``grade batch`` worker: a fresh process of the grader that runs the lesson's
checks (``grade_submission``) with the learner's code in its own sandboxed learner process. The
kernel only receives the verdicts, as data, and turns one into the cell's outcome: nothing on
success (full points), an error naming what failed and the hint otherwise (no points), or the
partial points as the cell's value. The lesson is graded once per version of the code; the other
cells reuse that result.

The kernel is the student's: code run in it earlier could tamper with this module. nbgrader trusts
its kernel; for a class whose students might cheat, grade the ``submitted/`` folder with
``grade batch`` (the verdicts never meet the students' code there).
"""

from __future__ import annotations

import hashlib
import tempfile
import warnings
from pathlib import Path

from grader._tensorflow import quiet_tensorflow
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S
from grader.notebooks.extract import module_source

__all__ = ["CheckNotPassed", "check", "quiet_tensorflow"]

_graded: dict[tuple[str, str], dict] = {}


class CheckNotPassed(AssertionError):
    """This check of the course did not pass (the message says why and how to fix it)."""


def _history() -> list[str]:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("the autograder cells run inside Jupyter (an IPython kernel)")
    # the cells as typed: IPython's own rewriting of `x = !ls` into `get_ipython()` calls would
    # reach the learner's process, which has no IPython; the extraction turns them into Python
    return [str(source) for source in shell.history_manager.input_hist_raw]


def grade_code(lesson_stem: str, code: str, *, call_timeout: float = DEFAULT_CALL_TIMEOUT_S,
               total_timeout: float = DEFAULT_TOTAL_TIMEOUT_S) -> dict:
    """A ``grade batch`` worker's reply for ``code`` as ``lesson_stem``'s module (cached)."""
    from grader.batch.scheduling import Job, Limits, run
    from grader.curriculum import find_lesson

    key = (lesson_stem, hashlib.sha256(code.encode()).hexdigest())
    if key not in _graded:
        lesson = find_lesson(lesson_stem)
        with tempfile.TemporaryDirectory(prefix="grade-notebook-") as folder:
            path = Path(folder) / lesson.filename
            path.write_text(code, encoding="utf-8")
            done = list(run([Job("notebook", lesson, path)], workers=1,
                            limits=Limits(call_timeout, total_timeout)))
        _graded[key] = done[0].reply if done else {"crashed": "the grader stopped"}
    return _graded[key]


def check(lesson_stem: str, check_id: str) -> float | None:
    """Grade the notebook's code (once) and report on one check; see the module's docstring."""
    __tracebackhide__ = True
    from grader.batch.records import results_from_dict

    with warnings.catch_warnings():  # anything on stderr costs the cell its points in nbgrader
        warnings.simplefilter("ignore")
        code = module_source(_history()[:-1], origin="this notebook")
        reply = grade_code(lesson_stem, code)
    if "results" not in reply:
        for key, what in (("unreadable", "your code cannot be graded"),
                          ("crashed", "grading your code crashed"),
                          ("infrastructure", "the grader cannot run (not your code: tell your "
                                             "instructor)"),
                          ("internal", "the grader failed (not your code: tell your "
                                       "instructor)")):
            if key in reply:
                detail = str(reply[key]).strip().splitlines()
                raise CheckNotPassed(f"{what}: {detail[0] if detail else ''}")
        raise CheckNotPassed(f"the grader sent an unexpected reply: {reply!r:.200}")
    results = results_from_dict(reply["results"])
    found = [c for c in results.checks if c.id == check_id]
    if not found:
        raise CheckNotPassed(f"{lesson_stem} has no check {check_id!r}: this notebook is older "
                             "than the grader; ask for the current one")
    result = found[0]
    if result.passed:
        print(f"passed: {result.title} ({result.points:g}/{result.max_points:g})")
        return None
    lines = [f"{result.title}: {result.message or result.outcome}"]
    if results.problem and results.problem not in lines[0]:
        lines.append(results.problem)
    if result.hint:
        lines.append(f"Hint: {result.hint}")
    if result.points > 0:  # partial credit: nbgrader reads the cell's value as the points
        print("\n".join(lines))
        return result.points
    raise CheckNotPassed("\n".join(lines))
