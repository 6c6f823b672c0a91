"""Benchmark: `grade lessonN` against a bare Python run of the solution doing the same work.

Prints, per lesson, the median wall time over a few runs of
  bare    python running the reference solution's functions as the checks call them,
  grade   `grade lessonN --submission solutions/...` (a cold start: new zygote, TF import),
  watch   the re-grade after a save in `grade lessonN --watch` (from the write to the score line).
Targets (issue 2): grade <= bare + 1 s; watch re-grade <= 1 s.

    python benchmarks/grade_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.stubs import read_stub

REPO = Path(__file__).resolve().parents[1]
GRADE = str(Path(sys.executable).parent / "grade")

BARE_WORK = {
    "lesson1": """
import tensorflow as tf
import lesson1_warmup as s
for counters in (1, 1, 1, 2):
    made = [s.make_counter() for _ in range(counters)]
    [made[i % counters]() for i in range(4)]
    made[0].get_concrete_function().graph.as_graph_def()
for n in (1, 2, 3, 10, 10, 0, 93):
    s.fibonacci(n).numpy()
try:
    s.fibonacci(-1)
except ValueError:
    pass
for _ in range(2):
    f = tf.function(s.fibonacci)
    f(10), f(12)
    f.get_concrete_function(10).graph.as_graph_def()
""",
    "lesson2": """
import numpy as np, tensorflow as tf
import lesson2_linear_regression as s
rng = np.random.default_rng(0)
x = tf.constant(rng.random(100).astype(np.float32)); y = 0.1 * x + 0.3
for _ in range(2):
    s.predict(x, tf.Variable([0.5]), tf.Variable([0.1]))
s.mse_loss(x, y)
for _ in range(5):
    W, b = tf.Variable([0.5]), tf.Variable([0.1])
    with tf.GradientTape() as tape:
        loss = s.mse_loss(s.predict(x, W, b), y)
    tape.gradient(loss, [W, b])
for _ in range(4):
    s.train_step(x, y, tf.Variable([0.5]), tf.Variable([0.1]), 0.1)
for _ in range(3):
    s.fit(x, y, 201, 0.5)
""",
    # What lesson 9's probes run: each function once, its files read back (as the checks do).
    "lesson9": """
import pathlib, tempfile, keras, numpy as np
import lesson9_tensorboard as s
from grader.events import read_event_file
def read(folder):
    return [read_event_file(p.read_bytes(), p.name)
            for p in pathlib.Path(folder).rglob("events.out.tfevents.*")]
rng = np.random.default_rng(0)
with tempfile.TemporaryDirectory() as d:
    s.log_scalars(d, "signal", [0.5, -1.0, 0.0, 2.0, 1.5]); read(d)
with tempfile.TemporaryDirectory() as d:
    x = np.zeros((30, 784), np.float32); x[:, :40] = 0.2
    s.train_with_summaries(x, np.full(30, 3), d, 6, 10, 0.25); read(d)
with tempfile.TemporaryDirectory() as d:
    m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(10)])
    m.compile(keras.optimizers.SGD(0.1),
              keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.random((96, 784)).astype(np.float32); y = rng.integers(0, 10, 96)
    m.fit(x, y, epochs=2, batch_size=32, validation_data=(x[:32], y[:32]), verbose=0,
          callbacks=[s.tensorboard_callback(d)]); read(d)
""",
}
STEMS = {"lesson1": "lesson1_warmup", "lesson2": "lesson2_linear_regression",
         "lesson9": "lesson9_tensorboard"}


def _timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, **kwargs)
    return time.perf_counter() - started


def bare(lesson: str, stem: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO / "solutions"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return _timed([sys.executable, "-c", BARE_WORK[lesson]], env=env)


def grade(lesson: str, stem: str) -> float:
    return _timed([GRADE, lesson, "--submission", str(REPO / "solutions" / f"{stem}.py")])


class _Output:
    """What a running ``grade --watch`` printed, read up to one marker at a time (a chunk may
    hold the next marker too: it stays for the next read)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process, self.pending = process, b""

    def read_until(self, marker: bytes, deadline: float) -> None:
        while marker not in self.pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {marker!r} in time")
            ready, _, _ = select.select([self.process.stdout], [], [], 0.05)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError("grade --watch exited")
                self.pending += chunk
        self.pending = self.pending.split(marker, 1)[1]


def watch(lesson: str, stem: str, saves: int) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        for solution in sorted((REPO / "solutions").glob("lesson*_*.py")):  # untouched stubs
            (Path(folder) / "exercises").mkdir(exist_ok=True)
            (Path(folder) / "exercises" / solution.name).write_text(read_stub(solution),
                                                                    encoding="utf-8")
        target = Path(folder) / "exercises" / f"{stem}.py"
        solution = (REPO / "solutions" / f"{stem}.py").read_text(encoding="utf-8")
        process = subprocess.Popen([GRADE, lesson, "--watch"], cwd=folder,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = _Output(process)
        try:
            output.read_until(b"Watching", time.monotonic() + 120)
            times = []
            for index in range(saves):
                time.sleep(0.5)
                started = time.perf_counter()
                target.write_text(solution + f"\n# save {index}\n", encoding="utf-8")
                output.read_until(b"Score:", time.monotonic() + 60)
                times.append(time.perf_counter() - started)
                output.read_until(b"Watching", time.monotonic() + 10)
            return times
        finally:
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lessons", default=",".join(STEMS), help="e.g. lesson1,lesson9")
    args = parser.parse_args()
    print(f"{'lesson':8} {'bare s':>8} {'grade s':>8} {'over s':>8} {'watch s':>8}  targets: "
          "over <= 1, watch <= 1")
    for lesson in args.lessons.split(","):
        stem = STEMS[lesson]
        bare_s = statistics.median(bare(lesson, stem) for _ in range(args.runs))
        grade_s = statistics.median(grade(lesson, stem) for _ in range(args.runs))
        watch_s = statistics.median(watch(lesson, stem, args.runs))
        print(f"{lesson:8} {bare_s:8.2f} {grade_s:8.2f} {grade_s - bare_s:8.2f} {watch_s:8.2f}")


if __name__ == "__main__":
    main()
