"""Calibrate lesson 6's held-out accuracy threshold: the reference convnet and typical mistakes.

Builds the reference ``build_convnet`` (solutions/lesson6_conv_mnist.py), trains it the way the
grader does (``model.fit`` on the 8,000 grading images reshaped to 28×28×1, with the grader's
epochs and batch size, after seeding Keras), and measures it the way the grader does: the model
is described as plain data, rebuilt from the allow-list (``grader.keras_models``) and evaluated
on the 2,000 held-out images. Then does the same for typical mistakes, each one change to the
reference network:

    one conv layer only      a single Conv2D + pooling stage
    no pooling               both Conv2D layers at full 28×28 resolution, no MaxPooling2D
    no ReLU                  Conv2D layers without activation (the network is linear)
    softmax + from_logits    a softmax output layer, the loss still from_logits=True
    linear (no conv)         Flatten + Dense(10): lesson 3's model, trained by Keras
    SGD(0.01)                the reference network with plain SGD at a tutorial's 0.01
    2016 network             32 and 64 filters, Dense(1024) + Dropout(0.5), Adam(1e-4) as in
                             2016 (a correct network; the grader's short budget is not 2016's)
    wrong input shape        keras.Input(shape=(784,)): model.fit on 28×28×1 images fails

Prints a Markdown table: mean, min and max held-out accuracy, how many runs pass the threshold,
the seconds per run (build, fit, rebuild, evaluate):

    MNIST_DIR=/path/to/mnist python benchmarks/calibrate_lesson6.py [--seeds 20]
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
import tensorflow as tf
from _calibration import load_solution

from grader.curriculum import lesson_part
from grader.data.mnist import grading_split
from grader.keras_models import describe_model, held_out_accuracy, rebuild_model
from grader.learner.plain import to_plain

checks = lesson_part("lesson6_conv_mnist", "checks")

REPO = Path(__file__).resolve().parents[1]


def load_reference() -> ModuleType:
    return load_solution("lesson6_conv_mnist")


def _compile(model: keras.Model, *, from_logits: bool = True,
             optimizer: Callable[[], keras.optimizers.Optimizer] | None = None) -> keras.Model:
    model.compile(optimizer=optimizer() if optimizer else keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    return model


def _stages(filters: list[int], *, pool: bool = True, activation: str | None = "relu") -> list:
    layers = []
    for count in filters:
        layers.append(keras.layers.Conv2D(count, 5, padding="same", activation=activation))
        if pool:
            layers.append(keras.layers.MaxPooling2D(2, padding="same"))
    return layers


def _sequential(*layers: keras.layers.Layer, shape: tuple[int, ...] = (28, 28, 1)) -> keras.Model:
    return keras.Sequential([keras.Input(shape=shape), *layers])


def builder(mistake: str) -> Callable[[], keras.Model]:
    """A function that builds and compiles the network of one row of the table."""
    reference = load_reference()
    builds: dict[str, Callable[[], keras.Model]] = {
        "reference": lambda: reference.build_convnet(10),
        "one conv layer only": lambda: _compile(_sequential(
            *_stages([16]), keras.layers.Flatten(), keras.layers.Dense(10))),
        "no pooling": lambda: _compile(_sequential(
            *_stages([16, 32], pool=False), keras.layers.Flatten(), keras.layers.Dense(10))),
        "no ReLU": lambda: _compile(_sequential(
            *_stages([16, 32], activation=None), keras.layers.Flatten(),
            keras.layers.Dense(10))),
        "softmax + from_logits": lambda: _compile(_sequential(
            *_stages([16, 32]), keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"))),
        "linear (no conv)": lambda: _compile(_sequential(
            keras.layers.Flatten(), keras.layers.Dense(10))),
        "SGD(0.01)": lambda: _compile(_sequential(
            *_stages([16, 32]), keras.layers.Flatten(), keras.layers.Dense(10)),
            optimizer=lambda: keras.optimizers.SGD(0.01)),
        "2016 network": lambda: _compile(_sequential(
            *_stages([32, 64]), keras.layers.Flatten(), keras.layers.Dense(1024, "relu"),
            keras.layers.Dropout(0.5), keras.layers.Dense(10)),
            optimizer=lambda: keras.optimizers.Adam(1e-4)),
        "wrong input shape": lambda: _compile(_sequential(
            keras.layers.Reshape((28, 28, 1)), *_stages([16, 32]), keras.layers.Flatten(),
            keras.layers.Dense(10), shape=(784,))),
    }
    return builds[mistake]


def run(build: Callable[[], keras.Model], seed: int, epochs: int, batch_size: int) -> float | None:
    """Held-out accuracy after the grader's training; None when model.fit fails."""
    split = grading_split()
    keras.utils.set_random_seed(seed)  # as the grader's learner process does
    model = build()
    try:
        model.fit(split.train_images.reshape(-1, 28, 28, 1), split.train_labels, epochs=epochs,
                  batch_size=batch_size, shuffle=True, verbose=0)
    except Exception as exc:  # the grader reports it as the learner's error
        print(f"  model.fit failed: {type(exc).__name__}", file=sys.stderr)
        return None
    rebuilt = rebuild_model(to_plain(describe_model(model)))
    return held_out_accuracy(rebuilt, split.test_images.reshape(-1, 28, 28, 1),
                             split.test_labels)


MISTAKES = ["one conv layer only", "no pooling", "no ReLU", "softmax + from_logits",
            "linear (no conv)", "SGD(0.01)", "2016 network", "wrong input shape"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds for the reference")
    parser.add_argument("--mistake-seeds", type=int, default=5, help="seeds for each mistake")
    parser.add_argument("--epochs", type=int, default=checks.EPOCHS)
    parser.add_argument("--batch-size", type=int, default=checks.BATCH_SIZE)
    parser.add_argument("--threshold", type=float, default=checks.ACCURACY_THRESHOLD)
    parser.add_argument("--only", nargs="*", default=None, help="rows to run (default: all)")
    budget = parser.parse_args()
    tf.config.experimental.enable_op_determinism()  # as in the learner process

    print(f"budget: epochs={budget.epochs}, batch_size={budget.batch_size}; threshold "
          f"{budget.threshold}; grader's seed {checks.TRAINING_SEED}", file=sys.stderr)
    print("| submission | runs | mean | min | max | pass | s/run |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in ["reference", *MISTAKES]:
        if budget.only and row not in budget.only:
            continue
        runs = budget.seeds if row == "reference" else budget.mistake_seeds
        build = builder(row)
        measured, started = [], time.perf_counter()
        for seed in range(runs):
            measured.append(run(build, seed, budget.epochs, budget.batch_size))
        per_run = (time.perf_counter() - started) / runs
        if all(score is None for score in measured):
            print(f"| {row} | {runs} | model.fit fails | | | 0/{runs} | {per_run:.1f} |",
                  flush=True)
            continue
        scores = [0.0 if score is None else score for score in measured]
        passed = sum(score >= budget.threshold for score in scores)
        print(f"| {row} | {runs} | {statistics.mean(scores):.4f} | {min(scores):.4f} | "
              f"{max(scores):.4f} | {passed}/{runs} | {per_run:.1f} |", flush=True)
    if not budget.only or "reference" in budget.only:
        grader_seed = run(builder("reference"), checks.TRAINING_SEED, budget.epochs,
                          budget.batch_size)
        print(f"\nreference at the grader's seed ({checks.TRAINING_SEED}): {grader_seed:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
