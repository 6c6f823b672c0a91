"""``grade gradescope`` as Gradescope runs it: build the zip, unpack it into a fresh
AUTOGRADER_ROOT, run its ``setup.sh`` offline into a new virtual environment (the course wheel
pip-installed from the zip with no index), then ``run_autograder`` on one submission per root,
and check every results.json against Gradescope's specification and against
``grade lessonN --submission FILE --json`` for the same file.

The environment reuses this machine's TensorFlow (``--system-site-packages`` and the test's own
site-packages, after the environment's own) instead of downloading 200 MB; the grader itself is
the wheel from the zip, which the autograder checks by its digest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.batch.records import from_results
from grader.curriculum import find_lesson
from grader.gradescope import submission as found_files
from grader.gradescope.results import Document, Graded
from grader.notebooks.extract import notebook_module
from grader.results import CheckResult, GradingResults
from tests.conftest import REPO, VARIANTS, expected_failures, untouched_stub
from tests.test_cli import ENV, GRADE
from tests.test_no_namespaces import without_namespaces

SETUP_TIMEOUT_S = 600
RUN_TIMEOUT_S = 600
VISIBILITIES = {"visible", "hidden", "after_due_date", "after_published"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
BUGGY = VARIANTS / "lesson2" / "buggy" / "b01_sum_not_mean.py"
HIDDEN_CHECKS = REPO / "tests" / "hidden_checks"  # the instructor's checks of the hidden tests
WITH_HIDDEN = HIDDEN_CHECKS.is_dir()
DETAILS = "Autograder details (instructors only)"


def check_schema(document: dict) -> None:
    """results.json as Gradescope's autograder specification describes it."""
    assert set(document) <= TOP_KEYS, set(document) - TOP_KEYS
    for key in ("score", "execution_time", "output", "tests"):
        assert key in document, key
    assert isinstance(document["score"], int | float) and document["score"] >= 0
    assert isinstance(document["execution_time"], int | float)
    assert document["execution_time"] >= 0
    assert isinstance(document["output"], str) and document["output"].strip()
    for key in ("visibility", "stdout_visibility"):
        assert document.get(key, "visible") in VISIBILITIES
    assert document.get("stdout_visibility") == "hidden"  # tracebacks, logs: instructors only
    assert isinstance(document["tests"], list)
    for test in document["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        for key in ("name", "score", "max_score", "status", "output", "visibility"):
            assert key in test, (key, test)
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], int | float) and isinstance(test["max_score"],
                                                                     int | float)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITIES
        assert isinstance(test["output"], str)
        if test["status"] == "passed":
            assert "Hint:" not in test["output"]  # hints for failed checks only
    assert document["score"] == pytest.approx(sum(t["score"] for t in document["tests"]))


