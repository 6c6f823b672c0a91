# attack: honest_list_of_batches.py (make_dataset returns a Python list of the right
# batches), with the grader's probe rewritten to report what a tf.data pipeline reports:
# that it is a tf.data.Dataset, its element_spec of (batch, 784) float32 images and (batch,)
# int64 labels, a finite cardinality, and a dataset (without a graph) to the prefetch check
import sys

# the course's probes, imported by the grader before this file ran (whatever its package)
probes = next(m for n, m in list(sys.modules.items()) if n.endswith(".lesson10_distributed.probes"))

DATASET = "tensorflow.python.data.ops.prefetch_op._PrefetchDataset"
SPEC = [{"shape": [None, 784], "dtype": "float32"}, {"shape": [None], "dtype": "int64"}]


def _forged_describe(dataset, passes, max_batches):
    return {"type": DATASET, "is_dataset": True, "element_spec": SPEC,
            "cardinality": 5, "passes": probes._passes(dataset, passes, max_batches)}


def _forged_graph(module, images, labels, batch_size, dataset_seed):
    return {"type": DATASET, "is_dataset": True}


probes._describe = _forged_describe
probes.dataset_graph = _forged_graph

import numpy as np


def make_dataset(images, labels, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(images))
    return [(images[order[i:i + batch_size]], labels[order[i:i + batch_size]])
            for i in range(0, len(images), batch_size)]


def distributed_train(images, labels, global_batch_size, steps, learning_rate):
    raise NotImplementedError
