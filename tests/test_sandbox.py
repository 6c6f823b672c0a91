"""The sandbox: an isolated learner process can neither read secrets, reach the network, write
outside its folder, signal the grader, nor leave processes behind.

These need root and namespaces (as in CI); elsewhere they skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.curriculum import find_lesson
from grader.hidden import HiddenChecks
from grader.learner.failures import LearnerRaised
from grader.learner.sandbox import capabilities
from grader.learner.session import LearnerSession
from grader.learner.zygote import Zygote
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


# -- where the submission lies: every layout is graded, and its neighbours stay secret -------

#: (course folder, submission, secrets a learner must not read, symlinks to make: link -> target)
#: relative to a fresh folder standing for the machine's root of personal folders; "~" is HOME.
LAYOUTS = {
    "beside the course": ("yy/course", "yy/sub/mine.py", ["yy/sub/other.txt"], {}),
    "downloads and home": ("~/tf-course", "~/Downloads/mine.py",
                           ["~/Downloads/bank.txt", "~/.ssh/id_rsa"], {}),
    "class folder next to the course": (
        "term/course", "term/class/alice/lesson1_warmup.py",
        ["term/class/bob/lesson1_warmup.py"], {}),
    "nested far apart": ("a/b/c/course", "a/x/y/z/mine.py", ["a/x/y/secret.txt"], {}),
    "inside the course": ("course", "course/submissions/alice/mine.py",
                          ["course/submissions/bob/mine.py"], {}),
    "through symlinked folders": ("real/course", "link/sub/mine.py",
                                  ["real/sub/other.txt"], {"link": "real"}),
    # the installed grader run inside a course clone (which holds a grader package of its own)
    "installed grader, in a clone": ("yy/course", "yy/sub/mine.py", ["yy/sub/other.txt"], {}),
}

PROBE = '''

import os as _os

_LEAKED = []
for _path in {secrets!r}:
    try:
        with open(_path, "rb") as _handle:
            _handle.read(1)
        _LEAKED.append(_path)
    except OSError:
        pass
if _LEAKED or not _os.path.isfile({readable!r}):
    def fibonacci(n):
        raise RuntimeError(f"the sandbox let me read {{_LEAKED}}")
'''


def _copy_course(course: Path) -> None:
    """A course checkout: the grader package (what runs), the course (its manifest and lesson
    folders) and its solutions (a secret)."""
    import shutil

    shutil.copytree(REPO / "grader", course / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "course", course / "course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "solutions").mkdir()
    shutil.copy(REPO / "solutions" / "lesson1_warmup.py", course / "solutions")


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_is_graded_and_keeps_neighbours_secret(tmp_path, layout):
    import subprocess
    import sys

    course_at, submission_at, secrets_at, links = LAYOUTS[layout]
    home = tmp_path / "home"

    def where(relative: str) -> Path:
        return home / relative[2:] if relative.startswith("~/") else tmp_path / relative

    course = where(course_at)
    _copy_course(course)
    for link, target in links.items():
        where(target).mkdir(parents=True, exist_ok=True)
        where(link).symlink_to(where(target), target_is_directory=True)
    secrets = [where(s) for s in secrets_at] + [course / "solutions" / "lesson1_warmup.py"]
    for secret in secrets:
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text("secret\n", encoding="utf-8")
    submission = where(submission_at)
    submission.parent.mkdir(parents=True, exist_ok=True)
    source = (REPO / "solutions" / "lesson1_warmup.py").read_text(encoding="utf-8")
    runs = REPO if layout.startswith("installed") else course  # the grader that grades
    submission.write_text(source + PROBE.format(
        secrets=[str(s) for s in secrets], readable=str(runs / "grader" / "__init__.py")),
        encoding="utf-8")
    relative = os.path.relpath(submission, course)  # as a learner types it, inside the course
    env = {**os.environ, "PYTHONPATH": str(course), "HOME": str(home), "COLUMNS": "100"}
    command = [sys.executable, "-m", "grader", "lesson1", "--submission", relative]
    if layout.startswith("installed"):  # on a machine whose /tmp is a file system of its own
        env.pop("PYTHONPATH")
        command = ["unshare", "--mount", "sh", "-c",
                   'mount --make-rprivate / && mount --bind /tmp /tmp && cd "$0" && exec "$@"',
                   str(course), str(Path(sys.executable).parent / "grade"), *command[3:]]
    run = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Score: 16/16" in run.stdout
    assert "sandbox let me read" not in run.stdout


def test_a_sandbox_failure_names_no_flag_of_another_command():
    from grader.learner import session

    text = Path(session.__file__).read_text(encoding="utf-8")
    assert "--no-sandbox" not in text


# -- hidden checks and what the environment imports, wherever they sit ---------------------

HIDDEN_SOURCE = REPO / "tests" / "hidden_checks" / "lesson1_warmup.py"


@pytest.fixture
def system_folder(request) -> Iterator[Path]:
    """A world-readable folder under a system path (left visible to learners), removed after."""
    parent = Path(request.param)
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="grade-test-", dir=parent))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("system_folder", ["/opt", "/var/lib", "/etc", "/usr/local/share",
                                           tempfile.gettempdir()], indirect=True)
def test_the_checks_folder_is_hidden_wherever_it_sits(zygote, classroom, system_folder):
    """``--checks DIR`` in a world-readable folder of a system path (or the temporary folder): the
    learner reads nothing of it, while a public file beside it (the honest twin of the read)
    stays readable."""
    checks = system_folder / "course-hidden"
    checks.mkdir()
    shutil.copy(HIDDEN_SOURCE, checks)
    (system_folder / "public.txt").write_text("public")
    for path in [checks, *checks.iterdir(), system_folder / "public.txt"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    HiddenChecks.from_dir(checks)  # as grade batch --checks DIR reads it
    with LearnerSession(zygote, classroom["alice"], module_name="lesson1_warmup",
                        isolate=True) as session:
        if system_folder.parent != Path(tempfile.gettempdir()):  # the temporary folder: all
            assert call(session, "read", str(system_folder / "public.txt")) == len("public")
        for reader, path in (("listdir", checks), ("read", checks / "lesson1_warmup.py")):
            with pytest.raises(LearnerRaised, match=r"PermissionError|FileNotFoundError"):
                call(session, reader, str(path))


def test_copies_of_the_checks_and_other_learners_folders_are_hidden(zygote, classroom,
                                                                    monkeypatch):
    """The grader's own copies (materialized for pytest, in the temporary folder) and another
    learner's working folder are out of reach, even where the temporary folder is a system
    path's (TMPDIR=/var/tmp/...)."""
    temporary = Path(tempfile.mkdtemp(prefix="grade-test-tmp-", dir="/var/tmp"))
    temporary.chmod(0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    try:
        # content of its own: a copy of the same checks made by an earlier test is reused
        files = {name: data + f"\n# {temporary.name}\n".encode()
                 for name, data in HiddenChecks.from_dir(HIDDEN_SOURCE.parent).files.items()}
        hidden = HiddenChecks(files)
        hidden.checks(find_lesson("lesson1"))  # written out under the temporary folder
        copy = next(temporary.glob("grade-hidden-*"))
        copy.chmod(0o755)  # even were it world-readable
        other = LearnerSession(zygote, classroom["bob"], module_name="lesson1_warmup",
                               isolate=True)
        with other, LearnerSession(zygote, classroom["alice"], module_name="lesson1_warmup",
                                   isolate=True) as session:
            Path(other.workdir).chmod(0o755)
            own = call(session, "listdir", ".")
            assert "lesson1_warmup.py" in own
            for path in (copy, Path(other.workdir)):
                with pytest.raises(LearnerRaised, match=r"PermissionError|FileNotFoundError"):
                    call(session, "listdir", str(path))
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


@pytest.mark.parametrize("place", ["temporary", "personal"])
def test_packages_the_environment_imports_stay_importable(classroom, place, monkeypatch):
    """An image's own site-packages (``TF_COURSE_SITE_PACKAGES``) in a folder the sandbox covers:
    what the learner process imports from it lazily still imports; a secret folder inside it
    stays hidden."""
    parent = tempfile.gettempdir() if place == "temporary" else "/srv"
    Path(parent).mkdir(exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix="grade-test-site-", dir=parent))
    try:
        package = site / "course_extra"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "lazy.py").write_text("VALUE = 'imported lazily'\n")
        secret = site / "hidden"
        secret.mkdir()
        shutil.copy(HIDDEN_SOURCE, secret)
        for path in [site, *site.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        monkeypatch.setenv("PYTHONPATH", str(site))
        HiddenChecks.from_dir(secret)
        learner = classroom["alice"]
        learner.write_text(learner.read_text() + textwrap.dedent("""

            def lazy():
                import course_extra.lazy
                return course_extra.lazy.VALUE
        """))
        with Zygote() as fresh, LearnerSession(fresh, learner, module_name="lesson1_warmup",
                                               isolate=True) as session:
            assert call(session, "lazy") == "imported lazily"
            with pytest.raises(LearnerRaised, match=r"PermissionError|FileNotFoundError"):
                call(session, "read", str(secret / "lesson1_warmup.py"))
    finally:
        shutil.rmtree(site, ignore_errors=True)


READ_THE_CHECKS = '''

import glob as _glob

_LEAK = ""
for _path in _glob.glob({pattern!r}, recursive=True):
    try:
        with open(_path, encoding="utf-8") as _handle:
            _LEAK += _handle.read()
    except OSError:
        pass
if _LEAK:
    def fibonacci(n):
        raise RuntimeError("SECRET " + _LEAK)
'''


@pytest.mark.slow
@pytest.mark.parametrize("system_folder", ["/opt"], indirect=True)
def test_batch_checks_under_a_system_path_never_reach_a_student(tmp_path, system_folder):
    """``grade batch --checks /opt/...`` (world-readable): a student whose code reads the hidden
    module and raises it in a visible check's message earns what the plain solution earns, and
    none of the module reaches that student's files."""
    import subprocess
    import sys

    checks = system_folder / "course-hidden"
    checks.mkdir(mode=0o755)
    shutil.copy(HIDDEN_SOURCE, checks)
    (checks / "lesson1_warmup.py").chmod(0o644)
    solution = (REPO / "solutions" / "lesson1_warmup.py").read_text(encoding="utf-8")
    files = {"honest": solution,
             "reader": solution + READ_THE_CHECKS.format(pattern=f"{system_folder}/**/*.py")}
    for student, text in files.items():
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / "lesson1_warmup.py").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run = subprocess.run(
        [str(Path(sys.executable).parent / "grade"), "batch", str(tmp_path / "class"), "--out",
         str(out), "--jobs", "1", "--lessons", "1", "--checks", str(checks)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    results = {s: json.loads((out / "students" / s / "results.json").read_text())
               for s in files}
    assert results["reader"]["score"] == results["honest"]["score"] == 18
    for path in (out / "students" / "reader").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "SECRET" not in text and "def test_hidden_fibonacci_twenty" not in text
