"""Lesson 2's figures: the fitted line, the loss curve, and the loss surface with the descent."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

FIGURES = [
    Figure("fit", "The 2016 data, y = 0.1·x + 0.3 + noise, and the line `fit` finds: "
           "the start, after 5 and 20 steps, and after 201 steps at learning rate 0.5.",
           "100 points along a line, with the fitted lines getting closer to them"),
    Figure("loss", "The loss that `train_step` returns, step by step (log scale).",
           "the mean squared error falling from about 0.1 to 0.0001 over 200 steps"),
    Figure("surface", "The loss surface L(W, b) over a grid of W and b, and the path gradient "
           "descent takes across it from the random start to W = 0.1, b = 0.3.",
           "contour lines of the loss around its minimum, with the descent path"),
]


def make(solution, out: Path, split) -> None:
    import numpy as np
    import tensorflow as tf

    from grader.sitebuild.plot import figure, save

    rng = np.random.default_rng(2016)
    x = rng.random(100).astype(np.float32)
    y = (0.1 * x + 0.3 + rng.normal(0.0, 0.01, 100)).astype(np.float32)
    W = tf.Variable([-0.8])
    b = tf.Variable([0.0])
    path, losses, lines = [], [], {}
    for step in range(202):
        path.append((float(W[0]), float(b[0])))
        if step in (0, 5, 20, 201):
            lines[step] = path[-1]
        if step < 201:
            losses.append(float(solution.train_step(x, y, W, b, 0.5)))

    fig = figure()
    ax = fig.add_subplot()
    ax.scatter(x, y, s=10, color="#1f77b4", label="data")
    xs = np.array([0.0, 1.0])
    for (step, (w, c)), alpha in zip(lines.items(), (0.25, 0.45, 0.7, 1.0), strict=True):
        ax.plot(xs, w * xs + c, color="#d62728", alpha=alpha,
                label=f"step {step}: W={w:.3f}, b={c:.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8)
    save(fig, out, "fit")

    fig = figure(6.0, 3.2)
    ax = fig.add_subplot()
    ax.semilogy(losses, color="#2ca02c")
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error")
    save(fig, out, "loss")

    ws = np.linspace(-1.0, 1.0, 41, dtype=np.float32)
    bs = np.linspace(-0.2, 0.8, 41, dtype=np.float32)
    grid = np.array([[float(solution.mse_loss(solution.predict(x, w, c), y)) for w in ws]
                     for c in bs])
    fig = figure(6.0, 4.2)
    ax = fig.add_subplot()
    contour = ax.contourf(ws, bs, np.log10(grid), levels=20, cmap="viridis")
    fig.colorbar(contour, ax=ax, label="log10 loss")
    walk = np.array(path)
    ax.plot(walk[:, 0], walk[:, 1], ".-", color="white", markersize=3, linewidth=1)
    ax.plot([0.1], [0.3], "*", color="#ff7f0e", markersize=12)
    ax.set_xlabel("W")
    ax.set_ylabel("b")
    save(fig, out, "surface")
