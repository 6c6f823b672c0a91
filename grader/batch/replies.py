"""A worker's reply checked before it is believed: the lesson's checks, points and file.

A batch worker (a local process, or a Dask worker elsewhere on the network) replies with a
:class:`~grader.results.GradingResults` as a dict. The client accepts it only if it is exactly
the shape this grader makes: the lesson and file it asked about, every check of the lesson (and
of the instructor's hidden checks) once and in order, each worth its declared points, with
all or nothing of them as its status says, and plain values of the right types. Anything else
(a malformed reply, or a forged 1000/1000 for a 17-point lesson) is a :class:`BadReply`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from grader.curriculum import Lesson
from grader.results import ERROR, FAILED, PASSED, CheckResult, GradingResults

from .records import checks_with_visibility

_STATUSES = (PASSED, FAILED, ERROR)


class BadReply(ValueError):
    """A worker's reply that this grader could not have made."""


def _measurement(item: Any) -> bool:
    """One entry of a check's ``measurements`` (see grader.expect.measure), plainly typed."""
    return (isinstance(item, dict) and set(item) == {"name", "value", "threshold", "at_least"}
            and isinstance(item["name"], str) and isinstance(item["at_least"], bool)
            and all(isinstance(item[k], int | float) and not isinstance(item[k], bool)
                    and math.isfinite(item[k]) for k in ("value", "threshold")))


def _typed(kind: type[Any], data: dict[str, Any], what: str) -> None:
    """Every field of dataclass ``kind`` present in ``data`` with a value of its type."""
    fields = {f.name: f.type for f in dataclasses.fields(kind)}
    unknown = set(data) - set(fields)
    if unknown:
        raise BadReply(f"{what} has unknown fields {sorted(unknown)}")
    for name, annotation in fields.items():
        if name == "checks" or name not in data:
            continue
        value = data[name]
        if annotation == "str":
            ok = isinstance(value, str)
        elif annotation.startswith("list"):  # measurements: what a check measured
            ok = isinstance(value, list) and all(_measurement(item) for item in value)
        elif annotation == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:  # float
            ok = (isinstance(value, int | float) and not isinstance(value, bool)
                  and math.isfinite(value))
        if not ok:
            raise BadReply(f"{what}: {name} is {type(value).__name__}, not {annotation}")


def results_of(reply: Any, lesson: Lesson, sha256: str | None, hidden: Any = None,
               ) -> GradingResults:
    """The results in ``reply`` for ``lesson`` and the file of ``sha256``, or a BadReply.
    ``hidden``: the instructor's :class:`~grader.hidden.HiddenChecks` the run grades with."""
    if not isinstance(reply, dict) or not isinstance(reply.get("results"), dict):
        raise BadReply("the reply holds no results")
    data = {k: v for k, v in reply["results"].items()
            if k not in ("total", "possible", "full_marks")}
    checks = data.get("checks")
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        raise BadReply("the reply's checks are not a list of checks")
    _typed(GradingResults, data, "the results")
    for index, check in enumerate(checks, start=1):
        _typed(CheckResult, check, f"check {index}")
    try:
        results = GradingResults(**{k: v for k, v in data.items() if k != "checks"},
                                 checks=[CheckResult(**check) for check in checks])
    except TypeError as error:  # a field missing
        raise BadReply(f"the results are incomplete ({error})") from None
    if results.lesson != lesson.stem:
        raise BadReply(f"the results are of {results.lesson!r}, not of {lesson.stem}")
    if sha256 is not None and results.sha256 != sha256:
        raise BadReply("the results are of another file (its sha256 differs)")
    expected = checks_with_visibility(lesson, hidden)
    got = [check.id for check in results.checks]
    if got != [info.id for info, _ in expected]:
        raise BadReply(f"the results' checks {got[:5]}… are not {lesson.name}'s")
    for check, (info, visibility) in zip(results.checks, expected, strict=True):
        if check.max_points != info.points:
            raise BadReply(f"check {info.id} is worth {check.max_points:g}, not {info.points:g}")
        if check.status not in _STATUSES:
            raise BadReply(f"check {info.id} has status {check.status!r}")
        if check.points != (info.points if check.status == PASSED else 0.0):
            raise BadReply(f"check {info.id} has {check.points:g} points as {check.status}")
        if (check.outcome == "passed") != (check.status == PASSED):
            raise BadReply(f"check {info.id} is {check.status} with outcome {check.outcome!r}")
        if check.visibility != visibility:
            raise BadReply(f"check {info.id} is {check.visibility!r}, not {visibility!r}")
        check.title = info.title
    return results
