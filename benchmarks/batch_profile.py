"""Where one batch worker's time goes, submission after submission of one lesson.

Grades N distinct copies of a lesson's reference (a comment of their own each) in this process,
as a batch worker does (one zygote, the sandbox where the machine allows, the lesson's checks),
and splits each submission's wall time into:

  start     the learner process: the zygote's fork and the sandbox's set-up, to its first word;
  import    importing the submission in it;
  calls     the probes' calls of the learner's code (its own work, and the wire both ways);
  stop      killing the learner process, sweeping its user, removing its folder;
  checks    the rest of pytest's session: collection, fixtures, the checks' own code;
  results   the reply as the worker sends it (to_dict, JSON) and the gradebook's write.

Prints the median per submission of each part and the total (wall time), then the CPU time per
submission of the trusted side (this process) and of the learner side (the zygote and the
learner processes it forked and reaped); run it on a quiet machine.

    MNIST_DIR=... python benchmarks/batch_profile.py [--lesson lesson1] [--students 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader import runner
from grader.batch.gradebook import Gradebook
from grader.batch.records import from_results, results_from_dict
from grader.batch.versions import grader_version
from grader.curriculum import find_lesson
from grader.learner.session import LearnerSession
from grader.learner.zygote import Zygote

PARTS = ("start", "import", "calls", "stop", "checks", "results")
_TICK = os.sysconf("SC_CLK_TCK")


def learner_side_cpu(zygote: Zygote) -> float:
    """CPU seconds of the zygote and of every learner process it reaped (/proc/PID/stat)."""
    process = zygote._process
    assert process is not None
    with open(f"/proc/{process.pid}/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / _TICK  # utime stime cutime cstime


class Clock:
    """Seconds spent in each part during the current submission."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def timed(self, part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[part] += time.perf_counter() - started
        return wrapper


def instrument(clock: Clock) -> None:
    """Time the parts of a grading (wrapping the functions that do each)."""
    original_load = LearnerSession._ensure_loaded
    original_sandbox = LearnerSession._await_sandbox
    original_fork = Zygote.fork

    def ensure_loaded(self: LearnerSession, seed: int) -> Any:
        if self._child is not None or self._import_failure is not None:
            return original_load(self, seed)
        before = clock.spent["start"]
        started = time.perf_counter()
        try:
            return original_load(self, seed)
        finally:
            clock.spent["import"] += (time.perf_counter() - started
                                      - (clock.spent["start"] - before))

    Zygote.fork = clock.timed("start", original_fork)
    LearnerSession._await_sandbox = clock.timed("start", original_sandbox)
    LearnerSession._ensure_loaded = ensure_loaded
    original_run = LearnerSession._run

    def run(self: LearnerSession, *args: Any, **kwargs: Any) -> Any:
        before = clock.spent["start"] + clock.spent["import"]
        started = time.perf_counter()
        try:
            return original_run(self, *args, **kwargs)
        finally:
            clock.spent["calls"] += (time.perf_counter() - started
                                     - (clock.spent["start"] + clock.spent["import"] - before))
    LearnerSession._run = run
    LearnerSession.close = clock.timed("stop", LearnerSession.close)
    runner.pytest = type("pytest", (), {"main": staticmethod(clock.timed("pytest", pytest.main)),
                                        "ExitCode": pytest.ExitCode})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="lesson1")
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    lesson = find_lesson(args.lesson)
    source = lesson.solution_path.read_text(encoding="utf-8")
    clock = Clock()
    instrument(clock)
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="batch-profile-") as folder, \
            Zygote().start() as zygote:
        zygote.wait_ready()
        book = Gradebook(Path(folder) / "gradebook.db")
        book.register([f"student{n:03d}" for n in range(args.students + 1)],
                      [(lesson, grader_version(lesson))])
        for n in range(args.students + 1):  # the first one warms up: not counted
            path = Path(folder) / f"student{n:03d}" / f"{lesson.stem}.py"
            path.parent.mkdir()
            path.write_text(source + f"\n# student {n}\n", encoding="utf-8")
            clock.spent.clear()
            started = time.perf_counter()
            trusted_cpu, learner_cpu = time.process_time(), learner_side_cpu(zygote)
            results = runner.grade_submission(lesson, path, zygote=zygote)
            reply_started = time.perf_counter()
            reply = json.loads(json.dumps({"results": results.to_dict()}))
            book.record(from_results(f"student{n:03d}", lesson, results_from_dict(
                reply["results"]), grader_version(lesson)))
            clock.spent["results"] = time.perf_counter() - reply_started
            total = time.perf_counter() - started
            spent = dict(clock.spent)
            spent["checks"] = spent.pop("pytest") - sum(spent[p] for p in PARTS[:4])
            spent["total"] = total
            spent["trusted CPU"] = time.process_time() - trusted_cpu
            time.sleep(0.05)  # the zygote reaps the learner process on SIGCHLD
            spent["learner CPU"] = learner_side_cpu(zygote) - learner_cpu
            if n:
                rows.append(spent)
        score = f"{results.total:g}/{results.possible:g}"
    print(f"{args.lesson}: {args.students} submissions graded by one worker (score {score})")
    for part in (*PARTS, "total", "trusted CPU", "learner CPU"):
        values = [row.get(part, 0.0) for row in rows]
        print(f"  {part:<12} {1000 * statistics.median(values):8.1f} ms  "
              f"(mean {1000 * statistics.mean(values):6.1f})")


if __name__ == "__main__":
    main()
