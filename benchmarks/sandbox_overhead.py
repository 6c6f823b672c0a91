"""Benchmark: what the sandbox adds to grading a correct submission.

Grades the reference solution of a lesson in-process, many times, alternating with and without
isolation (one warm zygote, as ``grade --watch`` and batch workers have), and prints the median
wall time of each and their difference. Target (issue 6): overhead <= 0.5 s. As root it measures
the sandbox with a user id per learner; as an ordinary user, the one with user namespaces; where
neither is allowed, only the unisolated figure is printed.

    python benchmarks/sandbox_overhead.py [--lesson lesson1] [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from grader.curriculum import find_lesson
from grader.learner.sandbox import capabilities
from grader.learner.zygote import Zygote
from grader.runner import grade_submission

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="lesson1")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    lesson = find_lesson(args.lesson)
    solution = REPO / "solutions" / lesson.filename
    caps = capabilities()
    modes = [False, True] if caps.isolated else [False]
    times: dict[bool, list[float]] = {mode: [] for mode in modes}
    with Zygote() as zygote:
        for mode in modes:  # warm-up: lesson data, probes, first fork
            grade_submission(lesson, solution, zygote=zygote, isolate=mode)
        for _ in range(args.runs):
            for mode in modes:
                started = time.perf_counter()
                results = grade_submission(lesson, solution, zygote=zygote, isolate=mode)
                times[mode].append(time.perf_counter() - started)
                assert results.full_marks, f"the solution lost points (isolate={mode})"
    plain = statistics.median(times[False])
    print(f"{lesson.name}, {args.runs} runs each, median wall time of grading the solution:")
    print(f"  without sandbox  {plain:6.3f} s")
    if not caps.isolated:
        print(f"  with sandbox     not measured: {caps.explain()}")
        return
    isolated = statistics.median(times[True])
    overhead = isolated - plain
    verdict = "within" if overhead <= TARGET_S else "OVER"
    print(f"  with sandbox     {isolated:6.3f} s")
    print(f"  overhead         {overhead:+6.3f} s  ({verdict} the {TARGET_S} s target)")


if __name__ == "__main__":
    main()
