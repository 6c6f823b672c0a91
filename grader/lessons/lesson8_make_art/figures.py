"""Lesson 8's figures: a dream octave by octave, what each layer dreams, a style transfer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.sitebuild.figures import Figure

SIZE = 64  # the start image's height and width (the octaves grow it to 125×125)
OCTAVES, OCTAVE_SCALE, STEPS, STEP_SIZE = 4, 1.25, 20, 0.03
CMAP = "magma"  # the network sees one channel; a colour map makes it easier on the eye

FIGURES = [
    Figure("octaves", "`dream(model, image, ['conv2', 'conv3'], steps=20, step_size=0.03, "
           "octaves=4, octave_scale=1.25)` on a smooth random image, octave by octave: the "
           "image is grown by 1.25 each time (64, 80, 100, 125 pixels) and dreamed at that "
           "size, so the patterns the network learnt on 28×28 clothes appear at several "
           "scales. Grey levels are shown with a colour map.",
           "five square pictures, from a blurry start to a dense pattern of strokes and "
           "curls"),
    Figure("layers", "The same start dreamed with one layer at a time: `conv1` (16 filters at "
           "full resolution) amplifies edges and fine texture, `conv2` and `conv3` (after one "
           "and two 2×2 poolings) paint larger strokes and shapes.",
           "three pictures side by side, with finer patterns on the left and coarser ones on "
           "the right"),
    Figure("style", "Style transfer with `style_loss`: starting from the content image (a "
           "ring), the image is changed by gradient descent so that its Gram matrices at "
           "`conv1` and `conv2` match the style image's (stripes) while its `conv3` features "
           "stay close to the content's. The result keeps the ring and takes on the stripes.",
           "a ring, a striped texture, and the ring painted with stripes"),
]


def _start(rng: Any, size: int) -> Any:
    """A smooth random image in [-0.3, 0.3]: noise blurred by upscaling a tiny one."""
    import numpy as np
    import tensorflow as tf

    small = rng.uniform(-1.0, 1.0, (1, 8, 8, 1)).astype(np.float32)
    return 0.3 * tf.image.resize(small, (size, size), method="bicubic").numpy().clip(-1, 1)


def _ring(size: int) -> Any:
    import numpy as np

    y, x = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1
    radius = np.sqrt(x**2 + y**2)
    ring = np.exp(-((radius - 0.55) / 0.13) ** 2)
    return (ring * 1.6 - 0.8).astype(np.float32)[None, :, :, None]


def _stripes(size: int) -> Any:
    import numpy as np

    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return (0.8 * np.sin((x + y) * 2 * np.pi / 7)).astype(np.float32)[None, :, :, None]


def _show(ax: Any, image: Any, title: str) -> None:
    import numpy as np

    ax.imshow(np.asarray(image)[0, :, :, 0], cmap=CMAP, vmin=-1, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def _style_transfer(solution: Any, model: Any, content: Any, style: Any, steps: int) -> Any:
    import keras
    import numpy as np
    import tensorflow as tf

    style_layers, content_layer = ["conv1", "conv2"], "conv3"
    outputs = [model.get_layer(name).output for name in [*style_layers, content_layer]]
    extractor = keras.Model(model.input, outputs)
    *style_targets, _ = extractor(style)
    *_, content_target = extractor(content)
    image = tf.Variable(content)
    optimizer = keras.optimizers.Adam(0.02)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            *features, content_features = extractor(image)
            loss = (1e3 * solution.style_loss(style_targets, features)
                    + tf.reduce_mean(tf.square(content_features - content_target)))
        optimizer.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, -1.0, 1.0))
    return np.asarray(image)


def make(solution, out: Path, split) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    from grader.lessons.lesson8_make_art import network
    from grader.sitebuild.plot import figure, save

    keras.utils.set_random_seed(8)
    model = network.dream_model()
    rng = np.random.default_rng(2016)
    start = _start(rng, SIZE)
    layers = ["conv2", "conv3"]

    # The dream octave by octave, with the solution's own dream_step, as its dream does it.
    stages = [start]
    image = tf.constant(start)
    for octave in range(OCTAVES):
        size = int(SIZE * OCTAVE_SCALE**octave)
        image = tf.image.resize(image, (size, size))
        for _ in range(STEPS):
            image = solution.dream_step(model, image, layers, STEP_SIZE)
        stages.append(image.numpy())
    final = solution.dream(model, start, layers, STEPS, STEP_SIZE, OCTAVES, OCTAVE_SCALE)
    fig = figure(10.0, 2.5)
    for index, stage in enumerate(stages):
        ax = fig.add_subplot(1, len(stages), index + 1)
        size = stage.shape[1]
        _show(ax, stage, "start (64×64)" if index == 0 else f"octave {index} ({size}×{size})")
    save(fig, out, "octaves")

    fig = figure(7.5, 2.8)
    for index, name in enumerate(["conv1", "conv2", "conv3"]):
        dreamed = solution.dream(model, start, [name], STEPS, STEP_SIZE, 3, OCTAVE_SCALE)
        _show(fig.add_subplot(1, 3, index + 1), dreamed, f"dreaming with {name}")
    save(fig, out, "layers")
    del final

    content, style = _ring(SIZE), _stripes(SIZE)
    result = _style_transfer(solution, model, content, style, steps=150)
    fig = figure(7.5, 2.8)
    for index, (picture, title) in enumerate(((content, "content"), (style, "style"),
                                              (result, "content in the style"))):
        _show(fig.add_subplot(1, 3, index + 1), picture, title)
    save(fig, out, "style")
