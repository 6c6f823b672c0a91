"""Calibrate lesson 3's held-out accuracy threshold.

Trains the reference ``train_softmax`` over many seeds on the grading split (first 8,000 MNIST
test images to train, last 2,000 held out) with the grader's budget, then typical mistakes, and
prints the held-out accuracy of each (mean, min, max) as a Markdown table for
course/lesson3_softmax_mnist/notes.md.
The accuracy is computed as the check computes it: float64 numpy, argmax of x·W + b.

    MNIST_DIR=/path/to/mnist python benchmarks/calibrate_lesson3.py [--seeds 25]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from _calibration import load_solution

from grader.curriculum import lesson_part
from grader.data.mnist import grading_split
from grader.pytest_plugin import seed_for

checks = lesson_part("lesson3_softmax_mnist", "checks")

REPO = Path(__file__).resolve().parents[1]


def _reference():
    return load_solution("lesson3_softmax_mnist")


REF = _reference()


def _mean_loss(z, y):
    return REF.cross_entropy(z, y)


def train_variant(images, labels, steps, batch_size, learning_rate, *,
                  logits: Callable = REF.logits, loss: Callable = _mean_loss,
                  use_bias: bool = True, pair_labels: bool = True):
    """The reference training loop with one part swapped for a typical mistake."""
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    n = len(images)
    x_data = tf.data.Dataset.from_tensor_slices(images).shuffle(n).repeat()
    # The mistake "labels shuffled on their own": images and labels no longer match.
    y_data = tf.data.Dataset.from_tensor_slices(labels).shuffle(n).repeat()
    pairs = (tf.data.Dataset.zip((x_data, y_data)) if not pair_labels else
             tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(n).repeat())
    variables = [W, b] if use_bias else [W]

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            value = loss(logits(x, W, b if use_bias else tf.zeros([10])), y)
        for variable, grad in zip(variables, tape.gradient(value, variables), strict=True):
            variable.assign_sub(learning_rate * grad)

    for x, y in pairs.batch(batch_size).take(steps):
        step(x, y)
    return W, b


def _softmax_twice(x, W, b):
    return tf.nn.softmax(tf.matmul(x, W) + b)


def _sum_loss(z, y):
    return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z))


def _hand_written_loss(z, y):
    p = tf.nn.softmax(z)
    return -tf.reduce_mean(tf.reduce_sum(tf.one_hot(y, 10) * tf.math.log(p), axis=1))


def _keras_default_rate(images, labels, steps, batch_size, _learning_rate):
    """The learning rate ignored: keras.optimizers.SGD() keeps its default 0.01."""
    return train_variant(images, labels, steps, batch_size, 0.01)


MISTAKES: dict[str, Callable] = {
    "softmax inside logits (softmax applied twice)":
        lambda *a: train_variant(*a, logits=_softmax_twice),
    "loss summed over the batch, not averaged (lr 0.5)": lambda *a: train_variant(*a,
                                                                                  loss=_sum_loss),
    "learning_rate ignored: keras SGD's default 0.01": _keras_default_rate,
    "no bias (b never trained)": lambda *a: train_variant(*a, use_bias=False),
    "labels shuffled separately from the images": lambda *a: train_variant(*a, pair_labels=False),
    "hand-written -sum(y·log(softmax)) (a correct variant, for reference)":
        lambda *a: train_variant(*a, loss=_hand_written_loss),
    "steps ignored: one pass over the images": lambda images, labels, _steps, bs, lr:
        train_variant(images, labels, len(images) // bs, bs, lr),
}


def held_out_accuracy(W, b, split) -> float:
    return checks._held_out_accuracy(np.asarray(W), np.asarray(b), split.test_images,
                                     split.test_labels)


def measure(train: Callable, seeds: list[int], split, steps: int, batch_size: int,
            learning_rate: float) -> list[float]:
    scores = []
    images, labels = tf.constant(split.train_images), tf.constant(split.train_labels)
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        W, b = train(images, labels, steps, batch_size, learning_rate)
        W, b = np.asarray(W), np.asarray(b)
        scores.append(held_out_accuracy(W, b, split) if np.all(np.isfinite(W)) else 0.0)
    return scores


def _row(name: str, scores: list[float]) -> str:
    return (f"| {name} | {len(scores)} | {np.mean(scores):.2%} | {min(scores):.2%} | "
            f"{max(scores):.2%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=25, help="seeds for the reference")
    parser.add_argument("--mistake-seeds", type=int, default=10, help="seeds for each mistake")
    args = parser.parse_args()
    tf.config.experimental.enable_op_determinism()  # as in the learner process
    split = grading_split()
    budget = (checks.TRAIN_STEPS, checks.TRAIN_BATCH_SIZE, checks.TRAIN_LEARNING_RATE)
    grader_seed = seed_for("lesson3_softmax_mnist::test_train_held_out_accuracy")
    seeds = [grader_seed, *range(args.seeds - 1)]
    started = time.monotonic()

    print(f"Budget: steps={budget[0]}, batch_size={budget[1]}, learning_rate={budget[2]}; "
          f"threshold {checks.HELD_OUT_THRESHOLD:.0%}; the grader's seed is {grader_seed}.\n")
    print("| training | seeds | mean | min | max |")
    print("|---|---|---|---|---|")
    reference = measure(REF.train_softmax, seeds, split, *budget)
    print(_row("reference solution", reference))
    print(_row("reference, the grader's seed only", reference[:1]))
    for name, train in MISTAKES.items():
        print(_row(name, measure(train, seeds[: args.mistake_seeds], split, *budget)), flush=True)
    print(_row("reference with the 2016 budget (1000 steps, batch 100, lr 0.5)",
               measure(REF.train_softmax, seeds[:5], split, 1000, 100, 0.5)))
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
