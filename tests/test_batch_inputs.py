"""What ``grade batch`` and the Gradescope runner read: files and notebooks that must never bring
down, hang or flood a batch (issue 17 §4-5, issue 18 §1).

One class of honest students and one of every kind of bad file is graded by the real
``grade batch`` in a subprocess: every honest student is graded in full, each bad file is that
student's ``error`` with one line saying what is wrong, and a re-run changes nothing. The readers
themselves are then tested in-process, one test per member of each class of bad input, with the
memory they take measured where the bug was memory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch.gradebook import Gradebook
from grader.curriculum import find_lesson
from grader.notebooks.extract import module_source, read_notebook
from grader.safe_read import UnreadableFile, read_regular, shown
from tests.test_batch import RUN_TIMEOUT_S, _env, _grade_script

REPO = Path(__file__).resolve().parents[1]
LESSON1 = find_lesson("lesson1")
SOLUTION = (REPO / "solutions" / LESSON1.filename).read_text(encoding="utf-8")
LATIN1 = os.fsdecode(b"caf\xe9")  # a folder name as `unzip` leaves a latin-1 archive's
MiB = 2**20


def notebook(*sources: str) -> dict:
    """An nbformat-4 notebook of a markdown cell and one code cell per source."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Lesson 1"]}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": source.splitlines(keepends=True)} for source in sources]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def honest() -> dict:
    return notebook(SOLUTION, "counter = make_counter()\nprint(counter())\n")


def _with(change) -> bytes:
    document = honest()
    change(document)
    return json.dumps(document).encode()


def _code_cell(document: dict) -> dict:
    return document["cells"][1]


DEEP_CHAIN = "\nchain = a" + ".b" * 100_000 + "\n"

# -- a class with one of every bad input next to honest students --------------------------------

HONEST = {  # student: files; each gets full marks
    "alice": {LESSON1.filename: SOLUTION.encode()},
    "erin": {"lesson1_warmup.ipynb": json.dumps(honest()).encode()},  # issue 18: a notebook
    "gina": {"lesson1_warmup.ipynb": json.dumps(notebook(  # assignment magics in definitions
        "listing = !ls\nwhere = %pwd\n" + SOLUTION)).encode()},
    "both": {LESSON1.filename: SOLUTION.encode(),
             "lesson1_warmup.ipynb": json.dumps(notebook("x = 1\n")).encode()},
    LATIN1: {LESSON1.filename: SOLUTION.encode()},
}
NB = "lesson1_warmup.ipynb"
BAD = {  # student: (files, fragment of their one-line problem)
    "meta": ({NB: _with(lambda d: d.update(metadata=[]))}, "metadata is not an object"),
    "cellmeta": ({NB: _with(lambda d: _code_cell(d).update(metadata=[]))},
                 "cell 2's metadata is not an object"),
    "source": ({NB: _with(lambda d: _code_cell(d).update(source=[1, 2]))},
               "cell 2's source is not text"),
    "deep": ({NB: b"[" * 100_000 + b"]" * 100_000}, "nested too deep"),
    "bigcode": ({NB: _with(lambda d: _code_cell(d).update(source="x = 1\n" * 2_200_000))},
                "MiB of code"),
    "chain": ({NB: json.dumps(notebook(SOLUTION + DEEP_CHAIN)).encode()}, "RecursionError"),
    "pychain": ({LESSON1.filename: (SOLUTION + DEEP_CHAIN).encode()}, "RecursionError"),
    "fifo": ({LESSON1.filename: "fifo"}, "named pipe (FIFO)"),
    "fifonb": ({NB: "fifo"}, "named pipe (FIFO)"),
    "sparse": ({LESSON1.filename: "sparse 2048"}, "2048 MiB"),
    "sparsenb": ({NB: "sparse 20"}, "20 MiB"),
    os.fsdecode(b"ren\xe9e"): ({LESSON1.filename: b"def make_counter(:\n"}, "SyntaxError"),
}


def _write(folder: Path, files: dict) -> None:
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = folder / name
        if content == "fifo":
            os.mkfifo(path)
        elif isinstance(content, str) and content.startswith("sparse"):
            with path.open("wb") as stream:
                stream.truncate(int(content.split()[1]) * MiB)
        else:
            path.write_bytes(content)


@dataclass
class Run:
    out: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    before: dict
    after: dict


