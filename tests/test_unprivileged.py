"""The grader run by an ordinary user.

Where the kernel lets ordinary users create user namespaces, learner processes are isolated in
them: batch grading runs, and attacks earn nothing. Where it does not, batch grading refuses to
run students' code without isolation, in one line that names the fix, unless the instructor
passes ``--no-sandbox``.

The grader really runs as an unprivileged user (nobody), started from this root test run: in a
private mount namespace, root's home (mode 700, where this machine keeps Python) is covered by a
world-readable tmpfs with only the Python installation bound back, so nobody can start Python.
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

NOBODY = 65534
GRADE = str(Path(sys.executable).parent / "grade")
ATTACKS = Path(__file__).resolve().parent / "adversarial" / "lesson1"
RUN_TIMEOUT_S = 300
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"),
    reason="needs root, unshare and setpriv to start the grader as another user (as in CI)",
)


def _hidden_ancestor(path: Path) -> Path | None:
    """The first folder above ``path`` that other users cannot enter, if any."""
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def _as_nobody(args: list[str], *, home: Path,
               without_user_namespaces: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as nobody, with the folders Python lives in made reachable for it.

    ``without_user_namespaces``: inside a chroot (of the same tree), where the kernel refuses
    user namespaces, as in a container that forbids them.
    """
    needed = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), REPO}
    script = ["set -e", "mount --make-rprivate /"]
    for index, path in enumerate(sorted(needed)):
        hidden = _hidden_ancestor(path)
        if hidden is None:
            continue
        if hidden not in (Path("/root"), Path.home()):
            pytest.skip(f"{path} lies under {hidden}, which other users cannot enter")
        keep = home / f".keep{index}"
        keep.mkdir(exist_ok=True)
        script += [f"mount --bind '{path}' '{keep}'", f"mountpoint -q '{hidden}' || "
                   f"mount -t tmpfs -o mode=755 tmpfs '{hidden}'",
                   f"mkdir -p '{path}'", f"mount --move '{keep}' '{path}'"]
    setpriv = f'setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups'
    if without_user_namespaces:
        jail = home / ".jail"
        jail.mkdir(exist_ok=True)
        script += [f"mount --rbind / '{jail}'", f'exec chroot \'{jail}\' {setpriv} "$@"']
    else:
        script.append(f'exec {setpriv} "$@"')
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "100", "NO_COLOR": "1",
           "TERM": "dumb", "LANG": "C.UTF-8", "PWNED_TAG": "pwned-unprivileged",
           "PYTHONPATH": str(REPO)}  # this checkout's grader, wherever the venv points
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", "\n".join(script), "sh", *args],
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env, cwd=home,
    )


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder nobody may write in (pytest's own temporary folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="grade-unprivileged-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _classroom(folder: Path, attacks: tuple[str, ...] = ()) -> Path:
    """Two reference solutions and the given attacks, every file owned by nobody: the grader's
    own user, whose files a learner running as that user must still not reach."""
    classdir = folder / "class"
    for student in ("alice", "bob"):
        (classdir / student).mkdir(parents=True)
        shutil.copy(REPO / "solutions" / "lesson1_warmup.py", classdir / student)
    for attack in attacks:
        (classdir / attack).mkdir(parents=True)
        shutil.copy(ATTACKS / f"{attack}.py", classdir / attack / "lesson1_warmup.py")
    for path in [classdir, *classdir.rglob("*")]:
        os.chown(path, NOBODY, NOBODY)
    return classdir


def _scores(out: Path) -> dict[str, tuple[float, float]]:
    with open(out / "grades.csv", newline="") as grades:
        return {row["student"]: (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(grades)}


def _processes_of_nobody() -> list[str]:
    """Live processes of nobody (not zombies waiting for init), after a moment to die."""
    deadline = time.monotonic() + 10
    while True:
        found = [entry.name for entry in Path("/proc").iterdir()
                 if entry.name.isdigit() and _owner(entry) == NOBODY and not _zombie(entry)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _zombie(entry: Path) -> bool:
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _owner(entry: Path) -> int | None:
    try:
        return entry.stat().st_uid
    except OSError:
        return None


@pytest.mark.slow
def test_an_ordinary_user_grades_in_user_namespaces_and_attacks_earn_nothing(shared_folder):
    attacks = ("find_the_grader", "read_solution", "write_outside", "kill_parent",
               "network_fetch", "orphan", "segfault_at_import", "memory_hog")
    classdir = _classroom(shared_folder, attacks)
    out = shared_folder / "out"
    graded = _as_nobody([GRADE, "batch", str(classdir), "--out", str(out), "--jobs", "1",
                         "--timeout", "5", "--total-timeout", "20"], home=shared_folder)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    scores = _scores(out)
    assert scores["alice"] == scores["bob"] == (16.0, 16.0)
    ceilings = {"orphan": 6.0}  # its counter is honest work
    assert all(scores[a][0] <= ceilings.get(a, 0.0) for a in attacks), scores
    assert len(scores) == 2 + len(attacks)  # grades.csv was not rewritten by an attack
    with sqlite3.connect(out / "gradebook.db") as book:  # still a database, not a forgery
        assert book.execute("SELECT COUNT(*) FROM results").fetchone()[0] == len(scores)
    planted = [path for path in (*shared_folder.rglob("pwned-unprivileged"),
                                 Path("/tmp/pwned-unprivileged"),
                                 Path("/dev/shm/pwned-unprivileged"),
                                 Path("/var/tmp/pwned-unprivileged")) if path.exists()]
    assert not planted
    assert not _processes_of_nobody()
    def feedback(student: str) -> str:
        return (out / "students" / student / "feedback.md").read_text()

    assert "make_counter is not written yet" in feedback("find_the_grader")
    # The learner's own exit status and memory, seen through its relay process:
    assert "SIGSEGV (a crash)" in feedback("segfault_at_import")
    assert "used more than 4 GiB of memory" in feedback("memory_hog")


@pytest.mark.slow
def test_batch_refuses_without_isolation_and_grades_with_no_sandbox(shared_folder: Path):
    """Where the kernel refuses user namespaces (here: inside a chroot), batch grading refuses to
    run students' code until the instructor accepts the risk."""
    classdir = _classroom(shared_folder)
    out = shared_folder / "out"
    whoami = _as_nobody([sys.executable, "-c", "import os; print(os.geteuid())"],
                        home=shared_folder, without_user_namespaces=True)
    assert whoami.stdout.strip() == str(NOBODY), whoami.stderr

    refused = _as_nobody([GRADE, "batch", str(classdir), "--out", str(out)],
                         home=shared_folder, without_user_namespaces=True)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--no-sandbox" in lines[0], lines
    assert "does not let ordinary users create user namespaces" in lines[0]
    assert not (out / "gradebook.db").exists()

    graded = _as_nobody([GRADE, "batch", str(classdir), "--out", str(out), "--no-sandbox",
                         "--jobs", "1"], home=shared_folder, without_user_namespaces=True)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert _scores(out) == {"alice": (16.0, 16.0), "bob": (16.0, 16.0)}
    assert (out / "gradebook.db").stat().st_uid == NOBODY
