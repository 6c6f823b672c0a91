"""The ``grade`` command as a learner runs it: the installed script, in a subprocess, in a copy
of the course folder.

Every grading run imports TensorFlow (a few seconds), so each test makes one run and checks
several things about it; the learner-mistake runs go in parallel.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.curriculum import find_lesson
from tests.conftest import untouched_exercises, untouched_stub

REPO = Path(__file__).resolve().parents[1]
STUB = untouched_stub("lesson1_warmup.py")
SOLUTION = REPO / "solutions" / "lesson1_warmup.py"
LESSON1 = find_lesson("lesson1")
CHECKS = LESSON1.checks()
FULL = f"{LESSON1.max_points:g}"
COUNTER_CHECKS = {c.id for c in CHECKS if c.id.startswith("counter")}
FIBONACCI_CHECKS = {c.id for c in CHECKS if c.id.startswith("fibonacci")}
RUN_TIMEOUT_S = 180  # one grading takes seconds; this only keeps a broken CLI from hanging CI


def _grade_script() -> str:
    beside_python = Path(sys.executable).parent / "grade"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("grade")
    if found is None:
        pytest.fail("the grade script is not installed: run `pip install -e .` in the repository")
    return found


def _environment() -> dict[str, str]:
    """The user's environment, minus what would change rich's plain 80-column output."""
    env = dict(os.environ)
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                 "PYTHONUNBUFFERED"):
        env.pop(name, None)
    return env


GRADE = _grade_script()
ENV = _environment()


@dataclass
class Run:
    """One finished ``grade`` process."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout with rich's line wrapping undone: words separated by single spaces."""
        return " ".join(self.out.split())

    def __str__(self) -> str:
        command = " ".join(("grade", *self.args))
        return f"{command} -> {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def grade(*args: str, cwd: Path, timeout: float = RUN_TIMEOUT_S) -> Run:
    done = subprocess.run(
        [GRADE, *args], cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=timeout,
    )
    return Run(args, done.returncode, done.stdout, done.stderr)


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.out + run.err, run
    assert "INTERNALERROR" not in run.out + run.err, run


def assert_one_line_error(run: Run, *fragments: str) -> None:
    """Exit 2, nothing on stdout, and exactly one line on stderr that holds ``fragments``."""
    assert_no_traceback(run)
    assert run.code == 2, run
    assert run.out == "", run
    lines = run.err.splitlines()
    assert len(lines) == 1, run
    assert lines[0].startswith("grade: error: "), run
    for fragment in fragments:
        assert fragment in lines[0], run


def results_by_check(path: Path) -> dict[str, dict]:
    """The tests of a ``--json`` results file, by check id, after checking their fields."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["max_score"] == LESSON1.max_points
    tests = data["tests"]
    assert len(tests) == len(CHECKS)
    for test in tests:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], int | float)
        assert isinstance(test["max_score"], int | float)
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str)
        assert test["score"] == (test["max_score"] if test["status"] == "passed" else 0)
    assert data["score"] == sum(test["score"] for test in tests)
    return {test["extra_data"]["check"]: test for test in tests}


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh course folder (its untouched ``exercises/``), as a learner's new clone has it."""
    root = tmp_path / "course"
    untouched_exercises(root)
    return root


def lesson1_row(run: Run) -> str:
    rows = [line for line in run.out.splitlines() if re.search(r"\blesson1\b", line)]
    assert rows, run
    return rows[0]


# -- grading the learner's own file ---------------------------------------------------------------