def _batch(classdir: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_grade_script(), "batch", str(classdir), "--out", str(out), "--jobs",
                           "2", "--timeout", "20"], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, env=_env())


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("inputs")
    classdir = root / "class"
    for student, files in HONEST.items():
        _write(classdir / student, files)
    for student, (files, _) in BAD.items():
        _write(classdir / student, files)
    (classdir / "alice" / "notes.txt").write_text("my notes\n")
    (classdir / "roster.csv").write_text("alice\n")
    for n in range(25):  # a folder of strays: listed 20 at a time, the rest counted
        (classdir / "erin" / f"scratch{n:02}.py").write_text("x = 1\n")
    out = root / "out"
    first = _batch(classdir, out)
    with Gradebook(out / "gradebook.db") as book:
        before = book.dump()
    second = _batch(classdir, out)
    with Gradebook(out / "gradebook.db") as book:
        after = book.dump()
    return Run(out, first, second, before, after)


def _results(run: Run) -> dict[str, tuple[str, float, str]]:
    with Gradebook(run.out / "gradebook.db") as book:
        return {r.student: (r.status, r.score, r.problem) for r in book.records()}


def test_the_batch_survives_and_grades_every_honest_student_in_full(graded: Run) -> None:
    assert graded.first.returncode == 0, graded.first.stderr + graded.first.stdout
    assert "Traceback" not in graded.first.stderr + graded.first.stdout
    results = _results(graded)
    assert len(results) == len(HONEST) + len(BAD)
    for student in HONEST:
        assert results[shown(student)][:2] == ("graded", LESSON1.max_points), (
            student, results[shown(student)])


@pytest.mark.parametrize("student", list(BAD))
def test_each_bad_file_is_its_students_error_in_one_line(graded: Run, student: str) -> None:
    status, score, problem = _results(graded)[shown(student)]
    assert (status, score) == ("error", 0)
    assert BAD[student][1] in problem and "\n" not in problem, problem
    full = f"{LESSON1.max_points:g}"
    assert f"{shown(student)} lesson1: 0/{full} error" in graded.first.stdout  # on the console


def test_a_folder_named_in_latin1_is_kept_and_shown_escaped(graded: Run) -> None:
    assert "caf\\xe9" in _results(graded)
    assert (graded.out / "students" / "caf\\xe9" / "feedback.md").is_file()
    full = f"{LESSON1.max_points:g}"
    summary = (graded.out / "summary.md").read_text(encoding="utf-8")
    assert f"| caf\\xe9 | {full}/{full} |" in summary


def test_a_rerun_skips_everyone_and_changes_nothing(graded: Run) -> None:
    assert graded.second.returncode == 0, graded.second.stderr + graded.second.stdout
    everyone = len(HONEST) + len(BAD)
    assert f"{everyone} results already in the gradebook" in graded.second.stdout
    assert graded.after == graded.before


def test_every_ignored_file_is_listed_with_why(graded: Run) -> None:
    summary = (graded.out / "summary.md").read_text(encoding="utf-8")
    console = graded.first.stdout
    expected = [("alice/notes.txt", "not a lesson file's name"),
                ("roster.csv", "not in a student's folder"),
                ("both/lesson1_warmup.ipynb", "lesson1_warmup.py is graded instead"),
                ("erin/scratch00.py", "not a lesson file's name"),
                ("erin/…", "5 more files ignored there")]
    for path, why in expected:
        assert f"| {path} | {why}" in summary, path
        assert f"ignored: {path}: {why}" in console, path
    assert "erin/scratch20.py" not in summary + console  # 20 per folder, then a count


# -- the shared reader: regular files only, size checked before reading, read once --------------


def _finishes(call, seconds: float = 10.0):
    """``call()``'s result or exception, failing the test if it blocks."""
    outcome: list = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed back to the test
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"blocked for more than {seconds} s"
    return outcome[0]


def _peak_mib(call) -> tuple[object, float]:
    tracemalloc.start()
    try:
        result = call()
    except Exception as error:  # the caller checks it
        result = error
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    return result, peak


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lesson1_warmup.py")
    error = _finishes(lambda: read_regular(tmp_path / "lesson1_warmup.py", limit=MiB))
    assert isinstance(error, UnreadableFile) and "named pipe" in str(error)


def test_a_sparse_2_gib_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "lesson1_warmup.py"
    with path.open("wb") as stream:
        stream.truncate(2 * 2**30)
    error, peak = _peak_mib(lambda: read_regular(path, limit=2 * MiB))
    assert isinstance(error, UnreadableFile) and "2048 MiB" in str(error)
    assert peak < 1