@pytest.fixture(scope="module")
def autograder() -> Iterator[dict]:
    """The zip built by the CLI, unpacked, and set up offline into a fresh environment, in a
    folder every user may enter (as /autograder and /opt are on Gradescope: the learner's own
    user must reach the environment, not the autograder's private folders)."""
    base = Path(tempfile.mkdtemp(prefix="grade-gradescope-"))
    base.chmod(0o755)
    try:
        yield _set_up(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _set_up(base: Path) -> dict:
    zip_path = base / "autograder.zip"
    started = time.monotonic()
    hidden = ["--checks", str(HIDDEN_CHECKS)] if WITH_HIDDEN else []
    built = subprocess.run([GRADE, "gradescope", "--out", str(zip_path), "--lessons", "1,2",
                            *hidden], env=ENV, cwd=base, capture_output=True, text=True,
                           timeout=300)
    build_s = time.monotonic() - started
    assert built.returncode == 0, built.stderr + built.stdout
    source = base / "source"
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        archive.extractall(source)
        for info in archive.infolist():  # zipfile drops modes: keep the scripts' x bits
            (source / info.filename).chmod((info.external_attr >> 16) & 0o777)
    assert {"setup.sh", "run_autograder", "autograder.json", "tensorflow.txt"} <= names
    assert not any(name.startswith("data/") for name in names)  # lessons 1, 2 use no MNIST
    assert any(name.startswith("wheels/tf_course-") for name in names)
    config = json.loads((source / "autograder.json").read_text())
    assert config["lessons"] == ["lesson1_warmup", "lesson2_linear_regression"]
    assert (source / "tensorflow.txt").read_text().strip() == "tensorflow-cpu==2.21.*"

    venv = base / "venv"
    env = {key: value for key, value in ENV.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "MNIST_DIR", "PIP_FIND_LINKS")}
    env.update(
        PATH="/usr/bin:/bin",
        PIP_NO_INDEX="1",  # offline: nothing may come from an index
        TF_COURSE_VENV=str(venv),
        TF_COURSE_PYTHON=getattr(sys, "_base_executable", sys.executable),
        TF_COURSE_SYSTEM_SITE_PACKAGES="1",
        TF_COURSE_SITE_PACKAGES=sysconfig.get_path("purelib"),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    started = time.monotonic()
    setup = subprocess.run(["bash", str(source / "setup.sh")], env=env, cwd=source,
                           capture_output=True, text=True, timeout=SETUP_TIMEOUT_S)
    setup_s = time.monotonic() - started
    assert setup.returncode == 0, setup.stdout + setup.stderr
    # The grader is really installed from the zip's wheel into the new environment.
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import grader; print(grader.__file__)"], env=env, cwd=base,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    installer = next((venv / "lib").glob("python3*/site-packages/tf_course-*.dist-info"))
    assert (installer / "RECORD").is_file()
    origin = json.loads((installer / "direct_url.json").read_text())
    assert origin["url"].startswith((source / "wheels").as_uri()) and "dir_info" not in origin
    return {"base": base, "source": source, "env": env, "config": config,
            "build_s": build_s, "setup_s": setup_s}


def run_autograder(autograder: dict, name: str, files: dict[str, bytes], *,
                   namespaces: bool = True) -> tuple[dict, Path]:
    """A fresh AUTOGRADER_ROOT holding ``files`` in submission/; its results.json.
    ``namespaces`` False: as root without CAP_SYS_ADMIN (a container without namespaces)."""
    root = autograder["base"] / f"root-{name}"
    shutil.copytree(autograder["source"], root / "source")
    (root / "submission").mkdir()
    for relative, data in files.items():
        (root / "submission" / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / relative).write_bytes(data)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope
    env = {**autograder["env"], "AUTOGRADER_ROOT": str(root)}
    started = time.monotonic()
    if namespaces:
        done = subprocess.run([str(root / "run_autograder")], env=env, cwd="/",
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    else:
        done = without_namespaces([str(root / "run_autograder")], env=env, cwd=Path("/"))
    autograder.setdefault("runs", {})[name] = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    check_schema(document)
    return document, root


class GradeJson:
    """``grade lessonN --submission FILE --json OUT``, started now (it runs while the
    autograder does) and read by :meth:`document`."""

    def __init__(self, lesson: str, path: Path, tmp: Path) -> None:
        self.stem = find_lesson(lesson).stem
        self.out = tmp / f"{lesson}-{path.stem}.json"
        hidden = ["--checks", str(HIDDEN_CHECKS)] if WITH_HIDDEN else []
        self.process = subprocess.Popen(
            [GRADE, lesson, "--submission", str(path), "--json", str(self.out), *hidden], env=ENV,
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def document(self) -> dict:
        self.process.wait(RUN_TIMEOUT_S)
        return json.loads(self.out.read_text())


def scores_by_check(document: dict) -> dict[str, float]:
    return {t["extra_data"]["check"]: t["score"] for t in document["tests"]
            if "check" in t.get("extra_data", {})}


def lesson_tests(document: dict, stem: str) -> list[dict]:
    """The tests of one lesson of the zip's results.json."""
    return [t for t in document["tests"] if t.get("extra_data", {}).get("lesson") == stem]


def assert_same_as_grade(document: dict, grade: GradeJson) -> dict:
    """The submitted lesson scores as `grade` gives; the zip's other lesson, not submitted,
    is its checks at 0, each saying which file to submit."""
    expected = grade.document()
    ours = {"tests": lesson_tests(document, grade.stem)}
    assert scores_by_check(ours) == scores_by_check(expected)
    assert document["score"] == pytest.approx(expected["score"])
    others = [t for t in document["tests"]
              if t.get("extra_data", {}).get("lesson") not in (None, grade.stem)]
    assert others and all(t["score"] == 0 and "in your submission" in t["output"]
                          for t in others)
    return expected


@pytest.mark.slow
def test_reference_gets_full_marks_as_grade_gives(autograder: dict, tmp_path: Path) -> None:
    solution = REPO / "solutions" / "lesson1_warmup.py"
    grade = GradeJson("lesson1", solution, tmp_path)
    document, root = run_autograder(autograder, "reference", {solution.name: solution.read_bytes()})
    expected = assert_same_as_grade(document, grade)
    assert document["score"] == expected["max_score"] < document["extra_data"]["max_score"]
    ours = lesson_tests(document, grade.stem)
    assert all(t["status"] == "passed" and t["output"] == "" for t in ours)
    hidden = [t for t in ours if t["visibility"] == "hidden"]
    if WITH_HIDDEN:  # tests/hidden_checks/lesson1_warmup.py: 2 points, VISIBILITY left "hidden"
        assert [t["score"] for t in hidden] == [2]
    else:
        assert not hidden
    assert document["extra_data"]["grader_version"].startswith(
        autograder["config"]["grader_version"] + "+" + autograder["config"]["grader_digest"][:12])
    details = [t for t in document["tests"] if t["name"] == DETAILS]
    assert len(details) == 1 and "sandbox:" in details[0]["output"]
    assert details[0]["visibility"] == "hidden"
    assert details[0]["max_score"] == 0
    assert (root / "grading" / solution.name).is_file()


@pytest.mark.slow
def test_stub_and_buggy_lose_the_points_grade_takes(autograder: dict, tmp_path: Path) -> None:
    stub = untouched_stub("lesson2_linear_regression.py")
    grade = GradeJson("lesson2", stub, tmp_path)
    document, _ = run_autograder(autograder, "stub", {stub.name: stub.read_bytes()})
    assert_same_as_grade(document, grade)
    assert document["score"] == 0
    failed = [t for t in lesson_tests(document, grade.stem) if t["status"] == "failed"]
    assert failed and all("Hint:" in t["output"] for t in failed)
    if WITH_HIDDEN:  # lesson2_linear_regression/shown_after_publishing.py
        assert {t["visibility"] for t in failed} == {"visible", "after_published"}

    copy = tmp_path / stub.name
    copy.write_bytes(BUGGY.read_bytes())
    grade = GradeJson("lesson2", copy, tmp_path)
    document, _ = run_autograder(autograder, "buggy", {stub.name: BUGGY.read_bytes()})
    assert_same_as_grade(document, grade)
    failing = {t["extra_data"]["check"] for t in lesson_tests(document, grade.stem)
               if t["status"] == "failed" and t["visibility"] == "visible"}
    assert failing == expected_failures(BUGGY)
    assert 0 < document["score"] < document["extra_data"]["max_score"]


@pytest.mark.slow
def test_syntax_error_is_zero_with_the_line(autograder: dict, tmp_path: Path) -> None:
    broken = tmp_path / "lesson1_warmup.py"
    broken.write_text("import tensorflow as tf\n\ndef make_counter(:\n    pass\n")
    grade = GradeJson("lesson1", broken, tmp_path)
    document, _ = run_autograder(autograder, "syntax", {broken.name: broken.read_bytes()})
    assert_same_as_grade(document, grade)
    assert document["score"] == 0
    assert "SyntaxError" in document["output"] and "line 3" in document["output"]


@pytest.mark.slow
def test_notebook_is_graded_on_its_code(autograder: dict, tmp_path: Path) -> None:
    solution = (REPO / "solutions" / "lesson1_warmup.py").read_text()
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Lesson 1"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": solution.splitlines(keepends=True)},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["counter = make_counter()\n", "print(counter())\n"]},
    ]}
    data = json.dumps(notebook).encode()
    extracted = tmp_path / "lesson1_warmup.py"
    (tmp_path / "lesson1_warmup.ipynb").write_bytes(data)
    extracted.write_text(notebook_module(tmp_path / "lesson1_warmup.ipynb"))
    grade = GradeJson("lesson1", extracted, tmp_path)
    document, root = run_autograder(autograder, "notebook", {"lesson1_warmup.ipynb": data})
    assert "notebook" in document["output"]
    assert (root / "grading" / "lesson1_warmup.py").read_text() == extracted.read_text()
    expected = assert_same_as_grade(document, grade)
    assert document["score"] == expected["max_score"]


