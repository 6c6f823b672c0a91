"""Audit one lesson: grade its planted bugs and its reference under salted seeds.

Every grading goes through the batch machinery (:func:`grader.batch.scheduling.run`): warm worker
processes, each mutant in its own sandboxed learner process, the lesson's own checks. A mutant is
*caught* when it loses points, *survived* when it keeps full marks (a weakness of the checks,
unless recorded as equivalent: :mod:`grader.audit.known`), *broken* when it does not import.
The reference is graded with every check's seed salted ``--seeds`` ways: each run must keep full
marks, and what each check measured against its thresholds gives their margins.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.audit.known import equivalent_mutants
from grader.audit.mutants import Mutant, generate, sample
from grader.batch.scheduling import Job, Limits, run
from grader.curriculum import Lesson

CAUGHT, SURVIVED, BROKEN, EQUIVALENT = "caught", "survived", "broken", "equivalent"


@dataclass
class MutantResult:
    """What grading one mutant gave."""

    mutant: Mutant
    status: str  # CAUGHT, SURVIVED, BROKEN or EQUIVALENT
    score: float = 0.0
    possible: float = 0.0
    failed: list[str] = field(default_factory=list)  # ids of the checks it lost
    note: str = ""  # the recorded reason (equivalent) or the import problem (broken)


@dataclass
class SeedRun:
    """The reference graded with its seeds salted one way."""

    salt: str
    full_marks: bool
    failed: list[dict[str, Any]] = field(default_factory=list)  # check, seed, message


@dataclass
class Margin:
    """One threshold of one check: the reference's worst and best value over the seeds."""

    check: str
    name: str
    threshold: float
    at_least: bool
    worst: float
    best: float

    @property
    def margin(self) -> float:
        """How far the worst value stays from the threshold (negative: it failed once)."""
        return self.worst - self.threshold if self.at_least else self.threshold - self.worst


@dataclass
class LessonAudit:
    """Everything `grade audit` found for one lesson."""

    lesson: str
    mutants: list[MutantResult] = field(default_factory=list)
    seeds: list[SeedRun] = field(default_factory=list)
    margins: list[Margin] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # recorded ids no mutant has any more
    generated: int = 0  # mutants the operators made (before --sample)
    problem: str = ""  # the reference itself fails: nothing else means anything

    def count(self, status: str) -> int:
        return sum(1 for m in self.mutants if m.status == status)

    @property
    def score(self) -> float | None:
        """caught / (caught + survived), equivalents and broken ones left out."""
        judged = self.count(CAUGHT) + self.count(SURVIVED)
        return self.count(CAUGHT) / judged if judged else None

    @property
    def seeds_failed(self) -> int:
        return sum(1 for s in self.seeds if not s.full_marks)

    @property
    def ok(self) -> bool:
        """No unexplained survivor, no seed that loses points, the reference full marks."""
        return not self.problem and self.count(SURVIVED) == 0 and self.seeds_failed == 0

    def to_dict(self, original: str = "", name: str = "") -> dict[str, Any]:
        return {
            "lesson": self.lesson,
            "ok": self.ok,
            "problem": self.problem,
            "generated": self.generated,
            "graded": len(self.mutants),
            "caught": self.count(CAUGHT),
            "survived": self.count(SURVIVED),
            "broken": self.count(BROKEN),
            "equivalent": self.count(EQUIVALENT),
            "mutation_score": self.score,
            "mutants": [
                {"id": m.mutant.id, "status": m.status, "function": m.mutant.function,
                 "operator": m.mutant.operator, "line": m.mutant.line, "change": m.mutant.what,
                 "score": m.score, "possible": m.possible, "failed_checks": m.failed,
                 "note": m.note,
                 **({"diff": m.mutant.diff(original, name)} if original else {})}
                for m in self.mutants
            ],
            "seeds": [{"salt": s.salt, "full_marks": s.full_marks, "failed": s.failed}
                      for s in self.seeds],
            "thresholds": [{"check": t.check, "name": t.name, "threshold": t.threshold,
                            "at_least": t.at_least, "worst": t.worst, "best": t.best,
                            "margin": t.margin} for t in self.margins],
            "stale_equivalents": self.stale,
        }


ProgressCallback = Callable[[str], None]


