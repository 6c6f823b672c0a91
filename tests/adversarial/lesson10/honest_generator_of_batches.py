# honest twin of forge_dataset_facts_generator.py: make_dataset returns a Python generator of the
# right batches (shuffled with numpy by `seed`): one pass, then nothing; distributed_train is not
# written
import numpy as np


def make_dataset(images, labels, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(images))
    for i in range(0, len(images), batch_size):
        yield images[order[i:i + batch_size]], labels[order[i:i + batch_size]]


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    raise NotImplementedError
