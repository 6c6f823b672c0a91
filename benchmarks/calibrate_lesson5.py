"""Calibrate lesson 5's held-out accuracy threshold: the reference and typical mistakes.

Builds the reference ``build_classifier`` (solutions/lesson5_keras.py) with the grader's
hidden_units, trains it with the reference ``train_classifier`` and the grader's budget (epochs,
batch size) on the grading split, over many seeds, and scores it the way the grader does: the
model is described as plain data, rebuilt by ``grader.keras_models.rebuild_model`` and evaluated
on the 2,000 held-out images. Then does the same for typical mistakes, each made by changing one
thing in the reference:

    linear classifier         hidden_units=[]: the 2016 LinearClassifier, the best linear model
    linear hidden layers      Dense(units) without activation in the hidden layers
    softmax + from_logits     a softmax output layer with from_logits=True (softmax twice)
    logits, from_logits=False logits output with the probabilities' loss
    relu output               activation="relu" on the output layer
    epochs ignored            model.fit without epochs= (one epoch)
    sgd, default rate         optimizer="sgd" (keras' default learning rate 0.01)
    not compiled              model.compile forgotten: fit raises (scored 0)
    wrong output size         Dense(num_classes - 1): fit raises on label 9 (scored 0)

Prints a Markdown table: mean, min and max held-out accuracy, how many runs failed (an exception
or NaN weights, counted as 0), how many pass the threshold, and the seconds per run:

    MNIST_DIR=/path/to/mnist python benchmarks/calibrate_lesson5.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import keras
import numpy as np
import tensorflow as tf
from _calibration import load_solution

from grader.curriculum import lesson_part
from grader.data.mnist import grading_split
from grader.keras_models import describe_model, held_out_accuracy, rebuild_model

checks = lesson_part("lesson5_keras", "checks")

REPO = Path(__file__).resolve().parents[1]


def load_reference() -> ModuleType:
    return load_solution("lesson5_keras")


def score(model: keras.Model) -> float | None:
    """What the grader measures: the rebuilt model's held-out accuracy (None if NaN weights)."""
    split = grading_split()
    rebuilt = rebuild_model(describe_model(model))
    if not all(np.all(np.isfinite(w)) for w in rebuilt.get_weights()):
        return None
    return held_out_accuracy(rebuilt, split.test_images, split.test_labels)


def _sequential(hidden_units, num_classes, *, hidden="relu", output=None, loss=None,
                optimizer="adam", compile_it=True):
    layers = [keras.Input(shape=(784,))]
    layers += [keras.layers.Dense(units, activation=hidden) for units in hidden_units]
    layers.append(keras.layers.Dense(num_classes, activation=output))
    model = keras.Sequential(layers)
    if compile_it:
        model.compile(optimizer=optimizer, loss=loss or keras.losses.SparseCategoricalCrossentropy(
            from_logits=output is None))
    return model


Trainer = Callable[[int], keras.Model]


def trainer(budget: argparse.Namespace, mistake: str) -> Trainer:
    module = load_reference()
    split = grading_split()
    hidden_units = list(budget.hidden_units)
    sce = keras.losses.SparseCategoricalCrossentropy
    epochs = budget.epochs
    if mistake == "linear classifier":
        hidden_units = []
    elif mistake == "linear hidden layers":
        module.build_classifier = lambda h, n=10: _sequential(h, n, hidden=None)
    elif mistake == "softmax + from_logits":
        module.build_classifier = lambda h, n=10: _sequential(
            h, n, output="softmax", loss=sce(from_logits=True))
    elif mistake == "logits, from_logits=False":
        module.build_classifier = lambda h, n=10: _sequential(h, n, loss=sce(from_logits=False))
    elif mistake == "relu output":
        module.build_classifier = lambda h, n=10: _sequential(
            h, n, output="relu", loss=sce(from_logits=True))
    elif mistake == "epochs ignored":
        epochs = 1
    elif mistake == "sgd, default rate":
        module.build_classifier = lambda h, n=10: _sequential(h, n, optimizer="sgd")
    elif mistake == "not compiled":
        module.build_classifier = lambda h, n=10: _sequential(h, n, compile_it=False)
    elif mistake == "wrong output size":
        module.build_classifier = lambda h, n=10: _sequential(h, n - 1)
    elif mistake != "reference":
        raise ValueError(mistake)

    def train(seed: int) -> keras.Model:
        keras.utils.set_random_seed(seed)  # as the grader's learner process does
        model = module.build_classifier(hidden_units)
        model.fit(split.train_images, split.train_labels, epochs=epochs,
                  batch_size=budget.batch_size, verbose=0)
        return model

    return train


MISTAKES = ["linear classifier", "linear hidden layers", "softmax + from_logits",
            "logits, from_logits=False", "relu output", "epochs ignored", "sgd, default rate",
            "not compiled", "wrong output size"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds for the reference")
    parser.add_argument("--mistake-seeds", type=int, default=5, help="seeds for each mistake")
    parser.add_argument("--epochs", type=int, default=checks.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=checks.BATCH_SIZE)
    parser.add_argument("--hidden-units", type=int, nargs="*", default=checks.HIDDEN_UNITS)
    parser.add_argument("--threshold", type=float, default=checks.HELD_OUT_THRESHOLD)
    parser.add_argument("--only", nargs="*", default=None, help="rows to run (default: all)")
    budget = parser.parse_args()
    tf.config.experimental.enable_op_determinism()  # as in the learner process

    print(f"budget: hidden_units={budget.hidden_units}, epochs={budget.epochs}, "
          f"batch_size={budget.batch_size}; threshold {budget.threshold}", file=sys.stderr)
    print("| submission | runs | mean | min | max | failed | pass | s/run |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in ["reference", *MISTAKES]:
        if budget.only and row not in budget.only:
            continue
        runs = budget.seeds if row == "reference" else budget.mistake_seeds
        train = trainer(budget, row)
        measured, started = [], time.perf_counter()
        for seed in range(runs):
            try:
                measured.append(score(train(seed)))
            except Exception:  # not compiled, labels out of range: the grader fails these
                measured.append(None)
        per_run = (time.perf_counter() - started) / runs
        scores = [0.0 if value is None else value for value in measured]
        failed = sum(value is None for value in measured)
        passed = sum(value >= budget.threshold for value in scores)
        print(f"| {row} | {runs} | {statistics.mean(scores):.4f} | {min(scores):.4f} | "
              f"{max(scores):.4f} | {failed} | {passed}/{runs} | {per_run:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
