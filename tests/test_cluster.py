"""``grade batch --scheduler`` on a real Dask cluster on 127.0.0.1: the venv's ``dask scheduler``
and ``dask worker`` commands, started here and always stopped.

One class (good, buggy, broken, hanging and attacking files of lessons 1–3) is graded locally
with ``--jobs 2`` and on a cluster of two workers and one worker whose grader differs; one good
worker is killed with SIGKILL part-way. Every row must equal the local run's; a re-run changes
nothing; a cluster of mismatched workers only is refused; over TLS (certificates made here) the
scheduler is killed mid-run and a re-run resumes.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch.versions import grader_version
from grader.curriculum import find_lesson
from tests.test_batch import _dump, _env, _grade_script, _results

pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
LESSON1, LESSON2, LESSON3 = (find_lesson(f"lesson{n}") for n in (1, 2, 3))
TIMEOUT = "5"
HIDDEN = REPO / "tests" / "hidden_checks"  # an instructor's checks, which travel as content
RUN_TIMEOUT_S = 400
START_TIMEOUT_S = 120
TASKS = 11  # files of the class to grade (the others are missing or unreadable)

pytestmark = pytest.mark.slow


def _dask() -> str:
    return str(Path(sys.executable).parent / "dask")


def _solution(lesson) -> str:
    return (REPO / "solutions" / lesson.filename).read_text(encoding="utf-8")


def _class_files() -> dict[str, dict[str, str | bytes]]:
    l1, l2, l3 = LESSON1.stem, LESSON2.stem, LESSON3.stem
    variants, attacks = TESTS / "variants", TESTS / "adversarial" / "lesson1"
    return {
        "alice": {l1: _solution(LESSON1), l2: _solution(LESSON2), l3: _solution(LESSON3)},
        "bob": {l1: (variants / "lesson1/buggy/fibonacci_int32.py").read_text(),
                l2: (variants / "lesson2/buggy/b01_sum_not_mean.py").read_text()},
        "carol": {l1: "def make_counter(:\n    pass\n"},  # syntax error
        "dave": {l2: _solution(LESSON2) + "\n\ndef predict(x, W, b):\n"
                 "    import ctypes\n    return ctypes.string_at(0)  # segfault\n"},
        "erin": {l1: "while True:\n    pass\n"},  # hangs at import
        "frank": {l1: "import os\nos._exit(3)\n", l3: b"\xff\xfe not a text file\n"},
        "mallory": {l1: (attacks / "kill_parent.py").read_text()},
        "trudy": {l1: (attacks / "find_the_grader.py").read_text()},
    }


def _write_class(root: Path, students: tuple[str, ...] | None = None) -> Path:
    for student, files in _class_files().items():
        if students is not None and student not in students:
            continue
        (root / student).mkdir(parents=True)
        for stem, content in files.items():
            path = root / student / f"{stem}.py"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
    return root


def _batch(*args: str | Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_grade_script(), "batch", *map(str, args)], capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S, env=env or _env())


# -- a cluster of real Dask processes ------------------------------------------------------------


@dataclass
class Cluster:
    address: str
    folder: Path
    processes: list[subprocess.Popen]


def _start(folder: Path, workers: list[dict[str, str]], tls: list[str] | None = None,
           ) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler on a free port of 127.0.0.1 and ``workers`` (each the extra environment of
    one worker), with ``tls`` options if given; the address once every worker is connected."""
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file = folder / "scheduler.json"
    tls = tls or []
    protocol = ["--protocol", "tls"] if tls else []
    processes = []
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)

    def launch(name: str, args: list[str], extra: dict[str, str] | None = None) -> None:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra or {})}
        processes.append(subprocess.Popen(
            [_dask(), *args], stdout=subprocess.DEVNULL,
            stderr=(logs / f"{name}.log").open("w"), env=env, cwd=folder,
            start_new_session=True))

    launch("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                         "--scheduler-file", str(scheduler_file), *protocol, *tls])
    deadline = time.monotonic() + START_TIMEOUT_S
    while not scheduler_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    for n, extra in enumerate(workers):
        launch(f"worker{n}", ["worker", "--scheduler-file", str(scheduler_file), "--nthreads",
                              "1", "--no-nanny", "--no-dashboard", "--name", f"w{n}", *tls],
               extra)
    for _ in range(600):
        with contextlib.suppress(ValueError, OSError):
            info = json.loads(scheduler_file.read_text())
            if info.get("address"):
                break
        time.sleep(0.2)
    address = info["address"]
    log = logs / "scheduler.log"
    while log.read_text().count("Register worker") < len(workers):
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.2)
    return address, processes


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def _cluster(folder: Path, workers: list[dict[str, str]], tls: list[str] | None = None
             ) -> Iterator[Cluster]:
    processes: list[subprocess.Popen] = []
    try:
        address, processes = _start(folder, workers, tls)
        yield Cluster(address, folder, processes)
    finally:
        _stop(processes)


