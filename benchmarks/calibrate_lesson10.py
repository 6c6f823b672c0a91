"""Calibrate lesson 10's tolerances.

1. Training: the reference ``distributed_train`` and the correct variants of
   ``tests/variants/lesson10/correct/`` run, with two logical CPUs as the grader gives them, on
   the data of the two training checks (seeds 0..N-1 for the data); their distance to the
   grader's float64 descent is printed beside the distance of the mistakes the checks name
   (each replica's mean: 2× steps; gradients averaged after compute_average_loss: 0.5×; data
   not repeated), as ``max|W - W_ref| / (ATOL + RTOL · max|W_ref|)``: below 1 passes.
2. Shuffle quality: the correlation between position and index of one epoch of 1,000 examples
   (the shuffle check's data) for a full buffer and for smaller ones.

    python benchmarks/calibrate_lesson10.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

from grader.learner.devices import configure

configure(2)  # before TensorFlow runs an op, as in the learner process

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _calibration import REPO  # noqa: E402

from grader.curriculum import lesson_part  # noqa: E402

checks = lesson_part("lesson10_distributed", "checks")

CASES = (  # (images, global batch, steps, learning rate): the one-step and the long check
    (checks.FACTS_IMAGES, checks.FACTS_BATCH, 1, checks.FACTS_RATE),
    (96, 32, 8, 0.3),
)


MISTAKES = (("mistake: per-replica mean (2×)", {"scale": 2.0}),
            ("mistake: averaged twice (0.5×)", {"scale": 0.5}),
            ("mistake: data not repeated", {"repeat": False}))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ratio(got, expected) -> float:
    return max(float(np.abs(np.asarray(g, np.float64) - e).max())
               / (checks.ATOL + checks.RTOL * float(np.abs(e).max()))
               for g, e in zip(got, expected, strict=True))


def training(seeds: int, only: str | None) -> None:
    """Each submission in a process of its own (``--only``): as in the grader, one per file."""
    paths = {"reference": REPO / "solutions" / "lesson10_distributed.py"}
    for path in sorted((REPO / "tests/variants/lesson10/correct").glob("*.py")):
        paths[path.stem] = path
    if only is None:
        print(f"| training ({seeds} seeds × {len(CASES)} checks) | min | max |\n|---|---|---|")
        for name in [*paths, "mistakes"]:
            done = subprocess.run([sys.executable, __file__, "--seeds", str(seeds), "--only",
                                   name], capture_output=True, text=True, check=True)
            print(done.stdout, end="")
        return
    submissions = {only: _load(paths[only])} if only in paths else {}
    rows: dict[str, list[float]] = {}
    for seed in range(seeds):
        for n, batch, steps, rate in CASES:
            images, labels = checks._examples(np.random.default_rng(seed), n)
            expected = checks.reference_training(images, labels, batch, steps, rate)
            for name, module in submissions.items():
                got = module.distributed_train(images, labels, batch, steps, rate)
                rows.setdefault(name, []).append(_ratio(got, expected))
            for name, options in () if submissions else MISTAKES:
                if steps == 1 and "repeated" in name:
                    continue
                wrong = checks.reference_training(images, labels, batch, steps, rate, **options)
                rows.setdefault(name, []).append(_ratio(wrong, expected))
    for name, ratios in rows.items():
        print(f"| {name} | {min(ratios):.3g} | {max(ratios):.3g} |")


def shuffles(seeds: int) -> None:
    n, batch = checks.SHUFFLE_EXAMPLES, checks.SHUFFLE_BATCH
    print(f"\n| shuffle buffer ({n} examples, {seeds} seeds) | min corr | max corr |")
    print("|---|---|---|")
    for buffer in (n, 500, 200, 100, 10):
        found = []
        for seed in range(seeds):
            order = np.concatenate([y.numpy() for _, y in tf.data.Dataset.from_tensor_slices(
                (np.zeros((n, 1), np.float32), np.arange(n))).shuffle(buffer, seed=seed)
                .batch(batch)])
            found.append(float(np.corrcoef(np.arange(n), order)[0, 1]))
        print(f"| {buffer} | {min(found):.3f} | {max(found):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    training(args.seeds, args.only)
    if args.only is None:
        shuffles(args.seeds)


if __name__ == "__main__":
    main()
