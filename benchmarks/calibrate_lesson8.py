"""Calibrate lesson 8's tolerances: how far correct ways of writing it stray from the grader.

Imports the reference solution and the correct variants (``tests/variants/lesson8/correct``)
in this process, runs each on the inputs the checks make (over several seeds), and measures
what the checks compare, against the grader's own computation
(``course/lesson8_make_art/checks.py``):

    dream_loss      relative difference from the grader's sum of mean activations
    dream_step      the move's largest difference from step_size × normalised gradient, in
                    units of step_size (pixels away from ±1 only), and its cosine with the
                    grader's gradient
    dream           the loss gained by dream(steps=5, octaves=1), as a fraction of 5 reference
                    steps; and the loss after the grader's 3-octave dream over the start's
    gram_matrix     relative difference from float64 numpy
    style_loss      relative difference from float64 numpy

and the same for the mistakes the checks must tell apart (the buggy variants). Prints a
Markdown table for course/lesson8_make_art/notes.md:

    python benchmarks/calibrate_lesson8.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.curriculum import lesson_part  # noqa: E402

checks = lesson_part("lesson8_make_art", "checks")

VARIANTS = REPO / "tests" / "variants" / "lesson8"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_calibrate_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(module, seeds: int) -> dict[str, float]:
    import tensorflow as tf

    from grader.curriculum import lesson_part
    network = lesson_part("lesson8_make_art", "network")

    model = network.dream_model()
    worst = {"loss": 0.0, "step": 0.0, "cosine": 1.0, "gain": np.inf, "octaves": np.inf,
             "gram": 0.0, "style": 0.0}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        for shape, layers in (((1, 20, 24, 1), ["conv2"]), ((1, 17, 13, 1), ["conv1", "logits"])):
            image = checks._image(rng, shape)
            got = float(module.dream_loss(model, tf.constant(image), layers))
            expected = checks._loss(image, layers)
            worst["loss"] = max(worst["loss"], abs(got - expected) / abs(expected))
        for case in checks._step_cases(rng):
            image, layers, size = case["image"], case["layers"], case["step_size"]
            got = np.asarray(module.dream_step(model, tf.constant(image), layers, size),
                             np.float64)
            step = size * checks._normalised(checks._gradient(image, layers))
            inside = checks._movable(image.astype(np.float64), step)
            moved = (got - image)[inside]
            worst["step"] = max(worst["step"], float(np.abs(moved - step[inside]).max()) / size)
            worst["cosine"] = min(worst["cosine"], checks._cosine(moved, step[inside]))
        image = checks._image(rng, checks.DREAM_SHAPE, -0.5, 0.5)
        start = checks._loss(image, checks.DREAM_LAYERS)
        once = np.asarray(module.dream(model, tf.constant(image), checks.DREAM_LAYERS, 5,
                                       checks.DREAM_STEP_SIZE, 1, 1.0), np.float64)
        current = image
        for _ in range(5):
            current = checks._reference_step(current.astype(np.float32), checks.DREAM_LAYERS,
                                             checks.DREAM_STEP_SIZE)
        gain = (checks._loss(once, checks.DREAM_LAYERS) - start) / (
            checks._loss(current, checks.DREAM_LAYERS) - start)
        worst["gain"] = min(worst["gain"], gain)
        multi = np.asarray(module.dream(model, tf.constant(image), checks.DREAM_LAYERS,
                                        checks.DREAM_STEPS, checks.DREAM_STEP_SIZE,
                                        checks.DREAM_OCTAVES, checks.DREAM_OCTAVE_SCALE))
        worst["octaves"] = min(worst["octaves"],
                               checks._loss(multi, checks.DREAM_LAYERS) / start)
        for shape in checks.GRAM_SHAPES:
            features = rng.normal(0.0, 1.0, shape).astype(np.float32)
            got = np.asarray(module.gram_matrix(tf.constant(features)), np.float64)
            expected = checks._gram(features)
            worst["gram"] = max(worst["gram"], float(np.abs(got - expected).max()
                                                     / np.abs(expected).max()))
        for shapes in checks.STYLE_CASES:
            style = [rng.normal(0.0, 1.0, s).astype(np.float32) for s in shapes]
            other = [rng.normal(0.0, 1.0, s).astype(np.float32) for s in shapes]
            got = float(module.style_loss([tf.constant(f) for f in style],
                                          [tf.constant(f) for f in other]))
            expected = sum(checks._style(style, other))
            worst["style"] = max(worst["style"], abs(got - expected) / expected)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    paths = [REPO / "solutions" / "lesson8_make_art.py", *sorted(VARIANTS.glob("correct/*.py")),
             *(VARIANTS / "buggy" / name for name in (
                 "b01_descent.py", "b02_not_normalised.py", "b06_loss_sum_not_mean.py",
                 "b09_step_result_dropped.py", "b04_gram_not_divided.py",
                 "b10_style_mean_over_layers.py"))]
    print("| submission | dream_loss rel. | step error / step_size | cosine | dream gain "
          "(5 steps) | 3-octave loss / start | gram rel. | style_loss rel. |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for path in paths:
        w = measure(_load(path), args.seeds)
        print(f"| {path.parent.name}/{path.stem} | {w['loss']:.1e} | {w['step']:.1e} | "
              f"{w['cosine']:.4f} | {w['gain']:.2f} | {w['octaves']:.2f} | {w['gram']:.1e} | "
              f"{w['style']:.1e} |", flush=True)


if __name__ == "__main__":
    main()
