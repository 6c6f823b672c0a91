"""A pre-warmed factory of learner processes.

TensorFlow takes seconds to import. The zygote is a separate process that imports it once and
then forks a fresh learner process (see :mod:`grader.learner.worker`) for each submission, in
well under a second. The trusted process talks to it over a Unix socket, passing each child its
control socket and output pipe as file descriptors. The zygote never runs learner code itself.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.course import ENV_VAR as COURSE_ENV
from grader.course import active_root
from grader.errors import GraderError, InfrastructureError, SetupError
from grader.learner import wire
from grader.learner.sandbox import Policy

PRELOAD = ("numpy", "tensorflow", "keras", "grader.learner.worker",
           "grader.learner.generic_probes")
#: What TensorFlow, Keras and numpy import only when first used, and every learner process
#: would otherwise import again: numpy.random (Keras' seeding: 10 ms a process), tf.summary's
#: TensorBoard writers (lesson 9: a hundred modules), and tf.data's transformations (below).
LAZY_IMPORTS = ("numpy.random", "secrets", "tensorboard.summary.v2")
TF_DATA_OPS = "tensorflow.python.data.ops"
STARTUP_TIMEOUT_S = 180.0
NO_GPU = "TensorFlow sees no GPU on this machine: grade without --device gpu"


@dataclass
class Child:
    """A learner process as the trusted side sees it."""

    pid: int
    control: socket.socket
    output_fd: int


class Zygote:
    """Trusted-side handle on the zygote process; start it early, it warms up in the background."""

    def __init__(self, *, device: str = "cpu") -> None:
        self.device = device
        self._process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the zygote
        self._lock = threading.Lock()
        self._ready = False
        self.restarts = 0

    def start(self) -> Zygote:
        """Launch the zygote (non-blocking); :meth:`fork` waits for it to be ready."""
        if self._process is not None:
            return self
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("PYTHONHASHSEED", "0")
        with contextlib.suppress(GraderError):  # no course: the zygote preloads no probes
            env[COURSE_ENV] = str(active_root())
        if self.device == "cpu":
            env["CUDA_VISIBLE_DEVICES"] = "-1"
        # The learner side runs this very grader, not one that the current folder happens to
        # hold (``-m`` would put the folder first on sys.path: a course clone beside the
        # installed grader, whose probes differ and whose folder the sandbox hides).
        root = _grader_root()
        if root not in _site_folders():
            env["PYTHONPATH"] = os.pathsep.join(
                [root, *filter(None, [os.environ.get("PYTHONPATH")])])
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", "grader.learner.zygote", str(theirs.fileno()),
             self.device, str(os.getpid())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            env=env,
            start_new_session=True,
        )
        theirs.close()
        self._sock = ours
        return self

    def wait_ready(self) -> None:
        """Block until TensorFlow is imported in the zygote; raise a GraderError if it cannot be."""
        if self._ready:
            return
        self.start()
        assert self._sock is not None
        self._sock.settimeout(STARTUP_TIMEOUT_S)
        try:
            hello = wire.recv_message(self._sock)
        except (EOFError, OSError, wire.WireError):
            hello = {"error": self._log_tail() or "the zygote exited while starting"}
        finally:
            self._sock.settimeout(None)
        if "error" in hello:
            message = str(hello["error"])
            if "No module named 'tensorflow'" in message or "No module named 'keras'" in message:
                raise SetupError(
                    "TensorFlow is not installed: run pip install -e '.[cpu]' "
                    "(or '.[gpu]' on a machine with an NVIDIA GPU)"
                )
            if message == NO_GPU:
                raise SetupError(NO_GPU)
            raise InfrastructureError(f"cannot start learner processes: {message.strip()[-500:]}")
        self._ready = True

    def _log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def _request(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        """Send one request; if the zygote died (a learner may kill its parent), start anew once."""
        for attempt in (1, 2):
            self.wait_ready()
            assert self._sock is not None
            try:
                socket.send_fds(self._sock, [wire.encode_message(message)], fds or [])
                return wire.recv_message(self._sock)
            except (EOFError, OSError, wire.WireError) as exc:
                self.close()
                if attempt == 2:
                    raise InfrastructureError(
                        f"the learner-process zygote stopped answering ({exc})"
                    ) from None
                self.restarts += 1
        raise AssertionError("unreachable")

    def fork(self, workdir: str, policy: Policy | None = None, *,
             logical_devices: int = 1) -> Child:
        """Start a fresh learner process working in ``workdir``, isolated as ``policy`` says,
        with ``logical_devices`` devices of the zygote's kind (see :mod:`.devices`)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        try:
            with self._lock:
                reply = self._request(
                    {"op": "fork", "workdir": workdir,
                     "policy": (policy or Policy()).to_dict(),
                     "logical_devices": int(logical_devices)},
                    [theirs.fileno(), out_write],
                )
        finally:
            theirs.close()
            os.close(out_write)
        if "pid" not in reply:
            ours.close()
            os.close(out_read)
            raise InfrastructureError(f"cannot fork a learner process: {reply.get('error')}")
        os.set_blocking(out_read, False)
        return Child(pid=int(reply["pid"]), control=ours, output_fd=out_read)

    def exit_status(self, pid: int, wait_s: float = 1.0) -> int | None:
        """The wait status of a finished child (as ``os.waitpid`` gives it), if known."""
        deadline = time.monotonic() + wait_s
        while True:
            with self._lock:
                status = self._request({"op": "status", "pid": pid}).get("status")
            if status is not None or time.monotonic() >= deadline:
                return status
            time.sleep(0.02)

    def close(self) -> None:
        """Stop the zygote."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None
        self._ready = False
        self._log.seek(0)
        self._log.truncate()

    def __enter__(self) -> Zygote:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the zygote process itself -------------------------------------------------------------

_statuses: dict[int, int] = {}


def _grader_root() -> str:
    """The folder the trusted side imported the ``grader`` package from."""
    import grader

    return str(Path(grader.__file__).resolve().parents[1])


def _site_folders() -> set[str]:
    """Where installed packages live (found without PYTHONPATH, after the standard library)."""
    import site

    return {str(Path(folder).resolve()) for folder in site.getsitepackages()}


def _reap(*_: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _statuses[pid] = status


def _recv_request(sock: socket.socket) -> tuple[dict[str, Any], list[int]]:
    header, fds, _, _ = socket.recv_fds(sock, wire.HEADER.size, 4)
    if not header:
        raise EOFError
    if len(header) < wire.HEADER.size:
        header += wire.recv_exactly(sock, wire.HEADER.size - len(header))
    (size,) = wire.HEADER.unpack(header)
    return json.loads(wire.recv_exactly(sock, size)), list(fds)


def _zygote_main(fd: int, device: str, parent: int) -> None:
    from grader.learner.sandbox import die_with_parent

    die_with_parent(parent)  # a killed grader takes its zygote, and so its learners, along
    sock = socket.socket(fileno=fd)
    try:
        import importlib

        for name in PRELOAD:
            importlib.import_module(name)
        _preload_lazy_imports()
        _warm_op_registry()
        _preload_probes()
    except BaseException as exc:
        wire.send_message(sock, {"error": f"{type(exc).__name__}: {exc}"})
        return
    if device == "gpu" and not _gpu_visible():
        wire.send_message(sock, {"error": NO_GPU})
        return
    from grader.learner import worker

    signal.signal(signal.SIGCHLD, _reap)
    # Everything imported so far (TensorFlow's million objects) goes to a generation the
    # collector never scans: a learner process, forked from here, then neither spends its
    # time on full collections of them nor copies their pages by touching each one (up to
    # ten times the CPU of a small lesson's own work: benchmarks/batch_profile.py).
    gc.collect()
    gc.freeze()
    wire.send_message(sock, {"ready": True})
    while True:
        try:
            request, fds = _recv_request(sock)
        except (EOFError, OSError):
            return
        if request.get("op") == "fork" and len(fds) == 2:
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                sock.close()
                worker.child_main(fds[0], fds[1], str(request["workdir"]),
                                  request.get("policy") or {},
                                  devices=(int(request.get("logical_devices") or 1), device))
            for received in fds:
                os.close(received)
            wire.send_message(sock, {"pid": pid})
        elif request.get("op") == "status":
            _reap()
            wire.send_message(sock, {"status": _statuses.get(int(request["pid"]))})
        else:
            for received in fds:
                os.close(received)
            wire.send_message(sock, {"error": "bad request"})


def _preload_lazy_imports() -> None:
    """Import :data:`LAZY_IMPORTS` and every ``tf.data`` transformation's module (each is
    imported by its first use: ``Dataset.take`` imports ``take_op``) once, here."""
    import importlib
    import pkgutil

    data_ops = importlib.import_module(TF_DATA_OPS)
    transformations = [f"{TF_DATA_OPS}.{module.name}" for module in
                       pkgutil.iter_modules(data_ops.__path__) if module.name.endswith("_op")]
    for name in (*LAZY_IMPORTS, *transformations):
        with contextlib.suppress(Exception):  # absent from this TensorFlow: imported if used
            importlib.import_module(name)


def _warm_op_registry() -> None:
    """Look up an op TensorFlow does not have, once, here: its first such lookup in a process
    (the name of the first function it runs, even an eager op's) exports every op it knows,
    9 ms of each learner process's first op otherwise. Creates no thread (the children's
    thread pools must be their own)."""
    with contextlib.suppress(Exception):
        from tensorflow.python.framework import op_def_registry

        op_def_registry.get("GraderZygoteNoSuchOp")


def _preload_probes() -> None:
    """Import every lesson's probes and reference helpers of the course (``TF_COURSE_DIR``) now:
    the learner process may not be able to read them later, and accepts no other."""
    import importlib

    from grader import course
    from grader.learner import worker

    if not os.environ.get(COURSE_ENV):
        return
    with contextlib.suppress(GraderError):
        served = course.load(Path(os.environ[COURSE_ENV]))
        package = course.ensure_package(served)
        for entry in served.entries:
            for part in ("probes", "reference"):
                if not (served.grading_dir / entry.stem / f"{part}.py").is_file():
                    continue
                name = f"{package}.{entry.stem}.{part}"
                with contextlib.suppress(Exception):  # a broken probe fails its own checks
                    importlib.import_module(name)
                    worker.allow(name)


def _gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU, asked in a throwaway child so the zygote stays unused."""
    pid = os.fork()
    if pid == 0:
        import tensorflow as tf

        os._exit(0 if tf.config.list_physical_devices("GPU") else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


if __name__ == "__main__":
    _zygote_main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