def test_the_batch_fingerprint_reads_a_bad_file_once_and_bounded(tmp_path: Path) -> None:
    from grader.commands.batch import _fingerprint

    sparse = tmp_path / "sparse.py"
    with sparse.open("wb") as stream:
        stream.truncate(2 * 2**30)
    (sha, problem), peak = _peak_mib(lambda: _fingerprint(sparse))
    assert sha is None and "2048 MiB" in problem and peak < 1
    os.mkfifo(tmp_path / "fifo.py")
    sha, problem = _finishes(lambda: _fingerprint(tmp_path / "fifo.py"))
    assert sha is None and "named pipe" in problem
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00")
    sha, problem = _fingerprint(binary)
    assert sha is not None and "not a text file" in problem


def test_the_size_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, limit=100) == b"x" * 100
    with pytest.raises(UnreadableFile, match="more than the 99 bytes"):
        read_regular(path, limit=99)


@pytest.mark.parametrize(("make", "says"), [
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: p.symlink_to("/etc/passwd"), "symbolic link"),
    (lambda p: p.symlink_to("/dev/zero"), "symbolic link"),
    (lambda p: None, "no such file"),
])
def test_what_is_not_a_regular_file_is_one_line(tmp_path: Path, make, says: str) -> None:
    path = tmp_path / "lesson1_warmup.py"
    make(path)
    with pytest.raises(UnreadableFile, match=says) as caught:
        read_regular(path, limit=MiB)
    assert "\n" not in str(caught.value)


def test_a_link_is_followed_only_when_the_caller_vetted_it(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("x = 1\n")
    (tmp_path / "lesson1_warmup.py").symlink_to("mine.py")
    assert read_regular(tmp_path / "lesson1_warmup.py", limit=MiB, follow_links=True) == (
        b"x = 1\n")
    with pytest.raises(UnreadableFile, match="symbolic link"):
        read_regular(tmp_path / "lesson1_warmup.py", limit=MiB)
    (tmp_path / "dev.py").symlink_to("/dev/zero")
    with pytest.raises(UnreadableFile, match="a device"):
        read_regular(tmp_path / "dev.py", limit=MiB, follow_links=True)


def test_names_that_are_not_utf8_are_shown_escaped() -> None:
    assert shown(LATIN1) == "caf\\xe9"
    assert shown("café") == "café"
    assert shown("a\ud800b") == "a\\ud800b"
    shown(LATIN1).encode("utf-8")


# -- notebooks: bounded before parsing, structure checked, one line for what is wrong -----------

BAD_NOTEBOOKS: dict[str, tuple[bytes, str]] = {
    "metadata []": (_with(lambda d: d.update(metadata=[])), "metadata is not an object"),
    "cell metadata []": (_with(lambda d: _code_cell(d).update(metadata=[])),
                         "cell 2's metadata"),
    "nbgrader metadata []": (_with(lambda d: _code_cell(d).update(metadata={"nbgrader": []})),
                             "cell 2's metadata"),
    "source [1, 2]": (_with(lambda d: _code_cell(d).update(source=[1, 2])),
                      "cell 2's source is not text"),
    "source a number": (_with(lambda d: _code_cell(d).update(source=3)), "source is not text"),
    "cells not a list": (_with(lambda d: d.update(cells={})), "no cells"),
    "a cell not an object": (_with(lambda d: d["cells"].append([])), "cell 4 is not a cell"),
    "cell_type not text": (_with(lambda d: _code_cell(d).update(cell_type=[])),
                           "cell 2 is not a cell"),
    "nbformat 3": (_with(lambda d: d.update(nbformat=3)), "nbformat 3"),
    "not an object": (b"[1, 2]", "no cells"),
    "not JSON": (b"def f(): pass\n", "not a readable notebook"),
    "not UTF-8": (b'{"cells": ["\xff"]}', "not UTF-8"),
    "JSON nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    "nesting inside metadata": (
        json.dumps(honest())[:-1].encode() + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "nested too deep"),
    "an integer of 100,000 digits": (b'{"cells": [], "n": ' + b"1" * 100_000 + b"}",
                                     "not a readable notebook"),
    "a million objects": (b"[" + b"{}," * 1_100_000 + b"{}]", "JSON objects"),
}


