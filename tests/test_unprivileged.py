"""The grader run by an ordinary user, where the sandbox cannot be had.

Batch grading then refuses to run students' code without isolation, in one line that names the
fix, unless the instructor passes ``--no-sandbox``; grading one's own lesson still works.

The grader really runs as an unprivileged user (nobody), started from this root test run: in a
private mount namespace, root's home (mode 700, where this machine keeps Python) is covered by a
world-readable tmpfs with only the Python installation bound back, so nobody can start Python.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

NOBODY = 65534
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


def _as_nobody(args: list[str], *, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as nobody, with the folders Python lives in made reachable for it."""
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
    script.append(f'exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups "$@"')
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "100", "NO_COLOR": "1",
           "TERM": "dumb", "LANG": "C.UTF-8"}
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


def _classroom(folder: Path) -> Path:
    classdir = folder / "class"
    for student in ("alice", "bob"):
        (classdir / student).mkdir(parents=True)
        shutil.copy(REPO / "solutions" / "lesson1_warmup.py", classdir / student)
    for path in [classdir, *classdir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return classdir


@pytest.mark.slow
def test_batch_refuses_without_isolation_and_grades_with_no_sandbox(shared_folder: Path):
    classdir = _classroom(shared_folder)
    grade = [str(Path(sys.executable).parent / "grade")]
    whoami = _as_nobody([sys.executable, "-c", "import os; print(os.geteuid())"],
                        home=shared_folder)
    assert whoami.stdout.strip() == str(NOBODY), whoami.stderr

    refused = _as_nobody([*grade, "batch", str(classdir), "--out", str(shared_folder / "out")],
                         home=shared_folder)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--no-sandbox" in lines[0], lines
    assert "not run as root" in lines[0]
    assert not (shared_folder / "out" / "gradebook.db").exists()

    graded = _as_nobody([*grade, "batch", str(classdir), "--out", str(shared_folder / "out"),
                         "--no-sandbox", "--jobs", "1"], home=shared_folder)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with open(shared_folder / "out" / "grades.csv", newline="") as grades:
        rows = list(csv.DictReader(grades))
    assert sorted(row["student"] for row in rows) == ["alice", "bob"]
    assert all(float(row["score"]) == float(row["max_score"]) > 0 for row in rows), rows
    assert (shared_folder / "out" / "gradebook.db").stat().st_uid == NOBODY
