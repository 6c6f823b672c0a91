"""Learner side: the request loop of one learner process.

A forked child of the zygote runs :func:`serve`: it imports the learner's module when asked,
then runs probes (trusted helpers: a course's ``course/<stem>/probes.py``, or the grader's
generic probes) against it, one request at a time, answering with plain data or with a
description of the exception the learner's code raised.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import socket
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from grader.learner import sandbox, wire
from grader.learner.devices import configure as configure_devices
from grader.learner.plain import to_plain
from grader.learner.seeding import seed_everything

_state: dict[str, Any] = {"module": None, "source": None, "label": None}
# The modules a request may name: the generic probes, and the probes and reference helpers of
# the course's lessons that the zygote imported before forking (see ``zygote._preload_probes``).
_allowed: set[str] = {wire.GENERIC_PROBES}


def allow(module_name: str) -> None:
    """Let requests name ``module_name`` (a lesson's probes or reference helpers)."""
    _allowed.add(module_name)


def report_progress(text: str) -> None:
    """Tell the trusted side how a long call is going ("epoch 1/2, loss 0.41"): display only."""
    sock = _state.get("sock")
    if sock is not None:
        with contextlib.suppress(OSError):
            wire.send_message(sock, {"progress": str(text)[:200]})


def current_label(label: str) -> None:
    """Name the learner call a probe is about to make, for error messages ("fibonacci(10)")."""
    _state["label"] = label


def _learner_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the traceback that are in the learner's file."""
    source = _state["source"]
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == source]


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """What the trusted side needs to know of ``exc`` (a probe that catches a learner's
    exception to report it for one check only sends this; see ``LearnerRaised``)."""
    frames = _learner_frames(exc)
    text = "".join(traceback.format_list(frames))
    line = frames[-1].lineno if frames else None
    if isinstance(exc, SyntaxError) and exc.filename == _state["source"]:
        text, line = "".join(traceback.format_exception_only(exc)), exc.lineno
    try:
        message = str(exc)
    except Exception:
        message = "<the exception's message could not be read>"
    return {
        "type": type(exc).__name__,
        "message": message[:4000],
        "where": _state["label"],
        "traceback": text[-8000:],
        "line": line,
        "function": frames[-1].name if frames else None,
    }


def _skip_graph_optimizer() -> None:
    """Run the learner's graphs as traced: the lesson's calls are small functions run a few
    times, which TensorFlow's graph optimizer (Grappler) costs more to optimize than to run
    (the course's ``optimize_graphs = false``)."""
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def _load(path: str, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    _state["source"] = path
    _state["label"] = f"importing {Path(path).name}"
    spec.loader.exec_module(module)
    return module


def _accepted(module_name: str) -> ModuleType:
    if module_name not in _allowed:
        raise ValueError(f"unknown probe module {module_name}: the learner process runs only "
                         "the course's probes and the grader's generic probes")
    return importlib.import_module(module_name)


def _run(probe: str, kwargs: dict[str, Any], substitute: list[str],
         reference_name: str = "") -> Any:
    module_name, _, function_name = probe.partition(":")
    function = getattr(_accepted(module_name), function_name)
    module = _state["module"]
    if not substitute:
        return function(module, **kwargs)
    reference = _accepted(reference_name)
    saved = {name: getattr(module, name, None) for name in substitute}
    try:
        for name in substitute:
            setattr(module, name, getattr(reference, name))
        return function(module, **kwargs)
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def _handle(request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    _state["label"] = request.get("label")
    try:
        if "seed" in request:
            seed_everything(int(request["seed"]))
        if op == "load":
            if request.get("optimize_graphs") is False:
                _skip_graph_optimizer()
            _state["module"] = _load(request["path"], request["module"])
            return {"ok": True, "value": None}
        if op == "run":
            kwargs = wire.from_wire(request.get("kwargs", {}), tag_arrays=False)
            substitute = [str(name) for name in request.get("substitute", [])]
            value = _run(request["probe"], kwargs, substitute, str(request.get("reference", "")))
            return {"ok": True, "value": wire.to_wire(to_plain(value))}
        return {"ok": False, "error": {"type": "ProtocolError", "message": f"bad op {op!r}"}}
    except BaseException as exc:  # KeyboardInterrupt and SystemExit from learner code too
        return {"ok": False, "error": describe_exception(exc)}
    finally:
        _flush_output()


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def serve(sock: socket.socket) -> None:
    """Answer requests until the trusted side closes the connection."""
    _state["sock"] = sock
    while True:
        try:
            request = wire.recv_message(sock)
        except (EOFError, OSError, wire.WireError):
            return
        wire.send_message(sock, _handle(request))


def child_main(control_fd: int, output_fd: int, workdir: str, policy: dict[str, Any],
               devices: tuple[int, str] = (1, "cpu")) -> None:
    """Entry point of a freshly forked learner process; never returns.

    Before any learner code runs it isolates itself (see :mod:`grader.learner.sandbox`), makes
    the ``devices`` its lesson asks for (how many, of which kind: see :mod:`.devices`), and tells
    the trusted side whether that worked: this first message cannot come from learner code.
    """
    code = 0
    zygote = os.getppid()
    try:
        os.setsid()
        sock = socket.socket(fileno=control_fd)
        try:
            sandbox.enter(sandbox.Policy.from_dict(policy), workdir, zygote)
        except (sandbox.SandboxError, OSError) as exc:
            wire.send_message(sock, {"sandbox": f"error: {exc}"})
            raise
        hello = {"sandbox": "ok"}
        try:
            configure_devices(*devices)
        except Exception as exc:  # TensorFlow's devices were already initialised
            hello["devices"] = f"{type(exc).__name__}: {exc}"[:300]
        wire.send_message(sock, hello)
        os.chdir(workdir)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        for fd in (devnull, output_fd):
            os.close(fd)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stdin
        sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")  # noqa: SIM115
        sys.path.insert(0, workdir)
        serve(sock)
    except BaseException:
        code = 70
    finally:
        os._exit(code)