@pytest.mark.parametrize("case", list(BAD_NOTEBOOKS))
def test_a_bad_notebook_is_one_line_saying_what_is_wrong(tmp_path: Path, case: str) -> None:
    data, says = BAD_NOTEBOOKS[case]
    (tmp_path / NB).write_bytes(data)
    code, problem = read_notebook(tmp_path / NB)
    assert says in problem and "\n" not in problem, problem
    assert problem.startswith(NB)
    namespace: dict = {}
    with pytest.raises(ImportError, match=r"lesson1_warmup\.ipynb"):  # the module says it too
        exec(compile(code, "x.py", "exec"), namespace)


def test_a_large_notebook_is_bounded_in_time_and_memory(tmp_path: Path) -> None:
    """The 12.5 MB notebook of issue 17 took 60 s and 6.1 GB before any sandbox."""
    data = _with(lambda d: _code_cell(d).update(source="x = 1\n" * 1_800_000))
    assert len(data) > 12 * MiB
    (tmp_path / NB).write_bytes(data)
    started = time.monotonic()
    (_, problem), peak = _peak_mib(lambda: read_notebook(tmp_path / NB))
    assert "MiB of code, more than the 2 MiB" in problem
    assert time.monotonic() - started < 10 and peak < 300


def test_a_notebook_over_16_mib_is_refused_unread(tmp_path: Path) -> None:
    with (tmp_path / NB).open("wb") as stream:
        stream.truncate(17 * MiB)
    (_, problem), peak = _peak_mib(lambda: read_notebook(tmp_path / NB))
    assert "17 MiB, more than the 16 MiB" in problem and peak < 1


@pytest.mark.parametrize("scratch", [
    "chain = a" + ".b" * 100_000,  # RecursionError in the parser
    "x = " + "-" * 200_000 + "1",  # MemoryError in the parser
    "x = " + "+".join(["1"] * 100_000),
    "x = " + "(" * 1_000 + ")" * 1_000,  # "too many nested parentheses"
])
def test_a_deep_expression_is_the_students_error_not_the_graders(scratch: str) -> None:
    code = module_source(["def f():\n    return 1\n", scratch], origin=NB)  # scratch: dropped
    namespace: dict = {}
    exec(compile(code, "x.py", "exec"), namespace)
    assert namespace["f"]() == 1
    kept = module_source(["def g():\n    return 2\n" + scratch], origin=NB)  # kept as is
    assert scratch in kept


def test_bad_notebooks_in_nbgraders_layout_are_their_students_problems(tmp_path: Path) -> None:
    """``submitted/<student>/<assignment>/``: each bad notebook is found with its one line, the
    honest one without a problem, and nothing raises."""
    from grader.batch.discovery import discover

    base = tmp_path / "course" / "submitted"
    cases = {"ok": (json.dumps(honest()).encode(), "")} | {
        f"s{n:02}": BAD_NOTEBOOKS[case] for n, case in enumerate(BAD_NOTEBOOKS)}
    for student, (data, _) in cases.items():
        (base / student / "lesson1").mkdir(parents=True)
        (base / student / "lesson1" / NB).write_bytes(data)
    found = discover(tmp_path / "course", exclude=tmp_path / "out")
    problems = {s.student: s.problem for s in found.submissions}
    for student, (_, says) in cases.items():
        assert (says in problems[student]) if says else problems[student] == "", student


# -- IPython syntax that nbgrader's kernel runs -------------------------------------------------

MAGICS = {  # a cell of definitions holding IPython syntax: the definitions must survive
    "shell assignment": "listing = !ls",
    "tuple from a shell": "first, rest = !ls",
    "magic assignment": "where = %pwd",
    "attribute target": "config.x = %env HOME",
    "shell escape": "!pip list",
    "line magic": "%matplotlib inline",
    "help after": "make_thing?",
    "double help": "make_thing??",
    "help before": "?make_thing",
    "continued shell": "!pip install \\\n    numpy",
}


@pytest.mark.parametrize("case", list(MAGICS))
def test_ipython_syntax_in_a_cell_of_definitions_is_dropped(case: str) -> None:
    cell = f"{MAGICS[case]}\ndef make_thing():\n    return 41 + 1\n"
    code = module_source([cell], origin=NB)
    namespace: dict = {}
    exec(compile(code, "x.py", "exec"), namespace)
    assert namespace["make_thing"]() == 42


def test_magics_inside_a_function_leave_its_body_whole() -> None:
    code = module_source(["def f():\n    !ls\n    files = !ls\n    return 7\n"], origin=NB)
    namespace: dict = {}
    exec(compile(code, "x.py", "exec"), namespace)
    assert namespace["f"]() == 7


