"""Benchmark: the same N notebooks of a lesson graded by `grade batch` and by `nbgrader autograde`.

In one run: `grade notebooks --with-solutions` writes the lesson into a fresh nbgrader course in a
temp folder, `nbgrader generate_assignment` releases it, N students submit the reference notebook
(each with a comment of their own, so every submission has its own hash), then

  nbgrader  `nbgrader autograde LESSON` (a kernel per notebook; each notebook's autograder cells
            have the grader grade its code once, in a fresh grader process);
  batch     `grade batch COURSE --out OUT` over the same submitted/ folder (cold: an empty
            gradebook; --jobs defaults to the machine's cores);
  marginal  `grade batch` again over the first N/10 students alone (cold too): the difference
            divided by the difference in students is the wall time one more submission costs,
            without the start-up (TensorFlow imported once per worker).

Prints both times, the ratio and the marginal time next to their goals (lesson 1, 100 students:
ratio >= 20, marginal <= 0.15 s with two workers) and whether the scores agree.
Needs MNIST (MNIST_DIR) for the MNIST lessons and the notebooks extra.

    python benchmarks/batch_vs_nbgrader.py [--lesson lesson1] [--students 100] [--marginal-only]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

BIN = Path(sys.executable).parent
RATIO_GOAL, MARGINAL_GOAL_S = 20.0, 0.15


def _run(args: list[str | Path], cwd: Path) -> float:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.perf_counter()
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


def _nbgrader_scores(course: Path, lesson: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        return {s.student.id: s.score for s in book.assignment_submissions(lesson)}


def _submit(course: Path, lesson: str, stem: str, students: int) -> None:
    """``students`` copies of the released reference notebook, each with a comment of its own."""
    reference = course / "source" / lesson / f"{stem}.ipynb"
    for n in range(students):
        student = f"student{n:03d}"
        target = course / "submitted" / student / lesson / f"{stem}.ipynb"
        target.parent.mkdir(parents=True)
        notebook = nbformat.read(reference, as_version=4)
        first = next(c for c in notebook.cells if c.metadata["nbgrader"]["solution"])
        first.source += f"\n# {student}"
        nbformat.write(notebook, target)


def _batch(folder: Path, course: Path, name: str) -> tuple[float, dict[str, float]]:
    """Seconds of a cold `grade batch` over ``course``, and its scores."""
    out = folder / name
    seconds = _run([BIN / "grade", "batch", course, "--out", out], course)
    with (out / "grades.csv").open(encoding="utf-8") as handle:
        return seconds, {r["student"]: float(r["score"]) for r in csv.DictReader(handle)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="lesson1")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--marginal-only", action="store_true",
                        help="skip nbgrader autograde (minutes): grade batch and its marginal")
    args = parser.parse_args()
    from grader.curriculum import find_lesson

    lesson, stem = args.lesson, find_lesson(args.lesson).stem
    few = max(1, args.students // 10)
    with tempfile.TemporaryDirectory(prefix="batch-vs-nbgrader-") as name:
        folder = Path(name)
        course, small = folder / "course", folder / "course-few"
        course.mkdir()
        (course / "nbgrader_config.py").write_text(
            'c = get_config()\nc.CourseDirectory.course_id = "tf-course"\n', encoding="utf-8")
        _run([BIN / "grade", "notebooks", "--with-solutions", "--lessons", lesson,
              "--out", course / "source" / lesson], course)
        _run([BIN / "nbgrader", "generate_assignment", lesson], course)
        _submit(course, lesson, stem, args.students)
        for n in range(few):
            student = f"student{n:03d}"
            shutil.copytree(course / "submitted" / student, small / "submitted" / student)
        print(f"{args.students} {lesson} notebooks (the reference, each with its own comment); "
              f"{os.cpu_count()} CPUs")
        if not args.marginal_only:
            nbgrader_s = _run([BIN / "nbgrader", "autograde", lesson], course)
            each = nbgrader_s / args.students
            print(f"nbgrader autograde:  {nbgrader_s:7.1f} s  ({each:.2f} s each)")
        batch_s, batch_scores = _batch(folder, course, "batch-out")
        print(f"grade batch:         {batch_s:7.1f} s")
        few_s, _ = _batch(folder, small, "batch-few-out")
        print(f"grade batch ({few:>3}):   {few_s:7.1f} s")
        marginal = (batch_s - few_s) / (args.students - few) if args.students > few else 0.0
        if not args.marginal_only:
            ratio = nbgrader_s / batch_s
            print(f"ratio:               {ratio:7.1f}x   goal >= {RATIO_GOAL:g}x  "
                  f"{'ok' if ratio >= RATIO_GOAL else 'MISSED'}")
        print(f"marginal:            {marginal:7.3f} s per submission   goal <= "
              f"{MARGINAL_GOAL_S} s  {'ok' if marginal <= MARGINAL_GOAL_S else 'MISSED'}")
        if args.marginal_only:
            return 0
        nb_scores = _nbgrader_scores(course, lesson)
        agree = batch_scores == nb_scores
        print(f"scores agree: {agree} (batch {sorted(set(batch_scores.values()))}, "
              f"nbgrader {sorted(set(nb_scores.values()))})")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