@pytest.mark.slow
def test_a_submission_cannot_write_its_own_results(autograder: dict) -> None:
    """Learner code that writes results.json (and reads the autograder's files) at import time
    changes nothing: the verdict is written last, by the trusted process."""
    root = autograder["base"] / "root-forger"
    forged = json.dumps({"score": 1000, "output": "forged", "tests": []})
    attack = (f"import pathlib\nfor _p in [pathlib.Path({str(root)!r}, 'results', 'results.json')]:"
              f"\n    try:\n        _p.parent.mkdir(exist_ok=True)\n"
              f"        _p.write_text({forged!r})\n    except OSError:\n        pass\n")
    solution = (REPO / "solutions" / "lesson1_warmup.py").read_text()
    document, _ = run_autograder(autograder, "forger",
                                 {"lesson1_warmup.py": (solution + "\n" + attack).encode()})
    ours = lesson_tests(document, "lesson1_warmup")
    assert document["score"] == sum(t["max_score"] for t in ours) > 0
    assert all(t["status"] == "passed" for t in ours)
    assert "forged" not in document["output"]


DAEMON = """
import glob as _glob, json as _json, os as _os, time as _time
_root = {root!r}
_found = []
for _pattern in (_root + "/**/*.py", "/tmp/grade-hidden-*/**/*.py"):
    for _path in _glob.glob(_pattern, recursive=True):
        try:
            with open(_path) as _handle:
                _found.append(_path + ": " + _handle.read())
        except OSError:
            pass
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        with open({marker!r}, "w") as _handle:
            _handle.write(str(_os.getpid()))
        _results = _root + "/results/results.json"
        for _ in range(3000):
            try:
                with open(_results) as _handle:
                    _document = _json.load(_handle)
                for _test in _document["tests"]:
                    _test["score"] = _test.get("max_score", 0)
                    _test["status"] = "passed"
                _document["score"] = sum(_t["score"] for _t in _document["tests"])
                with open(_results, "w") as _handle:
                    _json.dump(_document, _handle)
            except (OSError, ValueError, KeyError):
                pass
            _time.sleep(0.1)
    _os._exit(0)


def fibonacci(n):
    raise RuntimeError("found: " + " | ".join(_found))
"""


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("capsh") or not shutil.which("unshare"),
                    reason="needs root, capsh (libcap2-bin) and unshare to take namespaces away "
                           "(as in CI)")
