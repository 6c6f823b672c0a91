"""Lesson 4's figures: the training curve, first-layer features, a confusion matrix."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

HIDDEN = [128, 32]
STEPS, BATCH, RATE = 1000, 100, 0.3  # the grader's budget

FIGURES = [
    Figure("training", "Training the network with hidden layers [128, 32] (1,000 steps of "
           "100 images at learning rate 0.3, the grader's budget): the batch cross-entropy and "
           "the held-out accuracy every 50 steps.",
           "the loss falling and the held-out accuracy rising to about 96 %", needs_mnist=True),
    Figure("features", "What the first layer learned: the weights of 16 of its 128 hidden "
           "units, each as a 28×28 image. Unlike lesson 3's templates these are strokes and "
           "parts the next layers combine.",
           "sixteen noisy stroke-like patterns", needs_mnist=True),
    Figure("confusion", "Which digits the trained network confuses on the held-out images.",
           "a 10 by 10 confusion matrix, mostly on the diagonal", needs_mnist=True),
]


def make(solution, out: Path, split) -> None:
    if split is None:
        return
    import numpy as np
    import tensorflow as tf

    from grader.sitebuild.plot import confusion, figure, save

    images, labels = split.train_images, split.train_labels
    held_out = tf.constant(split.test_images)
    params = solution.train_mlp(images, labels, hidden_units=HIDDEN, steps=STEPS,
                                batch_size=BATCH, learning_rate=RATE)
    predicted = np.argmax(np.asarray(solution.mlp_logits(held_out, params)), axis=1)
    confusion(out, "confusion", predicted, split.test_labels)

    first = np.asarray(params[0][0])
    fig = figure(6.4, 3.4)
    for unit in range(16):
        ax = fig.add_subplot(2, 8, unit + 1)
        weights = first[:, unit].reshape(28, 28)
        limit = float(np.abs(weights).max())
        ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.axis("off")
    save(fig, out, "features")

    curve = solution.init_params([784, *HIDDEN, 10], seed=0)
    variables = [v for pair in curve for v in pair]

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=solution.mlp_logits(x, curve)))
        for variable, gradient in zip(variables, tape.gradient(loss, variables), strict=True):
            variable.assign_sub(RATE * gradient)
        return loss

    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    losses, steps, accuracies = [], [], []
    for index in range(STEPS):
        batch = order[(index * BATCH) % len(images):][:BATCH]
        losses.append(float(step(images[batch], labels[batch])))
        if index % 50 == 49:
            logits = np.asarray(solution.mlp_logits(held_out, curve))
            steps.append(index + 1)
            accuracies.append(float(np.mean(np.argmax(logits, axis=1) == split.test_labels)))
    fig = figure(7.0, 3.0)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(range(1, STEPS + 1), losses, color="#1f77b4", linewidth=0.6)
    left.set_xlabel("step")
    left.set_ylabel("cross-entropy (batch)")
    right.plot(steps, accuracies, "o-", color="#2ca02c", markersize=3)
    right.set_xlabel("step")
    right.set_ylabel("held-out accuracy")
    save(fig, out, "training")
