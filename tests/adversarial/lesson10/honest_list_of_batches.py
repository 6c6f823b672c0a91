# honest twin of forge_dataset_facts.py: make_dataset returns a Python list of the right
# batches (shuffled with numpy by `seed`), not a tf.data.Dataset; distributed_train is not written
import numpy as np


def make_dataset(images, labels, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(images))
    return [(images[order[i:i + batch_size]], labels[order[i:i + batch_size]])
            for i in range(0, len(images), batch_size)]


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    raise NotImplementedError
