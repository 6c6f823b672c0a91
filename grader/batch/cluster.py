"""The client's side of ``grade batch --scheduler``: the same jobs, graded on a Dask cluster.

The cluster is started with Dask's own tools (``dask scheduler``, ``dask worker ADDRESS``,
dask-jobqueue, dask-kubernetes...). This client registers a worker plugin
(:mod:`grader.batch.cluster_worker`) that checks each worker's grader and keeps its warm grading
processes, submits one task per submission (its bytes, not its path: no shared file system),
and yields each reply as it finishes, so the caller, the only writer of the gradebook, commits
them one by one exactly as a local run does. A worker lost mid-run (kill -9) costs nothing:
the scheduler runs its tasks elsewhere. The scheduler lost or unreachable is one
:class:`~grader.errors.InfrastructureError`; what is in the gradebook stays, a re-run resumes.

A Dask scheduler runs whatever its clients send: it belongs on a trusted network, with TLS
(``tls://`` and ``--security FILE``) where the network is shared.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from grader.batch.replies import BadReply, results_of
from grader.batch.scheduling import Done, Job, Limits
from grader.errors import InfrastructureError, SetupError, UsageError
from grader.hidden import hidden_folders

INSTALL = ('grade batch --scheduler needs Dask distributed: pip install -e ".[cluster]" '
           '(or pip install "distributed>=2024.1")')
CONNECT_TIMEOUT_S = 10.0
SCHEDULER_LOST_S = 10.0  # the client reconnecting this long means the scheduler is gone
NO_WORKER_WAIT_S = 120.0  # no worker able to grade for this long stops the run
POLL_S = 1.0
MIN_IN_FLIGHT = 500  # tasks submitted ahead; more with many workers
IN_FLIGHT_PER_WORKER = 4


def require_distributed() -> None:
    """A SetupError saying what to install when Dask distributed is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SetupError(INSTALL) from None


