"""One mistake costs the points of one function.

For every lesson whose checks replace a helper by the grader's reference (``uses=``), the
reference solution with that one helper broken must lose exactly the checks that grade the
helper and the composition checks that depend on it, and those say "depends on `helper`" first.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from grader.curriculum import Lesson, lessons
from tests.conftest import REPO, failed_checks


def _most_used_helper(lesson: Lesson) -> str | None:
    counts = Counter(name for info in lesson.checks() for name in info.uses)
    return counts.most_common(1)[0][0] if counts else None


CASES = [(lesson, helper) for lesson in lessons()
         if (helper := _most_used_helper(lesson)) is not None]


def _with_broken(solution: Path, helper: str) -> str:
    """The solution's source with ``helper``'s body replaced by a wrong answer (it raises)."""
    tree = ast.parse(solution.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == helper:
            node.body = ast.parse('raise RuntimeError("a wrong helper, on purpose")').body
    return ast.unparse(tree)


@pytest.mark.slow
@pytest.mark.parametrize(("lesson", "helper"), CASES,
                         ids=[f"{lesson.name}-{helper}" for lesson, helper in CASES])
def test_one_wrong_helper_costs_its_own_points_and_its_compositions(
    grade, tmp_path, lesson, helper
):
    submission = tmp_path / lesson.filename
    submission.write_text(_with_broken(REPO / "solutions" / lesson.filename, helper))
    results = grade(lesson.name, submission)
    infos = lesson.checks()
    own = {info.id for info in infos if helper in info.grades}
    compositions = {info.id for info in infos if helper in info.depends}
    assert own, f"no check grades {helper}"
    assert failed_checks(results) == own | compositions
    for result in results.checks:
        if result.id in compositions:
            assert result.message.startswith(f"depends on `{helper}`"), result.message
            assert helper in result.hint
    users = {info.id for info in infos if helper in info.uses}
    assert users and not users & failed_checks(results)
