"""Learner side: export a traced TensorFlow function's graph as data.

Which ops the graph holds is decided by the trusted side (:mod:`grader.graphs`), not here:
code in the learner's process can rewrite anything in it, this module included.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def serialized_graph(graph: Any) -> np.ndarray:
    """``graph``'s ``GraphDef`` (with the functions it calls: loop and branch bodies), as bytes."""
    return np.frombuffer(graph.as_graph_def().SerializeToString(), dtype=np.uint8)
