"""The adversarial suite: submissions that cheat, escape or break the grader earn nothing.

Each attack is a file under ``tests/adversarial/``. Graded as a student's file would be (in the
sandbox, 2 s per call), it must earn no point that its honest twin (the stub, or the same
answers without the attack) does not earn, end with a clear message, in bounded time, and leave
nothing behind: no process, no planted file, a grader that still grades the solution in full.

These need root and namespaces (as in CI); elsewhere they skip and say why: without the sandbox
some attacks (``kill(-1)``, writing into the repository) would hit the machine itself.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch.discovery import discover
from grader.curriculum import find_lesson
from grader.learner.failures import LearnerOutOfMemory, LearnerRaised
from grader.learner.sandbox import FIRST_UID, UID_COUNT, WORKDIR_BYTES, capabilities
from grader.learner.session import LearnerSession
from grader.results import GradingResults
from tests.conftest import REPO, untouched_stub

CAPABILITIES = capabilities()
pytestmark = pytest.mark.skipif(not CAPABILITIES.isolated, reason=CAPABILITIES.explain())

ATTACKS = Path(__file__).resolve().parent / "adversarial"
LESSON1 = ATTACKS / "lesson1"
STUB = untouched_stub("lesson1_warmup.py")
CALL_TIMEOUT = 2.0
TOTAL_TIMEOUT = 6.0  # for all calls of one submission: a hanging attack costs this, not 2 s a call
PLANTED = [  # where the planting and writing attacks aim, outside their folder
    REPO / "grader" / "checks" / "conftest.py", REPO / "grader" / "conftest.py",
    REPO / "conftest.py.planted", REPO / "pwned-adversarial",
    REPO / "grader" / "pwned-adversarial", REPO / "solutions" / "pwned-adversarial",
    Path("/tmp/pwned-adversarial"), Path("/dev/shm/pwned-adversarial"),
    Path("/var/tmp/pwned-adversarial"), Path("/tmp/results.json"),
    Path(os.__file__).parent / "sitecustomize.py",
]


@dataclass(frozen=True)
class Attack:
    file: str
    twin: str  # the honest submission it may earn no more than: "stub" or a file of LESSON1
    expect: str  # a regex that the failed checks' messages (or the import problem) match
    within_s: float = 60.0


ATTACK_TABLE = [
    Attack("fake_json_pass.py", "stub", r"make_counter is not written yet"),
    Attack("fake_pytest_pass.py", "stub", r"make_counter\(\) should return|got None"),
    Attack("os_exit_at_import.py", "stub",
           r"importing \w+\.py ended the learner process: it exited with code 0"),
    Attack("sys_exit_at_import.py", "stub", r"calls sys\.exit\(\) .*while it is imported"),
    Attack("os_exit_in_function.py", "honest_counter.py", r"fibonacci\(.*exited with code 0"),
    Attack("sys_exit_in_function.py", "honest_counter.py", r"sys\.exit\(\)"),
    Attack("keyboard_interrupt.py", "honest_counter.py", r"KeyboardInterrupt"),
    Attack("tampered_eq.py", "honest_arrays.py", r"Liar"),
    Attack("ndarray_subclass.py", "honest_zeros.py", r"Sneaky|should be|expected"),
    Attack("patch_numpy_and_builtins.py", "honest_wrong.py", r"."),
    Attack("patch_pytest_and_grader.py", "honest_wrong.py", r"."),
    Attack("patch_probes.py", "honest_python_fibonacci.py",
           r"traced from fibonacci (was not exported|.*could not be read|holds no arithmetic)"),
    Attack("plant_conftest.py", "stub", r"make_counter is not written yet"),
    Attack("infinite_loop_at_import.py", "stub", r"did not return within 2 s", 30),
    Attack("long_sleep.py", "honest_counter.py", r"fibonacci\(.*did not return within 2 s", 25),
    Attack("output_flood.py", "stub", r"make_counter\(\) did not return within 2 s"),
    Attack("segfault_at_import.py", "stub", r"SIGSEGV \(a crash\)"),
    Attack("fork_storm.py", "honest_counter.py", r"."),
    Attack("orphan.py", "honest_counter.py", r"fibonacci is not written yet"),
    Attack("kill_parent.py", "stub", r"got a NoneType"),
    Attack("read_solution.py", "stub", r"make_counter is not written yet"),
    Attack("write_outside.py", "stub", r"make_counter is not written yet"),
    Attack("find_the_grader.py", "stub", r"make_counter is not written yet"),
    Attack("escape_sequences.py", "stub", r"make_counter\(\) raised ValueError \(line \d+\): PASS"),
    Attack("forge_replies.py", "stub", r"make_counter\(\) gave no valid answer \(.*nested"),
]


def _learner_leftovers() -> list[str]:
    """Processes of this test run's learners (our zygote's children) and of the attacks."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid not in range(FIRST_UID, FIRST_UID + UID_COUNT):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        ours = b"grader.learner.zygote" in argv and argv[-2:-1] == [str(os.getpid()).encode()]
        if state != "Z" and (ours or (b"sleep" in argv[0] and argv[1:2] == [b"613"])):
            found.append(f"{entry.name}: {b' '.join(argv).decode(errors='replace')[:80]}")
    return found


