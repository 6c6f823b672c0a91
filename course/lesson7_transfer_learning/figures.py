"""Lesson 7's figures: accuracy against the number of labels (frozen base, fine-tuned, from
scratch), and a grid of held-out digits with the transfer model's predictions."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

# What the figures use from the grader: a change remakes them (grader/sitebuild/figures.py).
DEPENDS_ON = ("grader/data/base_model.py", "grader/data/base_model.npz")

COUNTS = (30, 100, 300, 1000)  # labelled digits, the first of the grading pool
STEPS = 200  # about this many batches of 32 per training, whatever the number of labels
TUNE_STEPS = 100  # then fine_tune(7 layers, 1e-4) and about these more batches
BATCH = 32

FIGURES = [
    Figure("labels", "Accuracy on the 2,000 held-out digits against the number of labelled "
           "digits trained on (the first of the grading split; about 200 batches of 32 each "
           "time): a new head on the frozen Fashion-MNIST base, the same then fine-tuned "
           "(`fine_tune` of all seven layers at 1e-4, about 100 more batches), and the base's "
           "architecture trained from scratch on the digits alone (about 300 batches). With "
           "few labels, the features learned on clothes are worth a few points; with more, "
           "training from scratch catches up.",
           "three rising curves of accuracy against labels on a log scale, from about 50 % at "
           "30 labels to over 90 % at 1,000; the frozen and fine-tuned bases a few points "
           "above training from scratch at 30 and 100 labels, the three close together from "
           "300", needs_mnist=True),
    Figure("predictions", "Held-out digits and what the transfer model trained on 300 labels "
           "(the grader's budget) says they are: green when right, red (with the true digit) "
           "when wrong.",
           "a grid of 32 handwritten digits, each titled with its predicted class, a few in "
           "red", needs_mnist=True),
]


def make(solution, out: Path, split) -> None:
    if split is None:
        return
    import keras
    import numpy as np

    from grader.data import base_model
    from grader.sitebuild.plot import figure, save

    pool = split.train_images.reshape(-1, 28, 28, 1)
    held_out = split.test_images.reshape(-1, 28, 28, 1)

    def accuracy(model) -> float:
        scores = np.concatenate([np.asarray(model(held_out[i:i + 500], training=False))
                                 for i in range(0, len(held_out), 500)])
        return float(np.mean(np.argmax(scores, axis=1) == split.test_labels))

    def passes(x, y, steps: int):
        """The labelled digits repeated for about ``steps`` batches: one epoch of ``fit``, not
        one per pass (at 30 digits that would be 200 epochs of one batch each, and Keras' work
        per epoch cost four times the training itself)."""
        times = max(1, round(steps * BATCH / len(x)))
        return np.concatenate([x] * times), np.concatenate([y] * times)

    frozen, tuned, scratch = [], [], []
    for count in COUNTS:
        x, y = pool[:count], split.train_labels[:count]
        keras.utils.set_random_seed(0)
        extractor = solution.feature_extractor(base_model.load_base_model())
        model = solution.build_transfer_model(extractor, 10)
        solution.train_head(model, *passes(x, y, STEPS), 1, BATCH)
        frozen.append(accuracy(model))
        if count == 300:
            predicted = np.argmax(np.asarray(model(held_out[:32], training=False)), axis=1)
        solution.fine_tune(model, extractor, 7, 1e-4)
        solution.train_head(model, *passes(x, y, TUNE_STEPS), 1, BATCH)
        tuned.append(accuracy(model))
        keras.utils.set_random_seed(0)
        fresh = base_model.build_architecture()
        fresh.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        fresh.fit(*passes(x, y, STEPS + TUNE_STEPS), epochs=1, batch_size=BATCH, verbose=0)
        scratch.append(accuracy(fresh))

    fig = figure(6.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    for values, label, style, color in ((frozen, "frozen base + new head", "o-", "#1f77b4"),
                                        (tuned, "fine-tuned", "s-", "#2ca02c"),
                                        (scratch, "from scratch", "^--", "#d62728")):
        ax.plot(COUNTS, values, style, label=label, color=color, markersize=5)
    ax.set_xscale("log")
    ax.set_xticks(list(COUNTS))
    ax.set_xticklabels([str(c) for c in COUNTS])
    ax.set_xlabel("labelled digits")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0.0, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    save(fig, out, "labels")

    fig = figure(8.0, 4.4)
    for index in range(32):
        ax = fig.add_subplot(4, 8, index + 1)
        ax.imshow(held_out[index, :, :, 0], cmap="gray_r", interpolation="nearest")
        truth, guess = int(split.test_labels[index]), int(predicted[index])
        right = guess == truth
        ax.set_title(str(guess) if right else f"{guess} (is {truth})", fontsize=8,
                     color="#2ca02c" if right else "#d62728")
        ax.axis("off")
    save(fig, out, "predictions")