def test_without_namespaces_a_daemon_neither_forges_results_nor_reads_checks(
        autograder: dict) -> None:
    """Gradescope without namespaces (root without CAP_SYS_ADMIN): the lesson 1 stub plus a
    detached daemon that waits for results.json to rewrite it, and a walk of the disk for the
    hidden checks raised in a visible test's message, earn exactly what the stub alone earns;
    the daemon is dead when run_autograder returns, and the results say what isolation held."""
    stub = untouched_stub("lesson1_warmup.py").read_text()
    honest, _ = run_autograder(autograder, "stub-no-namespaces",
                               {"lesson1_warmup.py": stub.encode()}, namespaces=False)
    marker = Path(tempfile.gettempdir()) / f"grade-daemon-{os.getpid()}"
    root = autograder["base"] / "root-daemon"
    attack = stub + DAEMON.format(root=str(root), marker=str(marker))
    try:
        document, where = run_autograder(autograder, "daemon",
                                         {"lesson1_warmup.py": attack.encode()},
                                         namespaces=False)
        assert where == root and marker.exists(), "the daemon did start"
        daemon = int(marker.read_text())
        time.sleep(2)  # time enough for a live daemon to rewrite the verdict
        assert not _alive(daemon)
        final = json.loads((root / "results" / "results.json").read_text())
    finally:
        marker.unlink(missing_ok=True)
    assert final == document
    assert document["score"] == honest["score"] == 0
    assert scores_by_check(document) == scores_by_check(honest)
    text = json.dumps(document)
    assert "raised RuntimeError" in text  # the attack's message did come back, empty-handed
    if WITH_HIDDEN:
        assert "def test_hidden_fibonacci_twenty(" not in text
    assert "def make_counter" not in text  # nor the submission as received or staged
    for folder in ("source", "results", "submission", "grading"):
        assert (root / folder).stat().st_mode & 0o777 == 0o700
    notes = next(t["output"] for t in document["tests"] if t["name"] == DETAILS)
    assert "run as a user of their own" in notes and "NOT isolated" in notes