def test_the_untouched_stub_scores_zero_with_hints_and_a_next_step(course: Path) -> None:
    run = grade("lesson1", "--hint", "--json", "results.json", cwd=course)
    assert run.code == 1, run
    assert_no_traceback(run)
    assert run.err == "", run  # no TensorFlow log noise either
    assert run.out.count("FAIL") == len(CHECKS), run
    assert "PASS" not in run.out, run
    assert f"Score: 0/{FULL}" in run.out, run
    assert re.search(r"^Next: fix ", run.out, re.MULTILINE), run
    assert "exercises/lesson1_warmup.py" in run.text
    assert "not written yet" in run.text, run
    # --hint: every failing check shows its hint (the tip to use --hint is then left out)
    assert run.text.count("hint: ") == len(CHECKS), run
    for info in CHECKS:
        assert "hint: " + " ".join(info.hint.split())[:40] in run.text, (info.id, run)
    assert "--hint shows hints" not in run.text, run

    by_check = results_by_check(course / "results.json")
    assert json.loads((course / "results.json").read_text())["score"] == 0
    assert {test["status"] for test in by_check.values()} == {"failed"}
    assert all(test["output"] for test in by_check.values())


def test_the_solution_gets_full_marks_and_grade_list_remembers_it(course: Path) -> None:
    before = grade("list", cwd=course)
    assert before.code == 0, before
    assert_no_traceback(before)
    assert "not graded yet" in lesson1_row(before), before
    assert f"/{FULL}" in lesson1_row(before), before

    shutil.copyfile(SOLUTION, course / "exercises" / "lesson1_warmup.py")
    run = grade("lesson1", cwd=course)
    assert run.code == 0, run
    assert_no_traceback(run)
    assert run.err == "", run
    assert run.out.count("PASS") == len(CHECKS), run
    assert "FAIL" not in run.out, run
    assert f"Score: {FULL}/{FULL}" in run.out, run
    assert "Full marks" in run.out, run

    after = grade("list", cwd=course)
    assert after.code == 0, after
    row = lesson1_row(after)
    assert f"{FULL}/{FULL}" in row and "complete" in row, after

    # from a subfolder of the course, grade finds exercises/ above
    inside = course / "notes"
    inside.mkdir()
    assert f"{FULL}/{FULL}" in lesson1_row(grade("list", cwd=inside))


