"""Calibrate lesson 9's tolerance: the logged losses against the grader's reconstruction.

``train_with_summaries`` is graded on copies of one image, so the loss of every step follows from
the (W, b) it returns (``checks._history`` goes back from them step by step). This runs the
reference and the correct variants on the grader's case and on other seeds of it, reads their
event files with the trusted reader, and prints the largest relative difference between each
logged loss and the reconstruction, next to the smallest relative difference of the nearest
mistakes (the loss after the step's update; the loss of the step before), as a Markdown table
for course/lesson9_tensorboard/notes.md. No MNIST needed.

    python benchmarks/calibrate_lesson9.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from _calibration import REPO, load_solution

from grader.curriculum import lesson_part
from grader.events import read_event_file

checks = lesson_part("lesson9_tensorboard", "checks")


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _case(seed: int) -> checks.TrainCase:
    if seed == 0:
        return checks._train_case()
    rng = np.random.default_rng(seed)
    image = np.zeros(checks.PIXELS, dtype=np.float32)
    ink = rng.choice(checks.PIXELS, 40, replace=False)
    image[ink] = rng.uniform(0.05, 0.3, ink.size).astype(np.float32)
    return checks.TrainCase(image, int(rng.integers(1, checks.CLASSES)))


def _relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.maximum(np.abs(b), checks.LOSS_ATOL / checks.LOSS_RTOL)


def run(module, case: checks.TrainCase) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as logdir:
        W, b = module.train_with_summaries(case.images, case.labels, logdir, checks.TRAIN_STEPS,
                                           checks.TRAIN_BATCH_SIZE, checks.TRAIN_LEARNING_RATE)
        scalars: dict = {}
        for path in sorted(Path(logdir).rglob("events.out.tfevents.*")):
            for tag, series in read_event_file(path.read_bytes(), path.name).scalars.items():
                scalars.setdefault(tag, []).extend(series)
    logged = np.array([s.value for s in sorted(scalars["loss"], key=lambda s: s.step)])
    logits, _, _ = checks._history(case, np.asarray(W, np.float64), np.asarray(b, np.float64))
    losses = np.array([checks._loss_of(z, case.label) for z in logits])
    return {
        "right": float(_relative(logged, losses[:-1]).max()),
        "after": float(_relative(losses[1:], losses[:-1]).min()),
        "before": float(_relative(losses[:-2], losses[1:-1]).min()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    submissions = {"reference": load_solution("lesson9_tensorboard")}
    for path in sorted((REPO / "tests/variants/lesson9/correct").glob("*.py")):
        submissions[path.stem] = _load(path)
    print(f"rtol {checks.LOSS_RTOL}, atol {checks.LOSS_ATOL}; {checks.TRAIN_STEPS} steps of "
          f"{checks.TRAIN_BATCH_SIZE} copies of one image, learning_rate "
          f"{checks.TRAIN_LEARNING_RATE}; seeds 0 (the grader's case) to {args.seeds - 1}\n")
    print("| submission | runs | largest difference, right loss | smallest difference, loss "
          "after the update | smallest difference, loss of the step before | s/run |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, module in submissions.items():
        rows = []
        started = time.perf_counter()
        for seed in range(args.seeds):
            keras.utils.set_random_seed(seed)
            rows.append(run(module, _case(seed)))
        seconds = (time.perf_counter() - started) / args.seeds
        print(f"| {name} | {args.seeds} | {max(r['right'] for r in rows):.2e} | "
              f"{min(r['after'] for r in rows):.2e} | {min(r['before'] for r in rows):.2e} | "
              f"{seconds:.1f} |")


if __name__ == "__main__":
    main()
