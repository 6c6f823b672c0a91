"""docs/authoring.md, followed literally: an instructor's course made from nothing in a temporary
folder outside this repository, command by command, with the page's code blocks as its files.

Each ``console`` block's ``$ `` lines run in order (``cd`` moves the current folder; a line's
``# exits N`` says the exit code it must end with, else 0); each block whose first line is
``# file: PATH`` is written to PATH (relative to the current folder) without that line. The
``bash`` block (installing the grader) is the one thing not run: this test's grader is the
checkout under test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "authoring.md"
STEP_TIMEOUT_S = 900

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Step:
    kind: str  # "run" or "file"
    text: str  # the command line, or the file's content
    path: str = ""  # a file's path
    exit_code: int = 0


def doc_steps(markdown: str) -> list[Step]:
    """The page's commands and files, in order."""
    steps = []
    for info, body in re.findall(r"^```(\w*)[^\n]*\n(.*?)^```", markdown, re.M | re.S):
        first, _, rest = body.partition("\n")
        if first.startswith("# file: "):
            steps.append(Step("file", rest, first.removeprefix("# file: ").strip()))
        elif info == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    command, _, comment = line[2:].partition("#")
                    found = re.search(r"exits (\d+)", comment)
                    steps.append(Step("run", command.strip(),
                                      exit_code=int(found.group(1)) if found else 0))
    return steps


def _env() -> dict[str, str]:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    env.pop("TF_COURSE_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def follow(steps: list[Step], start: Path) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Run ``steps`` from folder ``start``; every command's result, in order."""
    here, ran = start, []
    for step in steps:
        if step.kind == "file":
            target = (here / step.path).resolve()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
            continue
        words = shlex.split(step.text)
        if words[0] == "cd":
            here = (here / words[1]).resolve()
            continue
        done = subprocess.run(step.text, shell=True, cwd=here, capture_output=True, text=True,
                              env=_env(), timeout=STEP_TIMEOUT_S)
        assert done.returncode == step.exit_code, (
            f"`{step.text}` in {here} exited {done.returncode}, the page says "
            f"{step.exit_code}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        ran.append((step.text, done))
    return ran


def test_the_page_has_the_steps_it_promises():
    steps = doc_steps(DOC.read_text(encoding="utf-8"))
    commands = [s.text for s in steps if s.kind == "run"]
    files = [s.path for s in steps if s.kind == "file"]
    for wanted in ("grade new-course", "grade new-lesson", "grade check-course",
                   "grade audit", "grade release", "grade lesson2", "grade batch", "grade site",
                   "grade notebooks", "grade gradescope"):
        assert any(c.startswith(wanted) for c in commands), wanted
    assert "solutions/lesson2_attention.py" in files
    assert "course/lesson2_attention/checks.py" in files


def test_an_instructor_follows_the_page(tmp_path):
    ran = dict(follow(doc_steps(DOC.read_text(encoding="utf-8")), tmp_path))
    course, student = tmp_path / "mycourse", tmp_path / "student-repo"

    # the lesson of their own passes its own check, and the release holds no answers
    assert "consistent: 2 lesson(s)" in ran["grade check-course"].stdout
    assert not (student / "solutions").exists()
    assert (student / "exercises" / "lesson2_attention.py").read_text() == \
        (course / "exercises" / "lesson2_attention.py").read_text()
    assert "0/6" in ran["grade lesson2"].stdout

    # grade audit: the four recorded equivalents, nothing else survives, the seeds hold
    audited = " ".join(ran["grade audit lesson2 --seeds 3"].stdout.split())
    assert ": survived " not in audited and "3/3" in audited
    report = json.loads((course / "build" / "audit" / "lesson2_attention.json").read_text())
    assert (report["survived"], report["equivalent"]) == (0, 4) and report["caught"] >= 25

    # the batch: alice's solution full marks with the hidden check, bob's stub nothing
    book = sqlite3.connect(tmp_path / "gradebook" / "gradebook.db")
    rows = dict(book.execute("SELECT student, score FROM results").fetchall())
    assert rows == {"alice": 7.0, "bob": 0.0}
    hidden = book.execute("SELECT COUNT(*) FROM checks WHERE visibility = 'hidden'").fetchone()
    assert hidden == (1,)

    # the site, the notebooks, and a Gradescope zip that carries the course
    assert "Attention" in (course / "build" / "site" / "lesson2.html").read_text()
    notebook = json.loads((course / "build" / "notebooks" / "lesson2_attention.ipynb").read_text())
    assert any("attention_weights" in "".join(c["source"]) for c in notebook["cells"])
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        names = set(archive.namelist())
    assert {"course/course.toml", "course/lesson2_attention/checks.py",
            "checks/lesson2_attention.py"} <= names
    assert not any(name.startswith("solutions/") for name in names)
    _try_the_autograder(tmp_path, course)


def _try_the_autograder(tmp_path: Path, course: Path) -> None:
    """The zip tried as the README says (unzip, setup.sh, run_autograder), offline: the new
    environment reuses this machine's TensorFlow, the grader is the zip's wheel."""
    ag = tmp_path / "ag"
    (ag / "submission").mkdir(parents=True)
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        archive.extractall(ag / "source")
        for info in archive.infolist():  # zipfile drops modes: keep the scripts' x bits
            (ag / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    (ag / "submission" / "lesson2_attention.py").write_bytes(
        (course / "solutions" / "lesson2_attention.py").read_bytes())
    env = {key: value for key, value in _env().items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "MNIST_DIR", "PIP_FIND_LINKS")}
    env.update(PATH="/usr/bin:/bin", PIP_NO_INDEX="1", TF_COURSE_VENV=str(tmp_path / "ag-venv"),
               TF_COURSE_PYTHON=getattr(sys, "_base_executable", sys.executable),
               TF_COURSE_SYSTEM_SITE_PACKAGES="1",
               TF_COURSE_SITE_PACKAGES=sysconfig.get_path("purelib"))
    setup = subprocess.run(["bash", str(ag / "source" / "setup.sh")], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    done = subprocess.run([str(ag / "source" / "run_autograder")], cwd=tmp_path,
                          env={**env, "AUTOGRADER_ROOT": str(ag)}, capture_output=True,
                          text=True, timeout=STEP_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((ag / "results" / "results.json").read_text())
    assert results["score"] == 7.0, results