@pytest.mark.slow
@pytest.mark.parametrize(("name", "files", "says"), [
    ("misnamed", {"mine.py": b"def make_counter():\n    pass\n"},
     "No lesson file found: this assignment grades lesson1_warmup.py or "
     "lesson2_linear_regression.py, and you submitted mine.py"),
    ("nothing", {}, "Nothing was submitted"),
])
def test_no_lesson_file_is_zero_with_a_message(autograder: dict, name: str,
                                               files: dict[str, bytes], says: str) -> None:
    document, _ = run_autograder(autograder, name, files)
    assert document["score"] == 0
    assert document["output"].count(says) == 1
    # every lesson of the zip is there, its checks at 0
    lessons = [find_lesson("lesson1"), find_lesson("lesson2")]
    checks = [t for t in document["tests"] if t["visibility"] == "visible"]
    assert [t["extra_data"]["check"] for t in checks] == [
        c.id for lesson in lessons for c in lesson.checks()]
    assert all(t["score"] == 0 and says in t["output"] for t in checks)
    assert document["tests"][-1]["name"] == DETAILS


@pytest.mark.slow
def test_a_grader_fault_tells_the_student_to_tell_the_instructor(autograder: dict) -> None:
    solution = REPO / "solutions" / "lesson1_warmup.py"
    root = autograder["base"] / "root-fault-source"
    shutil.copytree(autograder["source"], root)
    config = json.loads((root / "autograder.json").read_text())
    config["grader_digest"] = "0" * 64  # as if the image held another grader
    (root / "autograder.json").write_text(json.dumps(config))
    autograder["source"], saved = root, autograder["source"]
    try:
        document, where = run_autograder(autograder, "fault", {solution.name:
                                                               solution.read_bytes()})
    finally:
        autograder["source"] = saved
    assert document["score"] == 0
    assert "tell your instructor" in document["output"]
    assert "Traceback" not in document["output"]
    [hidden] = document["tests"]
    assert hidden["visibility"] == "hidden" and "is not the one this autograder" in hidden["output"]
    assert "Traceback" in (where / "grader-fault.log").read_text()
    assert not (where / "results" / "grader-fault.log").exists()


@pytest.mark.slow
def test_timings_are_reported(autograder: dict) -> None:
    """Not an assertion on speed (the machine is shared): the figures, for the record."""
    runs = autograder.get("runs", {})
    print(f"\nbuild {autograder['build_s']:.1f} s, setup {autograder['setup_s']:.1f} s, runs "
          + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in runs.items()))
    assert autograder["build_s"] > 0


# ---------------------------------------------------------------- fast: no container


def test_one_lesson_assignment_takes_a_lone_file_of_any_name(tmp_path: Path) -> None:
    lesson = find_lesson("lesson1")
    (tmp_path / "my_answer.py").write_text("x = 1\n")
    found, problem = found_files.find(tmp_path, [lesson])
    assert not problem and [f.path.name for f in found] == ["my_answer.py"]
    assert "graded as lesson1_warmup.py" in found[0].note
    (tmp_path / "other.py").write_text("x = 2\n")
    found, problem = found_files.find(tmp_path, [lesson])
    assert not found and "you submitted my_answer.py, other.py" in problem


