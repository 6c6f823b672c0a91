"""Lesson 5's figures: the Keras classifier's training curves per epoch, a confusion matrix."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

HIDDEN = [128, 32]
EPOCHS, BATCH = 5, 100  # the grader's budget: 5 epochs of 80 batches of the 8,000 images

FIGURES = [
    Figure("training", "Training `build_classifier([128, 32])` with `train_classifier` for 5 "
           "epochs of 100-image batches on the 8,000 training images (the grader's budget): "
           "the loss and accuracy that `History` reports for each epoch (averaged over the "
           "epoch, while the model is still learning) and the accuracy on the 2,000 held-out "
           "images at the end of each epoch.",
           "the loss falling and both accuracies rising to about 95 % over five epochs",
           needs_mnist=True),
    Figure("confusion", "Which digits the trained classifier confuses: rows are the true "
           "digits of the held-out images, columns the predictions.",
           "a 10 by 10 confusion matrix, mostly on the diagonal", needs_mnist=True),
]


def make(solution, out: Path, split) -> None:
    if split is None:
        return
    import keras
    import numpy as np

    from grader.sitebuild.plot import confusion, figure, save

    keras.utils.set_random_seed(0)
    model = solution.build_classifier(HIDDEN)
    losses, accuracies, held_out = [], [], []
    for _ in range(EPOCHS):  # one epoch at a time, to score the held-out images after each
        history = solution.train_classifier(model, split.train_images, split.train_labels,
                                            epochs=1, batch_size=BATCH)
        losses.append(history.history["loss"][-1])
        accuracies.append(history.history.get("accuracy", [np.nan])[-1])
        logits = np.asarray(model(split.test_images, training=False))
        predicted = np.argmax(logits, axis=1)
        held_out.append(float(np.mean(predicted == split.test_labels)))
    confusion(out, "confusion", predicted, split.test_labels)

    epochs = range(1, EPOCHS + 1)
    fig = figure(7.0, 3.0)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(epochs, losses, "o-", color="#1f77b4", markersize=4)
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy (training)")
    left.set_xticks(list(epochs))
    right.plot(epochs, accuracies, "o-", color="#1f77b4", markersize=4, label="training")
    right.plot(epochs, held_out, "s-", color="#2ca02c", markersize=4, label="held out")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.set_xticks(list(epochs))
    right.legend(fontsize=8)
    save(fig, out, "training")
