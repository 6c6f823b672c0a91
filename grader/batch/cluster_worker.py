"""The Dask worker's side of ``grade batch --scheduler``: a plugin and the task it runs.

The client registers :class:`GraderPlugin` on the cluster; Dask sets it up on every worker, now
and whenever one joins. Setting up, the worker compares its own grader (the release and, per
lesson of the run, the digest of the grading code: :mod:`grader.batch.versions`) and its
isolation with what the client asked for. A worker that differs refuses: it logs one line
naming both versions (the client prints it) and never takes a resource of this run, so the
scheduler gives it none of the run's tasks. A worker that agrees starts one warm local batch
worker process per thread (``python -m grader.batch.worker``: TensorFlow imported once, a
zygote forking a sandboxed learner process per submission) and offers the run's resource.

The course's grading files travel in the plugin as content (the manifest and each lesson's
folder, :func:`grader.course.grading_files`): the worker writes them out and serves that course,
so a worker needs the grader installed but no copy of the course.

A task is plain data both ways: the submission's bytes (and an instructor's hidden check files)
in, the local batch worker's reply (a dict) out. It is graded by the same function as a local
run, :func:`grader.batch.scheduling.grade_job`.
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from grader.batch.scheduling import Job, Limits, WorkerProcess, grade_job


def refusal(worker: str, *, release: str, versions: dict[str, str], isolate: bool) -> str | None:
    """Why this worker cannot grade the client's run (one line naming both versions), or None."""
    import grader
    from grader.batch.versions import grader_version
    from grader.curriculum import find_lesson
    from grader.errors import GraderError
    from grader.runner import machine_capabilities

    if grader.__version__ != release:
        return (f"worker {worker} runs grader {grader.__version__}, this client {release}: "
                "refused (install the client's grader on it)")
    for stem, wanted in sorted(versions.items()):
        try:
            own = grader_version(find_lesson(stem))
        except GraderError:
            own = "none (it has no such lesson)"
        if own != wanted:
            return (f"worker {worker} runs grader {own} for {stem}, this client {wanted}: "
                    "refused (install the client's grader on it)")
    if isolate:
        capabilities = machine_capabilities()
        if not capabilities.isolated:
            return (f"worker {worker} cannot isolate students' code ({capabilities.explain()}): "
                    "refused; run the workers as root on Linux, or pass --no-sandbox")
    return None


class GraderPlugin(WorkerPlugin):
    """Per worker: the version check, and the warm grading processes of one client's run."""

    def __init__(self, *, name: str, release: str, versions: dict[str, str], device: str,
                 isolate: bool, course_files: dict[str, bytes] | None = None) -> None:
        self.name = name  # Dask keys plugins by it; also the run's resource and event topic
        self.release = release
        self.versions = dict(versions)
        self.device = device
        self.isolate = isolate
        self.course_files = dict(course_files or {})
        self.refused: str | None = None
        self._idle: queue.SimpleQueue[WorkerProcess] | None = None
        self._processes: list[WorkerProcess] = []
        self._stop: threading.Event | None = None  # made on the worker: a plugin is pickled

    async def setup(self, worker: Any) -> None:
        if self.course_files:
            _serve_course(self.course_files)
        self.refused = refusal(worker.address, release=self.release, versions=self.versions,
                               isolate=self.isolate)
        if self.refused is not None:
            worker.log_event(self.name, {"worker": worker.address, "refused": self.refused})
            return
        threads = max(1, int(worker.state.nthreads))
        self._stop = threading.Event()
        self._idle = queue.SimpleQueue()
        for _ in range(threads):
            process = WorkerProcess(self.device, self.isolate)
            process.warm()
            self._processes.append(process)
            self._idle.put(process)
        await worker.set_resources(**{self.name: threads})
        worker.log_event(self.name, {"worker": worker.address, "accepted": threads})

    def teardown(self, worker: Any) -> None:
        if self._stop is not None:
            self._stop.set()
        for process in self._processes:
            process.close()

    def grade(self, payload: dict[str, Any], extra_checks: dict[str, bytes] | None = None,
              ) -> dict[str, Any]:
        """The local batch worker's reply for one task (see :func:`task`)."""
        if self.refused is not None or self._idle is None:
            return {"refused": self.refused or "this worker's grader plugin is not set up"}
        from grader.curriculum import find_lesson
        from grader.hidden import remember

        for hidden in payload.get("hide") or []:
            remember(Path(str(hidden)))
        folder = Path(tempfile.mkdtemp(prefix="grade-task-"))
        try:
            path = folder / "submission" / Path(str(payload["filename"])).name
            path.parent.mkdir()
            path.write_bytes(payload["source"])
            checks = _write_checks(folder / "checks", extra_checks)
            job = Job(str(payload["student"]), find_lesson(str(payload["lesson"])), path,
                      checks=checks)
            limits = Limits(float(payload["timeout"]), float(payload["total_timeout"]))
            process = self._idle.get()
            try:
                reply = grade_job(process, job, limits=limits, stop=self._stop)
            finally:
                self._idle.put(process)
            if reply is None:
                return {"stopped": "the worker's grader plugin was removed while grading"}
            # the client's path, not this worker's temporary copy, in every message
            return _replace(reply, [(str(path), str(payload["path"])), (str(folder), ".")])
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def task(payload: dict[str, Any], plugin: str, extra_checks: dict[str, bytes] | None = None,
         ) -> dict[str, Any]:
    """What the client submits: grade ``payload`` with this worker's plugin named ``plugin``.

    ``payload``: ``student``, ``lesson`` (stem), ``filename``, ``path`` (the client's, for
    messages), ``source`` (the file's bytes), ``timeout``, ``total_timeout``.
    ``extra_checks``: ``{relative path: bytes}`` of an instructor's hidden check modules (the
    client scatters them to every worker once), written to a folder that the local batch
    worker's request names as ``"checks"`` (see :class:`grader.batch.scheduling.Job`).
    """
    worker = get_worker()
    found = worker.plugins.get(plugin)
    if not isinstance(found, GraderPlugin):
        return {"refused": f"worker {worker.address} has no grader plugin {plugin}"}
    return found.grade(payload, extra_checks)


_COURSES: dict[str, Path] = {}


def _serve_course(files: dict[str, bytes]) -> None:
    """Write the client's course out once per worker process and serve it from now on (the
    local batch worker processes started after this inherit it)."""
    import atexit
    import hashlib

    from grader import course

    key = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()[:16]
    if key not in _COURSES:
        folder = Path(tempfile.mkdtemp(prefix=f"grade-course-{key}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _COURSES[key] = course.write_course(files, folder)
    course.use(_COURSES[key])


def _write_checks(folder: Path, files: dict[str, bytes] | None) -> Path | None:
    """The hidden check files written under ``folder`` (relative paths only), or None."""
    from grader.hidden import HiddenChecks

    return HiddenChecks(files).write(folder) if files else None


def _replace(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in pairs:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _replace(item, pairs) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, pairs) for item in value]
    return value
