"""Advice for the TensorFlow errors learners really hit, keyed on the error's text."""

from __future__ import annotations

_ADVICE: list[tuple[str, str, str]] = [
    (
        "ValueError",
        "singleton tf.Variables created on the first call",
        "TF2 pitfall: a tf.Variable created inside a traced function would be created again on "
        "every trace. Create it once, outside the tf.function (before defining the inner "
        "function, or at module level), or compute with plain tensors.",
    ),
    (
        "",
        "using a `tf.Tensor` as a Python `bool` is not allowed",
        "In a traced function a tensor has no True/False value yet: compare Python ints, or use "
        "tf.cond / tf.while_loop for decisions on tensors.",
    ),
    (
        "",
        "was expected to be a",
        "Two tensors in one op have different dtypes: create both with the same dtype "
        "(tf.cast one of them, or pass dtype=tf.int64 / tf.float32 when you create it).",
    ),
    (
        "AttributeError",
        "object has no attribute 'assign",
        "Only a tf.Variable can be updated in place: use W.assign_sub(...) on the variables you "
        "were given, not on a tensor computed from them.",
    ),
    (
        "ValueError",
        "No gradients provided",
        "The tape saw no path from the loss to the variables: compute the loss inside the "
        "`with tf.GradientTape() as tape:` block, from the tf.Variables themselves.",
    ),
    (
        "",
        "unsupported operand type(s) for",
        "A value is None or of an unexpected type: did a gradient come back as None "
        "(loss computed outside the tape)? Print the values to see.",
    ),
    (
        "",
        "Incompatible shapes",
        "Two tensors have shapes that do not broadcast: print their .shape and check which one "
        "has an extra or missing axis.",
    ),
]


def advice_for(error_type: str, message: str) -> str:
    """A sentence of advice for a known mistake, or ``""``."""
    for expected_type, fragment, advice in _ADVICE:
        if (not expected_type or expected_type == error_type) and fragment in message:
            return advice
    return ""
