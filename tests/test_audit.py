"""`grade audit` as an instructor runs it: the CLI in a subprocess, on the built-in course's
first two lessons (CI's share of the whole course's audit, see benchmarks/audit_course.py) and on
a course made with `grade new-course`, whose checks are then weakened and made flaky on purpose.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import ENV, GRADE

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 1200


def _grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GRADE, *args], cwd=cwd, env={**ENV, "COLUMNS": "200"},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=TIMEOUT_S)


def _lessons(report: Path) -> dict[str, dict]:
    return {lesson["lesson"]: lesson for lesson in json.loads(report.read_text())["lessons"]}


@pytest.mark.slow
def test_the_first_two_lessons_catch_every_planted_bug(tmp_path: Path) -> None:
    report = tmp_path / "audit.json"
    run = _grade("audit", "lesson1", "lesson2", "--seeds", "3", "--json", str(report), cwd=REPO)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    lessons = _lessons(report)
    for stem in ("lesson1_warmup", "lesson2_linear_regression"):
        audit = lessons[stem]
        known = (REPO / "course" / stem / "audit.toml").read_text().count('" = "')
        assert audit["survived"] == 0 and audit["equivalent"] == known, audit["lesson"]
        assert audit["caught"] >= 40 and audit["mutation_score"] == 1.0
        assert [s["full_marks"] for s in audit["seeds"]] == [True] * 3
        assert not audit["stale_equivalents"]
        operators = {m["operator"] for m in audit["mutants"]}
        assert {"core/NumberReplacer", "tf/SwapArguments", "tf/ReturnConstant"} <= operators
    margins = lessons["lesson2_linear_regression"]["thresholds"]
    assert margins and all(t["margin"] > 0 and t["worst"] <= t["threshold"] for t in margins)
    assert "grade audit" in run.stdout and "thresholds over 4 runs" in run.stdout


def _course(tmp_path: Path) -> Path:
    made = _grade("new-course", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp_path / "demo"


@pytest.mark.slow
def test_weak_checks_flaky_checks_and_records_on_an_authors_course(tmp_path: Path) -> None:
    course = _course(tmp_path)
    lesson = course / "course" / "lesson1_first_steps"
    report = tmp_path / "audit.json"

    strong = _grade("audit", "--seeds", "2", "--json", str(report), cwd=course)
    assert strong.returncode == 0, strong.stdout[-3000:] + strong.stderr[-2000:]
    audit = _lessons(report)["lesson1_first_steps"]
    assert audit["caught"] >= 5 and audit["survived"] == 0
    # the site's instructor section shows the last audit
    site = _grade("site", "--no-figures", "--out", str(tmp_path / "site"), cwd=course)
    assert site.returncode == 0, site.stdout + site.stderr
    page = (tmp_path / "site" / "lesson1.html").read_text()
    assert 'id="audit"' in page and "a mutation score of <strong>100 %</strong>" in page
    assert "scale_values" in page and "error / tolerance" in page  # a threshold's margin

    # A weak check: with factor 1, x * factor, x / factor and x alone all agree.
    checks = lesson / "checks.py"
    checks.write_text(checks.read_text().replace("2.5", "1.0"))
    weak = _grade("audit", "--seeds", "0", "--json", str(report), cwd=course)
    assert weak.returncode == 1, weak.stdout[-3000:]
    audit = _lessons(report)["lesson1_first_steps"]
    survivors = [m for m in audit["mutants"] if m["status"] == "survived"]
    assert survivors and audit["mutation_score"] < 1.0
    assert any("/ factor" in m["diff"] for m in survivors)
    shown = " ".join(weak.stdout.split())
    assert f"survived {survivors[0]['id']} in `scale`" in shown
    assert "course/lesson1_first_steps/audit.toml" in shown

    # Recorded with a reason, the survivors stop counting; a stale line is named.
    lines = [f'"{m["id"]}" = "recorded by the test"' for m in survivors]
    (lesson / "audit.toml").write_text("[equivalent]\n" + "\n".join(lines)
                                       + '\n"scale-Gone-00000000" = "no such mutant"\n')
    recorded = _grade("audit", "--seeds", "0", "--json", str(report), cwd=course)
    assert recorded.returncode == 0, recorded.stdout[-3000:]
    audit = _lessons(report)["lesson1_first_steps"]
    assert audit["survived"] == 0 and audit["equivalent"] == len(survivors)
    assert audit["stale_equivalents"] == ["scale-Gone-00000000"]
    assert "scale-Gone-00000000, which no mutant has any more" in " ".join(
        recorded.stdout.split())

    # A check that passes only under the grader's own seed: the audit names it and the seed.
    checks.write_text(checks.read_text() + '''

@check("a check that depends on its seed", points=1, hint="A check written to be flaky.",
       grades="scale")
def test_flaky(learner, seed):
    import zlib

    if seed != zlib.crc32(b"lesson1_first_steps::test_flaky") & 0x7FFFFFFF:
        raise AssertionError("this check only passes under its usual seed")
''')
    flaky = _grade("audit", "--seeds", "2", "--sample", "3", "--json", str(report), cwd=course)
    assert flaky.returncode == 1, flaky.stdout[-3000:]
    audit = _lessons(report)["lesson1_first_steps"]
    assert [s["full_marks"] for s in audit["seeds"]] == [False, False]
    failure = audit["seeds"][0]["failed"][0]
    assert failure["check"] == "flaky" and isinstance(failure["seed"], int)
    assert f"the reference lost flaky (seed {failure['seed']})" in " ".join(flaky.stdout.split())
    assert len(audit["mutants"]) == 3  # --sample


def test_audit_says_what_is_missing_in_a_release(tmp_path: Path) -> None:
    course = _course(tmp_path)
    released = _grade("release", "--out", str(tmp_path / "students"), cwd=course)
    assert released.returncode == 0, released.stdout + released.stderr
    run = _grade("audit", cwd=tmp_path / "students")
    assert run.returncode == 2
    assert "solutions" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_the_site_lists_each_lessons_known_equivalents(tmp_path: Path) -> None:
    site = _grade("site", "--no-figures", "--out", str(tmp_path / "site"), cwd=REPO)
    assert site.returncode == 0, site.stdout + site.stderr
    for number in range(1, 11):
        assert 'id="audit"' in (tmp_path / "site" / f"lesson{number}.html").read_text()
    page = (tmp_path / "site" / "lesson2.html").read_text()
    assert "fit-SwapCallName-49112375" in page and "b starts at 1 instead of 0" in page
