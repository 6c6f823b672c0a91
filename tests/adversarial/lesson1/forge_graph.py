# attack: Python-computed Fibonacci, with the probe's export rewritten to send a forged graph:
# a real GraphDef, built here, that holds arithmetic (the Python numbers plus zero)
import numpy as np
import tensorflow as tf

import sys

# the course's probes, which the grader imported before this file ran (whatever its package)
probes = next(m for n, m in list(sys.modules.items()) if n.endswith(".lesson1_warmup.probes"))


def _python_fibonacci(n):
    a, b, out = 0, 1, []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return out


@tf.function
def _forged():
    return tf.constant(_python_fibonacci(10), dtype=tf.int64) + 0


_FORGED = _forged.get_concrete_function().graph.as_graph_def().SerializeToString()
_traced = probes.traced_fibonacci


def _with_forged_graph(module, sizes, eager=False):
    return {**_traced(module, sizes, eager), "graph": np.frombuffer(_FORGED, dtype=np.uint8)}


probes.traced_fibonacci = _with_forged_graph


def make_counter():
    count = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def counter():
        return count.assign_add(1)

    return counter


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    out = _python_fibonacci(n)
    return tf.constant(out, dtype=tf.int64) if out else tf.zeros([0], tf.int64)