def security(path: Path | None, address: str) -> Any:
    """Dask's ``Security`` from a Dask configuration file (YAML), or from Dask's own config.

    The file is what ``dask`` reads from ``~/.config/dask/``: ``distributed.comm.tls.ca-file``,
    ``distributed.comm.tls.client.cert`` / ``.key``, ``distributed.comm.require-encryption``;
    relative file names are taken from the file's folder.
    """
    import dask.config
    import yaml
    from distributed.security import Security

    if path is None:
        found = Security()
        if address.startswith("tls://") and not found.tls_ca_file:
            raise UsageError(f"{address} is a TLS address: pass --security FILE, a Dask security "
                             "configuration (YAML) with the CA file and the client's cert and key")
        return found
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SetupError(f"--security {path}: cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise SetupError(f"--security {path} is not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(config, dict) or not isinstance(config.get("distributed"), dict):
        raise SetupError(f"--security {path}: expected a Dask configuration with a "
                         "'distributed: comm: tls:' section")
    tls = config["distributed"].get("comm", {}).get("tls", {})
    for section in (tls, tls.get("client", {}) if isinstance(tls, dict) else {}):
        for key in ("ca-file", "cert", "key"):
            if isinstance(section, dict) and isinstance(section.get(key), str):
                file = (path.parent / section[key]).resolve()
                if not file.is_file():
                    raise SetupError(f"--security {path}: {key} {section[key]} is not a file")
                section[key] = str(file)
    with dask.config.set(_dotted(config)):  # a nested dict would replace all of `distributed`
        return Security()


def _dotted(config: dict, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` as ``{"a.b": 1}``: what ``dask.config.set`` merges key by key."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def connect(address: str, security_file: Path | None) -> Any:
    """A Dask client of the scheduler at ``address``, or one line saying why there is none."""
    if "://" not in address:
        raise UsageError(f"--scheduler {address}: give the scheduler's address as Dask prints "
                         "it, e.g. tcp://HOST:8786 or tls://HOST:8786")
    from distributed import Client

    _quiet_dask()
    chosen = security(security_file, address)
    try:
        return Client(address, security=chosen, timeout=CONNECT_TIMEOUT_S,
                      set_as_default=False)
    except Exception as exc:  # Dask raises OSError, TimeoutError, TypeError (TLS) or ValueError
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InfrastructureError(
            f"cannot reach the Dask scheduler at {address} ({text}): start it with "
            f"`dask scheduler` (and workers with `dask worker {address}`), or check the address "
            "and --security") from None


def _quiet_dask() -> None:
    """Dask logs a lost connection as tracebacks on stderr; this command says it in one line.
    (Dask's configuration gives some of its loggers levels of their own: set each.)"""
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def plugin_name(release: str, versions: dict[str, str], device: str, isolate: bool) -> str:
    """One name per grader, device and sandbox choice: runs that agree share warm workers."""
    key = repr((release, sorted(versions.items()), device, isolate)).encode()
    return f"grade-batch-{hashlib.sha256(key).hexdigest()[:12]}"


def run(
    client: Any,
    jobs: list[Job],
    *,
    address: str,
    limits: Limits,
    device: str,
    isolate: bool,
    versions: dict[str, str],
    extra_checks: dict[str, bytes] | None = None,
    hidden: Any = None,
    on_workers: Callable[[int], None] = lambda n: None,
    on_refusal: Callable[[str], None] = lambda line: None,
) -> Iterator[Done]:
    """Grade ``jobs`` on the cluster; yield each as it finishes, in the caller's thread.

    ``on_workers`` hears how many workers can grade (connected and accepted), ``on_refusal``
    each refused worker's line. Closing the iterator cancels what is not done. A reply that
    is not what this grader makes for that file (``hidden``: the run's
    :class:`~grader.hidden.HiddenChecks`; see :mod:`grader.batch.replies`) is graded once more
    on another worker where there is one, then yielded as ``{"bad_reply": why}``.
    """
    from distributed import as_completed
    from distributed.client import FutureCancelledError

    import grader
    from grader.batch.cluster_worker import GraderPlugin, task
    from grader.course import active, grading_files
    from grader.runner import read_submission

    name = plugin_name(grader.__version__, versions, device, isolate)
    plugin = GraderPlugin(name=name, release=grader.__version__, versions=versions,
                          device=device, isolate=isolate,
                          course_files=grading_files(active()))
    with _scheduler_calls(address):
        client.register_plugin(plugin)
    futures: dict[Any, Job] = {}
    sent: dict[Any, _Attempt] = {}
    waiting = iter(jobs)
    watch = _Watch(client, address, name, on_workers, on_refusal)
    regrades = _Regrades()

    def send(job: Job, attempt: _Attempt, workers: list[str] | None = None) -> None:
        """``job`` to any able worker, or strictly to one of ``workers`` (a grading again)."""
        future = client.submit(task, attempt.payload, name, checks, resources={name: 1},
                               pure=False, key=f"grade-{job.lesson.name}-{uuid.uuid4().hex}",
                               workers=workers, allow_other_workers=False)
        futures[future] = job
        sent[future] = attempt
        pending.add(future)
        if workers:
            regrades.sent(future, set(workers))

    def submit(count: int) -> None:
        """Up to ``count`` more tasks: the scheduler holds a window of submissions, not all."""
        with _scheduler_calls(address):
            for job in itertools.islice(waiting, max(0, count)):
                payload = {
                    "student": job.student, "lesson": job.lesson.stem,
                    "filename": job.path.name, "path": str(job.path),
                    "source": read_submission(job.path), "timeout": limits.call_s,
                    "total_timeout": limits.total_s,
                    # the hidden checks' folders here: hidden too on a worker of this machine
                    "hide": [str(folder) for folder in hidden_folders()],
                }
                send(job, _Attempt(payload))

    def checked(future: Any, reply: dict[str, Any]) -> dict[str, Any] | None:
        """``reply`` if it is believable; else None, and the job kept to be graded again on
        another worker, or ``{"bad_reply": why}`` on the second bad reply."""
        if "results" not in reply:
            return reply
        attempt = sent[future]
        try:
            results_of(reply, futures[future].lesson,
                       hashlib.sha256(attempt.payload["source"]).hexdigest(), hidden)
        except BadReply as error:
            if attempt.number > 1:
                return {"bad_reply": f"two workers sent replies this grader cannot have made "
                                     f"({error})"}
            with _scheduler_calls(address):
                ran_on = set(client.who_has([future]).get(future.key, ()))
            regrades.wait(futures[future], attempt.again(ran_on, str(error)))
            return None
        return reply

    def regrade_waiting() -> Iterator[Done]:
        """Send each job waiting to be graded again to a worker that did not grade it (only
        there: the scheduler may not hand it back to the one that sent a bad reply); a job
        whose chosen workers all left waits again; one that no other worker can grade is
        yielded as a bad reply."""
        for future in regrades.stranded(watch.able_workers):
            regrades.wait(futures.pop(future), sent.pop(future))
            future.cancel()
        for job, attempt, others in regrades.ready(watch):
            if others:
                send(job, attempt, others)
            else:
                yield Done(job, {"bad_reply": f"a worker sent a reply this grader cannot "
                                              f"have made ({attempt.error}), and no other "
                                              "worker could grade it again"})

    try:
        with _scheduler_calls(address):
            # an instructor's hidden checks go to each worker once, not with every task
            # (in a list: Dask scatters a dict value by value, keyed by the dict's keys)
            checks = (client.scatter([extra_checks], broadcast=True, hash=False)[0]
                      if extra_checks else None)
        pending = as_completed(loop=client.loop)
        submit(MIN_IN_FLIGHT)
        while not pending.is_empty() or regrades.waiting:
            batch = pending.next_batch(block=False)
            for future in batch:
                if regrades.abandoned(future):
                    continue
                try:
                    reply = checked(future, _reply(future))
                except FutureCancelledError:
                    watch.check(force=True)
                    raise _lost(address) from None
                job = futures.pop(future)
                sent.pop(future, None)
                if reply is not None:
                    yield Done(job, reply)
            watch.check()
            yield from regrade_waiting()
            submit(max(MIN_IN_FLIGHT, IN_FLIGHT_PER_WORKER * watch.able) - len(futures))
            if not batch:
                time.sleep(0.05)
    finally:
        for future in futures:
            future.release()
        if client.status == "running":
            # the run's outcome stands either way; workers drop the plugin when they stop
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(name)


@dataclasses.dataclass(frozen=True)
class _Attempt:
    """One grading of a job sent to the cluster: its payload, which attempt it is, and the
    workers whose replies this grader could not have made (and why)."""

    payload: dict[str, Any]
    number: int = 1
    bad_workers: frozenset[str] = frozenset()
    error: str = ""

    def again(self, ran_on: set[str], error: str) -> _Attempt:
        return _Attempt(self.payload, self.number + 1, self.bad_workers | ran_on, error)


class _Regrades:
    """Jobs to grade again after a bad reply, each only on a worker that did not send one."""

    def __init__(self) -> None:
        self._waiting: list[tuple[Job, _Attempt, float]] = []
        self._restricted: dict[Any, set[str]] = {}  # a regrade's future: where it may run
        self._abandoned: set[Any] = set()

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def wait(self, job: Job, attempt: _Attempt) -> None:
        self._waiting.append((job, attempt, time.monotonic()))

    def sent(self, future: Any, workers: set[str]) -> None:
        self._restricted[future] = workers

    def abandoned(self, future: Any) -> bool:
        """Whether ``future`` was a regrade given up for another (see :meth:`stranded`)."""
        self._restricted.pop(future, None)
        if future in self._abandoned:
            self._abandoned.discard(future)
            return True
        return False

    def stranded(self, able: list[str]) -> list[Any]:
        """Regrades none of whose workers can grade any more (Dask would hold them for
        those workers forever): given up, for their jobs to wait again."""
        able_now = set(able)
        lost = [future for future, workers in self._restricted.items()
                if not future.done() and not workers & able_now]
        for future in lost:
            del self._restricted[future]
            self._abandoned.add(future)
        return lost

    def ready(self, watch: _Watch) -> list[tuple[Job, _Attempt, list[str]]]:
        """The waiting jobs that can go now, each with the workers it may go to; an empty
        list for one that never will: no connected worker but those that sent it bad replies
        or refused the run, or none able for NO_WORKER_WAIT_S."""
        ready, still = [], []
        for job, attempt, since in self._waiting:
            others = sorted(set(watch.able_workers) - attempt.bad_workers)
            hopeful = set(watch.connected) - attempt.bad_workers - set(watch.refused)
            if others or not hopeful or time.monotonic() - since > NO_WORKER_WAIT_S:
                ready.append((job, attempt, others))
            else:
                still.append((job, attempt, since))
        self._waiting = still
        return ready


def _reply(future: Any) -> dict[str, Any]:
    from distributed import KilledWorker

    if future.status == "error":
        error = future.exception()
        if isinstance(error, KilledWorker):
            return {"crashed": "grading this file stopped Dask workers again and again (does it "
                               "kill other processes or exhaust the machine?)"}
        raise InfrastructureError(f"a Dask worker failed ({type(error).__name__}: {error})")
    reply = future.result()
    if not isinstance(reply, dict):
        return {"results": reply}  # not a reply of ours: refused as a bad one
    if "refused" in reply:
        raise InfrastructureError(str(reply["refused"]))
    if "stopped" in reply:
        raise InfrastructureError(f"{reply['stopped']}: run the same command again to resume")
    return reply


def _lost(address: str) -> InfrastructureError:
    return InfrastructureError(
        f"lost the Dask scheduler at {address}: the results graded so far are in the "
        "gradebook; start the scheduler (and workers) again and re-run the same command to "
        "resume")


class _scheduler_calls:
    """Any failure of a call to the scheduler: the scheduler lost, in one line."""

    def __init__(self, address: str) -> None:
        self.address = address

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        if error is None or isinstance(error, InfrastructureError | KeyboardInterrupt):
            return False
        if isinstance(error, OSError | TimeoutError) or "Comm" in type(error).__name__:
            raise _lost(self.address) from None
        return False


class _Watch:
    """Once a second: the workers that can grade, refusals, and whether the scheduler is there."""

    def __init__(self, client: Any, address: str, name: str,
                 on_workers: Callable[[int], None], on_refusal: Callable[[str], None]) -> None:
        self.client, self.address, self.name = client, address, name
        self.on_workers, self.on_refusal = on_workers, on_refusal
        self.refused: dict[str, str] = {}
        self.able = 0  # workers that accepted the run, as last seen
        self.able_workers: list[str] = []
        self.connected: list[str] = []  # every worker, able to grade this run or not (yet)
        self.last = 0.0
        self.unreachable_since: float | None = None
        self.idle_since: float | None = None

    def check(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < POLL_S:
            return
        self.last = now
        if self.client.status != "running":
            self.unreachable_since = self.unreachable_since or now
            if force or now - self.unreachable_since > SCHEDULER_LOST_S:
                raise _lost(self.address)
            return
        self.unreachable_since = None
        with _scheduler_calls(self.address):
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
            events = self.client.get_events(self.name)
        for _, message in events:
            if isinstance(message, dict) and "refused" in message:
                worker = str(message.get("worker"))
                if worker not in self.refused:
                    self.refused[worker] = str(message["refused"])
                    self.on_refusal(self.refused[worker])
        able = [a for a, info in workers.items() if (info.get("resources") or {}).get(self.name)]
        self.able = len(able)
        self.able_workers = able
        self.connected = list(workers)
        self.on_workers(len(able))
        if able:
            self.idle_since = None
            return
        if workers and all(address in self.refused for address in workers):
            raise InfrastructureError(
                f"no worker of {self.address} can grade this run: "
                f"{self.refused[next(iter(workers))]}")
        self.idle_since = self.idle_since or now
        if now - self.idle_since > NO_WORKER_WAIT_S:
            raise InfrastructureError(
                f"no worker of {self.address} could grade for {NO_WORKER_WAIT_S:g} s: start "
                f"some with `dask worker {self.address}`")
