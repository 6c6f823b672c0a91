"""The sandbox: an isolated learner process can neither read secrets, reach the network, write
outside its folder, signal the grader, nor leave processes behind.

These need root and namespaces (as in CI); elsewhere they skip and say why.
"""

from __future__ import annotations

import os
import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest

from grader.learner.failures import LearnerRaised
from grader.learner.sandbox import capabilities
from grader.learner.session import LearnerSession
from tests.conftest import REPO

CAPABILITIES = capabilities()
pytestmark = pytest.mark.skipif(not CAPABILITIES.isolated, reason=CAPABILITIES.explain())

LEARNER = """
    import os, signal, socket, subprocess

    def uid():
        return os.getuid()

    def read(path):
        with open(path, "rb") as handle:
            return len(handle.read())

    def listdir(path):
        return sorted(os.listdir(path))

    def connect(port):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"

    def write(path):
        with open(path, "w") as handle:
            handle.write("pwned")
        return "written"

    def signal_grader(pid):
        os.kill(pid, signal.SIGTERM)
        return "sent"

    def orphan():
        child = subprocess.Popen(["sleep", "600"], start_new_session=True)
        return child.pid

    def keras_trains():
        import numpy as np, keras
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse")
        history = model.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=2, verbose=0)
        return len(history.history["loss"])
"""


@pytest.fixture
def classroom(tmp_path: Path) -> dict[str, Path]:
    """Two students' folders side by side, as in a batch."""
    alice, bob = tmp_path / "class" / "alice", tmp_path / "class" / "bob"
    alice.mkdir(parents=True)
    bob.mkdir()
    (alice / "lesson1_warmup.py").write_text(textwrap.dedent(LEARNER), encoding="utf-8")
    (bob / "lesson1_warmup.py").write_text("SECRET = 'bob'\n", encoding="utf-8")
    return {"alice": alice / "lesson1_warmup.py", "bob": bob / "lesson1_warmup.py"}


@pytest.fixture
def isolated(zygote, classroom):
    session = LearnerSession(zygote, classroom["alice"], module_name="lesson1_warmup",
                             isolate=True)
    yield session
    session.close()


def call(session: LearnerSession, name: str, *args):
    return session.run("lesson1_warmup:call", label=f"{name}()", seed=1, name=name,
                       args=list(args))


def test_runs_as_an_unprivileged_user_and_keras_works(isolated):
    assert call(isolated, "uid") not in (0, os.getuid())
    assert call(isolated, "keras_trains") == 2


@pytest.mark.parametrize("secret", ["solution", "neighbour", "data"])
def test_cannot_read_secrets(isolated, classroom, secret):
    path = {
        "solution": REPO / "solutions" / "lesson1_warmup.py",
        "neighbour": classroom["bob"],
        "data": Path(os.environ.get("MNIST_DIR", str(REPO / "solutions"))),
    }[secret]
    assert path.exists()
    reader = "listdir" if path.is_dir() else "read"
    with pytest.raises(LearnerRaised, match=r"PermissionError|FileNotFoundError"):
        call(isolated, reader, str(path))


def test_has_no_network_not_even_loopback(isolated):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(3)
    accepted = []
    threading.Thread(target=lambda: accepted.append(_accept(server)), daemon=True).start()
    with pytest.raises(LearnerRaised, match=r"OSError|ConnectionRefused|unreachable"):
        call(isolated, "connect", server.getsockname()[1])
    time.sleep(0.2)
    server.close()
    assert accepted in ([], [None])


def _accept(server: socket.socket):
    try:
        return server.accept()
    except OSError:
        return None


@pytest.mark.parametrize("where", ["repo", "tmp"])
def test_cannot_write_outside_its_folder(isolated, tmp_path, where):
    target = REPO / "pwned.txt" if where == "repo" else Path("/tmp") / f"pwned-{os.getpid()}"
    with pytest.raises(LearnerRaised, match=r"Read-only|PermissionError"):
        call(isolated, "write", str(target))
    assert not target.exists()
    assert call(isolated, "write", "notes.txt") == "written"  # its own folder is writable


def test_cannot_signal_the_grader(isolated):
    with pytest.raises(LearnerRaised, match=r"PermissionError|ProcessLookupError"):
        call(isolated, "signal_grader", os.getpid())


def test_leaves_no_process_behind(zygote, classroom):
    session = LearnerSession(zygote, classroom["alice"], module_name="lesson1_warmup",
                             isolate=True)
    uid = session.policy.uid
    call(session, "orphan")
    assert _processes_of(uid), "the orphan should be running while the session lives"
    session.close()
    deadline = time.monotonic() + 5
    while _processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _processes_of(uid)


def _processes_of(uid: int) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                state = (entry / "stat").read_text().split(")")[-1].split()[0]
                if state != "Z":
                    alive.append(int(entry.name))
        except OSError:
            continue
    return alive


def test_the_solutions_get_full_marks_in_the_sandbox(grade):
    for stem in ("lesson1_warmup", "lesson2_linear_regression"):
        results = grade(stem.split("_")[0], REPO / "solutions" / f"{stem}.py", isolate=True)
        assert results.full_marks, {c.id: c.message for c in results.checks if not c.passed}


def test_autograph_works_in_the_sandbox(zygote, tmp_path):
    path = tmp_path / "lesson1_warmup.py"
    path.write_text(textwrap.dedent("""
        import tensorflow as tf

        @tf.function
        def sign(x):
            if x > 0:  # a tensor condition: AutoGraph turns it into tf.cond
                return tf.constant(1)
            return tf.constant(-1)

        def both():
            return [int(sign(tf.constant(3.0))), int(sign(tf.constant(-2.0)))]
    """), encoding="utf-8")
    with LearnerSession(zygote, path, module_name="lesson1_warmup", isolate=True) as session:
        assert call(session, "both") == [1, -1]
        assert "AutoGraph could not transform" not in session.last_output


def test_killing_the_grader_kills_its_learner_processes(tmp_path):
    import signal
    import subprocess
    import sys

    hang = tmp_path / "lesson1_warmup.py"
    hang.write_text("def make_counter():\n    while True:\n        pass\n", encoding="utf-8")
    before = set(_learner_pids())
    grade = subprocess.Popen([str(Path(sys.executable).parent / "grade"), "lesson1",
                              "--submission", str(hang), "--timeout", "120"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not set(_learner_pids()) - before and time.monotonic() < deadline:
            time.sleep(0.1)
        learners = set(_learner_pids()) - before
        assert learners, "the learner process never started"
    finally:
        grade.send_signal(signal.SIGKILL)
        grade.wait()
    deadline = time.monotonic() + 10
    while learners & set(_learner_pids()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not learners & set(_learner_pids())


def _learner_pids() -> list[int]:
    from grader.learner.sandbox import FIRST_UID, UID_COUNT

    return [
        int(entry.name) for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _uid_of(entry) in range(FIRST_UID, FIRST_UID + UID_COUNT)
        and _state_of(entry) != "Z"
    ]


def _uid_of(entry: Path) -> int:
    try:
        return entry.stat().st_uid
    except OSError:
        return -1


def _state_of(entry: Path) -> str:
    try:
        return (entry / "stat").read_text().split(")")[-1].split()[0]
    except (OSError, IndexError):
        return "?"


def test_concurrent_sessions_never_share_a_learner_user(zygote, classroom):
    sessions = [LearnerSession(zygote, classroom["alice"], module_name="lesson1_warmup",
                               isolate=True) for _ in range(5)]
    try:
        uids = [session.policy.uid for session in sessions]
        assert len(set(uids)) == len(uids)
    finally:
        for session in sessions:
            session.close()
