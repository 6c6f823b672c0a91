"""Lesson 3 — softmax regression on MNIST (reference solution).

The 2016 "MNIST for beginners" model: ten scores (logits) per image, y = x·W + b, turned into
probabilities by softmax and trained by gradient descent on the cross-entropy. The 2016 code fed
batches through ``tf.placeholder`` and ``feed_dict`` into ``sess.run(train_step)``; today the
batches are ordinary tensors (from ``tf.data`` or numpy slices), ``tf.GradientTape`` gives the
gradients, and ``tf.function`` traces the training step into a graph, the same blueprint that
2016 built by hand. ``GradientDescentOptimizer(0.5)`` becomes ``assign_sub(0.5 * gradient)``.

x is a float32 tensor of shape (n, 784) (images in [0, 1], flattened); labels are int64 class ids
0..9 of shape (n,); W has shape (784, 10) and b shape (10,).
"""

import tensorflow as tf


def logits(x, W, b):
    """Inference: the ten class scores x·W + b of every image, shape (n, 10)."""
    # One row per image: (n, 784) @ (784, 10) = (n, 10); b broadcasts over the rows.
    # No softmax here: the loss applies it itself, in a numerically stable way.
    return tf.matmul(x, W) + b


def cross_entropy(logits, labels):
    """Loss: the mean softmax cross-entropy of the logits against the integer labels."""
    # The "sparse" version takes class ids instead of one-hot rows, and works on raw logits:
    # it computes log(softmax) as logits - logsumexp(logits), which never overflows, where
    # tf.math.log(tf.nn.softmax(logits)) gives log(0) = -inf once a probability underflows.
    per_image = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    # The mean over the batch (not the sum) keeps the step size independent of the batch size.
    return tf.reduce_mean(per_image)


def accuracy(logits, labels):
    """The fraction of images whose largest logit is at their label, a float32 scalar."""
    # softmax does not change which score is largest, so the argmax of the logits is the
    # prediction. Cast the booleans to float32 *before* the mean: the mean of integers rounds.
    predictions = tf.argmax(logits, axis=1)
    correct = tf.equal(predictions, tf.cast(labels, predictions.dtype))
    return tf.reduce_mean(tf.cast(correct, tf.float32))


def train_softmax(images, labels, steps=1000, batch_size=100, learning_rate=0.5):
    """Train W (784×10) and b (10) from zeros by plain gradient descent; return (W, b).

    Each of the `steps` steps uses the next `batch_size` images of a shuffled pass over the data
    (like 2016's ``mnist.train.next_batch(100)``) and moves W and b by
    ``learning_rate`` times the gradient of the mean cross-entropy.
    """
    # The 2016 start: all zeros. (For softmax regression that is fine: unlike a deep network
    # there is no symmetry to break, the loss is convex.)
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))

    # tf.data replaces feed_dict: shuffle every pass (seeded by the global seed), cut into
    # batches, repeat forever and take exactly `steps` batches.
    batches = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images), reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size)
        .take(steps)
    )

    # tf.function traces the step once into a graph (2016's blueprint) and then runs it fast.
    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = cross_entropy(logits(x, W, b), y)
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)
        return loss

    for x, y in batches:
        train_step(x, y)
    return W, b