def _no_leftovers() -> list[str]:
    deadline = time.monotonic() + 10
    while (left := _learner_leftovers()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(scope="module")
def grade_l1(grade):
    def run(path: Path) -> GradingResults:
        return grade("lesson1", path, isolate=True, call_timeout=CALL_TIMEOUT,
                     total_timeout=TOTAL_TIMEOUT)

    return run


@pytest.fixture(scope="module")
def twins(grade_l1) -> dict[str, dict[str, float]]:
    """Points per check of every honest twin."""
    files = {"stub": STUB, **{a.twin: LESSON1 / a.twin for a in ATTACK_TABLE if a.twin != "stub"}}
    return {name: {c.id: c.points for c in grade_l1(path).checks} for name, path in files.items()}


def test_the_honest_twins_score_as_expected(twins):
    assert sum(twins["stub"].values()) == 0
    # the four counter checks (whether it is a tf.function is a 0-point reported fact)
    assert sum(twins["honest_counter.py"].values()) == 5
    assert 0 < sum(twins["honest_wrong.py"].values()) < 16


@pytest.mark.parametrize("attack", ATTACK_TABLE, ids=[a.file[:-3] for a in ATTACK_TABLE])
def test_an_attack_earns_nothing_unearned(attack: Attack, grade_l1, twins):
    started = time.monotonic()
    results = grade_l1(LESSON1 / attack.file)
    seconds = time.monotonic() - started
    honest = twins[attack.twin]
    unearned = {c.id: (c.points, honest[c.id]) for c in results.checks
                if c.points > honest[c.id]}
    assert not unearned, f"points the honest twin does not earn: {unearned}"
    assert len(results.checks) == len(honest)
    text = "\n".join([results.problem or "", *(c.message for c in results.checks)])
    assert re.search(attack.expect, text), text[:2000]
    shown = text + "".join(c.output for c in results.checks)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", shown)  # no terminal control at all
    assert all(len(c.output) <= 17 * 1024 + 100 for c in results.checks)  # output is capped
    assert seconds < attack.within_s
    assert not _no_leftovers()
    assert not [p for p in PLANTED if p.exists()]


def test_a_forged_graph_earns_what_building_that_graph_earns(grade_l1):
    """The boundary of what the learner process reports: it exports data (values, the traced
    graph, a model's config and weights) and the grader judges that data outside it. A forged
    graph is judged as a graph the submission built itself, which it could (import_graph_def):
    the forgery earns exactly what the same disguise written in the submission earns, and the
    Python numbers without it earn nothing for the graph.
    """
    forged = {c.id: c.points for c in grade_l1(LESSON1 / "forge_graph.py").checks}
    disguised = {c.id: c.points
                 for c in grade_l1(LESSON1 / "honest_disguised_fibonacci.py").checks}
    plain = {c.id: c.points for c in grade_l1(LESSON1 / "honest_python_fibonacci.py").checks}
    assert forged == disguised
    assert disguised["fibonacci_graph_computes"] == 2
    assert plain["fibonacci_graph_computes"] == 0


def test_a_conftest_and_sitecustomize_beside_the_submission_are_ignored(grade_l1, tmp_path):
    """A student folder holding a conftest.py (passing every test) and a sitecustomize.py."""
    hook = textwrap.dedent("""
        import pytest
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            report = outcome.get_result()
            report.outcome = "passed"
    """)
    (tmp_path / "conftest.py").write_text(hook)
    (tmp_path / "sitecustomize.py").write_text("import builtins\nbuiltins.NotImplementedError = "
                                               "type('X', (Exception,), {})\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:grader\n")
    submission = tmp_path / "lesson1_warmup.py"
    submission.write_bytes(STUB.read_bytes())
    results = grade_l1(submission)
    assert results.total == 0
    assert all("not written yet" in c.message for c in results.checks)


def test_a_server_on_loopback_is_unreachable(grade_l1, tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        solution = (REPO / "solutions" / "lesson1_warmup.py").read_bytes()
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(connection)
            connection.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + solution)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    source = (LESSON1 / "network_fetch.py").read_text()
    submission = tmp_path / "lesson1_warmup.py"
    submission.write_text(source.replace("PORT = 0", f"PORT = {server.getsockname()[1]}"))
    try:
        results = grade_l1(submission)
    finally:
        stop.set()
        thread.join()
        server.close()
    assert not accepted
    assert results.total == 0


# -- one learner process, driven directly: memory, disk, secrets ---------------------------------

HOGS = """
    import os, subprocess, sys, time
    MB = 1 << 20
    def hog_here(mb):
        data = [bytearray(MB) for _ in range(mb)]
        return len(data)
    def hog_in_fork(mb):
        if os.fork() == 0:
            data = [bytearray(MB) for _ in range(mb)]
            time.sleep(60)
            os._exit(0)
        time.sleep(60)
    def hog_in_subprocess(mb):
        subprocess.Popen([sys.executable, "-c",
                          f"b = bytearray({mb} * {MB}); import time; time.sleep(60)"])
        time.sleep(60)
    def fill_disk():
        written = 0
        for index in range(64):
            try:
                with open(f"fill{index}", "wb") as handle:
                    for _ in range(64):
                        handle.write(b"x" * MB)
                        written += MB
            except OSError:
                break
        return written
    def environment():
        return dict(os.environ)
    def read(path):
        with open(path, "rb") as handle:
            return len(handle.read())
    def fine():
        return 7
"""


@pytest.fixture
def hogs(zygote, tmp_path):
    path = tmp_path / "student" / "lesson1_warmup.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(HOGS))
    with LearnerSession(zygote, path, module_name="lesson1_warmup", isolate=True,
                        memory_limit=1024 * 2**20) as session:
        yield session


def _call(session: LearnerSession, name: str, *args, timeout: float = 30):
    return session.run("lesson1_warmup:call", label=f"{name}()", seed=1, timeout=timeout,
                       name=name, args=list(args))


@pytest.mark.parametrize("where", ["hog_here", "hog_in_fork", "hog_in_subprocess"])
def test_a_memory_hog_is_stopped_wherever_it_allocates(hogs, where):
    started = time.monotonic()
    with pytest.raises(LearnerOutOfMemory, match=r"used more than 1 GiB of memory"):
        _call(hogs, where, 1500)
    assert time.monotonic() - started < 20
    assert _call(hogs, "fine") == 7  # the next call gets a fresh process
    assert not [line for line in _learner_leftovers() if "sleep" in line]


def test_filling_the_disk_stops_at_the_working_folder_size(hogs):
    written = _call(hogs, "fill_disk")
    assert written <= WORKDIR_BYTES
    assert not any(Path(hogs.workdir).glob("fill*"))  # it wrote into its own tmpfs


def test_the_grader_environment_does_not_reach_the_learner(hogs):
    environment = _call(hogs, "environment")
    assert environment["HOME"] == hogs.workdir
    assert "MNIST_DIR" not in environment
    leaked = set(os.environ) & set(environment) - {"HOME", "KERAS_HOME", "TMPDIR"}
    assert all(name.startswith(("PATH", "LANG", "LC_", "TZ", "TERM", "PYTHON", "TF", "CUDA",
                                "NVIDIA", "XLA", "KERAS", "OMP", "KMP", "MKL", "OPENBLAS",
                                "LD_LIBRARY", "HDF5", "TPU")) for name in leaked), leaked


@pytest.mark.parametrize("secret", ["gradebook", "neighbour", "solution", "data", "home"])
def test_secrets_anywhere_are_unreadable(zygote, tmp_path, secret):
    """A gradebook wherever the instructor put it, a neighbour's file, the data, the solutions."""
    out = tmp_path / "grading-out"
    out.mkdir()
    (out / "gradebook.db").write_bytes(b"SQLite format 3\0" + b"grades" * 100)
    (out / "gradebook.db").chmod(0o644)
    neighbour = tmp_path / "class" / "bob" / "lesson1_warmup.py"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text("SECRET = 1\n")
    neighbour.chmod(0o644)
    mine = tmp_path / "elsewhere" / "lesson1_warmup.py"
    mine.parent.mkdir()
    mine.write_text(textwrap.dedent(HOGS))
    mnist = Path(os.environ.get("MNIST_DIR") or REPO / "solutions")
    data_file = next((p for p in sorted(mnist.iterdir()) if p.is_file()), mnist)
    target = {"gradebook": out / "gradebook.db", "neighbour": neighbour,
              "solution": REPO / "solutions" / "lesson1_warmup.py", "data": data_file,
              "home": Path("/root/.bashrc") if Path("/root/.bashrc").exists()
              else REPO / "README.md"}[secret]
    with (LearnerSession(zygote, mine, module_name="lesson1_warmup", isolate=True) as session,
          pytest.raises(LearnerRaised, match=r"FileNotFoundError|PermissionError")):
        _call(session, "read", str(target))


# -- grade batch: symbolic links and odd names in a class folder --------------------------------


def test_discovery_does_not_follow_links_out_of_a_student_folder(tmp_path):
    root = tmp_path / "class"
    for student in ("ann", "mallory", "oscar", "trudy", "victor"):
        (root / student).mkdir(parents=True)
    lesson = find_lesson("lesson1")
    (root / "ann" / lesson.filename).write_bytes(STUB.read_bytes())
    (root / "mallory" / lesson.filename).symlink_to(REPO / "solutions" / lesson.filename)
    (root / "oscar" / lesson.filename).symlink_to("/etc/passwd")
    (root / "trudy" / lesson.filename).symlink_to(root / "ann" / lesson.filename)
    (root / "victor" / "mine.py").write_bytes(STUB.read_bytes())
    (root / "victor" / lesson.filename).symlink_to("mine.py")  # inside their own folder: fine
    (root / "walter").symlink_to(REPO / "solutions")  # a "student" that is the solutions
    (root / "ann" / "..lesson1_warmup.py").write_text("x = 1\n")
    (root / "ann" / "..\\..\\lesson1_warmup.py").write_text("x = 1\n")
    found = discover(root)
    paths = {s.student: s.path for s in found.submissions}
    assert paths == {"ann": root / "ann" / lesson.filename, "mallory": None, "oscar": None,
                     "trudy": None, "victor": root / "victor" / lesson.filename}
    assert "walter" not in found.students
    assert root / "walter" in found.unrecognized
    assert root / "mallory" / lesson.filename in found.unrecognized
    for path in filter(None, paths.values()):
        assert path.resolve().is_relative_to(root.resolve())


# -- last: nothing the attacks did changed how the grader grades ---------------------------------


def test_after_every_attack_the_solution_still_gets_full_marks(grade_l1):
    results = grade_l1(REPO / "solutions" / "lesson1_warmup.py")
    assert results.full_marks, {c.id: c.message for c in results.checks if not c.passed}
    assert not _no_leftovers()
    assert not [p for p in PLANTED if p.exists()]
    for name in ("conftest.py", "sitecustomize.py"):
        assert not (REPO / "grader" / "checks" / name).exists()


@pytest.mark.slow
def test_a_keras_model_with_a_lambda_layer_earns_nothing(grade, tmp_path):
    """Lesson 5: a model whose Lambda layer would run code where it is rebuilt."""
    marker = tmp_path / "lambda-ran"
    source = (ATTACKS / "lesson5" / "lambda_model.py").read_text()
    submission = tmp_path / "lesson5_keras.py"
    submission.write_text(source.replace("MARKER = None", f"MARKER = {str(marker)!r}"))
    results = grade("lesson5", submission, isolate=True, call_timeout=60)
    # Training does return a real History (as the same model without the Lambda would); every
    # check that judges the model itself, rebuilt in the trusted process, gives nothing.
    earned = {c.id for c in results.checks if c.points}
    assert earned <= {"train_returns_history"}, earned
    assert re.search(r"Lambda|not allowed|cannot|rebuil", " ".join(c.message
                                                                 for c in results.checks))
    assert not marker.exists()


# -- a class of 50 with 10 faulty or malicious submissions ----------------------------------------

MALICIOUS = ["infinite_loop_at_import.py", "output_flood.py", "fork_storm.py", "kill_parent.py",
             "os_exit_at_import.py", "segfault_at_import.py", "orphan.py", "read_solution.py",
             "write_outside.py"]


def _honest_files() -> list[Path]:
    variants = Path(__file__).resolve().parent / "variants" / "lesson1"
    files = [REPO / "solutions" / "lesson1_warmup.py", STUB,
             *sorted((variants / "correct").glob("*.py")),
             *sorted((variants / "buggy").glob("*.py"))]
    return files[:40]


@pytest.mark.slow
def test_a_class_with_ten_attackers_grades_the_forty_others_as_alone(grade_l1, tmp_path):
    lesson = find_lesson("lesson1")
    root = tmp_path / "class"
    honest = {}
    for index, source in enumerate(_honest_files()):
        path = root / f"h{index:02d}" / lesson.filename
        path.parent.mkdir(parents=True)
        path.write_bytes(source.read_bytes())
        honest[path.parent.name] = path
    assert len(honest) == 40
    for index, name in enumerate(MALICIOUS):
        path = root / f"m{index:02d}" / lesson.filename
        path.parent.mkdir(parents=True)
        path.write_bytes((LESSON1 / name).read_bytes())
    (root / "m09").mkdir()
    (root / "m09" / lesson.filename).symlink_to(REPO / "solutions" / lesson.filename)
    out = tmp_path / "out"
    batch = subprocess.run(
        [str(Path(sys.executable).parent / "grade"), "batch", str(root), "--out", str(out),
         "--jobs", "2", "--timeout", str(CALL_TIMEOUT), "--total-timeout", "10"],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    assert batch.returncode == 0, batch.stderr[-3000:] + batch.stdout[-3000:]
    db = sqlite3.connect(out / "gradebook.db")
    rows = db.execute("SELECT student, check_id, points, message FROM check_results").fetchall()
    scores = dict(db.execute("SELECT student, score FROM results").fetchall())
    db.close()
    in_batch: dict[str, dict[str, tuple[float, str]]] = {}
    for student, check_id, points, message in rows:
        in_batch.setdefault(student, {})[check_id] = (points, message)
    for student, path in honest.items():
        alone = {c.id: (c.points, c.message) for c in grade_l1(path).checks}
        assert in_batch[student] == alone, student
    honest_counter = {"fork_storm.py", "orphan.py"}  # their counter is correct: up to 6 points
    ceilings = [6 if name in honest_counter else 0 for name in MALICIOUS] + [0]
    got = [scores[f"m{index:02d}"] for index in range(10)]
    assert all(score <= ceiling for score, ceiling in zip(got, ceilings, strict=True)), got
    assert "ignored: m09/lesson1_warmup.py: a symbolic link out of" in batch.stdout
    assert not _no_leftovers()
    assert not [p for p in PLANTED if p.exists()]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["forge_strategy_facts.py", "forge_device_count.py"])
def test_forged_strategy_facts_earn_nothing_over_single_device_training(grade, attack):
    """Lesson 10 (issue 17 §3): single-device training whose probe is rewritten to report a
    MirroredStrategy over two replicas and mirrored variables, or a process of one device,
    earns what the same training earns honestly: that the replicas ran, each on its share, and
    stayed in sync is judged on the gradients each replica computed, against the grader's own,
    and never on fewer replicas than the grader gave the learner process."""
    def graded(name: str) -> dict[str, tuple[float, str]]:
        results = grade("lesson10", ATTACKS / "lesson10" / name, isolate=True, call_timeout=60)
        return {c.id: (c.points, c.status) for c in results.checks}

    honest, forged = graded("honest_single_device.py"), graded(attack)
    assert sum(points for points, _ in honest.values()) == 16
    assert honest["distributed_uses_both_replicas"] == honest[
        "distributed_variables_in_sync"] == (0, "failed")
    assert {check: points for check, (points, _) in forged.items()} == {
        check: points for check, (points, _) in honest.items()}
    # and the forgery is a failure of the student's file, never "the grader failed"
    assert "error" not in {status for _, status in forged.values()}


#: What each honest non-Dataset make_dataset earns, check by check: every point its batches
#: show, none for what only a tf.data.Dataset has (a graph with a prefetch) or only the learner
#: process can say (that it is one). A list yields the same order every pass; a generator
#: yields nothing on its second.
ITERABLE_POINTS = {
    "honest_list_of_batches.py": {
        "dataset_of_batches": 2, "dataset_is_tf_data": 0, "dataset_every_example_once": 2,
        "dataset_batch_sizes": 1, "dataset_is_shuffled": 2, "dataset_order_follows_seed": 2,
        "dataset_reshuffles_each_epoch": 0, "dataset_prefetches": 0},
    "honest_generator_of_batches.py": {
        "dataset_of_batches": 2, "dataset_is_tf_data": 0, "dataset_every_example_once": 0,
        "dataset_batch_sizes": 1, "dataset_is_shuffled": 2, "dataset_order_follows_seed": 2,
        "dataset_reshuffles_each_epoch": 0, "dataset_prefetches": 0},
}


@pytest.mark.slow
@pytest.mark.parametrize("attack, twin", [
    ("forge_dataset_facts.py", "honest_list_of_batches.py"),
    ("forge_dataset_facts_generator.py", "honest_generator_of_batches.py"),
])
def test_forged_dataset_facts_earn_nothing_over_the_same_batches(grade, attack, twin):
    """Lesson 10 (issue 17 §3): a make_dataset that returns a Python list or generator of the
    right batches, its probe rewritten to report a tf.data.Dataset with the right element_spec,
    earns what the same batches earn honestly: the data checks judge the batches, whatever
    object yields them, and that it is a tf.data.Dataset earns no point."""
    def points(name: str) -> dict[str, float]:
        results = grade("lesson10", ATTACKS / "lesson10" / name, isolate=True, call_timeout=60)
        return {c.id: c.points for c in results.checks}

    honest, forged = points(twin), points(attack)
    assert {k: v for k, v in honest.items() if k.startswith("dataset_")} == ITERABLE_POINTS[twin]
    assert forged == honest
