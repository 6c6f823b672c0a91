"""An instructor's course, made with ``grade new-course`` in a folder of its own, graded by
``grade batch`` locally and on a Dask cluster on 127.0.0.1 whose worker has no copy of the
course (its current folder is elsewhere and ``TF_COURSE_DIR`` unset): the course's grading files
travel as content, and every row equals the local run's."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cluster import _cluster

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    env.pop("TF_COURSE_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "grade"), *args], cwd=cwd,
                          capture_output=True, text=True, env=_env(), timeout=600)


def _rows(out: Path) -> list[tuple]:
    db = sqlite3.connect(out / "gradebook.db")
    try:
        return db.execute("SELECT student, lesson, grader_version, status, score, max_score "
                          "FROM results ORDER BY student").fetchall()
    finally:
        db.close()


def test_an_instructors_course_is_graded_on_a_cluster_as_locally(tmp_path):
    assert _grade("new-course", "mine", cwd=tmp_path).returncode == 0
    mine = tmp_path / "mine"
    stem = "lesson1_first_steps"
    for student, source in (("alice", mine / "solutions"), ("bob", mine / "exercises")):
        (tmp_path / "class" / student).mkdir(parents=True)
        (tmp_path / "class" / student / f"{stem}.py").write_bytes(
            (source / f"{stem}.py").read_bytes())
    local = _grade("batch", str(tmp_path / "class"), "--out", str(tmp_path / "local"),
                   cwd=mine)
    assert local.returncode in (0, 1), local.stdout + local.stderr
    expected = _rows(tmp_path / "local")
    assert [(r[0], r[4]) for r in expected] == [("alice", 1.0), ("bob", 0.0)]
    with _cluster(tmp_path / "cluster", [{"TF_COURSE_DIR": ""}]) as cluster:
        remote = _grade("batch", str(tmp_path / "class"), "--out", str(tmp_path / "remote"),
                        "--scheduler", cluster.address, cwd=mine)
    assert remote.returncode in (0, 1), remote.stdout + remote.stderr
    assert "refused" not in remote.stdout + remote.stderr
    assert _rows(tmp_path / "remote") == expected
