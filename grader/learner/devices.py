"""Learner side: the logical devices a lesson asks for, made before TensorFlow runs its first op.

A lesson's checks module may declare ``LOGICAL_DEVICES = 2`` (see :mod:`grader.course`): its
learner processes then see that many devices of the kind they compute on, so that
``tf.distribute.MirroredStrategy()`` runs that many replicas even on a machine with one CPU and
no GPU. TensorFlow allows this only before it initialises its devices; the zygote imports
TensorFlow but never runs an op, so each freshly forked learner process can still do it, before
any learner code runs (experiment: ``tests/test_logical_devices.py``).
"""

from __future__ import annotations

#: The memory of each logical GPU when one GPU is split (``--device gpu`` with fewer GPUs than
#: the lesson asks for): small enough that two fit on any CUDA card TensorFlow supports.
GPU_MEMORY_MB = 1024


def configure(count: int, device: str = "cpu") -> None:
    """Give this process ``count`` logical devices of ``device``'s kind ("cpu" or "gpu").

    With ``device == "gpu"`` and fewer physical GPUs than ``count``, the first GPU is split into
    ``count`` logical GPUs of ``GPU_MEMORY_MB`` each; with enough GPUs they are used as they are.
    Raises RuntimeError when TensorFlow has already initialised its devices.
    """
    if count <= 1:
        return
    import tensorflow as tf

    kind = "GPU" if device == "gpu" else "CPU"
    physical = tf.config.list_physical_devices(kind)
    if not physical:
        raise RuntimeError(f"TensorFlow sees no {kind}")
    if len(physical) >= count:
        return
    memory = GPU_MEMORY_MB if kind == "GPU" else None
    tf.config.set_logical_device_configuration(
        physical[0], [tf.config.LogicalDeviceConfiguration(memory_limit=memory)] * count
    )
