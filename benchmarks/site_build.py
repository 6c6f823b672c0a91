"""Time the course site's build: cold (empty figure cache) and warm (figures cached).

    MNIST_DIR=../shared/data/mnist python benchmarks/site_build.py

Builds into a temporary folder with a temporary figure cache (your build/ is left alone). The
target is a warm rebuild in at most 30 s on 2 cores. Lessons whose notes (course/lessonN.md) are
not written yet are left out and named, since `grade site` would refuse to build without them.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from grader.curriculum import lessons
from grader.sitebuild import build_site
from grader.sitebuild.figures import mnist_available
from grader.sitebuild.sources import default_root

WARM_TARGET = 30.0


def main() -> int:
    course = default_root() / "course"
    written = tuple(lesson for lesson in lessons() if (course / f"{lesson.name}.md").exists())
    missing = [lesson.name for lesson in lessons() if lesson not in written]
    print(f"lessons: {', '.join(lesson.name for lesson in written)}"
          + (f" (left out, no notes yet: {', '.join(missing)})" if missing else ""))
    print(f"MNIST available: {mnist_available()} (figures that need it are made only then)")
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        times = {}
        for run in ("cold", "warm"):
            started = time.perf_counter()
            report = build_site(Path(folder) / run, lessons=written, figure_cache=cache)
            times[run] = time.perf_counter() - started
            print(f"{run}: {times[run]:6.2f} s  ({len(report.pages)} pages, {report.figures} "
                  f"figures, {report.figure_lessons_made} lessons' figures made)")
    verdict = "ok" if times["warm"] <= WARM_TARGET else "TOO SLOW"
    print(f"warm rebuild {times['warm']:.2f} s, target ≤ {WARM_TARGET:.0f} s: {verdict}")
    return 0 if times["warm"] <= WARM_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
