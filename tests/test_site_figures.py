"""Figures of the site as a learner reads them: readable, and teaching what the text says.

The recipes' figure functions run here in-process on the reference solutions (no site build);
the pictures themselves are looked at in the browser tests and by hand.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from grader.sitebuild.figures import mnist_available
from tests.conftest import REPO

MIN_POINTS = 9.0  # the smallest text a figure may hold, at its natural size


def _solution(stem: str):
    spec = importlib.util.spec_from_file_location(f"_figure_test_{stem}",
                                                  REPO / "solutions" / f"{stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lesson10_epochs_figure_has_numbers_one_can_read() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from grader.lessons.lesson10_distributed import figures

    fig = figures.epochs_figure(_solution("lesson10_distributed"))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    labels = [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels()]
    assert len(ax.texts) >= 3 * 10  # a number in every cell of three epochs
    small = {t.get_text(): t.get_fontsize() for t in labels if t.get_fontsize() < MIN_POINTS}
    assert not small, f"text smaller than {MIN_POINTS} pt: {small}"
    cells = len({round(t.get_position()[0]) for t in ax.texts})
    cell_px = ax.get_window_extent(renderer).width / cells
    widest = max(t.get_window_extent(renderer).width for t in ax.texts)
    assert cell_px >= 1.5 * widest, (cell_px, widest)  # room around every number


@pytest.mark.skipif(not mnist_available(), reason="needs MNIST: set MNIST_DIR")
def test_lesson10_training_figure_shows_the_mistake_doing_worse() -> None:
    """The text: the per-replica mean makes every step twice too large. At the figure's rate the
    dashed curve must end, and mostly run, above the right one (at 0.5 it ended lower)."""
    from grader.data.mnist import grading_split
    from grader.lessons.lesson10_distributed import figures

    split = grading_split()

    def loss(W, b) -> float:
        z = split.test_images @ np.asarray(W, np.float32) + np.asarray(b, np.float32)
        z = z - z.max(axis=1, keepdims=True)
        picked = z[np.arange(len(z)), split.test_labels]
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - picked))

    right = figures._trajectory(split.train_images, split.train_labels, loss)
    mistake = figures._trajectory(split.train_images, split.train_labels, loss, scale=2.0)
    assert mistake[-1] > right[-1] * 1.05, (right[-1], mistake[-1])
    above = sum(m > r for m, r in zip(mistake[1:], right[1:], strict=True))
    assert above >= 0.75 * (len(right) - 1), f"the mistake is above on only {above} steps"
