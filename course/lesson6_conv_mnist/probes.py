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


def _describe(model: Any) -> dict[str, Any]:
    from grader.keras_models import describe_model

    return describe_model(model)


def build_convnet(module: ModuleType, class_counts: list[int]) -> list[dict[str, Any]]:
    """build_convnet(num_classes) for each count, described as plain data (not trained)."""
    descriptions = []
    for num_classes in class_counts:
        current_label(f"build_convnet(num_classes={num_classes})")
        descriptions.append(_describe(module.build_convnet(num_classes)))
    return descriptions


class _Progress:
    """A Keras callback that reports the epoch, batch and loss to the trusted side."""

    def __init__(self, epochs: int, steps: int) -> None:
        import keras

        from grader.learner.worker import report_progress

        outer = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                outer.epoch = epoch

            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                if batch % 20 == 19 or batch == steps - 1:
                    loss = (logs or {}).get("loss")
                    text = f"loss {float(loss):.3f}" if loss is not None else ""
                    report_progress(f"epoch {outer.epoch + 1}/{epochs}, batch {batch + 1}/"
                                    f"{steps} {text}".rstrip())

        self.epoch = 0
        self.callback = Callback()


def train_convnet(module: ModuleType, images: np.ndarray, labels: np.ndarray, epochs: int,
                  batch_size: int) -> dict[str, Any]:
    """Build the learner's convnet, train it with the grader's budget, describe it before and
    after: ``model.fit`` on the images reshaped to (N, 28, 28, 1) and the integer labels."""
    import keras

    current_label("build_convnet(num_classes=10)")
    model = module.build_convnet(10)
    before = _describe(model)
    if not isinstance(model, keras.Model):
        return {"before": before, "after": None}
    x = images.reshape(-1, 28, 28, 1)
    current_label(f"model.fit(images of shape ({_shape(x)}), labels, epochs={epochs}, "
                  f"batch_size={batch_size}) on the model build_convnet(10) returned")
    progress = _Progress(epochs, -(-len(x) // batch_size))
    model.fit(x, labels, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
              callbacks=[progress.callback])
    return {"before": before, "after": _describe(model)}
