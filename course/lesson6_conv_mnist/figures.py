"""Lesson 6's figures: the convnet's training curve, its first-layer filters, a confusion matrix."""

from __future__ import annotations

from pathlib import Path

from grader.sitebuild.figures import Figure

EPOCHS, BATCH = 2, 50  # the grader's budget: 2 epochs of 160 batches of the 8,000 images
EVERY = 20  # score the held-out images every 20 batches

FIGURES = [
    Figure("training", "Training `build_convnet()` with `model.fit` as the grader does (2 epochs "
           "of 50-image batches on the 8,000 training images): the cross-entropy of each batch "
           "and the accuracy on the 2,000 held-out images every 20 batches.",
           "the loss falling fast and the held-out accuracy rising to about 97 %",
           needs_mnist=True),
    Figure("filters", "What the first convolution layer learned: its 5×5 filters, one per "
           "feature map (red: pixels that excite the filter, blue: that inhibit it). Each one "
           "slides over the whole image; after only 320 batches they are still rough, but many "
           "already respond to a light-to-dark edge in one direction.",
           "a grid of sixteen small 5 by 5 filters with red and blue blobs and edges",
           needs_mnist=True),
    Figure("confusion", "Which digits the trained convnet confuses on the held-out images.",
           "a 10 by 10 confusion matrix, almost all on the diagonal", needs_mnist=True),
]


def make(solution, out: Path, split) -> None:
    if split is None:
        return
    import keras
    import numpy as np

    from grader.sitebuild.plot import confusion, figure, save

    images = split.train_images.reshape(-1, 28, 28, 1)
    held_out = split.test_images.reshape(-1, 28, 28, 1)
    keras.utils.set_random_seed(0)
    model = solution.build_convnet(10)
    per_epoch = len(images) // BATCH

    def score() -> np.ndarray:
        return np.argmax(np.asarray(model(held_out, training=False)), axis=1)

    class Curve(keras.callbacks.Callback):
        """Each batch's loss (Keras logs the epoch's running mean) and held-out accuracy."""

        def __init__(self) -> None:
            super().__init__()
            self.losses: list[float] = []
            self.steps: list[int] = []
            self.accuracies: list[float] = []
            self._total = 0.0

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self._total = 0.0

        def on_train_batch_end(self, batch, logs=None) -> None:
            total = float(logs["loss"]) * (batch + 1)  # equal batches: the mean times the count
            self.losses.append(total - self._total)
            self._total = total
            if len(self.losses) % EVERY == 0:
                self.steps.append(len(self.losses))
                self.accuracies.append(float(np.mean(score() == split.test_labels)))

    curve = Curve()
    model.fit(images, split.train_labels, epochs=EPOCHS, batch_size=BATCH, shuffle=True,
              callbacks=[curve], verbose=0)
    confusion(out, "confusion", score(), split.test_labels)

    fig = figure(7.0, 3.0)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(range(1, len(curve.losses) + 1), curve.losses, color="#1f77b4", linewidth=0.7)
    left.set_yscale("log")
    left.set_xlabel(f"batch ({per_epoch} per epoch)")
    left.set_ylabel("cross-entropy (batch)")
    right.plot(curve.steps, curve.accuracies, "o-", color="#2ca02c", markersize=3)
    right.set_xlabel("batch")
    right.set_ylabel("held-out accuracy")
    save(fig, out, "training")

    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    kernels = np.asarray(conv.get_weights()[0])  # (height, width, 1, filters)
    count = kernels.shape[-1]
    columns = min(count, 8)
    rows = -(-count // columns)
    fig = figure(0.8 * columns + 0.4, 0.8 * rows + 0.3)
    for index in range(count):
        ax = fig.add_subplot(rows, columns, index + 1)
        kernel = kernels[:, :, :, index].mean(axis=2)
        limit = float(np.abs(kernel).max()) or 1.0
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.axis("off")
    save(fig, out, "filters")
