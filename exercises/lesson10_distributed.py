"""Lesson 10 — input pipelines and data parallelism.

In 2016 data reached the model through queues (``tf.train.string_input_producer``,
``shuffle_batch``, queue runners and a coordinator), and a model was spread over devices by hand
(``with tf.device(...)``, towers, gradients averaged on a parameter server). Today ``tf.data``
is the input pipeline — a chain of transformations (shuffle, batch, prefetch) that TensorFlow
runs in the background — and ``tf.distribute`` is data parallelism: a strategy copies the
variables onto every device ("replica"), splits each global batch among them, runs the same step
on each part and sums the gradients, so that every copy takes the same step.

images are float32 arrays of shape (n, 784) (in [0, 1], flattened); labels are int64 class ids
0..9 of shape (n,). The model is lesson 3's softmax regression, logits = x·W + b.

Check your work with:  grade lesson10
"""

import tensorflow as tf


def make_dataset(images, labels, batch_size, seed):
    """One epoch of (images, labels) batches: shuffled by `seed`, batched, prefetched.

    Every example comes exactly once per epoch, with its own label, in batches of `batch_size`
    (the last one smaller when `batch_size` does not divide the number of images). The same seed
    gives the same order; another seed another order; and each new pass over the dataset (each
    epoch, each ``for batch in dataset``) is shuffled anew.
    """
    # TODO: build tf.data.Dataset.from_tensor_slices((images, labels)), then .shuffle(...) with a
    # buffer as large as the data set, seed=seed and reshuffle_each_iteration=True, then
    # .batch(batch_size) (keep the last, smaller batch), then .prefetch(tf.data.AUTOTUNE).
    raise NotImplementedError("make_dataset")


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    """Lesson 3's softmax model trained with tf.distribute.MirroredStrategy; return (W, b).

    W (784×10) and b (10) start at zeros. Step k (k = 0, 1, ..., steps - 1) trains on the global
    batch of the examples k·B, k·B + 1, ..., k·B + B - 1 (B = `global_batch_size`) of the data
    repeated end to end, in the order given: no shuffling here, so that the grader can recompute
    every step. The strategy splits each global batch among its replicas (one per device: the
    grader gives two CPUs); each replica's loss is its examples' cross-entropy divided by the
    *global* batch size (tf.nn.compute_average_loss), and the replicas' gradients are summed, so
    that the step is exactly plain gradient descent, at `learning_rate`, on the mean
    cross-entropy of the whole global batch.
    """
    # TODO: strategy = tf.distribute.MirroredStrategy(). Create W = tf.Variable(tf.zeros([784,
    # 10])) and b = tf.Variable(tf.zeros([10])) inside `with strategy.scope():`. Make the batches
    # with tf.data.Dataset.from_tensor_slices((images, labels)).repeat().batch(global_batch_size,
    # drop_remainder=True).take(steps) and split them with
    # strategy.experimental_distribute_dataset(dataset). In a replica step, under
    # tf.GradientTape, compute the per-example losses
    # (tf.nn.sparse_softmax_cross_entropy_with_logits on tf.matmul(x, W) + b), then
    # loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size), and
    # return the gradients. In a @tf.function, run it on each replica with strategy.run, sum
    # the gradients with strategy.reduce(tf.distribute.ReduceOp.SUM, ..., axis=None), and apply
    # W.assign_sub(learning_rate * gradient) (the same for b). Return W, b.
    raise NotImplementedError("distributed_train")
