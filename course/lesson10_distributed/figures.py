"""Lesson 10's figures: data parallelism drawn, the epochs make_dataset yields, and training with
two replicas against training on one device (measured from the reference solution)."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

# What the figures use from the grader: a change remakes them (grader/sitebuild/figures.py).
DEPENDS_ON = ("course/lesson10_distributed/checks.py",)  # reference_training

FIGURES = [
    Figure("parallelism", "Data parallelism with `tf.distribute.MirroredStrategy` and two "
           "replicas: each global batch of B examples is split in two; each replica computes "
           "the loss of its half divided by the *global* B, and its gradient, on its own copy "
           "of W and b; the strategy sums the two gradients (all-reduce) and every copy takes "
           "the same step.",
           "a diagram: a global batch split into two halves, two replicas with their copies of "
           "W and b, their gradients summed, and the same update sent back to both"),
    Figure("epochs", "What the reference `make_dataset(images, labels, batch_size=6, seed=0)` "
           "yields for 20 examples, pass after pass: each row is an epoch, each cell one "
           "example (its colour and number: its index in the data). Every example comes once "
           "per epoch, the order changes from epoch to epoch, and the last batch holds the "
           "20 − 3·6 = 2 left over.",
           "three rows of 20 numbered cells in three batches of 6 and one of 2, each row a "
           "different permutation"),
    Figure("training", "The reference `distributed_train` with two replicas (dots) against "
           "plain gradient descent on one device, computed by the grader in float64 (line), on "
           "the same global batches of 500 MNIST images at learning rate 1.5, measured on the "
           "2,000 held-out images: they coincide. "
           "Dashed: the classic mistake, each replica averaging over its own half, which "
           "doubles every step: at a rate that one device handles well, the doubled steps "
           "overshoot, and the loss jumps and ends higher. (At a small rate the doubling can "
           "look like a speed-up; it is still not the training asked for, and the grader "
           "names it.)",
           "two plots over 100 steps: held-out loss on a log scale and held-out accuracy; the "
           "two-replica dots lie on the single-device line; the mistake's dashed line jumps "
           "above the loss line and ends above it, and runs mostly below it in accuracy",
           needs_mnist=True),
]

CHECKPOINTS = (1, 3, 10, 30, 100)
# At 0.5 the mistake (steps of 1.0) ended lower than the right curve: the opposite of the text.
BATCH, RATE = 500, 1.5


def make(solution, out: Path, split) -> None:
    _parallelism(out)
    _epochs(solution, out)
    if split is not None:
        _training(solution, out, split)


def _box(ax, x: float, y: float, w: float, h: float, text: str, colour: str,
         size: float = 8.5) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=colour, edgecolor="#333333", linewidth=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "->", "color": "#333333", "linewidth": 1.0})


def _parallelism(out: Path) -> None:
    from matplotlib.patches import Rectangle

    from grader.sitebuild.plot import figure, save

    fig = figure(8.0, 4.4)
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    colours = ("#9ecae1", "#fdae6b")
    # The global batch: 8 cells, the first half for replica 0, the second for replica 1.
    ax.text(0.2, 5.65, "global batch k: examples k·B … k·B + B − 1", fontsize=9)
    for i in range(8):
        ax.add_patch(Rectangle((0.2 + 0.45 * i, 4.9), 0.42, 0.5, facecolor=colours[i // 4],
                               edgecolor="#333333", linewidth=0.6))
    for replica, (x, colour) in enumerate(((0.2, colours[0]), (5.4, colours[1]))):
        _arrow(ax, (1.1 + 1.8 * replica, 4.85), (x + 1.9, 4.15))
        _box(ax, x, 2.45, 4.2, 1.65,
             f"replica {replica} (CPU:{replica})\ncopy of W, b (MirroredVariable)\n"
             f"loss$_{replica}$ = Σ$_{{i \\in \\mathrm{{half}}_{replica}}}$ ℓ$_i$ / B   "
             "← global B\n"
             f"g$_{replica}$ = ∂ loss$_{replica}$ / ∂(W, b)", colour)
        _arrow(ax, (x + 2.1, 2.4), (5.0, 1.55))
    _box(ax, 2.9, 0.75, 4.2, 0.8, "all-reduce (strategy.reduce SUM):\n"
         "g = g$_0$ + g$_1$ = ∂(mean loss of the global batch)", "#e5f5e0")
    ax.text(5.0, 0.2, "every copy: W ← W − η·g, b ← b − η·g   (the same step on both replicas)",
            ha="center", fontsize=8.5)
    ax.text(4.7, 4.95, "strategy.experimental_distribute_dataset\nsplits it: B/2 each",
            fontsize=8, color="#555555")
    save(fig, out, "parallelism")


def _epochs(solution, out: Path) -> None:
    from grader.sitebuild.plot import save

    save(epochs_figure(solution), out, "epochs")


def epochs_figure(solution):
    """Three epochs of ``solution.make_dataset``, one numbered cell per example."""
    import numpy as np

    from grader.sitebuild.plot import figure

    n, batch = 20, 6
    images = np.zeros((n, 784), np.float32)
    images[:, 0] = np.arange(n)  # every image different: its first pixel is its index
    dataset = solution.make_dataset(images, np.arange(n, dtype=np.int64), batch, 0)
    rows = []
    for _ in range(3):
        rows.append([int(i) for _, labels in dataset for i in np.asarray(labels)])
    fig = figure(8.0, 2.6)
    ax = fig.add_subplot()
    ax.imshow(np.array(rows), cmap="viridis", aspect="auto", vmin=0, vmax=n - 1)
    for row, order in enumerate(rows):
        for column, index in enumerate(order):
            ax.text(column, row, str(index), ha="center", va="center", fontsize=11,
                    color="white" if index < n / 2 else "black")
    for edge in range(batch, n, batch):
        ax.axvline(edge - 0.5, color="white", linewidth=3)
    ax.set_yticks(range(3), [f"epoch {e + 1}" for e in range(3)], fontsize=11)
    starts = list(range(0, n, batch))
    ax.set_xticks([start + (min(batch, n - start) - 1) / 2 for start in starts],
                  [f"batch {b + 1}" for b in range(len(starts))], fontsize=11)
    ax.tick_params(length=0)
    return fig


def _trajectory(images, labels, measures, scale: float = 1.0) -> list[tuple[float, float]]:
    """``measures(W, b)`` after 0, 1, ..., CHECKPOINTS[-1] steps of the grader's own plain
    gradient descent (as ``checks.reference_training`` computes it, step by step)."""
    import numpy as np

    from .checks import reference_training

    W, b = np.zeros((784, 10)), np.zeros(10)
    found = [measures(W, b)]
    n = len(images)
    for k in range(CHECKPOINTS[-1]):
        batch = (k * BATCH + np.arange(BATCH)) % n
        # One step from (W, b): reference_training's step, on this step's global batch.
        step_W, step_b = reference_training(images[batch], labels[batch], BATCH, 1, RATE,
                                            scale=scale, start=(W, b))
        W, b = step_W, step_b
        found.append(measures(W, b))
    return found


def _training(solution, out: Path, split) -> None:
    import numpy as np

    from grader.sitebuild.plot import figure, save

    images, labels = split.train_images, split.train_labels
    held_out, held_labels = split.test_images, split.test_labels

    def measures(W, b) -> tuple[float, float]:
        """The mean cross-entropy and the accuracy on the held-out images."""
        z = held_out @ np.asarray(W, np.float32) + np.asarray(b, np.float32)
        z = z - z.max(axis=1, keepdims=True)
        loss = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(z)), held_labels]))
        return loss, float(np.mean(np.argmax(z, axis=1) == held_labels))

    steps = list(range(CHECKPOINTS[-1] + 1))
    single, wrong = _trajectory(images, labels, measures), _trajectory(images, labels,
                                                                      measures, scale=2.0)
    distributed = [measures(*solution.distributed_train(images, labels, BATCH, k, RATE))
                   for k in CHECKPOINTS]
    fig = figure(8.0, 3.1)
    for column, name in enumerate(("held-out cross-entropy", "held-out accuracy")):
        ax = fig.add_subplot(1, 2, column + 1)
        ax.plot(steps, [m[column] for m in single], color="#1f77b4",
                label="one device (grader, float64)")
        ax.plot(steps, [m[column] for m in wrong], "--", color="#d62728",
                label="per-replica mean (2× steps)")
        ax.plot(CHECKPOINTS, [m[column] for m in distributed], "o", color="#ff7f0e",
                markersize=4, label="distributed_train, 2 replicas")
        ax.set_xlabel("step")
        ax.set_ylabel(name)
        if column == 0:
            from matplotlib.ticker import NullFormatter

            ax.set_yscale("log")
            ticks = [0.2, 0.3, 0.5, 1, 2, 5, 10]
            ax.set_yticks(ticks, [f"{tick:g}" for tick in ticks])
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.legend(fontsize=8)
    save(fig, out, "training")