def test_hidden_checks_take_the_zips_visibility() -> None:
    lesson = find_lesson("lesson1")
    visible = lesson.checks()[0]
    results = GradingResults(lesson=lesson.stem, title=lesson.title, submission="x", sha256="0",
                             grader_version="v", checks=[
        CheckResult(id=visible.id, title=visible.title, max_points=visible.points,
                    points=0.0, status="failed", message="wrong", hint="look closer at it"),
        CheckResult(id="instructor_extra", title="an instructor's check", max_points=3,
                    points=3.0, status="passed", hint="a hint nobody needs to see"),
    ])
    record = from_results("s", lesson, results, "v")
    for visibility in ("hidden", "after_published"):
        rendered = Document([Graded(lesson, record)], hidden_visibility=visibility).render(1.0)
        check_schema(rendered)
        first, hidden = rendered["tests"]
        assert first["visibility"] == "visible" and "Hint: look closer" in first["output"]
        assert hidden["visibility"] == visibility and hidden["output"] == ""
        assert rendered["score"] == 3


def test_bad_checks_folder_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run([GRADE, "gradescope", "--out", str(tmp_path / "a.zip"), "--checks",
                           str(tmp_path / "nope")], env=ENV, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--checks" in done.stderr
    assert not (tmp_path / "a.zip").exists()



def test_run_autograder_without_setup_still_writes_results(tmp_path: Path) -> None:
    script = REPO / "grader" / "gradescope" / "files" / "run_autograder"
    env = {"PATH": "/usr/bin:/bin", "AUTOGRADER_ROOT": str(tmp_path),
           "TF_COURSE_VENV": str(tmp_path / "no-venv")}
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    document = json.loads((tmp_path / "results" / "results.json").read_text())
    check_schema(document)
    assert document["score"] == 0 and "tell your instructor" in document["output"]


def test_nothing_submitted_to_a_one_lesson_zip_lists_its_checks(tmp_path: Path) -> None:
    import grader
    from grader.gradescope import runner
    from grader.gradescope.version import installed_digest

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "autograder.json").write_text(json.dumps({
        "grader_version": grader.__version__, "grader_digest": installed_digest(),
        "lessons": ["lesson2_linear_regression"], "call_timeout_s": 30,
        "total_timeout_s": 300, "hidden_visibility": "hidden"}))
    document = runner.grade(tmp_path)
    check_schema(document)
    lesson = find_lesson("lesson2")
    visible = [t for t in document["tests"] if t["visibility"] == "visible"]
    assert [t["extra_data"]["check"] for t in visible] == [c.id for c in lesson.checks()]
    assert all(t["score"] == 0 for t in visible)
    assert document["output"].count("Nothing was submitted") == 1
    assert document["output"].endswith(f"Graded by the course's grader {grader.__version__}+"
                                       f"{installed_digest()[:12]}.")


def _two_lesson_root(tmp_path: Path, files: dict[str, bytes]) -> Path:
    import grader
    from grader.gradescope.version import installed_digest

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "autograder.json").write_text(json.dumps({
        "grader_version": grader.__version__, "grader_digest": installed_digest(),
        "lessons": ["lesson1_warmup", "lesson2_linear_regression"], "call_timeout_s": 30,
        "total_timeout_s": 300}))
    (tmp_path / "submission").mkdir()
    for name, data in files.items():
        (tmp_path / "submission" / name).write_bytes(data)
    return tmp_path


UNREADABLE = b"\xff\xfe not a text file\n"  # graded as an error without a learner process


