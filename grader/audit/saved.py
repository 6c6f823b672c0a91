"""The last audit of each lesson, kept in the course's build folder for the site.

`grade audit` writes ``<course>/build/audit/<stem>.json`` (the JSON report of that lesson);
`grade site` shows it in the lesson page's instructor section, with the equivalent mutants that
``course/<stem>/audit.toml`` records (those are in the course itself, so a site built without
an audit still lists them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.audit.known import equivalent_mutants
from grader.curriculum import Lesson
from grader.report.files import write_atomic


def report_path(lesson: Lesson) -> Path:
    return lesson.course.root / "build" / "audit" / f"{lesson.stem}.json"


def save(lesson: Lesson, report: dict[str, Any]) -> Path:
    path = report_path(lesson)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(report, indent=2) + "\n")
    return path


def site_context(lesson: Lesson) -> dict[str, Any]:
    """What the lesson page shows instructors: the recorded equivalents, and the figures of the
    last audit when there was one (a report this grader cannot read counts as none)."""
    try:
        equivalent = equivalent_mutants(lesson.folder)
    except Exception:  # a broken audit.toml is grade audit's to report, not the site's
        equivalent = {}
    context: dict[str, Any] = {
        "equivalent": [{"id": key, "reason": value} for key, value in sorted(equivalent.items())],
        "report": None,
    }
    try:
        report = json.loads(report_path(lesson).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return context
    if not isinstance(report, dict) or report.get("lesson") != lesson.stem:
        return context
    score = report.get("mutation_score")
    context["report"] = {
        "score": f"{100 * score:.0f} %" if isinstance(score, int | float) else "–",
        "counts": {key: report.get(key) for key in
                   ("generated", "graded", "caught", "survived", "equivalent", "broken")},
        "seeds": f"{sum(1 for s in report.get('seeds', []) if s.get('full_marks'))}"
                 f"/{len(report.get('seeds', []))}",
        "survivors": [{"id": m.get("id"), "function": m.get("function"),
                       "change": m.get("change")}
                      for m in report.get("mutants", []) if m.get("status") == "survived"],
        "thresholds": [
            {"check": t.get("check"), "name": t.get("name"),
             "threshold": f"{'≥' if t.get('at_least') else '≤'} {t.get('threshold'):.4g}",
             "worst": f"{t.get('worst'):.4g}", "best": f"{t.get('best'):.4g}",
             "margin": f"{t.get('margin'):+.3g}"}
            for t in report.get("thresholds", [])
            if all(isinstance(t.get(k), int | float) for k in ("threshold", "worst", "best",
                                                                 "margin"))],
    }
    return context
