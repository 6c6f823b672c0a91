"""The grader as root in a container that allows no namespaces (root without ``CAP_SYS_ADMIN``:
Docker's default, and what Gradescope usually is), reproduced with ``capsh --drop=cap_sys_admin``.

The learner process cannot be hidden from files or the network there, but it still runs as a
user id of its own: it cannot read root's private folders (the hidden checks and their copies),
cannot write the results, and nothing it starts outlives its session, not even a daemon that
detached itself (double fork, new session).

Python lives under /root (mode 700) on this machine, which a learner's user could not enter:
like Gradescope's image, the test makes it world-readable first, in a private mount namespace
(covering /root with a tmpfs into which only Python is bound back), then drops CAP_SYS_ADMIN.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.learner import sandbox
from tests.conftest import REPO

HIDDEN_SOURCE = REPO / "tests" / "hidden_checks" / "lesson1_warmup.py"
SECRET_LINE = "fibonacci(20) is right to the last number (hidden)"  # from the hidden module
RUN_TIMEOUT_S = 600
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("capsh") or not shutil.which("unshare"),
    reason="needs root, capsh (Debian's libcap2-bin) and unshare to take namespaces away "
           "(as in CI)",
)


def _closed_ancestor(path: Path) -> Path | None:
    """The first folder above ``path`` that other users cannot enter, if any."""
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def without_namespaces(args: list[str], *, env: dict[str, str], cwd: Path,
                       reachable: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as root without CAP_SYS_ADMIN (so without new namespaces), with Python,
    this repository and ``reachable`` readable to every user."""
    needed = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), REPO, *reachable}
    script = ["set -e", "mount --make-rprivate /"]
    stage = Path(tempfile.mkdtemp(prefix="grade-stage-"))
    for index, path in enumerate(sorted(needed)):
        hidden = _closed_ancestor(path)
        if hidden is None:
            continue
        if hidden != Path("/root"):
            pytest.skip(f"{path} lies under {hidden}, which other users cannot enter")
        keep = stage / str(index)
        keep.mkdir()
        script += [f"mount --bind '{path}' '{keep}'",
                   f"mountpoint -q '{hidden}' || mount -t tmpfs -o mode=755 tmpfs '{hidden}'",
                   f"mkdir -p '{path}'", f"mount --move '{keep}' '{path}'"]
    capsh = shutil.which("capsh") or "capsh"  # /usr/sbin, which a user's PATH may lack
    script.append(f"""exec {capsh} --drop=cap_sys_admin -- -c 'exec "$0" "$@"' "$@" """)
    try:
        return subprocess.run(["unshare", "--mount", "sh", "-c", "\n".join(script), "sh", *args],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env,
                              cwd=cwd)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def learner_processes(uid: int) -> list[int]:
    """Live processes of the learner user id ``uid``, zombies aside."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and entry.stat().st_uid == uid
                    and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"):
                alive.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return alive


LEARNER = '''
import glob
import os
import time


def whoami():
    return [os.getuid(), os.geteuid()]


def daemon(marker, target):
    """Detach a daemon that outlives the call and rewrites ``target`` for a minute."""
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() == 0:
            with open(marker, "w") as handle:
                handle.write(str(os.getpid()))
            for _ in range(600):
                try:
                    with open(target, "w") as handle:
                        handle.write("forged")
                except OSError:
                    pass
                time.sleep(0.1)
        os._exit(0)
    os.waitpid(first, 0)
    return "started"


def walk(patterns):
    """Every file the patterns match that this process can read."""
    found = {}
    for pattern in patterns:
        for path in glob.glob(pattern, recursive=True):
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    found[path] = handle.read()
            except OSError:
                continue
    return found
'''

SCRIPT = '''
import json, sys, tempfile, time
from pathlib import Path
from grader.curriculum import find_lesson
from grader.errors import SetupError
from grader.hidden import HiddenChecks
from grader.learner.sandbox import machine
from grader.learner.session import LearnerSession
from grader.learner.zygote import Zygote
from tests.test_no_namespaces import learner_processes

work, checks, public_checks = map(Path, sys.argv[1:4])
hidden = HiddenChecks.from_dir(checks)          # the instructor's folder, private to root
hidden.checks(find_lesson("lesson1"))           # and the grader's copy in the temporary folder
report = {"capabilities": machine().explain(), "namespaces": machine().namespaces}

def call(session, name, *args):
    return session.run("lesson1_warmup:call", label=name, seed=1, name=name, args=list(args))

with Zygote() as zygote:
    with LearnerSession(zygote, work / "lesson1_warmup.py", module_name="lesson1_warmup",
                        isolate=True) as session:
        report["uid"] = call(session, "whoami")
        report["daemon"] = call(session, "daemon", str(work / "shared" / "marker"),
                                str(work / "private" / "results.json"))
        time.sleep(1)
        report["alive_during"] = len(learner_processes(session.policy.uid))
        uid = session.policy.uid
        patterns = [str(checks / "*.py"), tempfile.gettempdir() + "/grade-hidden-*/**/*.py",
                    str(work / "shared" / "*.txt")]
        report["found"] = call(session, "walk", patterns)
    time.sleep(1)
    report["alive_after"] = len(learner_processes(uid))
    HiddenChecks.from_dir(public_checks)        # a world-readable checks folder
    try:
        LearnerSession(zygote, work / "lesson1_warmup.py", module_name="lesson1_warmup",
                       isolate=True).close()
        report["refused"] = ""
    except SetupError as error:
        report["refused"] = str(error)
print(json.dumps(report))
'''


@pytest.fixture
def work() -> Iterator[Path]:
    """A world-traversable folder: a learner's user may enter it, as it may enter /tmp."""
    folder = Path(tempfile.mkdtemp(prefix="grade-no-namespaces-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_own_user_without_namespaces_reads_no_checks_writes_no_results_leaves_nothing(work):
    (work / "lesson1_warmup.py").write_text(textwrap.dedent(LEARNER))
    (work / "shared").mkdir(mode=0o777)
    (work / "shared").chmod(0o777)
    (work / "shared" / "public.txt").write_text("public")  # the walk's honest twin
    (work / "private").mkdir(mode=0o700)
    results = work / "private" / "results.json"
    results.write_text("verdict")
    checks = work / "checks"
    checks.mkdir(mode=0o700)
    shutil.copy(HIDDEN_SOURCE, checks)
    public_checks = work / "public-checks"
    public_checks.mkdir()
    shutil.copy(HIDDEN_SOURCE, public_checks)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "LANG": "C.UTF-8",
           "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(work)}
    done = without_namespaces([sys.executable, "-c", SCRIPT, str(work), str(checks),
                               str(public_checks)], env=env, cwd=work)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["namespaces"] is False
    assert "run as a user of their own" in report["capabilities"]
    assert "NOT isolated" in report["capabilities"]
    assert report["uid"][0] == report["uid"][1] and 61000 <= report["uid"][0] < 61900
    assert report["daemon"] == "started"
    assert (work / "shared" / "marker").exists(), "the daemon did run"
    assert report["alive_during"] >= 1
    assert report["alive_after"] == 0 and not learner_processes(report["uid"][0])
    assert results.read_text() == "verdict"
    found = report["found"]
    assert found == {str(work / "shared" / "public.txt"): "public"}, found.keys()
    assert not any(SECRET_LINE in text for text in found.values())
    assert "chmod -R go-rwx" in report["refused"] and str(public_checks) in report["refused"]


def _as_user(uid: int) -> int:
    """A child process that becomes ``uid`` and sleeps (as a learner's detached leftover)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.execvp("sleep", ["sleep", "120"])
        finally:
            os._exit(70)
    return pid


@pytest.mark.skipif(os.geteuid() != 0, reason="learner uids of their own need root")
def test_a_forked_process_never_takes_its_parents_spare_uid():
    """A spare claim stays with the process that kept it: a child forked after (a batch's
    helper, a test's fork) claims a uid of its own, which the parent's next grading does not
    share."""
    claim = sandbox.claim_uid()
    sandbox.return_uid(claim)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, str(sandbox.claim_uid().uid).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        childs = int(pipe.read() or 0)
    try:
        assert childs and childs != claim.uid
        assert sandbox.claim_uid() is claim
    finally:
        claim.release()


@pytest.mark.skipif(os.geteuid() != 0, reason="learner uids of their own need root")
def test_a_killed_learner_not_yet_reaped_is_no_leftover_but_a_live_one_is(monkeypatch):
    """A learner killed by the sweep stays a zombie until the zygote reaps it: the next
    grading that takes its uid does not sweep again for it (a fork per submission); a live
    process of the uid is still swept."""
    claim = sandbox.claim_uid()
    zombie, live = _as_user(claim.uid), None
    sweeps: list[int] = []
    sweep = sandbox.sweep
    monkeypatch.setattr(sandbox, "sweep", lambda uid: (sweeps.append(uid), sweep(uid)))
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie}").stat().st_uid != claim.uid and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(zombie, signal.SIGKILL)
        while (Path(f"/proc/{zombie}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
               and time.monotonic() < deadline):
            time.sleep(0.01)
        sandbox.return_uid(claim)
        assert sandbox.claim_uid() is claim and sweeps == []  # only a zombie left
        live = _as_user(claim.uid)
        time.sleep(0.3)
        sandbox.return_uid(claim)
        assert sandbox.claim_uid() is claim and sweeps == [claim.uid]
        _, status = os.waitpid(live, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    finally:
        sweep(claim.uid)
        claim.release()
        for pid in (zombie, live):
            with contextlib.suppress(ChildProcessError, TypeError):
                os.waitpid(pid, 0)  # type: ignore[arg-type]


def test_leftovers_of_a_grader_that_died_are_swept_but_not_a_live_graders():
    """A learner uid no grader holds any more (its worker was killed mid-grading) has its
    processes killed by the autograder's final sweep; a uid another grader holds is left to it."""
    held = sandbox.UidClaim()
    released = sandbox.UidClaim()
    released.release()
    children = {uid: _as_user(uid) for uid in (held.uid, released.uid)}
    try:
        time.sleep(0.5)
        assert released.uid in sandbox.sweep_unclaimed()
        _, status = os.waitpid(children[released.uid], 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert os.waitpid(children[held.uid], os.WNOHANG) == (0, 0)  # still running
    finally:
        sandbox.sweep(held.uid)
        held.release()
        for pid in children.values():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def test_a_root_grader_whose_packages_its_learners_cannot_read_says_it_runs_them_as_root(
        tmp_path: Path) -> None:
    """A folder Python imports from that a learner's user cannot read (here a private one on
    PYTHONPATH): the learner could not even start as its own user, so the grader says plainly
    that learner code runs as root, and why."""
    private = tmp_path / "private-site"
    private.mkdir(mode=0o700)
    probe = ("from grader.learner.sandbox import capabilities; c = capabilities(); "
             "print(c.own_user, c.unreadable_python); print(c.explain())")
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(tmp_path)}
    runs = {}
    for name, path in (("private", f"{REPO}:{private}"), ("readable", str(REPO))):
        done = without_namespaces([sys.executable, "-c", probe],
                                  env={**env, "PYTHONPATH": path}, cwd=Path("/"))
        assert done.returncode == 0, done.stderr[-2000:]
        runs[name] = done.stdout.splitlines()
    assert runs["readable"][0] == "True False"  # the honest twin: a user of its own
    assert runs["private"][0] == "False True"
    assert "NOT isolated" in runs["private"][1] and "they run as root" in runs["private"][1]
    assert "could not read Python or its packages" in runs["private"][1]


UNREADABLE = '''
import sys
from pathlib import Path
from grader.errors import InfrastructureError
from grader.learner.session import LearnerSession
from grader.learner.zygote import Zygote

with Zygote() as zygote:
    try:
        with LearnerSession(zygote, Path(sys.argv[1]), module_name="lesson1_warmup",
                            isolate=True) as session:
            session.run("lesson1_warmup:call", label="x", seed=1, name="x", args=[])
    except InfrastructureError as error:
        print(error)
'''


@pytest.mark.slow
def test_a_learner_that_could_not_import_as_its_own_user_stops_with_the_fix(
        tmp_path: Path, work: Path) -> None:
    """Asked to isolate anyway, a learner process that finds a folder it imports from closed to
    its user stops before any learner code runs, naming the folder and the fix."""
    private = tmp_path / "private-site"
    private.mkdir(mode=0o700)
    (work / "lesson1_warmup.py").write_text("def x():\n    return 1\n")
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(work),
           "PYTHONPATH": f"{REPO}:{private}", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = without_namespaces([sys.executable, "-c", UNREADABLE,
                               str(work / "lesson1_warmup.py")], env=env, cwd=work)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"cannot read {private}" in done.stdout and "every user may read" in done.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="learner uids of their own need root")
def test_a_process_keeps_its_swept_uid_for_the_next_grading_but_never_shares_a_live_one():
    """A batch worker grades submission after submission: the uid of an ended grading is taken
    again (locked all along, so no other grader took it meanwhile), swept first if anything of
    it is left; two gradings alive at once in one process get two uids."""
    first = sandbox.claim_uid()
    second = sandbox.claim_uid()
    assert first.uid != second.uid  # alive together: never shared
    sandbox.return_uid(first)
    again = sandbox.claim_uid()
    assert again is first
    leftover = _as_user(again.uid)  # as if its learner left a detached process behind
    try:
        time.sleep(0.3)
        sandbox.return_uid(again)
        assert sandbox.claim_uid() is first
        _, status = os.waitpid(leftover, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    finally:
        for claim in (first, second):
            sandbox.sweep(claim.uid)
            claim.release()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(leftover, 0)
