"""Time `grade audit` over the whole course (or the lessons named), lesson by lesson.

    MNIST_DIR=/path/to/mnist FASHION_MNIST_DIR=/path/to/fashion python benchmarks/audit_course.py \
        [--seeds 20] [--sample N] [--jobs 2] [lesson1 lesson2 ...]

Prints, for each lesson: mutants generated and graded, caught, survived, equivalent, broken, the
mutation score, seeds with full marks, the tightest threshold margin and the wall time; then the
course's total time. The goals (issue "grade audit"): ≥ 95 % of non-equivalent mutants caught and
no unexplained survivor per lesson, every seed full marks. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import time

from grader.audit.run import BROKEN, CAUGHT, EQUIVALENT, SURVIVED, audit_lesson
from grader.batch.scheduling import Limits
from grader.commands.audit import solution_of
from grader.curriculum import find_lesson, lessons
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S
from grader.runner import machine_capabilities

GOAL = 0.95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--sample", type=int)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    chosen = [find_lesson(name) for name in args.lessons] or list(lessons())
    limits = Limits(DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S)
    print(f"{'lesson':<28}{'made':>6}{'graded':>8}{'caught':>8}{'surv.':>7}{'equiv.':>8}"
          f"{'broken':>8}{'score':>8}{'seeds':>8}{'margin':>10}{'time s':>9}  goal")
    total, ok = 0.0, True
    for lesson in chosen:
        started = time.perf_counter()
        audit = audit_lesson(lesson, solution_of(lesson), seeds=args.seeds,
                             max_mutants=args.sample, workers=args.jobs, limits=limits,
                             isolate=machine_capabilities().isolated)
        took = time.perf_counter() - started
        total += took
        score = audit.score
        met = audit.ok and (score is None or score >= GOAL)
        ok &= met
        tight = f"{audit.margins[0].margin:+.3g}" if audit.margins else "-"
        print(f"{lesson.stem:<28}{audit.generated:>6}{len(audit.mutants):>8}"
              f"{audit.count(CAUGHT):>8}{audit.count(SURVIVED):>7}{audit.count(EQUIVALENT):>8}"
              f"{audit.count(BROKEN):>8}{'-' if score is None else f'{100 * score:.0f} %':>8}"
              f"{len(audit.seeds) - audit.seeds_failed:>5}/{len(audit.seeds):<2}{tight:>10}"
              f"{took:>9.1f}  {'ok' if met else 'MISSED'}", flush=True)
    print(f"whole audit: {total:.0f} s on {args.jobs} workers")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
