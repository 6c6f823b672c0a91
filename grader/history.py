"""A learner's scores so far, for ``grade list``: ``.grade/history.json`` in the course folder."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from grader.curriculum import Lesson, lessons
from grader.report.files import write_atomic
from grader.results import GradingResults

HISTORY = Path(".grade") / "history.json"


def load(root: Path) -> dict[str, dict[str, Any]]:
    """Per lesson stem: best, last and possible points, and when it was last graded."""
    try:
        data = json.loads((root / HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(root: Path, results: GradingResults) -> None:
    """Remember this grading of the learner's own file (best score is kept)."""
    history = load(root)
    entry = history.get(results.lesson, {})
    best = entry.get("best") if isinstance(entry, dict) else None
    if type(best) not in (int, float):  # a hand-edited or damaged history counts as none
        best = 0.0
    history[results.lesson] = {
        "best": max(float(best), results.total),
        "last": results.total,
        "possible": results.possible,
        "last_graded": time.strftime("%Y-%m-%d %H:%M"),
        "sha256": results.sha256,
    }
    with contextlib.suppress(OSError):  # a read-only course folder must not stop grading
        write_atomic(root / HISTORY, json.dumps(history, indent=2, sort_keys=True))


def best_of(entry: object) -> float | None:
    """The best score of one history entry, or None when it is missing or damaged."""
    best = entry.get("best") if isinstance(entry, dict) else None
    return float(best) if type(best) in (int, float) else None


def unfinished(root: Path | None) -> list[Lesson]:
    """The lessons without full marks in the learner's history, in course order."""
    scores = load(root) if root is not None else {}
    left = []
    for lesson in lessons():
        best = best_of(scores.get(lesson.stem))
        if best is None or best < lesson.max_points:
            left.append(lesson)
    return left
