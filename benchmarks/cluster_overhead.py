"""Benchmark: what grading on a Dask cluster adds to a local ``grade batch``.

In one run, in a temp folder:

  local     ``grade batch CLASS --out A --jobs 2`` (cold: an empty gradebook, workers started);
  cluster   a local cluster of Dask's own commands, ``dask scheduler`` and two
            ``dask worker --nthreads 1``, then ``grade batch CLASS --out B --scheduler ADDR``
            (cold too: the plugin starts each worker's grading process);

over the same class: 40 lesson-1 submissions (the reference and buggy variants, each with a
comment of its own) and 20 lesson-3 ones. Prints both times, the overhead per submission that
Dask adds (target < 0.1 s), whether the two gradebooks agree; then the client's gradebook write
rate (results per second into SQLite, one transaction each, as ``grade batch`` commits them)
and the scheduler's overhead per task over a few thousand tiny tasks. Needs MNIST (MNIST_DIR).

    nice -n 10 python benchmarks/cluster_overhead.py [--lesson1 40] [--lesson3 20] [--tasks 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))


def _class(root: Path, lesson1: int, lesson3: int) -> int:
    from grader.curriculum import find_lesson

    l1, l3 = find_lesson("lesson1"), find_lesson("lesson3")
    variants = sorted((REPO / "tests" / "variants" / "lesson1" / "buggy").glob("*.py"))
    sources = [(REPO / "solutions" / l1.filename).read_text()] + [p.read_text()
                                                                  for p in variants]
    for n in range(max(lesson1, lesson3)):
        folder = root / f"student{n:03d}"
        folder.mkdir(parents=True)
        if n < lesson1:
            (folder / l1.filename).write_text(sources[n % len(sources)] + f"\n# student {n}\n")
        if n < lesson3:
            (folder / l3.filename).write_text(
                (REPO / "solutions" / l3.filename).read_text() + f"\n# student {n}\n")
    return lesson1 + lesson3


def _timed(args: list[str | Path]) -> float:
    started = time.perf_counter()
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{args[:3]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


@contextlib.contextmanager
def _cluster(folder: Path, workers: int):
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = (folder / "scheduler.log").open("w")
    processes = [subprocess.Popen(
        [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", scheduler_file], stdout=subprocess.DEVNULL, stderr=log, env=env,
        start_new_session=True)]
    try:
        while not scheduler_file.is_file():
            time.sleep(0.2)
        for n in range(workers):
            processes.append(subprocess.Popen(
                [BIN / "dask", "worker", "--scheduler-file", scheduler_file, "--nthreads", "1",
                 "--no-nanny", "--no-dashboard", "--name", f"w{n}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                start_new_session=True))
        address = ""
        while not address:
            with contextlib.suppress(ValueError, OSError):
                address = json.loads(scheduler_file.read_text()).get("address", "")
            time.sleep(0.2)
        while (folder / "scheduler.log").read_text().count("Register worker") < workers:
            time.sleep(0.2)
        yield address
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _write_rate(records: list, path: Path, count: int) -> float:
    """Results per second into a fresh gradebook, one transaction per result."""
    from dataclasses import replace

    from grader.batch.gradebook import Gradebook
    from grader.curriculum import find_lesson

    lessons = [find_lesson("lesson1"), find_lesson("lesson3")]
    students = [f"s{n:05d}" for n in range(count)]
    with Gradebook(path) as book:
        book.register(students, [(lesson, "bench") for lesson in lessons])
        started = time.perf_counter()
        for n, student in enumerate(students):
            book.record(replace(records[n % len(records)], student=student))
        return count / (time.perf_counter() - started)


def _inc(x: int) -> int:
    return x + 1


def _task_overhead(address: str, tasks: int) -> tuple[float, float]:
    """Seconds per tiny task: submitted and gathered at once, and streamed by as_completed."""
    from distributed import Client, as_completed

    with Client(address, set_as_default=False) as client:
        client.gather(client.map(_inc, range(100), pure=False))  # warm: functions shipped
        started = time.perf_counter()
        client.gather(client.map(_inc, range(tasks), pure=False))
        bulk = (time.perf_counter() - started) / tasks
        started = time.perf_counter()
        futures = client.map(_inc, range(tasks), pure=False)
        for future in as_completed(futures, loop=client.loop):
            future.result()
        streamed = (time.perf_counter() - started) / tasks
    return bulk, streamed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson1", type=int, default=40)
    parser.add_argument("--lesson3", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    if not os.environ.get("MNIST_DIR"):
        print("note: MNIST_DIR is not set; lesson 3 needs MNIST (local folder or download)")
    from grader.batch.gradebook import Gradebook

    with tempfile.TemporaryDirectory(prefix="cluster-overhead-") as folder:
        root = Path(folder)
        count = _class(root / "class", args.lesson1, args.lesson3)
        print(f"{args.lesson1} lesson-1 and {args.lesson3} lesson-3 submissions; "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        local_s = _timed([BIN / "grade", "batch", root / "class", "--out", root / "local",
                          "--jobs", "2"])
        print(f"local --jobs 2:          {local_s:7.1f} s")
        (root / "dask").mkdir()
        with _cluster(root / "dask", 2) as address:
            cluster_s = _timed([BIN / "grade", "batch", root / "class", "--out",
                                root / "cluster", "--scheduler", address])
            print(f"Dask, 2 workers:         {cluster_s:7.1f} s")
            print(f"overhead per submission: {(cluster_s - local_s) / count:+7.3f} s "
                  "(target < 0.1 s)")
            with Gradebook(root / "local" / "gradebook.db") as a, \
                    Gradebook(root / "cluster" / "gradebook.db") as b:
                same = a.dump() == b.dump()
                records = a.records()
                theirs = {(r.student, r.lesson): r for r in b.records()}
            verdicts = {(r.student, r.lesson): (r.status, r.score, [(c.id, c.points, c.outcome)
                        for c in r.checks]) for r in records}
            print(f"gradebooks equal:        {same}; every verdict equal: " + str(verdicts == {
                key: (r.status, r.score, [(c.id, c.points, c.outcome) for c in r.checks])
                for key, r in theirs.items()}))
            print("  (TensorFlow words some of its own error messages differently from run to "
                  "run, e.g. 'goo.gle/debugproto' or 'goo.gle/debugonly': two local runs "
                  "differ there too)")
            for ours in records:
                other = theirs.get((ours.student, ours.lesson))
                if other is None or (ours.status, ours.score, ours.problem) != (
                        other.status, other.score, other.problem):
                    print(f"  differs: {ours.student} {ours.lesson}: local {ours.status} "
                          f"{ours.score:g} {ours.problem!r}; cluster "
                          + (f"{other.status} {other.score:g} {other.problem!r}" if other
                             else "missing"))
                elif [(c.id, c.points, c.outcome, c.message) for c in ours.checks] != [
                        (c.id, c.points, c.outcome, c.message) for c in other.checks]:
                    print(f"  differs in a check's message: {ours.student} {ours.lesson}")
                    for x, y in zip(ours.checks, other.checks, strict=False):
                        if (x.points, x.outcome, x.message) != (y.points, y.outcome, y.message):
                            print(f"    {x.id}: {x.message[:150]!r} / {y.message[:150]!r}")
            rate = _write_rate(records, root / "rate.db", args.writes)
            print(f"gradebook write rate:    {rate:7.0f} results/s "
                  f"({args.writes} results, one transaction each)")
            bulk, streamed = _task_overhead(address, args.tasks)
            print(f"scheduler, {args.tasks} tiny tasks: {bulk * 1000:.2f} ms/task gathered, "
                  f"{streamed * 1000:.2f} ms/task through as_completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
