"""Benchmark: the same N lesson-3 notebooks graded by `grade batch` and by `nbgrader autograde`.

In one run: `grade notebooks --with-solutions` writes lesson 3 into a fresh nbgrader course in a
temp folder, `nbgrader generate_assignment` releases it, N students submit the reference notebook
(each with a comment of their own, so every submission has its own hash), then

  nbgrader  `nbgrader autograde lesson3` (a kernel per notebook; each notebook's autograder cells
            have the grader grade its code once, in a fresh grader process);
  batch     `grade batch COURSE --out OUT` over the same submitted/ folder (cold: an empty
            gradebook; --jobs defaults to the machine's cores).

Prints both times, the ratio (target: batch >= 5x faster) and whether the scores agree.
Needs MNIST (MNIST_DIR) and the notebooks extra.

    python benchmarks/batch_vs_nbgrader.py [--students 20]
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
LESSON, STEM = "lesson3", "lesson3_softmax_mnist"


def _run(args: list[str | Path], cwd: Path) -> float:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.perf_counter()
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


def _nbgrader_scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        return {s.student.id: s.score for s in book.assignment_submissions(LESSON)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()
    if not os.environ.get("MNIST_DIR"):
        print("note: MNIST_DIR is not set; lesson 3 needs MNIST (local folder or download)")
    with tempfile.TemporaryDirectory(prefix="batch-vs-nbgrader-") as folder:
        course = Path(folder) / "course"
        course.mkdir()
        (course / "nbgrader_config.py").write_text(
            'c = get_config()\nc.CourseDirectory.course_id = "tf-course"\n', encoding="utf-8")
        _run([BIN / "grade", "notebooks", "--with-solutions", "--lessons", LESSON,
              "--out", course / "source" / LESSON], course)
        _run([BIN / "nbgrader", "generate_assignment", LESSON], course)
        reference = course / "source" / LESSON / f"{STEM}.ipynb"
        for n in range(args.students):
            student = f"student{n:02d}"
            target = course / "submitted" / student / LESSON / f"{STEM}.ipynb"
            target.parent.mkdir(parents=True)
            notebook = nbformat.read(reference, as_version=4)
            first = next(c for c in notebook.cells if c.metadata["nbgrader"]["solution"])
            first.source += f"\n# {student}"  # a comment of the student's own
            nbformat.write(notebook, target)
        print(f"{args.students} lesson-3 notebooks (the reference, each with its own comment); "
              f"{os.cpu_count()} CPUs")
        nbgrader_s = _run([BIN / "nbgrader", "autograde", LESSON], course)
        print(f"nbgrader autograde: {nbgrader_s:7.1f} s")
        out = Path(folder) / "batch-out"
        batch_s = _run([BIN / "grade", "batch", course, "--out", out], course)
        print(f"grade batch:        {batch_s:7.1f} s")
        print(f"ratio:              {nbgrader_s / batch_s:7.1f}x (target >= 5x)")
        with (out / "grades.csv").open(encoding="utf-8") as handle:
            batch_scores = {r["student"]: float(r["score"]) for r in csv.DictReader(handle)}
        nb_scores = _nbgrader_scores(course)
        agree = batch_scores == nb_scores
        print(f"scores agree: {agree} (batch {sorted(set(batch_scores.values()))}, "
              f"nbgrader {sorted(set(nb_scores.values()))})")
        shutil.rmtree(course / "autograded", ignore_errors=True)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