def test_an_autograder_cell_reads_the_cells_as_typed() -> None:
    """In the kernel, IPython rewrites ``x = !ls`` into ``x = get_ipython().getoutput('ls')``;
    that must not reach the learner's process (no IPython there) as a kept assignment."""
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    from grader.notebooks.cell import _history

    shell = InteractiveShell.instance()
    try:
        shell.run_cell("listing = !ls\nwhere = %pwd\ndef make_thing():\n    return 42\n",
                       store_history=True)
        code = module_source(_history(), origin="this notebook")
    finally:
        InteractiveShell.clear_instance()
    namespace: dict = {}
    exec(compile(code, "x.py", "exec"), namespace)
    assert namespace["make_thing"]() == 42 and "get_ipython" not in code
    rewritten = module_source(["listing = get_ipython().getoutput('ls')\nKEEP = 1\n"],
                              origin=NB)
    assert "get_ipython" not in rewritten and "KEEP = 1" in rewritten


def test_timed_code_runs_as_ipython_runs_it() -> None:
    code = module_source(["%time x = 1\ndef f():\n    return x\n",
                          "%%time\ny = 2\n", "%%bash\necho z = 3\n"], origin=NB)
    namespace: dict = {}
    exec(compile(code, "x.py", "exec"), namespace)
    assert (namespace["x"], namespace["y"]) == (1, 2) and "z" not in namespace


def test_a_percent_sign_inside_a_string_is_kept() -> None:
    cell = 'TEMPLATE = """\n%s done\n!important\n"""\n'
    namespace: dict = {}
    exec(compile(module_source([cell], origin=NB), "x.py", "exec"), namespace)
    assert namespace["TEMPLATE"] == "\n%s done\n!important\n"


def test_the_magic_twin_defines_what_the_plain_notebook_defines() -> None:
    """Dropping the magics earns nothing and loses nothing: the same definitions (the batch test
    grades both twins, erin and gina, 17/17)."""
    plain: dict = {}
    magic: dict = {}
    exec(compile(module_source([SOLUTION], origin=NB), "x.py", "exec"), plain)
    exec(compile(module_source(["listing = !ls\nwhere = %pwd\n" + SOLUTION], origin=NB),
                 "x.py", "exec"), magic)
    assert sorted(magic) == sorted(plain)


# -- the Gradescope runner reads through the same reader ----------------------------------------


def test_the_gradescope_runner_refuses_a_sparse_file_unread(tmp_path: Path) -> None:
    import grader
    from grader.gradescope import runner
    from grader.gradescope.version import installed_digest

    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "autograder.json").write_text(json.dumps({
        "grader_version": grader.__version__, "grader_digest": installed_digest(),
        "lessons": [LESSON1.stem, "lesson2_linear_regression"], "call_timeout_s": 30,
        "total_timeout_s": 300, "hidden_visibility": "hidden"}))
    (tmp_path / "submission").mkdir()
    with (tmp_path / "submission" / LESSON1.filename).open("wb") as stream:
        stream.truncate(2 * 2**30)
    os.mkfifo(tmp_path / "submission" / "lesson2_linear_regression.py")
    document, peak = _peak_mib(lambda: _finishes(lambda: runner.grade(tmp_path), 60))
    assert isinstance(document, dict), document
    assert peak < 50
    lesson1 = [t for t in document["tests"]
               if t.get("extra_data", {}).get("lesson") == LESSON1.stem]
    assert lesson1 and all(t["score"] == 0 and "2048 MiB" in t["output"] for t in lesson1)


@pytest.mark.parametrize("case", list(BAD_NOTEBOOKS))
def test_the_gradescope_runner_stages_a_bad_notebook_as_the_students_error(
        tmp_path: Path, case: str) -> None:
    """A bad notebook was a grader fault on Gradescope: it is staged as a module that fails at
    import with the one line (graded as the student's error), and nothing raises."""
    from grader.gradescope.runner import _stage
    from grader.gradescope.submission import NOTEBOOK, Found

    data, says = BAD_NOTEBOOKS[case]
    (tmp_path / NB).write_bytes(data)
    staged = tmp_path / "grading" / LESSON1.filename
    staged.parent.mkdir()
    assert _stage(Found(LESSON1, tmp_path / NB, NOTEBOOK), staged) == ""
    with pytest.raises(ImportError, match=re.escape(says)):
        exec(compile(staged.read_text(encoding="utf-8"), "x.py", "exec"), {})