def test_submission_elsewhere_is_graded_and_left_untouched(tmp_path: Path, course: Path) -> None:
    elsewhere = tmp_path / "inbox" / "student 1"
    elsewhere.mkdir(parents=True)
    submission = elsewhere / "my_lesson1.py"
    shutil.copyfile(SOLUTION, submission)
    os.utime(submission, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = (submission.read_bytes(), submission.stat().st_mtime_ns)

    run = grade("lesson1", "--submission", str(submission), "--json", "out.json", cwd=course)
    assert run.code == 0, run
    assert_no_traceback(run)
    assert "Full marks" in run.out, run
    assert (submission.read_bytes(), submission.stat().st_mtime_ns) == before
    assert sorted(p.name for p in elsewhere.iterdir()) == ["my_lesson1.py"]  # no __pycache__

    data = json.loads((course / "out.json").read_text(encoding="utf-8"))
    assert data["score"] == data["max_score"] == LESSON1.max_points
    by_check = results_by_check(course / "out.json")
    assert {test["status"] for test in by_check.values()} == {"passed"}

    # grading another file is not the learner's own progress
    assert "not graded yet" in lesson1_row(grade("list", cwd=course))


# -- usage and setup errors: exit 2, one line, no traceback -------------------------------------

def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


BAD_INPUTS: dict[str, tuple[Callable[[Path], list[str]], tuple[str, ...]]] = {
    "unknown lesson": (lambda c: ["lesson99"], ("lesson99", "grade list")),
    "unknown command": (lambda c: ["frobnicate"], ("frobnicate", "grade --help")),
    "missing submission": (lambda c: ["lesson1", "--submission", "nope.py"],
                           ("nope.py", "no such file")),
    "missing own file": (
        lambda c: (c / "exercises" / "lesson1_warmup.py").unlink() or ["lesson1"],
        ("lesson1_warmup.py", "missing", "grade reset lesson1"),
    ),
    "a folder": (lambda c: ["lesson1", "--submission", "exercises"], ("folder", ".py")),
    "not python": (lambda c: ["lesson1", "--submission", str(_write(c / "a.txt", b"x = 1\n"))],
                   ("a.txt", "not a Python file")),
    "binary, invalid utf-8": (
        lambda c: ["lesson1", "--submission", str(_write(c / "bin.py", b"\x00\xff\xfe\x00ELF"))],
        ("bin.py", "not a text file"),
    ),
    "binary, NUL bytes": (
        lambda c: ["lesson1", "--submission", str(_write(c / "nul.py", b"x = 1\n\x00\x00\n"))],
        ("nul.py", "binary"),
    ),
    "a pipe": (
        lambda c: os.mkfifo(c / "pipe.py") or ["lesson1", "--submission", "pipe.py"],
        ("pipe.py", "not a regular file"),
    ),
    "unreadable even for root": (
        lambda c: (c / "mem.py").symlink_to("/proc/self/mem")
        or ["lesson1", "--submission", "mem.py"],
        ("mem.py", "cannot read"),
    ),
    "unknown option": (lambda c: ["lesson1", "--frobnicate"],
                       ("--frobnicate", "grade --help")),
    "bad timeout": (lambda c: ["lesson1", "--timeout", "0"], ("--timeout",)),
    "bad total timeout": (lambda c: ["lesson1", "--total-timeout", "nan"],
                          ("--total-timeout", "positive number of seconds")),
    "json into a missing folder": (lambda c: ["lesson1", "--json", "no/such/dir/out.json"],
                                   ("no/such/dir/out.json", "does not exist")),
    "json onto a folder": (lambda c: ["lesson1", "--json", "exercises"], ("exercises", "folder")),
    "json onto the graded file": (
        lambda c: ["lesson1", "--json", "exercises/lesson1_warmup.py"], ("overwrite",),
    ),
    "markup in a path": (lambda c: ["lesson1", "--submission", "[bold]x[/].py"],
                         ("[bold]x[/].py", "no such file")),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_exit_2(case: str, course: Path) -> None:
    arrange, fragments = BAD_INPUTS[case]
    if case == "unreadable even for root" and not Path("/proc/self/mem").exists():
        pytest.skip("no /proc/self/mem on this system")
    args = arrange(course)
    own_file = course / "exercises" / "lesson1_warmup.py"
    before = own_file.read_bytes() if own_file.exists() else None
    started = time.monotonic()
    run = grade(*args, cwd=course)
    assert_one_line_error(run, *fragments)
    assert time.monotonic() - started < 30, "a usage error must not wait for grading"
    assert (own_file.read_bytes() if own_file.exists() else None) == before
    assert not (course / ".grade").exists()  # nothing graded, nothing remembered


def test_an_unreadable_file_is_one_clear_line(course: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading "
                    "(the /proc/self/mem case covers unreadable files)")
    locked = course / "locked.py"
    shutil.copyfile(SOLUTION, locked)
    locked.chmod(0)
    try:
        run = grade("lesson1", "--submission", "locked.py", cwd=course)
    finally:
        locked.chmod(0o644)
    assert_one_line_error(run, "locked.py", "cannot read", "permission")


def test_outside_any_course_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(grade("lesson1", cwd=empty), "no exercises/ folder", "--submission")
    listing = grade("list", cwd=empty)
    assert listing.code == 0, listing
    assert_no_traceback(listing)
    assert "file missing" in lesson1_row(listing)
    assert "No exercises/ folder here" in listing.text, listing


def test_no_command_prints_usage_and_exits_2(tmp_path: Path) -> None:
    run = grade(cwd=tmp_path)
    assert run.code == 2, run
    assert_no_traceback(run)
    assert "lesson1" in run.out and "list" in run.out, run
    version = grade("--version", cwd=tmp_path)
    assert version.code == 0 and version.out.startswith("grade "), version


# -- learner mistakes: points missing (exit 1), a clear message, the grader never crashes --------

SOLUTION_SOURCE = SOLUTION.read_text(encoding="utf-8")
FIBONACCI_DEF = SOLUTION_SOURCE.index("def fibonacci(n):")
FIBONACCI_LINE = SOLUTION_SOURCE[:FIBONACCI_DEF].count("\n") + 1
IMPORT_ERROR_LINE = SOLUTION_SOURCE.count("\n") + 3


def _replace_fibonacci(body: str) -> str:
    """The solution with ``fibonacci`` redefined at the end of the file."""
    return SOLUTION_SOURCE + "\n\n" + body


MISTAKES: dict[str, str] = {
    "syntax error": SOLUTION_SOURCE.replace("def fibonacci(n):", "def fibonacci(n)"),
    "missing function": SOLUTION_SOURCE[:FIBONACCI_DEF],
    "wrong return type": _replace_fibonacci(
        "_fibonacci = fibonacci\n\n\ndef fibonacci(n):\n"
        "    return [int(value) for value in _fibonacci(n)]\n"
    ),
    "exception at import": SOLUTION_SOURCE + "\n\nraise RuntimeError('boom at import')\n",
    "sys.exit at import": SOLUTION_SOURCE + "\n\nimport sys\nsys.exit(0)\n",
    "os._exit in fibonacci": _replace_fibonacci(
        "import os\n\n\ndef fibonacci(n):\n    os._exit(0)\n"
    ),
    "lots of output": (
        "import os\nimport sys\n\n"
        "for _i in range(100_000):\n    print('noise at import', _i)\n"
        "print('NOISE ON STDERR', file=sys.stderr)\n"
        "os.write(2, b'NOISE ON FD 2\\n')\n"
        + _replace_fibonacci(
            "_fibonacci = fibonacci\n\n\ndef fibonacci(n):\n"
            "    print('NOISE' * 20_000)\n    return _fibonacci(n)\n"
        )
    ),
}


@pytest.fixture(scope="module")
def mistake_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """Every learner mistake graded with ``--submission --json``, two processes at a time."""
    folder = tmp_path_factory.mktemp("mistakes")
    untouched_exercises(folder)

    def run(index: int, source: str) -> tuple[Run, dict[str, dict]]:
        path = folder / f"mistake{index}" / "lesson1_warmup.py"
        path.parent.mkdir()
        path.write_text(source, encoding="utf-8")
        out = path.parent / "results.json"
        result = grade("lesson1", "--submission", str(path), "--json", str(out), cwd=folder)
        return result, (results_by_check(out) if out.exists() else {})

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(run, index, source)
               for index, (name, source) in enumerate(MISTAKES.items())}


def _passed(by_check: dict[str, dict]) -> set[str]:
    return {check for check, test in by_check.items() if test["status"] == "passed"}


def _mistake(mistake_runs: dict[str, Future], name: str) -> tuple[Run, dict[str, dict]]:
    run, by_check = mistake_runs[name].result(timeout=RUN_TIMEOUT_S * 2)
    assert_no_traceback(run)
    assert run.err == "", run
    assert set(by_check) == {c.id for c in CHECKS}, run
    return run, by_check


def test_a_syntax_error_names_its_line(mistake_runs: dict[str, Future]) -> None:
    run, by_check = _mistake(mistake_runs, "syntax error")
    assert run.code == 1, run
    assert _passed(by_check) == set()
    assert f"SyntaxError at line {FIBONACCI_LINE}" in run.text, run
    assert "fix the syntax" in run.text, run


def test_a_missing_function_is_named_as_missing(mistake_runs: dict[str, Future]) -> None:
    run, by_check = _mistake(mistake_runs, "missing function")
    assert run.code == 1, run
    assert _passed(by_check) == COUNTER_CHECKS
    assert "fibonacci is missing from your file" in run.text, run
    assert "has no attribute" not in by_check["fibonacci_values"]["output"]


def test_a_wrong_return_type_says_what_came_back(mistake_runs: dict[str, Future]) -> None:
    run, by_check = _mistake(mistake_runs, "wrong return type")
    assert run.code == 1, run
    assert _passed(by_check) >= COUNTER_CHECKS
    assert "fibonacci_values" not in _passed(by_check)
    assert "list" in by_check["fibonacci_values"]["output"], by_check["fibonacci_values"]


def test_an_exception_at_import_is_reported_with_its_line(
    mistake_runs: dict[str, Future],
) -> None:
    run, by_check = _mistake(mistake_runs, "exception at import")
    assert run.code == 1, run
    assert _passed(by_check) == set()
    assert "RuntimeError: boom at import" in run.text, run
    assert f"line {IMPORT_ERROR_LINE}" in run.text, run


def test_sys_exit_at_import_is_no_escape(mistake_runs: dict[str, Future]) -> None:
    run, by_check = _mistake(mistake_runs, "sys.exit at import")
    assert run.code == 1, run
    assert _passed(by_check) == set()
    assert "Score: 0/" in run.out, run
    assert "sys.exit()" in run.text, run


def test_os_exit_in_fibonacci_fails_only_fibonacci(mistake_runs: dict[str, Future]) -> None:
    run, by_check = _mistake(mistake_runs, "os._exit in fibonacci")
    assert run.code == 1, run
    assert _passed(by_check) == COUNTER_CHECKS
    assert "ended the learner process" in run.text, run
    assert "exited with code 0" in run.text, run
    # without --hint, the next step says how to see the hints
    assert re.search(r"\(grade lesson1 --submission \S+ --hint shows hints\)", run.text), run


def test_lots_of_output_does_not_reach_the_report(mistake_runs: dict[str, Future]) -> None:
    run, by_check = _mistake(mistake_runs, "lots of output")
    assert run.code == 0, run
    assert _passed(by_check) == {c.id for c in CHECKS}
    assert "NOISE" not in run.out + run.err
    assert len(run.out) < 10_000, len(run.out)


@pytest.mark.slow  # every Fibonacci check waits for its 2 s timeout
def test_an_endless_loop_times_out_and_the_other_checks_still_run(course: Path) -> None:
    """Each call stops at --timeout; once grading has used --total-timeout in all, the calls
    left fail at once instead of each waiting out its own limit."""
    looping = course / "looping.py"
    looping.write_text(_replace_fibonacci("def fibonacci(n):\n    while True:\n        pass\n"),
                       encoding="utf-8")
    started = time.monotonic()
    run = grade("lesson1", "--submission", "looping.py", "--timeout", "2", "--total-timeout",
                "7", "--json", "r.json", cwd=course)
    assert run.code == 1, run
    assert_no_traceback(run)
    by_check = results_by_check(course / "r.json")
    assert _passed(by_check) == COUNTER_CHECKS
    assert "did not return within 2 s" in run.text, run
    outputs = [by_check[c.id]["output"] for c in CHECKS if c.id in FIBONACCI_CHECKS]
    assert "did not return within 2 s" in outputs[0]
    assert all("did not return within 2 s" in o or "time limit of 7 s" in o for o in outputs)
    assert "was not run" in outputs[-1] and "--total-timeout" in outputs[-1], outputs[-1]
    assert time.monotonic() - started < 7 + 30  # not 2 s for each of the fibonacci checks


# -- long-running processes: pipes, Ctrl-C, --watch ------------------------------------------------


class Process:
    """A ``grade`` process in its own session, like a terminal's foreground job."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.popen = subprocess.Popen(
            [GRADE, *args], cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        self.out = b""
        self._selector = selectors.DefaultSelector()
        assert self.popen.stdout is not None
        os.set_blocking(self.popen.stdout.fileno(), False)
        self._selector.register(self.popen.stdout, selectors.EVENT_READ)

    def wait_for(self, pattern: str, timeout: float = 60, start: int = 0) -> int:
        """Read stdout until ``pattern`` (a regex) appears after offset ``start``; its end."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.compile(pattern.encode()).search(self.out, start)
            if found:
                return found.end()
            left = deadline - time.monotonic()
            if left <= 0 or (self.popen.poll() is not None and not self._read()):
                pytest.fail(f"no {pattern!r} within {timeout} s; stdout so far:\n"
                            + self.out.decode(errors="replace"))
            if self._selector.select(timeout=min(left, 0.5)):
                self._read()

    def _read(self) -> bool:
        assert self.popen.stdout is not None
        try:
            chunk = self.popen.stdout.read()
        except BlockingIOError:
            return False
        self.out += chunk or b""
        return bool(chunk)

    def ctrl_c(self) -> None:
        """SIGINT to the whole process group, as a terminal's Ctrl-C does."""
        os.killpg(self.popen.pid, signal.SIGINT)

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        """Wait for the exit (killing the group if it does not come); exit code and stderr."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"grade did not exit within {timeout} s")
        while self._read():
            pass
        assert self.popen.stderr is not None
        return self.popen.returncode, self.popen.stderr.read().decode(errors="replace")

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=30)
        self._selector.close()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def processes() -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(*args: str, cwd: Path) -> Process:
        started.append(Process(*args, cwd=cwd))
        return started[-1]

    yield start
    for process in started:
        process.kill()


def test_watch_regrades_on_save(course: Path, processes: Callable[..., Process]) -> None:
    watching = processes("lesson1", "--watch", cwd=course)
    first = watching.wait_for(rf"Score: 0/{FULL}")
    ready = watching.wait_for(r"Watching exercises/lesson1_warmup\.py", start=first)
    time.sleep(0.5)  # let the watcher settle on the folder
    (course / "exercises" / "lesson1_warmup.py").write_bytes(SOLUTION.read_bytes())
    regraded = watching.wait_for(rf"Score: {FULL}/{FULL}", start=ready)
    watching.wait_for(r"Ctrl-C to stop", start=regraded)
    watching.ctrl_c()
    code, err = watching.finish()
    assert code in (0, 130), (code, err)
    assert "Traceback" not in watching.out.decode() + err, err
    assert "Full marks" in watching.out.decode()


def test_ctrl_c_while_grading_is_a_clean_interruption(
    course: Path, processes: Callable[..., Process]
) -> None:
    (course / "looping.py").write_text(
        _replace_fibonacci("def fibonacci(n):\n    while True:\n        pass\n"), encoding="utf-8"
    )
    grading = processes("lesson1", "--submission", "looping.py", "--timeout", "60", cwd=course)
    last_counter_check = [c for c in CHECKS if c.id in COUNTER_CHECKS][-1]
    grading.wait_for(re.escape(f"PASS {last_counter_check.title}"))  # now in fibonacci's loop
    time.sleep(0.5)
    grading.ctrl_c()
    code, err = grading.finish()
    assert code == 130, (code, err)
    assert err.splitlines() == ["grade: interrupted"], err
    assert "Traceback" not in grading.out.decode()


def test_a_closed_pipe_stops_the_output_not_the_grading(course: Path) -> None:
    """``grade lesson1 | head -3``: no error, and the exit code still tells the score."""
    popen = subprocess.Popen(
        [GRADE, "lesson1", "--json", "results.json"], cwd=course, env=ENV,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert popen.stdout is not None and popen.stderr is not None
        assert popen.stdout.readline().startswith(b"Lesson 1")
        popen.stdout.close()
        code = popen.wait(timeout=RUN_TIMEOUT_S)
        os.set_blocking(popen.stderr.fileno(), False)
        err = (popen.stderr.read() or b"").decode(errors="replace")
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.wait()
    assert code == 1, err
    assert err == "", err
    assert json.loads((course / "results.json").read_text())["score"] == 0
