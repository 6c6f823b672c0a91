"""Buggy: .repeat() inside make_dataset, before .batch: the dataset never ends."""

# expect-fail: dataset_every_example_once, dataset_batch_sizes
# expect-message: dataset_batch_sizes: never ends.*Leave out \.repeat\(\)
# expect-message: dataset_every_example_once: never ends.*Leave out \.repeat\(\)

import tensorflow as tf


def make_dataset(images, labels, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


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
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        W = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))

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
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        return tape.gradient(loss, [W, b])

    @tf.function
    def train_step(batch):
        per_replica = strategy.run(replica_gradients, args=batch)
        grad_W, grad_b = strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)

    for batch in per_replica_batches:
        train_step(batch)
    return W, b
