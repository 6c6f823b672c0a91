"""Time the course site's build: cold (empty figure cache) and warm (figures cached).

    MNIST_DIR=/path/to/mnist python benchmarks/site_build.py

Builds every lesson of the registry, as `grade site` does, into a temporary folder with a
temporary figure cache (your build/ is left alone), and prints the time of each lesson's figures
made in the cold build (from the worker's log: wall time, and the worker's CPU time, which
a busy machine changes less). The target is a warm rebuild in at most 30 s on
2 cores.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from grader.curriculum import lessons
from grader.sitebuild import build_site
from grader.sitebuild.figures import mnist_available

WARM_TARGET = 30.0
PART = re.compile(r"^seconds (?P<what>[\w -]+): (?P<s>[\d.]+) cpu (?P<cpu>[\d.]+)$", re.M)


def main() -> int:
    print(f"lessons: {', '.join(lesson.name for lesson in lessons())}")
    print(f"MNIST available: {mnist_available()} (figures that need it are made only then)")
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        times = {}
        for run in ("cold", "warm"):
            started = time.perf_counter()
            report = build_site(Path(folder) / run, figure_cache=cache)
            times[run] = time.perf_counter() - started
            print(f"{run}: {times[run]:6.2f} s  ({len(report.pages)} pages, {report.figures} "
                  f"figures, {report.figure_lessons_made} lessons' figures made)")
            log = cache / "worker.log"
            if run == "cold" and log.is_file():
                for part in PART.finditer(log.read_text(encoding="utf-8")):
                    print(f"    {part['what']:<28} {float(part['s']):6.2f} s  "
                          f"(CPU {float(part['cpu']):6.2f} s)")
    verdict = "ok" if times["warm"] <= WARM_TARGET else "TOO SLOW"
    print(f"warm rebuild {times['warm']:.2f} s, target ≤ {WARM_TARGET:.0f} s: {verdict}")
    return 0 if times["warm"] <= WARM_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
