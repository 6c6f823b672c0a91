"""Learner side probes for lesson 6: conv2d, max_pool_2x2, and build_convnet (built, trained)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from grader.learner.worker import current_label


def _shape(array: np.ndarray) -> str:
    return "×".join(str(d) for d in array.shape)


def conv2d(module: ModuleType, cases: list[dict[str, np.ndarray]]) -> list[Any]:
    """conv2d(x, W, b) on each case, W and b as tf.Variables (as in 2016)."""
    answers = []
    for case in cases:
        x, W, b = case["x"], case["W"], case["b"]
        current_label(f"conv2d(x, W, b) with x of shape ({_shape(x)}) and W of shape "
                      f"({_shape(W)})")
        answers.append(module.conv2d(tf.constant(x), tf.Variable(W), tf.Variable(b)))
    return answers


def max_pool_2x2(module: ModuleType, inputs: list[np.ndarray]) -> list[Any]:
    """max_pool_2x2(x) on each input."""
    answers = []
    for x in inputs:
        current_label(f"max_pool_2x2(x) with x of shape ({_shape(x)})")
        answers.append(module.max_pool_2x2(tf.constant(x)))
    return answers
