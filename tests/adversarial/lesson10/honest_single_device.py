# honest twin of forge_strategy_facts.py: the right pipeline and the right training, on one
# device, without tf.distribute (the two checks of the strategy fail, all others pass)
import tensorflow as tf


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
