"""Run in a subprocess by the site builder: import each reference solution, make its figures.

    python -m grader.sitebuild._figure_worker '[{"stem": …, "solution": …, "out": …}]' [--mnist]

Writes ``<out>/<figure>.png`` and, when a lesson is complete, ``<out>/done.json``; prints which
lesson's figures it starts (``progress <n>/<of> <stem>: <figures>``, shown by ``grade site``) and
how long each part took (``seconds <what>: <wall s> cpu <s>``, kept in the cache's worker.log;
the CPU time of this process says what the part costs, whatever else the machine is doing).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"_site_solution_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    started, cpu = time.perf_counter(), time.process_time()
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    import tensorflow as tf

    from grader.curriculum import find_lesson, lesson_part
    from grader.learner.devices import configure

    jobs = json.loads(argv[0])
    # Before any op: as many logical devices as the most demanding lesson declares.
    configure(max([find_lesson(job["stem"]).logical_devices for job in jobs] + [1]))
    split = None
    if "--mnist" in argv[1:]:
        from grader.data.mnist import grading_split

        split = grading_split()
    print(f"seconds start-up: {time.perf_counter() - started:.2f} cpu "
          f"{time.process_time() - cpu:.2f}", flush=True)
    for number, job in enumerate(jobs, start=1):
        started, cpu = time.perf_counter(), time.process_time()
        tf.random.set_seed(0)
        np.random.seed(0)
        out = Path(job["out"])
        recipe = lesson_part(job["stem"], "figures")
        names = ", ".join(figure.name for figure in recipe.FIGURES)
        print(f"progress {number}/{len(jobs)} {job['stem']}: {names}", flush=True)
        recipe.make(_load(Path(job["solution"]), job["stem"]), out, split)
        names = sorted(p.name for p in out.glob("*.png"))
        (out / "done.json").write_text(json.dumps({"figures": names}), encoding="utf-8")
        print(f"seconds {job['stem']}: {time.perf_counter() - started:.2f} cpu "
              f"{time.process_time() - cpu:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
