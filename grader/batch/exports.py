"""Exports rendered from the gradebook: grades.csv and, per student, results.json and JUnit XML.

Every file is written atomically (a temporary file, then a rename): a reader, or a run killed
halfway, never leaves half a file behind. Exports are rebuilt from the gradebook on every run,
so they always agree with it.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from grader.errors import InfrastructureError
from grader.report.files import write_atomic

from .feedback import feedback_markdown
from .records import GRADED, LessonInfo, LessonRecord, withheld
from .spreadsheet import csv_text

CSV_COLUMNS = ("student", "lesson", "score", "max_score", "status", "problem", "sha256",
               "grader_version")
STUDENTS_DIR = "students"
# JUnit: a check that did not pass for one of these reasons is an <error>, not a <failure>.
_JUNIT_ERRORS = {"error", "timeout", "out of memory", "crashed", "grader error"}
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def write(path: Path, text: str) -> None:
    """``write_atomic``, with a full disk or a read-only folder as an InfrastructureError."""
    try:
        write_atomic(path, text)
        path.chmod(0o666 & ~_UMASK)  # a file to hand back, not a private one
    except OSError as exc:
        raise InfrastructureError(
            f"cannot write {path} ({exc.strerror or exc}): free some space or fix the folder's "
            "permissions, then run again (the gradebook keeps every result)"
        ) from None


def remove_stale_temporaries(out: Path) -> None:
    """Temporary files of a run killed while it wrote an export."""
    for stale in out.rglob(".*.tmp"):
        stale.unlink(missing_ok=True)


def by_student(records: Iterable[LessonRecord]) -> dict[str, list[LessonRecord]]:
    grouped: dict[str, list[LessonRecord]] = defaultdict(list)
    for record in records:
        grouped[record.student].append(record)
    return dict(grouped)


def grades_csv(records: Iterable[LessonRecord], lessons: dict[str, LessonInfo]) -> str:
    return csv_text([CSV_COLUMNS, *(
        [r.student, lessons[r.lesson].name, f"{r.score:g}", f"{r.max_score:g}", r.status,
         r.problem, r.sha256 or "", r.grader_version] for r in records)])


def gradescope_json(
    student: str, records: list[LessonRecord], lessons: dict[str, LessonInfo], *,
    hidden: bool = False,
) -> str:
    """One student's Gradescope-style ``results.json``: every lesson's checks as tests. The
    instructor's hidden checks count, but their messages, hints and what the learner's code
    printed during them are left out unless ``hidden``."""
    tests = []
    lines = []
    for record in records:
        lesson = lessons[record.lesson]
        status = "" if record.status == GRADED else f" ({record.status})"
        lines.append(f"{lesson.name} {lesson.title}: {record.score:g}/{record.max_score:g}"
                     f"{status}")
        for index, check in enumerate(record.checks, start=1):
            check = check if hidden else withheld(check)
            tests.append({
                "name": f"{lesson.name}: {check.title}",
                "number": f"{lesson.number}.{index}",
                "score": check.points,
                "max_score": check.max_points,
                "status": "passed" if check.passed else "failed",
                "output": "" if check.passed else check.message,
                "visibility": check.visibility,
                # a hint helps with a failure; for a passed check it is only an answer
                "extra_data": {"lesson": record.lesson, "check": check.id,
                               "outcome": check.outcome,
                               **({} if check.passed else {"hint": check.hint}),
                               "seed": check.seed, "learner_output": check.output},
            })
    score = round(sum(r.score for r in records), 6)
    possible = round(sum(r.max_score for r in records), 6)
    document = {
        "score": score,
        "max_score": possible,
        "execution_time": round(sum(r.duration_s for r in records), 3),
        "output": "\n".join([f"{student}: {score:g}/{possible:g} points", *lines]),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "student": student,
            "lessons": {r.lesson: {"score": r.score, "max_score": r.max_score,
                                   "status": r.status, "problem": r.problem,
                                   "sha256": r.sha256, "grader_version": r.grader_version}
                        for r in records},
        },
    }
    return json.dumps(document, indent=2) + "\n"


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def junit_xml(student: str, records: list[LessonRecord], lessons: dict[str, LessonInfo], *,
              hidden: bool = False) -> str:
    """One student's JUnit XML: a testsuite per lesson, a testcase per check (the instructor's
    hidden checks without their messages, hints and output unless ``hidden``)."""
    root = ET.Element("testsuites", name=_xml_text(student))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for record in records:
        lesson = lessons[record.lesson]
        failures = sum(1 for c in record.checks
                       if not c.passed and c.outcome not in _JUNIT_ERRORS)
        errors = sum(1 for c in record.checks if not c.passed and c.outcome in _JUNIT_ERRORS)
        suite = ET.SubElement(root, "testsuite", {
            "name": record.lesson, "tests": str(len(record.checks)),
            "failures": str(failures), "errors": str(errors), "skipped": "0",
            "time": f"{record.duration_s:.3f}",
        })
        properties = ET.SubElement(suite, "properties")
        for name, value in (("student", student), ("lesson", lesson.name),
                            ("status", record.status), ("score", f"{record.score:g}"),
                            ("max_score", f"{record.max_score:g}"),
                            ("sha256", record.sha256 or ""),
                            ("grader_version", record.grader_version)):
            ET.SubElement(properties, "property", name=name, value=_xml_text(value))
        for check in record.checks:
            check = check if hidden else withheld(check)
            case = ET.SubElement(suite, "testcase", {
                "classname": f"{student}.{record.lesson}", "name": check.id,
                "time": f"{check.duration_s:.3f}",
            })
            if not check.passed:
                tag = "error" if check.outcome in _JUNIT_ERRORS else "failure"
                first = check.message.strip().splitlines()[0] if check.message.strip() else ""
                problem = ET.SubElement(case, tag, message=_xml_text(first), type=check.outcome)
                detail = check.message + (f"\nHint: {check.hint}" if check.hint else "")
                problem.text = _xml_text(detail)
            if check.output:
                ET.SubElement(case, "system-out").text = _xml_text(check.output)
        totals["tests"] += len(record.checks)
        totals["failures"] += failures
        totals["errors"] += errors
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def write_all(out: Path, records: list[LessonRecord], lessons: dict[str, LessonInfo], *,
              feedback_hidden: bool = False) -> list[Path]:
    """Write every export under ``out``; return the files written. The students' files
    say nothing of a hidden check's message or hint unless ``feedback_hidden``: ``feedback.md``
    leaves those checks out, ``results.json`` and ``junit.xml`` count them with no detail."""
    written = [out / "grades.csv"]
    write(written[0], grades_csv(records, lessons))
    for student, own in by_student(records).items():
        folder = out / STUDENTS_DIR / student
        for name, text in (("results.json", gradescope_json(student, own, lessons,
                                                            hidden=feedback_hidden)),
                           ("junit.xml", junit_xml(student, own, lessons,
                                                   hidden=feedback_hidden)),
                           ("feedback.md", feedback_markdown(student, own, lessons,
                                                             hidden=feedback_hidden))):
            write(folder / name, text)
            written.append(folder / name)
    return written

