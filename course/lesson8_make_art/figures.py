"""Lesson 8's figures: a dream octave by octave, what each layer dreams, a style transfer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.sitebuild.figures import Figure

# What the figures use from the grader: a change remakes them (grader/sitebuild/figures.py).
DEPENDS_ON = ("course/lesson8_make_art/network.py", "grader/data/base_model.py",
              "grader/data/base_model.npz")

SIZE = 64  # the start image's height and width (the octaves grow it to 125×125)
OCTAVES, OCTAVE_SCALE, STEPS, STEP_SIZE = 4, 1.25, 20, 0.015
# style transfer: 1000 × style_loss + 100 × the content's mean squared difference (large, so
# that the pixel gradients stay far above Adam's epsilon)
STYLE_WEIGHT, CONTENT_WEIGHT = 1000.0, 100.0
JITTER = 4  # random shifts of up to 4 pixels around each step, as today's tutorial does
CMAP = "magma"  # the network sees one channel; a colour map makes it easier on the eye

FIGURES = [
    Figure("octaves", "Deep Dream octave by octave with the reference `dream_step` on `conv2`: "
           "four MNIST digits (64×64), grown by `octave_scale=1.25` at each octave (64, 80, "
           "100, 125 pixels) and dreamed 20 steps at each size with `step_size=0.015`; the "
           "last picture is the result back at 64×64. The network learnt its strokes and "
           "hooks on 28×28 clothes; the octaves let them appear at several scales. Each step "
           "is taken on the image shifted by a few random pixels and shifted back, as the "
           "TensorFlow tutorial does, so that the pooling grid leaves no pattern of its own. "
           "Grey levels are shown with a colour map.",
           "five pictures of the digits 7, 2, 1 and 0 growing a texture of curls and strokes",
           needs_mnist=True),
    Figure("layers", "What each layer dreams, from the same smooth random start (4 octaves of "
           "20 steps): `conv1` (16 filters at full resolution) amplifies oriented edges into "
           "waves, `conv2` (32 filters after one 2×2 pooling) paints rows of short strokes, "
           "and both together mix the two.",
           "three textures side by side: fine waves, rows of strokes, and a mix of both"),
    Figure("style", "Style transfer with `style_loss`: starting from the content image (a "
           "ring), 200 Adam steps change the image so that its Gram matrices at `conv1` and "
           "`conv2` match the style image's (diagonal stripes) while its `conv2` activations stay "
           "close to the content's (loss = 1000 × style_loss + 100 × the mean squared difference "
           "of the `conv2` activations). The result keeps the ring and takes on the stripes.",
           "a ring, a striped texture, and the ring drawn in diagonal stripes"),
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

    ax.imshow(np.asarray(image)[0, :, :, 0], cmap=CMAP, vmin=-1, vmax=1, interpolation="bilinear")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def _style_transfer(solution: Any, model: Any, content: Any, style: Any, steps: int) -> Any:
    import keras
    import numpy as np
    import tensorflow as tf

    style_layers, content_layer = ["conv1", "conv2"], "conv2"
    outputs = [model.get_layer(name).output for name in [*style_layers, content_layer]]
    extractor = keras.Model(model.input, outputs)
    *style_targets, _ = extractor(style)
    *_, content_target = extractor(content)
    image = tf.Variable(content)
    optimizer = keras.optimizers.Adam(0.02)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            *features, content_features = extractor(image)
            loss = (STYLE_WEIGHT * solution.style_loss(style_targets, features)
                    + CONTENT_WEIGHT * tf.reduce_mean(tf.square(content_features
                                                                - content_target)))
        optimizer.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, -1.0, 1.0))
    return np.asarray(image)


def _dream(solution: Any, model: Any, image: Any, layers: list[str], rng: Any) -> list[Any]:
    """dream() as the solution writes it, with random shifts: the image after each octave."""
    import tensorflow as tf

    stages = []
    image = tf.constant(image)
    for octave in range(OCTAVES):
        size = int(SIZE * OCTAVE_SCALE**octave)
        image = tf.image.resize(image, (size, size))
        for _ in range(STEPS):
            dy, dx = (int(v) for v in rng.integers(-JITTER, JITTER + 1, 2))
            image = tf.roll(image, (dy, dx), (1, 2))
            image = solution.dream_step(model, image, layers, STEP_SIZE)
            image = tf.roll(image, (-dy, -dx), (1, 2))
        stages.append(image.numpy())
    stages.append(tf.image.resize(image, (SIZE, SIZE)).numpy())
    return stages


def make(solution, out: Path, split) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    from grader.sitebuild.plot import figure, save

    from . import network

    keras.utils.set_random_seed(8)
    model = network.dream_model()
    rng = np.random.default_rng(2016)

    if split is not None:
        digits = split.train_images[:4].reshape(4, 28, 28)
        grid = np.block([[digits[0], digits[1]], [digits[2], digits[3]]])
        start = tf.image.resize((grid * 1.2 - 0.6)[None, :, :, None], (SIZE, SIZE)).numpy()
        stages = _dream(solution, model, start, ["conv2"], rng)
        fig = figure(11.0, 2.5)
        for index, stage in enumerate([start, *stages]):
            size = stage.shape[1]
            title = ("start" if index == 0 else "result" if index == len(stages)
                     else f"octave {index}") + f" ({size}×{size})"
            _show(fig.add_subplot(1, len(stages) + 1, index + 1), stage, title)
        save(fig, out, "octaves")

    start = _start(rng, SIZE)
    fig = figure(7.5, 2.8)
    for index, layers in enumerate((["conv1"], ["conv2"], ["conv1", "conv2"])):
        dreamed = _dream(solution, model, start, layers, rng)[-1]
        _show(fig.add_subplot(1, 3, index + 1), dreamed, f"dreaming with {' + '.join(layers)}")
    save(fig, out, "layers")

    content, style = _ring(SIZE), _stripes(SIZE)
    result = _style_transfer(solution, model, content, style, steps=200)
    fig = figure(7.5, 2.8)
    for index, (picture, title) in enumerate(((content, "content"), (style, "style"),
                                              (result, "content in the style"))):
        _show(fig.add_subplot(1, 3, index + 1), picture, title)
    save(fig, out, "style")