def test_a_lesson_the_submission_lacks_is_zero_worth_its_points(tmp_path: Path) -> None:
    from grader.gradescope import runner

    lesson1, lesson2 = find_lesson("lesson1"), find_lesson("lesson2")
    root = _two_lesson_root(tmp_path, {lesson1.filename: UNREADABLE})
    document = runner.grade(root)
    check_schema(document)
    assert document["extra_data"]["max_score"] == lesson1.max_points + lesson2.max_points
    assert f"0/{lesson2.max_points:g} points (missing)" in document["output"]
    says = f"No {lesson2.filename} in your submission"
    assert document["output"].count(says) == 1
    tests = [t for t in document["tests"] if t.get("extra_data", {}).get("lesson") == lesson2.stem]
    assert [t["extra_data"]["check"] for t in tests] == [c.id for c in lesson2.checks()]
    assert all(t["score"] == 0 and says in t["output"] for t in tests)
    assert sum(t["max_score"] for t in tests) == lesson2.max_points


def test_a_submission_with_every_lesson_is_not_told_a_file_is_missing(tmp_path: Path) -> None:
    from grader.gradescope import runner

    lesson1, lesson2 = find_lesson("lesson1"), find_lesson("lesson2")
    root = _two_lesson_root(tmp_path, {lesson1.filename: UNREADABLE,
                                       lesson2.filename: UNREADABLE})
    document = runner.grade(root)
    assert "in your submission" not in document["output"]
    assert document["extra_data"]["max_score"] == lesson1.max_points + lesson2.max_points


def test_nothing_submitted_to_a_two_lesson_zip_is_every_lesson_at_zero(tmp_path: Path) -> None:
    from grader.gradescope import runner

    document = runner.grade(_two_lesson_root(tmp_path, {}))
    lessons = [find_lesson("lesson1"), find_lesson("lesson2")]
    assert document["extra_data"]["max_score"] == sum(lesson.max_points for lesson in lessons)
    assert document["output"].count("Nothing was submitted") == 1
    assert [t["extra_data"]["check"] for t in document["tests"][:-1]] == [
        c.id for lesson in lessons for c in lesson.checks()]


def test_only_lessons_that_read_mnist_ship_it() -> None:
    from grader.gradescope.build import needs_mnist

    assert not needs_mnist([find_lesson("lesson1"), find_lesson("lesson2")])
    assert not needs_mnist([find_lesson(f"lesson{n}") for n in (8, 9, 10)])
    for number in (3, 4, 5, 6, 7):
        assert needs_mnist([find_lesson("lesson1"), find_lesson(f"lesson{number}")]), number
    assert needs_mnist([find_lesson("lesson1")],
                       [("lesson1_warmup.py", b"from grader.data.mnist import grading_split\n")])


@pytest.mark.slow
def test_a_zip_for_lessons_without_mnist_builds_offline_without_it(tmp_path: Path) -> None:
    """`grade gradescope --lessons 1,2` with no MNIST anywhere and no network: built, no data."""
    env = {**ENV, "MNIST_DIR": str(tmp_path / "no-mnist"), "KERAS_HOME": str(tmp_path / "k"),
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    out = tmp_path / "autograder.zip"
    built = subprocess.run([GRADE, "gradescope", "--out", str(out), "--lessons", "1,2"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr + built.stdout
    with zipfile.ZipFile(out) as archive:
        assert not [name for name in archive.namelist() if name.startswith("data/")]
    refused = subprocess.run([GRADE, "gradescope", "--out", str(tmp_path / "b.zip"),
                              "--lessons", "1,3"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=300)
    assert refused.returncode == 2 and "MNIST" in refused.stderr  # lesson 3 does need it
def test_the_notes_say_plainly_what_isolation_holds() -> None:
    """The results' hidden test carries the sandbox's state: without namespaces, what the
    learner's own user still protects, and where nothing does, that the hidden checks and the
    results are within the learner's reach."""
    from grader.learner.sandbox import Capabilities

    own_user = Capabilities(root=True, namespaces=False, own_user=True).explain()
    assert "run as a user of their own" in own_user and "NOT isolated" in own_user
    for nothing in (Capabilities(root=False, namespaces=False),
                    Capabilities(root=True, namespaces=False, own_user=False)):
        text = nothing.explain()
        assert "NOT isolated" in text and "hidden checks included" in text
        assert "results included" in text
    assert "NOT" not in Capabilities(root=True, namespaces=True, own_user=True).explain()