def _other_grader(root: Path) -> dict[str, str]:
    """The environment of a worker whose grader differs: a copy with a changed grading module
    (the course itself travels as content, so only the grader can differ)."""
    copy = root / "other-grader"
    shutil.copytree(REPO / "grader", copy / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    checks = copy / "grader" / "expect.py"
    checks.write_text(checks.read_text() + "\n# an instructor's local edit\n")
    return {"PYTHONPATH": str(copy)}


# -- the class, graded locally and on the cluster ------------------------------------------------


@dataclass
class Runs:
    classdir: Path
    local: Path
    cluster: Path
    process: subprocess.CompletedProcess[str]
    address: str  # the cluster stays up for the module's tests
    killed: int  # results in the gradebook when a worker was killed


def _graded(out: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{out / 'gradebook.db'}?mode=ro", uri=True)
        try:
            return db.execute(  # graded by a worker, not recorded without grading
                "SELECT count(*) FROM results WHERE duration_s > 0").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _kill_a_busy_worker(cluster: Cluster, out: Path, run: subprocess.Popen) -> int:
    """Once a result is in, SIGKILL a good worker while it grades; the results in by then."""
    from distributed import Client

    deadline = time.monotonic() + RUN_TIMEOUT_S
    with Client(cluster.address, timeout=30, set_as_default=False) as client:
        while run.poll() is None and time.monotonic() < deadline:
            graded = _graded(out)
            busy = [a for a, keys in client.processing().items() if keys]
            if graded >= 1 and busy:
                pids = client.run(os.getpid, workers=busy[:1])
                os.kill(pids[busy[0]], signal.SIGKILL)
                return graded
            time.sleep(0.3)
    raise AssertionError("the run ended before a worker could be killed")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("cluster")
    classdir = _write_class(root / "class")
    local = root / "local"
    done = _batch(classdir, "--out", local, "--jobs", "2", "--timeout", TIMEOUT,
                  "--checks", HIDDEN)
    assert done.returncode == 0, done.stderr + done.stdout
    with _cluster(root / "dask", [{}, {}, _other_grader(root)]) as cluster:
        out = root / "on-cluster"
        run = subprocess.Popen(
            [_grade_script(), "batch", str(classdir), "--out", str(out), "--scheduler",
             cluster.address, "--timeout", TIMEOUT, "--checks", str(HIDDEN)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=_env())
        try:
            killed = _kill_a_busy_worker(cluster, out, run)
            stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
        finally:
            if run.poll() is None:
                run.kill()
        process = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
        yield Runs(classdir, local, out, process, cluster.address, killed)


def test_the_cluster_gradebook_equals_the_local_one_though_a_worker_was_killed(
    runs: Runs,
) -> None:
    assert runs.process.returncode == 0, runs.process.stderr + runs.process.stdout
    assert runs.killed < TASKS, "the worker was killed after the last result"
    assert _dump(runs.cluster / "gradebook.db") == _dump(runs.local / "gradebook.db")
    statuses = {key: row["status"] for key, row in _results(runs.cluster).items()}
    assert statuses[("alice", "lesson3")] == "graded"
    assert statuses[("erin", "lesson1")] == "timeout"
    assert statuses[("carol", "lesson1")] == statuses[("frank", "lesson3")] == "error"
    assert statuses[("dave", "lesson2")] == "crashed"
    results = _results(runs.cluster)
    assert results[("alice", "lesson3")]["score"] == LESSON3.max_points
    # The instructor's hidden checks were graded on the workers too, and count.
    assert results[("alice", "lesson1")]["max_score"] > LESSON1.max_points
    for name in ("grades.csv", "summary.md"):
        assert (runs.cluster / name).read_text() == (runs.local / name).read_text()
    for student in _class_files():
        feedback = Path("students") / student / "feedback.md"  # junit.xml has timings
        assert (runs.cluster / feedback).read_text() == (runs.local / feedback).read_text()


def test_the_worker_of_another_grader_is_refused_naming_both_versions(runs: Runs) -> None:
    out = runs.process.stdout
    ours = grader_version(LESSON1)
    refusals = [line for line in out.splitlines() if "refused" in line]
    assert len(refusals) == 1, out
    assert f"this client {ours}" in refusals[0] and "for lesson1_warmup" in refusals[0]
    theirs = refusals[0].split(" runs grader ")[1].split(" ")[0]
    assert theirs.startswith("0.") and theirs != ours


def test_progress_counts_the_workers_and_names_the_cluster(runs: Runs) -> None:
    out = runs.process.stdout
    assert f"{TASKS} to grade on the Dask cluster at {runs.address}" in out
    assert "Grading" in out and " workers" in out and "ETA" in out
    assert "erin lesson1: 0/18 timeout" in out  # 16 points of the lesson's, 2 of the hidden
    assert runs.process.stderr == ""


def test_a_rerun_on_the_cluster_changes_nothing(runs: Runs, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(runs.cluster, out)
    before = _dump(out / "gradebook.db")
    again = _batch(runs.classdir, "--out", out, "--scheduler", runs.address, "--timeout", TIMEOUT,
                   "--checks", HIDDEN)
    assert again.returncode == 0, again.stderr
    assert "0 to grade" in again.stdout
    assert _dump(out / "gradebook.db") == before


def test_a_cluster_of_mismatched_workers_only_stops_in_one_line(tmp_path: Path) -> None:
    classdir = _write_class(tmp_path / "class", students=("alice",))
    with _cluster(tmp_path / "dask", [_other_grader(tmp_path)]) as cluster:
        result = _batch(classdir, "--out", tmp_path / "out", "--scheduler", cluster.address,
                        "--lessons", "1")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "no worker of" in lines[0] and f"this client {grader_version(LESSON1)}" in lines[0]
    assert _results(tmp_path / "out") == {}


# -- TLS -----------------------------------------------------------------------------------------


def _certificates(folder: Path) -> dict[str, Path]:
    """A CA and one certificate for 127.0.0.1 signed by it (scheduler, workers and client)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test CA")).issuer_name(name("test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return paths


def test_tls_then_a_lost_scheduler_is_one_line_and_a_rerun_resumes(
    runs: Runs, tmp_path: Path
) -> None:
    """Over TLS (certificates made here), a scheduler killed mid-run stops the run in one line
    and keeps what was graded; the scheduler gone is one line too; a re-run (here on this
    machine, which reads the same gradebook) resumes to the local run's rows."""
    pytest.importorskip("cryptography")
    certs = _certificates(tmp_path / "certs")
    security = tmp_path / "certs" / "security.yaml"
    security.write_text("distributed:\n  comm:\n    require-encryption: true\n    tls:\n"
                        "      ca-file: ca.pem\n      client:\n        cert: cert.pem\n"
                        "        key: key.pem\n")
    tls = ["--tls-ca-file", str(certs["ca"]), "--tls-cert", str(certs["cert"]), "--tls-key",
           str(certs["key"])]
    students = ("alice", "bob", "erin")
    classdir = _write_class(tmp_path / "class", students=students)
    out = tmp_path / "out"
    with _cluster(tmp_path / "dask", [{}], tls=tls) as cluster:
        assert cluster.address.startswith("tls://127.0.0.1:")
        bare = _batch(classdir, "--out", out, "--scheduler", cluster.address, "--lessons", "1")
        assert bare.returncode == 2 and len(bare.stderr.strip().splitlines()) == 1
        assert "--security" in bare.stderr
        run = subprocess.Popen(
            [_grade_script(), "batch", str(classdir), "--out", str(out), "--scheduler",
             cluster.address, "--security", str(security), "--timeout", TIMEOUT,
             "--lessons", "1", "--checks", str(HIDDEN)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=_env())
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while _graded(out) < 1 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(cluster.processes[0].pid, signal.SIGKILL)  # the scheduler
        stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
        assert run.returncode == 2, stdout + stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "lost the Dask scheduler" in lines[0], lines
        kept = _graded(out)
        assert 1 <= kept < len(students)
        gone = _batch(classdir, "--out", out, "--scheduler", cluster.address, "--security",
                      security, "--lessons", "1")
    assert gone.returncode == 2
    lines = gone.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0], lines
    resumed = _batch(classdir, "--out", out, "--jobs", "1", "--timeout", TIMEOUT,
                     "--lessons", "1", "--checks", HIDDEN)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{kept} results already in the gradebook" in resumed.stdout
    local = {key: (row["score"], row["status"], row["sha256"], row["problem"])
             for key, row in _results(runs.local).items()
             if key[0] in students and key[1] == "lesson1"}
    assert {key: (row["score"], row["status"], row["sha256"], row["problem"])
            for key, row in _results(out).items()} == local


# -- without Dask, and the hidden checks' payload ------------------------------------------------


def test_without_distributed_scheduler_says_what_to_install(tmp_path: Path) -> None:
    fake = tmp_path / "no-dask" / "distributed"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    classdir = _write_class(tmp_path / "class", students=("alice",))
    env = {**_env(), "PYTHONPATH": str(fake.parent)}
    result = _batch(classdir, "--out", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9",
                    env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install -e ".[cluster]"' in lines[0], lines


def test_hidden_check_files_travel_as_content_and_stay_inside_their_folder(
    tmp_path: Path,
) -> None:
    from grader.batch.cluster_worker import _write_checks

    def checks_payload(folder: Path) -> dict[str, bytes]:
        return {path.relative_to(folder).as_posix(): path.read_bytes()
                for path in sorted(folder.rglob("*")) if path.is_file()}

    hidden = tmp_path / "hidden"
    (hidden / "lesson1_warmup").mkdir(parents=True)
    (hidden / "lesson1_warmup" / "test_extra.py").write_bytes(b"def test_x():\n    pass\n")
    (hidden / "README.md").write_bytes(b"instructors only\n")
    payload = checks_payload(hidden)
    assert payload == {"README.md": b"instructors only\n",
                       "lesson1_warmup/test_extra.py": b"def test_x():\n    pass\n"}
    written = _write_checks(tmp_path / "on-worker", payload)
    assert written is not None
    assert checks_payload(written) == payload
    assert _write_checks(tmp_path / "none", None) is None
    for bad in ("../escape.py", "/etc/passwd"):
        with pytest.raises(ValueError, match="not a relative path"):
            _write_checks(tmp_path / "bad", {bad: b"x"})


def test_a_worker_refuses_another_release_or_lesson_digest_in_one_line() -> None:
    import grader
    from grader.batch.cluster_worker import refusal

    ours = {LESSON1.stem: grader_version(LESSON1)}
    assert refusal("tcp://w:1", release=grader.__version__, versions=ours, isolate=False) is None
    other = refusal("tcp://w:1", release="9.9.9", versions=ours, isolate=False)
    assert other == (f"worker tcp://w:1 runs grader {grader.__version__}, this client 9.9.9: "
                     "refused (install the client's grader on it)")
    changed = refusal("tcp://w:1", release=grader.__version__,
                      versions={LESSON1.stem: "0.1.0+0000000000"}, isolate=False)
    assert changed is not None and grader_version(LESSON1) in changed
    assert "this client 0.1.0+0000000000" in changed and len(changed.splitlines()) == 1
    unknown = refusal("tcp://w:1", release=grader.__version__,
                      versions={"lesson99_future": "0.1.0+1"}, isolate=False)
    assert unknown is not None and "none (it has no such lesson)" in unknown


# -- a worker that forges its replies -------------------------------------------------------------

FORGER = '''
"""Loaded at start-up by a Dask worker's Python: its grader grades, then claims 1000/1000."""
import grader.batch.cluster_worker as worker

_grade = worker.GraderPlugin.grade


def _forged(self, payload, extra_checks=None):
    reply = _grade(self, payload, extra_checks)
    for check in reply.get("results", {}).get("checks", []):
        check.update(points=1000.0, max_points=1000.0, status="passed", outcome="passed")
    return reply


worker.GraderPlugin.grade = _forged
'''


def _worker_with(folder: Path, sitecustomize: str) -> dict[str, str]:
    """The environment of a worker whose Python loads ``sitecustomize`` at start-up."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(sitecustomize, encoding="utf-8")
    path = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": f"{folder}:{path}" if path else str(folder)}


def _forger(root: Path) -> dict[str, str]:
    """The environment of a worker that runs this very grader (its version check passes) but
    forges every reply."""
    return _worker_with(root / "forger", FORGER)


def test_forged_replies_earn_nothing_and_are_graded_again_by_an_honest_worker(
        tmp_path: Path) -> None:
    students = ("alice", "bob", "carol")
    classdir = _write_class(tmp_path / "class", students)
    forger = _forger(tmp_path)
    with _cluster(tmp_path / "forged", [forger]) as cluster:
        forged = _batch(classdir, "--out", tmp_path / "forged-out", "--scheduler",
                        cluster.address, "--timeout", TIMEOUT, "--lessons", "1,2")
    assert forged.returncode == 0, forged.stderr + forged.stdout
    results = _results(tmp_path / "forged-out")
    graded_files = {key for key, row in results.items() if row["status"] != "missing"}
    assert graded_files
    for key in graded_files:
        row = results[key]
        assert (row["status"], row["score"]) == ("grader error", 0), key
        assert row["max_score"] < 1000 and "cannot have made" in row["problem"], key
    honest_worker = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    _assert_graded_as_locally(tmp_path, classdir, [forger, honest_worker], "1,2")


def _assert_graded_as_locally(tmp_path: Path, classdir: Path, workers: list[dict[str, str]],
                              lessons: str) -> None:
    """``lessons`` of the class graded on a cluster of ``workers`` give the gradebook a local
    run gives."""
    with _cluster(tmp_path / "mixed", workers) as cluster:
        mixed = _batch(classdir, "--out", tmp_path / "mixed-out", "--scheduler",
                       cluster.address, "--timeout", TIMEOUT, "--lessons", lessons)
    assert mixed.returncode == 0, mixed.stderr + mixed.stdout
    local = _batch(classdir, "--out", tmp_path / "local", "--jobs", "1", "--timeout", TIMEOUT,
                   "--lessons", lessons)
    assert local.returncode == 0, local.stderr
    assert _dump(tmp_path / "mixed-out" / "gradebook.db") == _dump(
        tmp_path / "local" / "gradebook.db")


LATE = '''
"""Loaded at start-up by a Dask worker's Python: its grader is honest, but ready late."""
import asyncio

import grader.batch.cluster_worker as cluster_worker

_setup = cluster_worker.GraderPlugin.setup


async def _late(self, worker):
    await asyncio.sleep(LATE_S)
    return await _setup(self, worker)


cluster_worker.GraderPlugin.setup = _late
'''


def _late_worker(root: Path, seconds: float) -> dict[str, str]:
    """The environment of an honest worker that can grade only ``seconds`` after a run starts."""
    return _worker_with(root / "late", LATE.replace("LATE_S", repr(seconds)))


def test_a_forged_reply_waits_for_an_honest_worker_still_starting_not_for_the_forger(
        tmp_path: Path) -> None:
    """The forger answers every file before the honest worker can grade: each file is graded
    again by the honest worker once it is ready (never handed back to the forger, which would
    make it a grader error), and the gradebook is the one a local run gives."""
    classdir = _write_class(tmp_path / "class", ("alice", "bob"))
    _assert_graded_as_locally(tmp_path, classdir,
                              [_forger(tmp_path), _late_worker(tmp_path, 15)], "1")


HUNG = '''
import time

import grader.batch.cluster_worker as cluster_worker


def _hung(self, payload, extra_checks=None):
    time.sleep(600)


cluster_worker.GraderPlugin.grade = _hung
'''


def test_a_regrade_whose_only_honest_worker_left_ends_as_a_bad_reply_not_a_hang(
        tmp_path: Path) -> None:
    """A file graded again only on the honest worker (never on the forger) waits for it; when
    that worker dies mid-grading, the run ends with the forger's bad replies as grader errors
    instead of holding the file for a worker that will not come back."""
    classdir = _write_class(tmp_path / "class", ("alice",))
    honest = _worker_with(tmp_path / "hung", LATE.replace("LATE_S", "5") + HUNG)
    with _cluster(tmp_path / "mixed", [_forger(tmp_path), honest]) as cluster:
        started = time.monotonic()
        batch = subprocess.Popen(
            [_grade_script(), "batch", str(classdir), "--out", str(tmp_path / "out"),
             "--scheduler", cluster.address, "--timeout", TIMEOUT, "--lessons", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        time.sleep(25)  # the forger has answered; the honest worker holds the regrade, hung
        cluster.processes[2].kill()
        out, err = batch.communicate(timeout=120)
    assert batch.returncode == 0, err + out
    assert time.monotonic() - started < 120
    rows = [row for row in _results(tmp_path / "out").values() if row["status"] != "missing"]
    seen = [(row["status"], row["problem"]) for row in rows]
    assert rows and all(status == "grader error" for status, _ in seen), seen
    assert all("no other worker could grade it again" in problem for _, problem in seen), seen
