# attack: the honest single-device training (honest_single_device.py), with the grader's probe
# rewritten to report a process of one device: if the grader took that count, one replica (the
# whole batch on one device) would be all it asks to see, and in sync with itself
import sys

import tensorflow as tf

# the course's probes, imported by the grader before this file ran (whatever its package)
probes = next(m for n, m in list(sys.modules.items()) if n.endswith(".lesson10_distributed.probes"))

_real = probes.distributed_train


def _forged(module, images, labels, global_batch_size, steps, learning_rate):
    facts = _real(module, images, labels, global_batch_size, steps, learning_rate)
    facts["devices"] = {"CPU": 1, "GPU": 0}
    return facts


probes.distributed_train = _forged


def make_dataset(images, labels, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    batches = (tf.data.Dataset.from_tensor_slices((images, labels)).repeat()
               .batch(global_batch_size, drop_remainder=True).take(steps))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=tf.matmul(x, W) + b))
        grad_W, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(learning_rate * grad_W)
        b.assign_sub(learning_rate * grad_b)

    for x, y in batches:
        step(x, y)
    return W, b
