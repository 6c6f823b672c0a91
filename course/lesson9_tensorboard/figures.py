"""Lesson 9's figures: what TensorBoard would draw from the reference's own event files.

The reference ``train_with_summaries`` writes its event files into a temporary folder; they are
read back with the grader's trusted reader (:mod:`grader.events`, no TensorFlow in the reading)
and drawn as TensorBoard's scalar and histogram dashboards would draw them.
"""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

# What the figures use from the grader: a change remakes them (grader/sitebuild/figures.py).
DEPENDS_ON = ("grader/events.py",)

STEPS, BATCH_SIZE, LEARNING_RATE = 200, 500, 0.5

FIGURES = [
    Figure("scalars", "The scalars `loss` and `accuracy` that `train_with_summaries` logged at "
           "every step (200 steps of 500 MNIST images at learning rate 0.5), read back from its "
           "event file: TensorBoard's Scalars dashboard, without the smoothing.",
           "two curves: the batch loss falling from 2.3 and the batch accuracy rising to about "
           "90 %", needs_mnist=True),
    Figure("histograms", "The histograms of W logged at steps 1, 10, 50 and 199, read back "
           "from the same file: TensorBoard's Histograms dashboard. From all zeros, the weights "
           "spread out as training goes on; most stay near 0 (the pixels at the border never "
           "have ink, so their weights never move).",
           "four histograms of the weights W, each wider than the one before", needs_mnist=True),
]


def _read_logdir(logdir: Path):
    from grader.events import read_event_file

    files = sorted(logdir.rglob("events.out.tfevents.*"))
    return [read_event_file(path.read_bytes(), path.name) for path in files]


def make(solution, out: Path, split) -> None:
    if split is None:
        return
    import tempfile

    import numpy as np

    from grader.sitebuild.plot import figure, save

    with tempfile.TemporaryDirectory() as folder:
        solution.train_with_summaries(split.train_images, split.train_labels, folder,
                                      steps=STEPS, batch_size=BATCH_SIZE,
                                      learning_rate=LEARNING_RATE)
        files = _read_logdir(Path(folder))
    scalars = {tag: series for events in files for tag, series in events.scalars.items()}
    histograms = {tag: series for events in files for tag, series in events.histograms.items()}

    fig = figure(7.0, 3.0)
    for index, (tag, colour) in enumerate((("loss", "#1f77b4"), ("accuracy", "#2ca02c"))):
        ax = fig.add_subplot(1, 2, index + 1)
        series = scalars[tag]
        ax.plot([s.step for s in series], [s.value for s in series], color=colour)
        ax.set_xlabel("step")
        ax.set_title(tag)
    save(fig, out, "scalars")

    wanted = (1, 10, 50, STEPS - 1)
    by_step = {h.step: h for h in histograms["W"]}
    fig = figure(7.0, 3.0)
    ax = fig.add_subplot()
    colours = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
    for step, colour in zip(wanted, colours, strict=True):
        histogram = by_step[step]
        centres = (histogram.left + histogram.right) / 2
        ax.plot(centres, np.maximum(histogram.counts, 0.5), drawstyle="steps-mid", color=colour,
                label=f"step {step}")
    ax.set_yscale("log")
    ax.set_xlabel("value of a weight in W")
    ax.set_ylabel("weights (of 7,840)")
    ax.legend(frameon=False)
    save(fig, out, "histograms")
