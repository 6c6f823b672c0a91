"""Matplotlib helpers shared by figure recipes (Agg, no pyplot: no display, no global state)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure


def figure(width: float = 6.0, height: float = 3.6) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def save(fig: Figure, out: Path, name: str) -> None:
    fig.savefig(out / f"{name}.png", facecolor="white", metadata={"Software": None})


def confusion(fig_out: Path, name: str, predicted, labels) -> None:
    save(confusion_figure(predicted, labels), fig_out, name)


def confusion_figure(predicted, labels) -> Figure:
    """The 10×10 confusion matrix of digit predictions, every count written in its cell."""
    import numpy as np

    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels, predicted), 1)
    fig = figure(4.8, 4.4)
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if matrix[i, j]:
                colour = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=9,
                        color=colour)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"held-out images: {np.mean(predicted == labels):.1%} right")
    return fig
