"""Lesson 7 — train your own image classifier: transfer learning.

Training a convnet from scratch needs many labelled images. In 2016 the workshop's "TensorFlow
for Poets" took a network someone else had trained for weeks (Inception, on ImageNet), kept
everything but its last layer, and retrained only a new last layer on a few hundred photos of
flowers: the old layers already knew edges, textures and shapes.

Here the base network is the course's own: a small convnet trained on Fashion-MNIST (clothes),
shipped with the grader (``from grader.data.base_model import load_base_model``). Its layers,
by name: ``conv1``, ``bn1`` (BatchNormalization), ``relu1``, ``pool1``, ``conv2``, ``pool2``,
``features`` (a Flatten: the 7×7×32 = 1,568 values we reuse) and ``logits`` (Dense(10), its
classifier for the ten kinds of clothes). The new task: MNIST digits from a few hundred labels.

From 2016 to TensorFlow 2:
  - ``retrain.py``'s bottleneck tensor (``pool_3/_reshape:0``) → the output of the base's
    ``features`` layer: ``keras.Model(base.input, base.get_layer("features").output)``;
  - computing the bottlenecks once and never touching Inception's variables → ``trainable =
    False`` on the extractor: its weights stay bit for bit what they were;
  - the new ``final_training_ops`` (one softmax layer) → a new ``keras.layers.Dense(num_classes)``
    on top, compiled with a loss that matches its output;
  - fine-tuning (later TF tutorials) → unfreeze the top layers of the extractor and recompile with
    a much smaller learning rate, so the pretrained weights are adjusted, not overwritten.

Images are float32 in [0, 1] of shape (n, 28, 28, 1); labels are int64 class ids.

Check your work with:  grade lesson7
"""

import keras


def feature_extractor(base_model):
    """A ``keras.Model`` from ``base_model``'s input to the output of its ``features`` layer
    (the last layer before the classifier), with every layer frozen."""
    # TODO: make keras.Model(base_model.input, base_model.get_layer("features").output): the
    # same layers and weights as the base, without its classifier ("logits"). Freeze it with
    # extractor.trainable = False (that freezes every layer inside) and return it.
    raise NotImplementedError("feature_extractor")


def build_transfer_model(extractor, num_classes):
    """A compiled ``keras.Model``: the frozen ``extractor``, then a new ``Dense(num_classes)``
    head, with a loss that matches the head's output."""
    # TODO: stack keras.Sequential([extractor, keras.layers.Dense(num_classes)]). The head
    # outputs logits (no activation), so compile with
    # loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True) and an optimizer such as
    # keras.optimizers.Adam(learning_rate=1e-3); metrics=["accuracy"] is nice to watch.
    raise NotImplementedError("build_transfer_model")


def train_head(model, images, labels, epochs, batch_size):
    """Train ``model`` (only its head is trainable) on the labelled images; return the
    ``History`` that ``fit`` returns."""
    # TODO: return model.fit(images, labels, epochs=epochs, batch_size=batch_size). Only the
    # head learns: the extractor is frozen, so its weights do not move.
    raise NotImplementedError("train_head")


def fine_tune(model, extractor, num_layers, learning_rate):
    """Make only the top ``num_layers`` layers of ``extractor`` trainable and recompile
    ``model`` with an optimizer at ``learning_rate``; return ``model``."""
    # TODO: give each layer of extractor.layers trainable = True if it is one of the last
    # num_layers, else False (careful: layers[-0:] is every layer). extractor.trainable = True
    # first, then freezing extractor.layers[:-num_layers] (TensorFlow's tutorial) works too,
    # but only while the extractor's own flag is False: Keras 3 passes the flag down to the
    # layers only when it changes, so setting each layer's flag yourself is the safe way. Keep
    # any keras.layers.BatchNormalization frozen: trainable, it would run in training mode and
    # replace its Fashion-MNIST statistics by the digits' batch statistics. Then compile the
    # model again (Keras only trains what was trainable when it was compiled) with
    # keras.optimizers.Adam(learning_rate=learning_rate) and the same loss; return the model.
    raise NotImplementedError("fine_tune")
