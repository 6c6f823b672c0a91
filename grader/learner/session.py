"""Trusted side: one submission's learner process, with timeouts, limits and restarts.

A :class:`LearnerSession` copies the submission into a private folder, asks the zygote for a
learner process, imports the submission there, and runs probes on request. A call that raises,
hangs, exhausts memory or kills the process fails only that call; the next call gets a fresh
process. An import that fails is remembered: every later call fails with the same reason.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import os
import re
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from grader.errors import InfrastructureError, SetupError
from grader.learner import sandbox, wire
from grader.learner.failures import (
    LearnerDied,
    LearnerFailure,
    LearnerImportFailed,
    LearnerOutOfMemory,
    LearnerOutOfTime,
    LearnerProtocolError,
    LearnerRaised,
    LearnerTimeout,
)
from grader.learner.zygote import Child, Zygote
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S

CPU_SECONDS_MARGIN = 10
DEFAULT_MEMORY_LIMIT = 4 * 2**30
OUTPUT_LIMIT_BYTES = 16 * 1024
PROGRESS_INTERVAL_S = 0.25

#: ``on_progress(label, elapsed_s, detail)``: a long call is running; ``detail`` is the latest
#: progress the probe reported, or the last line the learner's code printed.
ProgressCallback = Callable[[str, float, str], None]
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SANDBOX_TIMEOUT_S = 30.0
T = TypeVar("T")


class LearnerSession:
    """The learner's module, loaded in a separate process, called through probes."""

    def __init__(
        self,
        zygote: Zygote,
        source: Path,
        *,
        module_name: str,
        call_timeout: float = DEFAULT_CALL_TIMEOUT_S,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT_S,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        cpu_seconds: int | None = None,
        isolate: bool = False,
        logical_devices: int = 1,
        optimize_graphs: bool = True,
        course_package: str | None = None,
    ) -> None:
        self.zygote = zygote
        self.module_name = module_name
        if course_package is None:
            from grader.course import active

            course_package = active().package
        self.course_package = course_package
        self.display_name = source.name
        self.call_timeout = call_timeout
        self.total_timeout = total_timeout
        self._deadline = time.monotonic() + total_timeout
        self.memory_limit = memory_limit
        self.logical_devices = logical_devices
        self.optimize_graphs = optimize_graphs
        self.workdir = tempfile.mkdtemp(prefix="grade-learner-")
        self.path = os.path.join(self.workdir, f"{module_name}.py")
        shutil.copyfile(source, self.path)
        self._child: Child | None = None
        # As root each learner gets a user id of its own; without root, user namespaces.
        self._uid = sandbox.claim_uid() if isolate and os.geteuid() == 0 else None
        try:
            policy = _policy(source, self.workdir, self._uid) if isolate else sandbox.Policy()
        except BaseException:
            self.close()
            raise
        # Wall-clock limits bound the learner process's CPU time already (the time limit times
        # the cores); this also bounds what any process it starts can burn, even one it detached.
        if cpu_seconds is None:
            cpu_seconds = math.ceil(total_timeout * (os.cpu_count() or 1)) + CPU_SECONDS_MARGIN
        self.policy = dataclasses.replace(policy, cpu_seconds=cpu_seconds)
        self._import_failure: LearnerFailure | None = None
        self.last_output = ""
        self.processes_started = 0
        self.on_progress: ProgressCallback | None = None
        # Exercise functions replaced by the grader's reference versions for the running check.
        self.substitutes: tuple[str, ...] = ()
        # The running check's id, and (when a list) every probe answer, for `grade check-course`.
        self.current_check = ""
        self.replies: list[tuple[str, str, Any]] | None = None
        self._answers: dict[Hashable, tuple[bool, Any]] = {}
        self._replied: dict[Hashable, list[tuple[str, str, Any]]] = {}  # replies behind each

    # -- public ---------------------------------------------------------------------------

    def run(
        self, probe: str, *, label: str, seed: int, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        """Run probe ``"<stem>:<function>"`` on the learner's module; return its plain-data answer.

        The probe is ``<function>`` of the course's ``course/<stem>/probes.py``, or of the
        grader's generic probes for ``"grader:<function>"`` (see :mod:`grader.generic`).
        """
        return self._run(probe, label, seed, timeout, wire.to_wire(kwargs))

    def _run(self, probe: str, label: str, seed: int, timeout: float | None,
             encoded_kwargs: Any) -> Any:
        """:meth:`run` with its arguments already in wire form."""
        self.last_output = ""
        if self._deadline - time.monotonic() <= 0:
            raise LearnerOutOfTime(label, self.total_timeout, started=False)
        child = self._ensure_loaded(seed)
        request = {
            "op": "run",
            "probe": wire.probe_address(probe, self.course_package),
            "label": label,
            "seed": seed,
            "kwargs": encoded_kwargs,
        }
        if self.substitutes:
            request["substitute"] = list(self.substitutes)
            request["reference"] = f"{self.course_package}.{self.module_name}.reference"
        reply = self._timed_exchange(child, request, label, timeout or self.call_timeout)
        if not reply.get("ok"):
            error = reply.get("error") if type(reply.get("error")) is dict else {}
            raise LearnerRaised(str(error.get("where") or label), error)
        try:
            value = wire.from_wire(reply.get("value"))
        except wire.WireError as exc:
            self._kill()
            raise LearnerProtocolError(label, str(exc)) from None
        if self.replies is not None:
            self.replies.append((self.current_check, probe, value))
        return value

    def run_once(
        self, probe: str, *, label: str, seed: int, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        """:meth:`run`, answered once per session for the same probe, seed, arguments and
        substituted functions: the checks that judge one call share it (its failure too,
        raised again for each), so the learner's code runs once per grading. Take ``seed``
        from the call (``seed_for("<stem>::<what>")``), not from the check, or nothing is
        shared."""
        encoded = wire.to_wire(kwargs)
        key = ("run", probe, seed, self.substitutes, _digest(encoded))
        answer = self.shared(key, lambda: self._run(probe, label, seed, timeout, encoded))
        return copy.deepcopy(answer)  # a check that edits its answer changes no other check's

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per session for ``key``, for the checks that share it (a model
        rebuilt from the learner's answer, say): what it returned, or what it raised (the
        learner's failure, a check's verdict that the answer is unusable), for each."""
        if key not in self._answers:
            first = len(self.replies) if self.replies is not None else 0
            try:
                self._answers[key] = (True, compute())
            except Exception as exc:
                self._answers[key] = (False, exc)
            if self.replies is not None:
                self._replied[key] = self.replies[first:]
        elif self.replies is not None:
            # each check that shares the answers receives them (`grade check-course` asks
            # whether any of them declares the facts they hold)
            self.replies.extend((self.current_check, probe, value)
                                for _, probe, value in self._replied.get(key, []))
        ok, answer = self._answers[key]
        if not ok:
            # without its old traceback: each raise would add to it, and pytest's report of
            # the failure grows with every check that shares it
            raise answer.with_traceback(None)
        return answer

    def close(self) -> None:
        """Stop the learner process and delete its folder."""
        self._kill()
        shutil.rmtree(self.workdir, ignore_errors=True)
        claim, self._uid = self._uid, None
        if claim is not None:
            sandbox.return_uid(claim)  # swept by _kill: the next grading may take it

    def __enter__(self) -> LearnerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _ensure_loaded(self, seed: int) -> Child:
        if self._import_failure is not None:
            raise self._import_failure
        if self._child is not None:
            return self._child
        self._child = self.zygote.fork(self.workdir, self.policy,
                                       logical_devices=self.logical_devices)
        self.processes_started += 1
        self._await_sandbox(self._child)
        where = f"importing {self.display_name}"
        request = {"op": "load", "path": self.path, "module": self.module_name, "seed": seed,
                   "optimize_graphs": self.optimize_graphs}
        try:
            reply = self._timed_exchange(self._child, request, where, self.call_timeout)
        except LearnerFailure as failure:
            self._import_failure = failure
            raise
        if not reply.get("ok"):
            error = reply.get("error") if type(reply.get("error")) is dict else {}
            error = {**error, "traceback": str(error.get("traceback", "")).replace(
                self.path, self.display_name)}
            self._import_failure = LearnerImportFailed(where, error)
            self._kill()
            raise self._import_failure
        return self._child

    def _await_sandbox(self, child: Child) -> None:
        """The learner process's first word, said before any learner code ran: isolated or not."""
        child.control.settimeout(SANDBOX_TIMEOUT_S)
        try:
            hello = wire.recv_message(child.control)
        except (OSError, EOFError, wire.WireError) as exc:
            self._kill()
            raise InfrastructureError(f"a learner process did not start ({exc})") from None
        finally:
            with contextlib.suppress(OSError):
                child.control.settimeout(None)
        if hello.get("sandbox") != "ok":
            self._kill()
            why = str(hello.get("sandbox")).removeprefix("error: ")[:300]
            raise InfrastructureError(
                f"cannot isolate the learner process: {why} "
                f"(grading {self.display_name}); please report this message"
            )
        if "devices" in hello:
            self._kill()
            raise InfrastructureError(
                f"cannot give the learner process {self.logical_devices} logical devices: "
                f"{str(hello['devices'])[:300]}"
            )

    def _timed_exchange(
        self, child: Child, request: dict[str, Any], label: str, timeout: float
    ) -> dict[str, Any]:
        """:meth:`_exchange` within both the call's time limit and what is left of the
        submission's: once that is used up, calls fail at once instead of waiting again."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise LearnerOutOfTime(label, self.total_timeout, started=False)
        try:
            return self._exchange(child, request, label, min(timeout, left))
        except LearnerTimeout:
            if left < timeout:
                raise LearnerOutOfTime(label, self.total_timeout, started=True) from None
            raise

    def _exchange(
        self, child: Child, request: dict[str, Any], label: str, timeout: float
    ) -> dict[str, Any]:
        output = bytearray()
        try:
            wire.send_message(child.control, request)
            return self._await_reply(child, label, timeout, output)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self._drain(child, output)
            status = self.zygote.exit_status(child.pid)
            self._kill()
            raise LearnerDied(label, status) from None
        except LearnerFailure:
            self._drain(child, output)
            self._kill()
            raise
        finally:
            self._drain(child, output)
            self.last_output = displayable(
                output[:OUTPUT_LIMIT_BYTES].decode("utf-8", "replace"), printed=True)
            if len(output) > OUTPUT_LIMIT_BYTES:
                self.last_output += f"\n[... output cut at {OUTPUT_LIMIT_BYTES // 1024} KiB]"

    def _await_reply(
        self, child: Child, label: str, timeout: float, output: bytearray
    ) -> dict[str, Any]:
        started = time.monotonic()
        deadline = started + timeout
        progress = _Progress(self.on_progress, label, started)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LearnerTimeout(label, timeout)
            progress.tick(output)
            readable, _, _ = select.select(
                [child.control, child.output_fd], [], [], min(remaining, 0.1)
            )
            if child.output_fd in readable:
                self._drain(child, output)
            if child.control in readable:
                child.control.settimeout(max(remaining, 0.01))
                try:
                    message = wire.recv_message(child.control)
                    if set(message) != {"progress"}:
                        return message
                    progress.report(displayable(str(message["progress"])[:200]))
                except TimeoutError:
                    raise LearnerTimeout(label, timeout) from None
                except wire.WireError as exc:
                    raise LearnerProtocolError(label, str(exc)) from None
                finally:
                    with contextlib.suppress(OSError):
                        child.control.settimeout(None)
            if self._memory_used(child.pid) > self.memory_limit:
                raise LearnerOutOfMemory(label, self.memory_limit)

    @staticmethod
    def _drain(child: Child, output: bytearray) -> None:
        while True:
            try:
                chunk = os.read(child.output_fd, 65536)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            if len(output) <= OUTPUT_LIMIT_BYTES:
                output += chunk

    def _memory_used(self, pid: int) -> int:
        """Memory of the learner's whole process tree: the learner process's resident set, plus
        each other process's proportional share (Pss: a forked child's pages still shared with
        its parent count once, not twice). In user namespaces ``pid`` is only the learner's
        relay (see :mod:`grader.learner.sandbox`): the learner is its child."""
        others = self._processes(pid)
        if self.policy.isolate and self.policy.uid is None:
            others.discard(pid)
            pid = next(iter(_children(pid)), pid)
        return _resident_bytes(pid) + sum(
            _proportional_bytes(other) for other in others if other != pid
        )

    def _processes(self, pid: int) -> set[int]:
        """The learner process and everything it started: with isolation every process of its
        own user (even detached ones), else its session and its descendants."""
        return learner_processes(pid, self.policy.uid)

    def _kill(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        others = self._processes(child.pid) - {child.pid} if self.policy.uid is None else set()
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(child.pid, signal.SIGKILL)
        for other in others:  # without isolation: its descendants that left its group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(other, signal.SIGKILL)
        child.control.close()
        with contextlib.suppress(OSError):
            os.close(child.output_fd)
        if self.policy.uid is not None:
            sandbox.sweep(self.policy.uid)  # detached leftovers too


def _policy(source: Path, workdir: str, claim: sandbox.UidClaim | None) -> sandbox.Policy:
    """How to isolate the learner of ``source``: its secrets (solutions, neighbours, data), the
    hidden checks and every copy of them this process made, and the temporary folder (other
    learners' folders) hidden; the user id of ``claim``; namespaces where the machine allows.

    Without namespaces only permissions protect the hidden checks: one the learner's user could
    read is a SetupError that says how to make it private.
    """
    from grader.hidden import hidden_folders

    namespaces = sandbox.machine().namespaces
    private = hidden_folders()
    if not namespaces and claim is not None:
        readable = [str(path) for path in private if sandbox.readable_by_others(path)]
        if readable:
            raise SetupError(
                f"hidden checks in {', '.join(readable)} would be readable to students' code: "
                "this machine allows no namespaces to hide them, so make them private "
                f"(chmod -R go-rwx {' '.join(readable)})")
    hide = [*sandbox.secret_folders(source), *private, Path(tempfile.gettempdir())]
    return sandbox.policy_for(hide, workdir=workdir, namespaces=namespaces,
                              uid=claim.uid if claim is not None else None)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def displayable(text: str, *, printed: bool = False) -> str:
    """Text from the learner's process, safe to show in a terminal or a report: every control
    character but newlines and tabs (escape sequences that move the cursor, retitle the window
    or fake colours) written out visibly, as \\x1b. ``printed`` (what its code printed): each
    line is first cut as a terminal would leave it after carriage returns (progress bars)."""
    if printed:
        text = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _digest(data: Any) -> str:
    """A digest of wire data (arguments of a call), for :meth:`LearnerSession.run_once`."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=repr).encode()).hexdigest()


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as children:
            return [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        return []


def _proportional_bytes(pid: int) -> int:
    """A process's proportional set size (its resident set if the kernel does not say)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return _resident_bytes(pid)


def learner_processes(pid: int, uid: int | None) -> set[int]:
    """``pid`` and the processes it started: those of ``uid`` when the learner has a user of its
    own, else those in its session (``pid`` leads one) or descended from it."""
    found = {pid}
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        other = int(entry.name)
        try:
            if uid is not None:
                if entry.stat().st_uid == uid:
                    found.add(other)
                continue
            with open(f"/proc/{other}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and int(fields[3]) == pid:  # same session
            found.add(other)
        elif len(fields) > 1:
            parents[other] = int(fields[1])
    if uid is None:
        changed = True
        while changed:  # descendants that started sessions of their own
            grown = {other for other, parent in parents.items() if parent in found}
            changed = not grown <= found
            found |= grown
    return found


class _Progress:
    """Calls ``on_progress`` at most every PROGRESS_INTERVAL_S while one call runs."""

    def __init__(self, callback: ProgressCallback | None, label: str, started: float) -> None:
        self.callback, self.label, self.started = callback, label, started
        self.detail = ""
        self.last = started

    def report(self, detail: str) -> None:
        self.detail = detail
        self.last = 0.0

    def tick(self, output: bytearray) -> None:
        now = time.monotonic()
        if self.callback is None or now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        detail = self.detail
        if not detail and output:
            tail = displayable(bytes(output[-400:]).decode("utf-8", "replace"),
                               printed=True).strip().splitlines()
            detail = tail[-1][:120] if tail else ""
        self.callback(self.label, now - self.started, detail)
