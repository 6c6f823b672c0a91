"""Lesson 3 — softmax regression on MNIST.

The 2016 "MNIST for beginners" model: ten scores (logits) per image, y = x·W + b, turned into
probabilities by softmax and trained by gradient descent on the cross-entropy. The 2016 code fed
batches through ``tf.placeholder`` and ``feed_dict`` into ``sess.run(train_step)``; today the
batches are ordinary tensors (from ``tf.data`` or numpy slices), ``tf.GradientTape`` gives the
gradients, and ``tf.function`` traces the training step into a graph, the same blueprint that
2016 built by hand. ``GradientDescentOptimizer(0.5)`` becomes ``assign_sub(0.5 * gradient)``.

x is a float32 tensor of shape (n, 784) (images in [0, 1], flattened); labels are int64 class ids
0..9 of shape (n,); W has shape (784, 10) and b shape (10,).

Check your work with:  grade lesson3
"""

import tensorflow as tf


def logits(x, W, b):
    """Inference: the ten class scores x·W + b of every image, shape (n, 10)."""
    # TODO: return tf.matmul(x, W) + b. Do not apply softmax here: the loss does that.
    ### BEGIN SOLUTION
    # One row per image: (n, 784) @ (784, 10) = (n, 10); b broadcasts over the rows.
    # No softmax here: the loss applies it itself, in a numerically stable way.
    return tf.matmul(x, W) + b
    ### END SOLUTION


def cross_entropy(logits, labels):
    """Loss: the mean softmax cross-entropy of the logits against the integer labels."""
    # TODO: compute one loss per image with
    # tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits) (it applies
    # softmax itself, without overflowing), then return their mean (tf.reduce_mean), a scalar.
    ### BEGIN SOLUTION
    # The "sparse" version takes class ids instead of one-hot rows, and works on raw logits:
    # it computes log(softmax) as logits - logsumexp(logits), which never overflows, where
    # tf.math.log(tf.nn.softmax(logits)) gives log(0) = -inf once a probability underflows.
    per_image = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    # The mean over the batch (not the sum) keeps the step size independent of the batch size.
    return tf.reduce_mean(per_image)
    ### END SOLUTION


def accuracy(logits, labels):
    """The fraction of images whose largest logit is at their label, a float32 scalar."""
    # TODO: the prediction is tf.argmax(logits, axis=1); compare it with the labels (tf.equal),
    # cast the booleans to tf.float32 and return their mean.
    ### BEGIN SOLUTION
    # softmax does not change which score is largest, so the argmax of the logits is the
    # prediction. Cast the booleans to float32 *before* the mean: the mean of integers rounds.
    predictions = tf.argmax(logits, axis=1)
    correct = tf.equal(predictions, tf.cast(labels, predictions.dtype))
    return tf.reduce_mean(tf.cast(correct, tf.float32))
    ### END SOLUTION


def train_softmax(images, labels, steps=1000, batch_size=100, learning_rate=0.5):
    """Train W (784×10) and b (10) from zeros by plain gradient descent; return (W, b).

    Each of the `steps` steps uses the next `batch_size` images of a shuffled pass over the data
    (like 2016's ``mnist.train.next_batch(100)``) and moves W and b by
    ``learning_rate`` times the gradient of the mean cross-entropy.
    """
    # TODO: create W = tf.Variable(tf.zeros([784, 10])) and b = tf.Variable(tf.zeros([10])).
    # Make batches, e.g. tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(
    # len(images)).repeat().batch(batch_size).take(steps). For each batch (x, y): inside
    # `with tf.GradientTape() as tape:` compute loss = cross_entropy(logits(x, W, b), y), get
    # the gradients with tape.gradient(loss, [W, b]) and apply W.assign_sub(learning_rate *
    # gradient) (and the same for b). Return W, b.
    ### BEGIN SOLUTION
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
    ### END SOLUTION
