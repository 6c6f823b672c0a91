# attack: Python-computed Fibonacci, with every grader helper in reach rewritten to report a
# graph of TF ops: the probes' export, the learner-side copy of the trusted graph reader, and the
# probe itself (answering in the description format of an older grader, a list of op names)
import numpy as np
import tensorflow as tf

import grader.graphs
import grader.learner.graph_export as export
import sys

# the course's probes, which the grader imported before this file ran (whatever its package)
probes = next(m for n, m in list(sys.modules.items()) if n.endswith(".lesson1_warmup.probes"))

FAKE_OPS = ["MatMul", "AddV2", "AssignVariableOp", "ReadVariableOp"]
grader.graphs.op_types = lambda serialized: FAKE_OPS
export.serialized_graph = lambda graph: np.frombuffer(b"\x12\x00", dtype=np.uint8)
probes.serialized_graph = export.serialized_graph
_traced = probes.traced_fibonacci


def _faked(module, sizes, eager=False):
    description = _traced(module, sizes, eager)
    return {**description, "ops": FAKE_OPS, "graph": FAKE_OPS}


probes.traced_fibonacci = _faked


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    a, b, out = 0, 1, []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return tf.constant(out, dtype=tf.int64) if out else tf.zeros([0], tf.int64)
