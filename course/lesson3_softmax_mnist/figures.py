"""Lesson 3's figures: the ten learned weight images, the training curve, a confusion matrix."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

FIGURES = [
    Figure("weights", "The learned weights W, one 28×28 image per digit (red: pixels that "
           "count for the digit, blue: against it) — the 2016 workshop's "
           "\"visualizing the learned weights\" slide. `train_softmax` with 200 steps of 500 "
           "images at learning rate 0.5.",
           "ten blurry digit-shaped templates, 0 to 9", needs_mnist=True),
    Figure("training", "Training: the cross-entropy of each batch and the accuracy on the "
           "2,000 held-out images, every 10 steps.",
           "the loss falling and the held-out accuracy rising to about 92 %", needs_mnist=True),
    Figure("confusion", "Which digits the trained model confuses: rows are the true digits of "
           "the held-out images, columns the predictions.",
           "a 10 by 10 confusion matrix, mostly on the diagonal", needs_mnist=True),
]


def make(solution, out: Path, split) -> None:
    if split is None:
        return
    import numpy as np
    import tensorflow as tf

    from grader.sitebuild.plot import confusion, figure, save

    images, labels = split.train_images, split.train_labels
    W, b = solution.train_softmax(images, labels, steps=200, batch_size=500, learning_rate=0.5)
    W = np.asarray(W)
    fig = figure(7.5, 3.2)
    limit = float(np.abs(W).max())
    for digit in range(10):
        ax = fig.add_subplot(2, 5, digit + 1)
        ax.imshow(W[:, digit].reshape(28, 28), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(digit))
        ax.axis("off")
    save(fig, out, "weights")

    held_out = tf.constant(split.test_images)
    predicted = np.argmax(np.asarray(solution.logits(held_out, W, np.asarray(b))), axis=1)
    confusion(out, "confusion", predicted, split.test_labels)

    rng = np.random.default_rng(0)
    Wv, bv = tf.Variable(tf.zeros([784, 10])), tf.Variable(tf.zeros([10]))
    steps, losses, accuracies = [], [], []
    order = rng.permutation(len(images))
    for step in range(200):
        batch = order[(step * 500) % len(images):][:500]
        with tf.GradientTape() as tape:
            loss = solution.cross_entropy(solution.logits(images[batch], Wv, bv), labels[batch])
        gW, gb = tape.gradient(loss, [Wv, bv])
        Wv.assign_sub(0.5 * gW)
        bv.assign_sub(0.5 * gb)
        losses.append(float(loss))
        if step % 10 == 9:
            steps.append(step + 1)
            accuracies.append(float(solution.accuracy(solution.logits(held_out, Wv, bv),
                                                      split.test_labels)))
    fig = figure(7.0, 3.0)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(range(1, 201), losses, color="#1f77b4")
    left.set_xlabel("step")
    left.set_ylabel("cross-entropy (batch)")
    right.plot(steps, accuracies, "o-", color="#2ca02c", markersize=3)
    right.set_xlabel("step")
    right.set_ylabel("held-out accuracy")
    save(fig, out, "training")
