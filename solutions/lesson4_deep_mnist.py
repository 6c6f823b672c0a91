"""Lesson 4 — deep MNIST: a multi-layer perceptron.

Lesson 3's softmax regression is one layer: logits = x·W + b. Stacking layers with a non-linearity
(ReLU) between them lets the network learn features of its own; the 2016 workshop took MNIST from
~90 % to ~96 % this way.

From 2016 to TensorFlow 2:
  - ``tf.Variable(tf.truncated_normal(shape, stddev=0.1))`` → ``tf.Variable`` of
    ``tf.random.stateless_truncated_normal`` (or a Keras initializer such as He or Glorot) with an
    explicit seed, so the same seed always gives the same network;
  - ``y = tf.nn.relu(tf.matmul(x, W) + b)`` → the same ops, called eagerly (no placeholders);
  - ``GradientDescentOptimizer(0.5).minimize(loss)`` inside ``sess.run(train_step, feed_dict)`` →
    a ``tf.function``-compiled step that uses ``tf.GradientTape`` and ``assign_sub``;
  - ``mnist.train.next_batch(100)`` → slices of a shuffled order of the training images.

Images are float32 in [0, 1], one flattened 784-pixel image per row; labels are int64 class ids
0..9.

Check your work with:  grade lesson4
"""

import tensorflow as tf


def init_params(sizes, seed=0):
    """Random start for an MLP with layer sizes like [784, 128, 32, 10].

    Returns a list of (W, b) tf.Variables, one pair per layer: W of shape (inputs, outputs),
    b of shape (outputs,).
    """
    # TODO: for each consecutive pair (fan_in, fan_out) of sizes (layer number i), make
    # W = tf.Variable(tf.random.stateless_truncated_normal([fan_in, fan_out], seed=[seed, i],
    # stddev=(2.0 / fan_in) ** 0.5)) (random, so hidden units differ; He scale, so activations
    # neither explode nor vanish) and b = tf.Variable(tf.fill([fan_out], 0.1)). The same seed
    # must give the same params every time. Return the list of (W, b) pairs.
    ### BEGIN SOLUTION
    params = []
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        # Random weights break the symmetry: with equal weights every hidden unit would compute
        # the same thing and receive the same gradient forever. He scaling (stddev
        # sqrt(2 / fan_in)) keeps the size of the activations about the same from layer to
        # layer under ReLU, whatever the width; truncation drops the rare huge draws.
        # A stateless op with the seed (and the layer number, so layers differ) gives the same
        # values every time it is called with the same seed.
        W = tf.random.stateless_truncated_normal(
            [fan_in, fan_out], seed=[seed, layer], stddev=(2.0 / fan_in) ** 0.5
        )
        # A small positive bias (0.1 as in 2016) keeps most ReLUs active at the start.
        b = tf.fill([fan_out], 0.1)
        params.append((tf.Variable(W), tf.Variable(b)))
    return params
    ### END SOLUTION


def dense(x, W, b, activation=None):
    """One fully connected layer: activation(x·W + b), or just x·W + b without an activation."""
    # TODO: compute z = tf.matmul(x, W) + b; return activation(z) when an activation function
    # (such as tf.nn.relu) is given, else z.
    ### BEGIN SOLUTION
    # x has one row per example, so x @ W maps every row from W's inputs to its outputs;
    # b broadcasts over the rows.
    z = tf.matmul(x, W) + b
    return z if activation is None else activation(z)
    ### END SOLUTION


def mlp_logits(x, params):
    """The MLP's logits: ReLU on every hidden layer, nothing on the output layer."""
    # TODO: pass x through every (W, b) of params except the last with dense(..., tf.nn.relu),
    # then through the last one with no activation (logits, not probabilities). Return them.
    ### BEGIN SOLUTION
    *hidden, (W_out, b_out) = params
    for W, b in hidden:
        x = dense(x, W, b, tf.nn.relu)
    # The output stays linear: these are logits, and the loss applies softmax itself
    # (a ReLU here would clip every negative logit to 0 and stall the classes it hits).
    return dense(x, W_out, b_out)
    ### END SOLUTION


def train_mlp(images, labels, hidden_units, steps, batch_size, learning_rate, seed=0):
    """Train an MLP with the given hidden layer sizes by plain gradient descent; return params.

    ``steps`` steps on mini-batches of ``batch_size`` shuffled images, each moving every
    variable by ``-learning_rate`` times its gradient of the mean softmax cross-entropy.
    """
    # TODO: params = init_params([784, *hidden_units, 10], seed). Write a step (decorate it with
    # @tf.function to make it fast) that, under tf.GradientTape, computes the loss
    # tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
    # logits=mlp_logits(x, params))) and moves every W and b by assign_sub(learning_rate *
    # gradient). Run it `steps` times on batches of `batch_size` images taken in a shuffled
    # order (reshuffle when you run out). Return params.
    ### BEGIN SOLUTION
    images = tf.convert_to_tensor(images, tf.float32)
    labels = tf.convert_to_tensor(labels, tf.int64)
    count = int(images.shape[0])
    params = init_params([int(images.shape[1]), *hidden_units, 10], seed)
    variables = [v for pair in params for v in pair]

    # tf.function traces the step once into a graph (the 2016 "blueprint") and then runs that
    # graph on every batch, which is much faster than running the ops one by one in Python.
    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            # The mean (not the sum) over the batch keeps a good learning rate independent of
            # the batch size.
            logits = mlp_logits(x, params)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        for variable, gradient in zip(variables, tape.gradient(loss, variables)):
            variable.assign_sub(learning_rate * gradient)
        return loss

    order, position, epoch = None, count, 0
    for _ in range(steps):
        if position + batch_size > count:  # a new epoch: reshuffle, like next_batch did
            order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=[seed, epoch])
            position, epoch = 0, epoch + 1
        batch = order[position : position + batch_size]
        position += batch_size
        step(tf.gather(images, batch), tf.gather(labels, batch))
    return params
    ### END SOLUTION
