"""A failed check names the cause where it is, and so do its neighbours (issue 18 §2).

A variant under ``tests/variants/`` may declare, on ``# expect-message: <check id>: <regex>``
lines, what the message of a check it fails must say; each such variant is graded once and every
declared message is matched.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import VARIANTS

PATTERN = re.compile(r"^# expect-message: (\w+): (.+)$", re.MULTILINE)


def _declared(path: Path) -> list[tuple[str, str]]:
    return PATTERN.findall(path.read_text(encoding="utf-8"))


DECLARING = sorted(p for p in VARIANTS.glob("lesson*/*/*.py") if _declared(p))


@pytest.mark.parametrize("path", DECLARING,
                         ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.stem}")
def test_each_failed_check_names_the_cause(grade, path):
    results = grade(path.parent.parent.name, path)
    messages = {c.id: c.message for c in results.checks}
    for check_id, regex in _declared(path):
        assert check_id in messages, f"{path.name} names an unknown check {check_id}"
        assert re.search(regex, messages[check_id], re.DOTALL), (check_id, messages[check_id])
