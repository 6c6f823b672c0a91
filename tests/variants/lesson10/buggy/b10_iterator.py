"""Buggy: make_dataset returns an iterator over the dataset, not the dataset: one pass only."""

# expect-fail: dataset_is_tf_data, dataset_every_example_once, dataset_reshuffles_each_epoch, dataset_prefetches
# expect-message: dataset_every_example_once: pass 2 over .* yields nothing.*iterated only once
# expect-message: dataset_reshuffles_each_epoch: pass 2 over .* yields nothing.*iterated only once
# expect-message: dataset_is_tf_data: not a tf\.data\.Dataset
# expect-message: dataset_prefetches: no tf\.data pipeline

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
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    # A buffer as large as the data set: a thorough shuffle, every example once per epoch. The
    # seed makes the order reproducible; reshuffle_each_iteration draws a new order per epoch.
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    # Shuffle examples, then batch: shuffling after .batch would only reorder whole batches.
    dataset = dataset.batch(batch_size)
    # Prefetch last: the next batch is made in the background while the model trains on this
    # one (2016's queue runners, in one line). AUTOTUNE lets tf.data pick the buffer size.
    return iter(dataset.prefetch(tf.data.AUTOTUNE))


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
    # MirroredStrategy() with no arguments takes every device of this process: one replica each.
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        # Variables made in the scope are MirroredVariables: one copy per replica, kept equal.
        W = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))

    # The global batches, in the order given; the strategy hands each replica its part
    # (global_batch_size / replicas examples of every batch).
    batches = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .repeat()
        .batch(global_batch_size, drop_remainder=True)
        .take(steps)
    )
    per_replica_batches = strategy.experimental_distribute_dataset(batches)

    def replica_gradients(x, y):
        """Runs on every replica, on its own part of the global batch."""
        with tf.GradientTape() as tape:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=tf.matmul(x, W) + b)
            # Divide by the GLOBAL batch size, not by this replica's part: once the replicas'
            # gradients are summed, that is the gradient of the mean over the whole batch.
            # tf.reduce_mean here would make every step (number of replicas) times too large.
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        return tape.gradient(loss, [W, b])

    @tf.function
    def train_step(batch):
        per_replica = strategy.run(replica_gradients, args=batch)
        # Sum over the replicas: the all-reduce of 2016's parameter server, done by the strategy.
        grad_W, grad_b = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        # Updating a MirroredVariable here (outside strategy.run) updates every copy alike.
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)

    for batch in per_replica_batches:
        train_step(batch)
    return W, b