def _classify(mutant: Mutant, reply: dict[str, Any], known: dict[str, str]) -> MutantResult:
    if "results" not in reply:  # unreadable, crashed twice, or the grader's own failure
        text = next(iter(reply.values()), "") if reply else ""
        if "infrastructure" in reply or "internal" in reply:
            raise RuntimeError(f"grading mutant {mutant.id} failed: {str(text)[:500]}")
        return MutantResult(mutant, CAUGHT if "crashed" in reply else BROKEN, note=str(text))
    results = reply["results"]
    checks = results.get("checks", [])
    score, possible = float(results.get("total", 0)), float(results.get("possible", 0))
    failed = [c["id"] for c in checks if c.get("status") != "passed"]
    if results.get("problem") and len(failed) == len(checks):
        return MutantResult(mutant, BROKEN, score, possible, failed, note=results["problem"])
    if failed:
        return MutantResult(mutant, CAUGHT, score, possible, failed)
    if mutant.id in known:
        return MutantResult(mutant, EQUIVALENT, score, possible, note=known[mutant.id])
    return MutantResult(mutant, SURVIVED, score, possible)


def _seed_run(salt: str, reply: dict[str, Any]) -> tuple[SeedRun, list[dict[str, Any]]]:
    results = reply.get("results")
    if results is None:
        return SeedRun(salt, False, [{"check": "", "seed": None,
                                      "message": str(next(iter(reply.values()), ""))}]), []
    failed = [{"check": c["id"], "seed": c.get("seed"), "message": c.get("message", "")}
              for c in results["checks"] if c.get("status") != "passed"]
    measured = [dict(m, check=c["id"]) for c in results["checks"]
                for m in c.get("measurements", [])]
    return SeedRun(salt, not failed and bool(results["checks"]), failed), measured


def _margins(measured: list[dict[str, Any]]) -> list[Margin]:
    found: dict[tuple[str, str], Margin] = {}
    for m in measured:
        key = (m["check"], m["name"])
        value = float(m["value"])
        old = found.get(key)
        if old is None:
            found[key] = Margin(m["check"], m["name"], float(m["threshold"]), bool(m["at_least"]),
                                value, value)
            continue
        if old.at_least:
            old.worst, old.best = min(old.worst, value), max(old.best, value)
        else:
            old.worst, old.best = max(old.worst, value), min(old.best, value)
    return sorted(found.values(), key=lambda t: (t.margin / (abs(t.threshold) or 1.0)))


def audit_lesson(
    lesson: Lesson,
    solution: Path,
    *,
    seeds: int = 20,
    max_mutants: int | None = None,
    workers: int = 2,
    limits: Limits,
    isolate: bool = True,
    on_progress: ProgressCallback | None = None,
    on_total: Callable[[int], None] | None = None,
) -> LessonAudit:
    """Grade ``lesson``'s mutants of ``solution`` and ``seeds`` salted runs of it."""
    original = solution.read_text(encoding="utf-8")
    known = equivalent_mutants(lesson.folder)
    everything = generate(original, str(solution))
    mutants = everything if max_mutants is None else sample(everything, max_mutants, lesson.stem)
    report = LessonAudit(lesson.stem, generated=len(everything))
    ids = {m.id for m in everything}
    report.stale = sorted(key for key in known if key not in ids)
    with tempfile.TemporaryDirectory(prefix="grade-audit-") as tmp:
        folder = Path(tmp)
        jobs: list[Job] = []
        reference = folder / "reference" / lesson.filename
        reference.parent.mkdir()
        reference.write_text(original, encoding="utf-8")
        jobs.append(Job("reference", lesson, reference))
        for number in range(1, seeds + 1):
            jobs.append(Job(f"seed:{number}", lesson, reference, seed_salt=f"audit-{number}"))
        by_id = {m.id: m for m in mutants}
        for number, mutant in enumerate(mutants):
            path = folder / "mutants" / str(number) / lesson.filename
            path.parent.mkdir(parents=True)
            path.write_text(mutant.source, encoding="utf-8")
            jobs.append(Job(f"mutant:{mutant.id}", lesson, path))
        if on_total is not None:
            on_total(len(jobs))
        measured: list[dict[str, Any]] = []
        for done in run(jobs, workers=workers, limits=limits, isolate=isolate):
            kind, _, name = done.job.student.partition(":")
            if kind == "reference":
                base, base_measured = _seed_run("", done.reply)
                measured += base_measured
                if not base.full_marks:
                    report.problem = ("the reference solution itself loses points: "
                                      + "; ".join(f"{f['check']}: {f['message']}"
                                                  for f in base.failed)[:500])
            elif kind == "seed":
                seed_run, seed_measured = _seed_run(done.job.seed_salt, done.reply)
                report.seeds.append(seed_run)
                measured += seed_measured
            else:
                report.mutants.append(_classify(by_id[name], done.reply, known))
            if on_progress is not None:
                on_progress(done.job.student)
    report.mutants.sort(key=lambda m: (m.mutant.function, m.mutant.line, m.mutant.id))
    report.seeds.sort(key=lambda s: int(s.salt.rsplit("-", 1)[-1]))
    report.margins = _margins(measured)
    return report
