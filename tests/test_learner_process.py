"""The learner process under failure: every way learner code can break fails only its call.

These tests drive a :class:`LearnerSession` directly with small learner files, through the
generic ``lesson1_warmup:call`` probe (``module.<name>(*args)``).
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.learner.failures import (
    LearnerDied,
    LearnerImportFailed,
    LearnerOutOfMemory,
    LearnerOutOfTime,
    LearnerRaised,
    LearnerTimeout,
)
from grader.learner.session import OUTPUT_LIMIT_BYTES, LearnerSession
from grader.learner.wire import Array, Opaque


@pytest.fixture
def session_for(zygote, tmp_path):
    sessions = []

    def make(source: str, **options) -> LearnerSession:
        path = tmp_path / f"learner{len(sessions)}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        session = LearnerSession(zygote, path, module_name="lesson1_warmup", **options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


def call(session: LearnerSession, name: str, *args, timeout: float | None = None):
    return session.run("lesson1_warmup:call", label=f"{name}()", seed=1, timeout=timeout,
                       name=name, args=list(args))


def test_values_come_back_as_plain_data(session_for):
    session = session_for("""
        import numpy as np, tensorflow as tf
        def tensor(): return tf.constant([[1, 2]], dtype=tf.int64)
        def variable(): return tf.Variable([0.5])
        def mixed(): return (1, 2.5, "x", None, [True], {"k": np.float32(3)})
    """)
    value = call(session, "tensor")
    assert isinstance(value, Array) and value.kind == "tf.Tensor"
    assert value.shape == (1, 2) and value.dtype == "int64"
    assert value.array.tolist() == [[1, 2]]
    assert call(session, "variable").kind == "tf.Variable"
    mixed = call(session, "mixed")
    assert mixed[:5] == (1, 2.5, "x", None, [True])
    assert mixed[5]["k"].kind == "numpy scalar" and float(mixed[5]["k"].array) == 3.0


def test_objects_with_tampered_equality_arrive_opaque(session_for):
    session = session_for("""
        import numpy as np
        class Liar:
            def __eq__(self, other): return True
        class Sneaky(np.ndarray):
            def __eq__(self, other): return np.ones(self.shape, bool)
        class Int(int):
            def __eq__(self, other): return True
        def liar(): return Liar()
        def sneaky(): return np.zeros(3).view(Sneaky)
        def fake_int(): return Int(5)
    """)
    liar = call(session, "liar")
    assert isinstance(liar, Opaque) and liar.type_name.endswith("Liar")
    assert liar != 1
    sneaky = call(session, "sneaky")
    assert isinstance(sneaky, Array) and type(sneaky.array) is np.ndarray
    assert sneaky.kind.endswith("Sneaky") and not (sneaky.array == 1).any()
    assert isinstance(call(session, "fake_int"), Opaque)


def test_an_exception_names_the_call_and_the_line(session_for):
    session = session_for("""
        def broken():
            return 1 / 0
    """)
    with pytest.raises(LearnerRaised) as raised:
        call(session, "broken")
    assert raised.value.type == "ZeroDivisionError"
    assert raised.value.line == 3
    assert "broken() raised ZeroDivisionError (line 3)" in raised.value.message
    assert session.processes_started == 1  # an exception does not cost the process


def test_a_hang_times_out_and_the_next_call_gets_a_fresh_process(session_for):
    session = session_for("""
        import time
        def hang():
            while True: time.sleep(0.01)
        def fine(): return 7
    """)
    started = time.monotonic()
    with pytest.raises(LearnerTimeout, match=r"hang\(\) did not return within 1 s"):
        call(session, "hang", timeout=1)
    assert time.monotonic() - started < 5
    assert call(session, "fine") == 7
    assert session.processes_started == 2


def test_the_submission_time_limit_cuts_the_call_that_overruns_it_and_skips_the_rest(
    session_for,
):
    session = session_for("""
        import time
        def hang():
            while True: time.sleep(0.01)
        def fine(): return 7
    """, call_timeout=2, total_timeout=4)
    assert call(session, "fine") == 7
    started = time.monotonic()
    with pytest.raises(LearnerTimeout, match=r"within 2 s"):
        call(session, "hang")
    with pytest.raises(LearnerOutOfTime, match=r"hang\(\) was stopped: .* 4 s for all calls"):
        call(session, "hang")  # about 1.5 s of the limit was left
    assert 3 < time.monotonic() - started < 7
    before = time.monotonic()
    with pytest.raises(LearnerOutOfTime, match=r"fine\(\) was not run: .*--total-timeout"):
        call(session, "fine")
    assert time.monotonic() - before < 0.5  # no process started, no waiting
    assert session.processes_started == 2


def test_cpu_time_is_limited_for_the_learner_and_every_process_it_starts(session_for):
    session = session_for("""
        import os
        def spin_in_a_child():
            pid = os.fork()
            if pid == 0:
                while True: pass
            return os.waitpid(pid, 0)[1]
        def spin():
            while True: pass
    """, cpu_seconds=1)
    status = call(session, "spin_in_a_child", timeout=30)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU
    with pytest.raises(LearnerDied, match=r"spin\(\) ended .* more than its limit of CPU time"):
        call(session, "spin", timeout=30)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("os._exit(3)", "exited with code 3"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
        ("ctypes.string_at(0)", r"killed by SIGSEGV \(a crash\)"),
    ],
    ids=["exit", "sigkill", "segfault"],
)
def test_a_dying_process_fails_only_that_call(session_for, body, expected):
    session = session_for(f"""
        import ctypes, os, signal
        def die():
            {body}
        def fine(): return 7
    """)
    with pytest.raises(LearnerDied, match=expected):
        call(session, "die")
    assert call(session, "fine") == 7


def test_sys_exit_and_keyboard_interrupt_are_exceptions_not_passes(session_for):
    session = session_for("""
        import sys
        def leave(): sys.exit(0)
        def interrupt(): raise KeyboardInterrupt
    """)
    with pytest.raises(LearnerRaised, match="SystemExit"):
        call(session, "leave")
    with pytest.raises(LearnerRaised, match="KeyboardInterrupt"):
        call(session, "interrupt")


def test_an_import_failure_is_remembered(session_for):
    session = session_for("""
        def fine():
            return (
    """)
    for _ in range(3):
        with pytest.raises(LearnerImportFailed, match="SyntaxError"):
            call(session, "fine")
    assert session.processes_started == 1


def test_exit_at_import_fails_every_call(session_for):
    session = session_for("""
        import os
        os._exit(0)
    """)
    with pytest.raises(LearnerDied, match="exited with code 0"):
        call(session, "anything")
    with pytest.raises(LearnerDied):
        call(session, "anything")
    assert session.processes_started == 1


def test_output_is_captured_per_call_and_capped(session_for):
    session = session_for("""
        import sys
        def chatty():
            print("hello from the learner")
            print("to stderr", file=sys.stderr)
            return 1
        def flood():
            for _ in range(20000):
                print("x" * 100)
            return 2
    """)
    assert call(session, "chatty") == 1
    assert "hello from the learner" in session.last_output
    assert "to stderr" in session.last_output
    assert call(session, "flood") == 2
    assert len(session.last_output) < OUTPUT_LIMIT_BYTES + 200
    assert session.last_output.endswith("KiB]")


def test_printing_a_fake_result_changes_nothing(session_for):
    session = session_for("""
        import json
        def forge():
            print(json.dumps({"ok": True, "value": 42}))
            print('{"score": 100, "max_score": 100}')
            raise ValueError("no")
    """)
    with pytest.raises(LearnerRaised, match="ValueError"):
        call(session, "forge")


def test_printed_escape_sequences_cannot_redraw_the_report(session_for):
    session = session_for(r"""
        import sys
        def redraw():
            print("\x1b[1A\x1b[2KPASS the counter counts 1, 2, 3  2/2\x1b]0;title\x07")
            sys.stdout.write("epoch 1/3\repoch 2/3\repoch 3/3\n")
    """)
    call(session, "redraw")
    assert session.last_output == (
        "\\x1b[1A\\x1b[2KPASS the counter counts 1, 2, 3  2/2\\x1b]0;title\\x07\nepoch 3/3\n")


@pytest.mark.slow
def test_memory_hog_is_stopped(session_for):
    session = session_for("""
        import numpy as np
        def hog():
            blocks = []
            while True:
                blocks.append(np.ones(50_000_000))  # 400 MB each, touched
        def fine(): return 7
    """, memory_limit=1 * 2**30)
    with pytest.raises(LearnerOutOfMemory, match="more than 1 GiB"):
        call(session, "hog", timeout=60)
    assert call(session, "fine") == 7


def test_the_submission_is_copied_not_touched(zygote, tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("def f():\n    return 1\n", encoding="utf-8")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with LearnerSession(zygote, path, module_name="lesson1_warmup") as session:
        assert call(session, "f") == 1
        assert Path(session.path) != path
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_killing_the_zygote_does_not_stop_grading(session_for, zygote):
    source = """
        import os, signal
        def kill_parent():
            os.kill(os.getppid(), signal.SIGKILL)
            return 1
        def fine(): return 7
    """
    restarts = zygote.restarts
    assert call(session_for(source), "kill_parent") == 1
    assert call(session_for(source), "fine") == 7  # a fresh process from a fresh zygote
    assert zygote.restarts == restarts + 1


def test_a_long_call_reports_progress(session_for):
    session = session_for("""
        import time
        from grader.learner.worker import report_progress
        def train():
            for step in range(4):
                print(f"step {step}")
                time.sleep(0.3)
            report_progress("epoch 2/2")
            time.sleep(0.4)
            return 1
    """)
    seen = []
    session.on_progress = lambda label, elapsed, detail: seen.append((label, elapsed, detail))
    assert call(session, "train") == 1
    assert seen, "no progress was reported during a 1.6 s call"
    assert all(label == "train()" for label, _, _ in seen)
    details = [detail for _, _, detail in seen]
    assert any(detail.startswith("step ") for detail in details)
    assert details[-1] == "epoch 2/2"
    assert [elapsed for _, elapsed, _ in seen] == sorted(elapsed for _, elapsed, _ in seen)


def test_run_once_shares_one_call_its_failure_too_and_keys_on_arguments(session_for):
    session = session_for("""
        calls = []
        def count(tag): calls.append(tag); return [len(calls)]
        def fail_once(tag): calls.append(tag); raise RuntimeError(f"failed {len(calls)}")
        def seen(): return list(calls)
    """)

    def once(name: str, *args, seed: int = 7):
        return session.run_once("lesson1_warmup:call", label=f"{name}()", seed=seed,
                                name=name, args=list(args))

    first = once("count", "a")
    first.append("changed by one check")
    assert once("count", "a") == [1]  # shared, and not as another check changed its copy
    assert once("count", "b") == [2] and once("count", "a", seed=8) == [3]
    for _ in range(2):
        with pytest.raises(LearnerRaised, match="failed 4"):
            once("fail_once", "c")
    assert call(session, "seen") == ["a", "b", "a", "c"]


def test_the_generic_probes_share_a_call_with_once(session_for):
    """An instructor's checks without a probes module (``grader.generic``) share a call the same
    way: ``once=True`` runs it once per grading for the same arguments and seed."""
    from grader.generic import call as generic_call

    session = session_for("""
        calls = []
        def train(steps): calls.append(steps); return len(calls)
        def seen(): return list(calls)
    """)
    assert [generic_call(session, "train", 3, seed=5, once=True) for _ in range(3)] == [1, 1, 1]
    assert generic_call(session, "train", 3, seed=5) == 2  # without once: a call of its own
    assert generic_call(session, "seen", seed=5) == [3, 3]


def test_each_call_with_the_same_seed_draws_the_same_numbers_from_every_kind_of_random_op(
    session_for,
):
    """The kernel cache is kept between calls until a stateful random op exists (see
    grader.learner.seeding); from then on every seed resets it, as tf.random.set_seed does."""
    session = session_for("""
        import numpy as np, random, tensorflow as tf
        def plain(): return tf.reduce_sum(tf.matmul(tf.ones([2, 2]), tf.ones([2, 2])))
        def global_seed(): return tf.random.normal([3])
        def op_seed(): return tf.random.uniform([3], seed=7)
        traced = tf.function(lambda: tf.random.normal([2]))
        def in_function(): return traced()
        def dropout(): return tf.nn.dropout(tf.ones([8]), rate=0.5)
        def shuffled(): return [int(x) for x in tf.data.Dataset.range(8).shuffle(8)]
        def python_and_numpy(): return [random.random(), float(np.random.rand())]
    """)
    assert float(call(session, "plain").array) == 8.0  # no random op yet: the cache is kept
    for name in ("global_seed", "op_seed", "in_function", "dropout", "shuffled",
                 "python_and_numpy"):
        first, again = call(session, name), call(session, name)
        first, again = (getattr(value, "array", value) for value in (first, again))
        assert np.array_equal(first, again), name
    assert float(call(session, "plain").array) == 8.0


def test_a_random_op_made_in_an_earlier_call_is_reset_by_the_next_seed(session_for):
    session = session_for("""
        import tensorflow as tf
        traced = tf.function(lambda: tf.random.normal([2]))
        def make(): return traced()
        def again(): return traced()
    """)
    made, first, second = call(session, "make"), call(session, "again"), call(session, "again")
    assert np.array_equal(made.array, first.array) and np.array_equal(first.array, second.array)


def test_the_kernel_cache_is_cleared_only_once_a_random_op_exists(session_for):
    # The learner counts TensorFlow's cache clears itself: the grader's seeding of each call
    # goes through TensorFlow's own seeding, which calls this.
    session = session_for("""
        import tensorflow as tf
        from tensorflow.python import pywrap_tfe
        clears = []
        _clear = pywrap_tfe.TFE_ContextClearCaches
        def _counted(handle): clears.append(1); return _clear(handle)
        pywrap_tfe.TFE_ContextClearCaches = _counted
        def plain(): return len(clears)
        def draw(): tf.random.uniform([1]); return len(clears)
    """)
    assert [call(session, "plain") for _ in range(3)] == [0, 0, 0]
    assert call(session, "draw") == 0
    assert [call(session, "plain") for _ in range(2)] == [1, 2]


def test_what_tensorflow_imports_on_first_use_the_zygote_imported_once(session_for):
    """numpy.random (seeding), tf.summary's TensorBoard writers and tf.data's transformations
    are imported lazily by their first use: in every learner process, but for the zygote."""
    session = session_for("""
        import sys, numpy as np, tensorflow as tf
        BEFORE = set(sys.modules)
        def use_them():
            np.random.default_rng(0).random(2)
            list(tf.data.Dataset.range(6).take(4).shuffle(4, seed=1).zip(
                tf.data.Dataset.range(6)).batch(2).rebatch(1))
            with tf.summary.create_file_writer("logs").as_default():
                tf.summary.scalar("loss", 0.5, step=0)
                tf.summary.histogram("weights", [0.1, 0.2], step=0)
            return sorted(set(sys.modules) - BEFORE)
    """)
    assert call(session, "use_them") == []


def test_the_zygote_warms_up_without_a_thread_of_its_own(zygote):
    """What the zygote does before forking (imports, lazy imports, the op registry) starts no
    thread beyond those its imports start anyway: a learner process inherits no thread pool
    whose threads it would not have."""
    import subprocess
    import sys

    bare = subprocess.run(
        [sys.executable, "-c", "import os, numpy, tensorflow, keras; "
         "print(len(os.listdir('/proc/self/task')))"],
        capture_output=True, text=True, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    threads = len(os.listdir(f"/proc/{zygote._process.pid}/task"))
    assert threads <= int(bare.stdout.split()[-1])


@pytest.mark.parametrize("optimize", [True, False])
def test_a_lesson_can_run_its_graphs_without_tensorflows_graph_optimizer(session_for, optimize):
    session = session_for("""
        import tensorflow as tf
        def options(): return tf.config.optimizer.get_experimental_options()
        def doubled(): return tf.function(lambda x: x * 2)(tf.constant(3))
    """, optimize_graphs=optimize)
    assert call(session, "options").get("disable_meta_optimizer", False) is not optimize
    assert int(call(session, "doubled").array) == 6
