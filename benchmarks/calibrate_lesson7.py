"""Calibrate lesson 7's held-out accuracy floor: the reference recipe and typical mistakes.

Runs the reference (solutions/lesson7_transfer_learning.py) the way the grader does: a fresh
base model (``load_base_model``), ``feature_extractor``, ``build_transfer_model(extractor, 10)``,
``train_head`` on the first ``LABELS`` images of the grading pool with the grader's epochs and
batch size, after seeding Keras; the model is described as plain data, rebuilt from the
allow-list and scored on the 2,000 held-out digits. Then the same for other recipes:

    fine-tuned            the reference, then fine_tune(num_layers=7, 1e-4) and 10 more epochs
    from scratch          the base's architecture with fresh weights, all trainable, same budget
    head on the logits    the extractor ending at the base's classifier (10 Fashion scores)
    SGD(0.01) head        the reference with plain SGD at a tutorial's 0.01

Prints a Markdown table: mean, min and max held-out accuracy, how many runs pass the floor, the
seconds per run:

    MNIST_DIR=/path/to/mnist python benchmarks/calibrate_lesson7.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from types import ModuleType

import keras
import numpy as np
from _calibration import load_solution

from grader.curriculum import lesson_part
from grader.data import base_model
from grader.data.mnist import grading_split
from grader.keras_models import describe_model, held_out_accuracy, rebuild_model
from grader.learner.plain import to_plain

checks = lesson_part("lesson7_transfer_learning", "checks")

Recipe = Callable[[ModuleType, np.ndarray, np.ndarray, int], keras.Model]


def _compile(model: keras.Model, optimizer: keras.optimizers.Optimizer | None = None) -> None:
    model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def reference(solution: ModuleType, x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    extractor = solution.feature_extractor(base_model.load_base_model())
    model = solution.build_transfer_model(extractor, 10)
    solution.train_head(model, x, y, epochs, checks.BATCH_SIZE)
    return model


def fine_tuned(solution: ModuleType, x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    extractor = solution.feature_extractor(base_model.load_base_model())
    model = solution.build_transfer_model(extractor, 10)
    solution.train_head(model, x, y, epochs, checks.BATCH_SIZE)
    solution.fine_tune(model, extractor, 7, 1e-4)
    solution.train_head(model, x, y, 10, checks.BATCH_SIZE)
    return model


def from_scratch(solution: ModuleType, x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    model = base_model.build_architecture()
    _compile(model)
    model.fit(x, y, epochs=epochs, batch_size=checks.BATCH_SIZE, verbose=0)
    return model


def on_logits(solution: ModuleType, x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    base = base_model.load_base_model()
    extractor = keras.Model(base.input, base.output)
    extractor.trainable = False
    model = keras.Sequential([extractor, keras.layers.Dense(10)])
    _compile(model)
    model.fit(x, y, epochs=epochs, batch_size=checks.BATCH_SIZE, verbose=0)
    return model


def sgd_head(solution: ModuleType, x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    extractor = solution.feature_extractor(base_model.load_base_model())
    model = keras.Sequential([extractor, keras.layers.Dense(10)])
    _compile(model, keras.optimizers.SGD(0.01))
    solution.train_head(model, x, y, epochs, checks.BATCH_SIZE)
    return model


RECIPES: dict[str, Recipe] = {
    "reference (frozen base, new head)": reference,
    "fine-tuned": fine_tuned,
    "from scratch": from_scratch,
    "head on the logits": on_logits,
    "SGD(0.01) head": sgd_head,
}


def score(model: keras.Model) -> float:
    """As the grader does: plain data across, rebuilt from the allow-list, scored here."""
    split = grading_split()
    rebuilt = rebuild_model(to_plain(describe_model(model)))
    return held_out_accuracy(rebuilt, split.test_images.reshape(-1, *checks.INPUT_SHAPE),
                             split.test_labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labels", type=int, default=checks.LABELS)
    parser.add_argument("--epochs", type=int, default=checks.HEAD_EPOCHS)
    parser.add_argument("--only", nargs="*", default=None, help="recipe names to run")
    args = parser.parse_args()
    solution = load_solution("lesson7_transfer_learning")
    split = grading_split()
    x = split.train_images[:args.labels].reshape(-1, *checks.INPUT_SHAPE)
    y = split.train_labels[:args.labels]
    print(f"{args.labels} labels, {args.epochs} epochs of batches of {checks.BATCH_SIZE}, "
          f"floor {checks.ACCURACY_THRESHOLD}, seeds 0..{args.seeds - 1}\n")
    print("| recipe | mean | min | max | pass | s/run |")
    print("|---|---|---|---|---|---|")
    for name, recipe in RECIPES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        scores, seconds = [], []
        for seed in range(args.seeds):
            keras.utils.set_random_seed(seed)
            start = time.perf_counter()
            scores.append(score(recipe(solution, x, y, args.epochs)))
            seconds.append(time.perf_counter() - start)
        passed = sum(s >= checks.ACCURACY_THRESHOLD for s in scores)
        print(f"| {name} | {statistics.mean(scores):.4f} | {min(scores):.4f} | "
              f"{max(scores):.4f} | {passed}/{len(scores)} | {statistics.mean(seconds):.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
