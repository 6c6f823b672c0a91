"""Calibrate lesson 4's held-out accuracy threshold: the reference and typical mistakes.

Trains the reference ``train_mlp`` (solutions/lesson4_deep_mnist.py) on the grading split with
the grader's budget, over many seeds, and evaluates the returned params the way the grader does
(a numpy forward pass with ReLU hidden layers on the 2,000 held-out images). Then does the same
for typical mistakes, each made by changing one thing in the reference:

    no hidden layer       hidden_units=[]: lesson 3's softmax regression, the best linear model
    no ReLU (linear)      mlp_logits without ReLU between the layers
    ReLU on the output    mlp_logits with ReLU on the output layer too
    zero init             every W and b starts at 0 (symmetry: hidden units stay identical)
    huge init             W ~ normal(0, 1), tf.random.normal without a stddev
    lr fixed at 0.5       the learning_rate argument ignored, 2016's 0.5 used instead
    lr fixed at 0.01      the learning_rate argument ignored, a tutorial's 0.01 used instead
    sum, not mean         the loss summed over the batch (a step batch_size times too large)
    same batch            every step trains on the same first batch
    labels misaligned     images and labels shuffled separately

Prints a Markdown table: mean, min and max held-out accuracy, how many runs diverged (NaN in the
params, counted as 0), how many pass the threshold, and the seconds per run:

    MNIST_DIR=/path/to/mnist python benchmarks/calibrate_lesson4.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import itertools
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

checks = lesson_part("lesson4_deep_mnist", "checks")

REPO = Path(__file__).resolve().parents[1]


def load_reference() -> ModuleType:
    return load_solution("lesson4_deep_mnist")


def accuracy(params: list) -> float | None:
    """What the grader measures: argmax of the ReLU network on the held-out images.

    None when the params hold NaN or infinity (training diverged): the grader fails those.
    """
    split = grading_split()
    arrays = [(np.asarray(W), np.asarray(b)) for W, b in params]
    if not all(np.all(np.isfinite(a)) for pair in arrays for a in pair):
        return None
    predictions = checks._forward(split.test_images, arrays).argmax(axis=1)
    return float(np.mean(predictions == split.test_labels))


# -- the mistakes: each returns a (module, call) pair that trains with one thing changed ------

Trainer = Callable[[int], list]


def trainer(budget: argparse.Namespace, mistake: str) -> Trainer:
    module = load_reference()
    split = grading_split()
    images, labels = split.train_images, split.train_labels
    rate, hidden_units = budget.learning_rate, list(budget.hidden_units)
    if mistake == "no hidden layer":
        hidden_units = []
    elif mistake == "no ReLU (linear)":
        def linear(x, params):
            for W, b in params:
                x = module.dense(x, W, b)
            return x
        module.mlp_logits = linear
    elif mistake == "ReLU on the output":
        def relu_everywhere(x, params):
            for W, b in params:
                x = module.dense(x, W, b, tf.nn.relu)
            return x
        module.mlp_logits = relu_everywhere
    elif mistake == "zero init":
        module.init_params = lambda sizes, seed=0: [
            (tf.Variable(tf.zeros([m, n])), tf.Variable(tf.zeros([n])))
            for m, n in itertools.pairwise(sizes)
        ]
    elif mistake == "huge init":
        module.init_params = lambda sizes, seed=0: [
            (tf.Variable(tf.random.stateless_normal([m, n], seed=[seed, i])),
             tf.Variable(tf.zeros([n])))
            for i, (m, n) in enumerate(itertools.pairwise(sizes))
        ]
    elif mistake == "lr fixed at 0.5":
        rate = 0.5
    elif mistake == "lr fixed at 0.01":
        rate = 0.01
    elif mistake == "sum, not mean":
        rate = budget.learning_rate * budget.batch_size  # the gradient of the sum is that large
    elif mistake == "same batch":
        images, labels = images[: budget.batch_size], labels[: budget.batch_size]
    elif mistake == "labels misaligned":
        labels = np.random.default_rng(0).permutation(labels)
    elif mistake != "reference":
        raise ValueError(mistake)

    def train(seed: int) -> list:
        keras.utils.set_random_seed(seed)  # as the grader's learner process does
        return module.train_mlp(tf.constant(images), tf.constant(labels),
                                hidden_units, budget.steps, budget.batch_size,
                                rate, seed=seed)

    return train


MISTAKES = ["no hidden layer", "no ReLU (linear)", "ReLU on the output", "zero init", "huge init",
            "lr fixed at 0.5", "lr fixed at 0.01", "sum, not mean", "same batch",
            "labels misaligned"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds for the reference")
    parser.add_argument("--mistake-seeds", type=int, default=5, help="seeds for each mistake")
    parser.add_argument("--steps", type=int, default=checks.STEPS)
    parser.add_argument("--batch-size", type=int, default=checks.BATCH_SIZE)
    parser.add_argument("--learning-rate", type=float, default=checks.LEARNING_RATE)
    parser.add_argument("--hidden-units", type=int, nargs="*", default=checks.HIDDEN_UNITS)
    parser.add_argument("--threshold", type=float, default=checks.ACCURACY_THRESHOLD)
    parser.add_argument("--only", nargs="*", default=None, help="rows to run (default: all)")
    budget = parser.parse_args()
    tf.config.experimental.enable_op_determinism()  # as in the learner process

    print(f"budget: hidden_units={budget.hidden_units}, steps={budget.steps}, "
          f"batch_size={budget.batch_size}, learning_rate={budget.learning_rate}; "
          f"threshold {budget.threshold}", file=sys.stderr)
    print("| submission | runs | mean | min | max | diverged | pass | s/run |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in ["reference", *MISTAKES]:
        if budget.only and row not in budget.only:
            continue
        runs = budget.seeds if row == "reference" else budget.mistake_seeds
        train = trainer(budget, row)
        measured, started = [], time.perf_counter()
        for seed in range(runs):
            measured.append(accuracy(train(seed)))
        per_run = (time.perf_counter() - started) / runs
        scores = [0.0 if score is None else score for score in measured]
        diverged = sum(score is None for score in measured)
        passed = sum(score >= budget.threshold for score in scores)
        print(f"| {row} | {runs} | {statistics.mean(scores):.4f} | {min(scores):.4f} | "
              f"{max(scores):.4f} | {diverged} | {passed}/{runs} | {per_run:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
