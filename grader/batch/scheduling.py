"""Grading jobs in parallel: worker processes, each with its own zygote, fed by threads.

The main process keeps one thread per worker process. A thread sends its worker one job at a
time (a JSON line) and waits for the reply (a JSON line of plain data); the main thread receives
every reply and is the only one that writes the gradebook. A worker that dies or stops answering
(a learner that found and killed it, the kernel's OOM killer) is replaced and the job tried once
more; a job that kills two workers is recorded as crashed, so it cannot stop the batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.curriculum import Lesson
from grader.hidden import hidden_folders

WORKER_STOP_WAIT_S = 5.0


@dataclass(frozen=True)
class Limits:
    """Time limits of grading one submission: each call of its code, and all calls together."""

    call_s: float
    total_s: float


@dataclass(frozen=True)
class Job:
    """One file to grade."""

    student: str
    lesson: Lesson
    path: Path
    #: a folder of hidden checks (a snapshot the batch wrote: see grader.hidden), if any
    checks: Path | None = None
    #: salts every check's seed (`grade audit`); "" grades as always
    seed_salt: str = ""


@dataclass
class Done:
    """A job and its worker's reply (see :mod:`grader.batch.worker`), or ``crashed``."""

    job: Job
    reply: dict[str, Any]


class WorkerProcess:
    """One ``python -m grader.batch.worker``: started on first use, restarted if it dies."""

    def __init__(self, device: str, isolate: bool = True) -> None:
        self.device = device
        self.isolate = isolate
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        self._buffer = b""

    def warm(self) -> None:
        """Start the worker now (it imports TensorFlow in the background), not on first use."""
        self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            env = dict(os.environ)
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            self._process = subprocess.Popen(
                [sys.executable, "-m", "grader.batch.worker", self.device,
                 "isolate" if self.isolate else "no-sandbox"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                env=env,
            )
            self._buffer = b""
        return self._process

    def grade(self, job: Job, *, limits: Limits, deadline_s: float) -> dict[str, Any] | None:
        """The worker's reply to ``job``; None if the worker died or overran ``deadline_s``."""
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        request = {"lesson": job.lesson.stem, "path": str(job.path), "timeout": limits.call_s,
                   "total_timeout": limits.total_s,
                   "checks": str(job.checks) if job.checks is not None else None,
                   "seed_salt": job.seed_salt,
                   # every folder of hidden checks this process knows (the instructor's, its
                   # snapshot): the worker's sandbox hides them all, not only its own copy
                   "hide": [str(folder) for folder in hidden_folders()]}
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            self.close()
            return None
        deadline = time.monotonic() + deadline_s
        fd = process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                return None
            try:
                readable, _, _ = select.select([fd], [], [], min(remaining, 1.0))
                chunk = os.read(fd, 1 << 20) if readable else None
            except (OSError, ValueError):  # closed under us: the batch is stopping
                return None
            if chunk == b"":
                self.close()
                return None
            self._buffer += chunk or b""
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except ValueError:
            self.close()
            return None
        return reply if isinstance(reply, dict) else None

    def log_tail(self) -> str:
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - 2000))
        return self._log.read().decode("utf-8", "replace")

    def close(self) -> None:
        """Stop the worker: SIGTERM (it closes its learner process and zygote), then SIGKILL."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(WORKER_STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def job_deadline(limits: Limits) -> float:
    """How long a worker may take on a job before it counts as hung: a generous backstop (the
    learner session itself stops at ``limits.total_s``)."""
    return 120.0 + limits.total_s + limits.call_s


CRASHED_TWICE = ("grading this file stopped the grader's worker process twice (does it kill "
                 "other processes or exhaust the machine?)")


def grade_job(
    worker: WorkerProcess, job: Job, *, limits: Limits, stop: threading.Event | None = None
) -> dict[str, Any] | None:
    """``job`` graded on ``worker``, tried once more on a fresh worker process if the first one
    died; ``{"crashed": ...}`` if both did; None if ``stop`` was set meanwhile.

    The local batch and the Dask workers (:mod:`grader.batch.cluster_worker`) both grade this way.
    """
    reply = None
    for _attempt in (1, 2):
        reply = worker.grade(job, limits=limits, deadline_s=job_deadline(limits))
        if reply is not None or (stop is not None and stop.is_set()):
            break
    if stop is not None and stop.is_set():
        return None
    return reply if reply is not None else {"crashed": CRASHED_TWICE}


def warm_workers(count: int, device: str = "cpu", isolate: bool = True) -> list[WorkerProcess]:
    """``count`` worker processes started now: each imports TensorFlow in the background while
    the caller reads the class (give them to :func:`run`; close them if it is never called)."""
    started = [WorkerProcess(device, isolate) for _ in range(count)]
    for process in started:
        process.warm()
    return started


def run(
    jobs: list[Job], *, workers: int, limits: Limits, device: str = "cpu",
    isolate: bool = True, started: list[WorkerProcess] | None = None,
) -> Iterator[Done]:
    """Grade ``jobs`` on ``workers`` processes; yield each as it is done, in the caller's thread.

    ``started``: processes of :func:`warm_workers` to use first (those not needed are closed).
    Closing the iterator (the caller stops, e.g. on an infrastructure error or Ctrl-C) stops
    every worker; jobs not yet yielded are simply not done.
    """
    pending: queue.SimpleQueue[Job] = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)
    done: queue.SimpleQueue[Done | None] = queue.SimpleQueue()
    stop = threading.Event()
    count = max(1, min(workers, len(jobs)))
    started = list(started or [])
    for spare in started[count:]:
        spare.close()
    processes = started[:count] + [WorkerProcess(device, isolate)
                                   for _ in range(count - len(started[:count]))]

    def serve(worker: WorkerProcess) -> None:
        try:
            while not stop.is_set():
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                reply = grade_job(worker, job, limits=limits, stop=stop)
                if reply is None:
                    return
                done.put(Done(job, reply))
        finally:
            done.put(None)

    threads = [threading.Thread(target=serve, args=(p,), daemon=True) for p in processes]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            try:
                item = done.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                running -= 1
            else:
                yield item
    finally:
        stop.set()
        for process in processes:
            process.close()
        for thread in threads:
            thread.join(WORKER_STOP_WAIT_S)
