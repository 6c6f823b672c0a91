"""Advice for the TensorFlow errors learners really hit, keyed on the error's text."""

from __future__ import annotations

_DTYPE_MISMATCH = (
    "Two tensors in one op have different dtypes: create both with the same dtype "
    "(tf.cast one of them, or pass dtype=tf.int64 / tf.float32 when you create it)."
)

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
        "object has no attribute 'numpy'",
        "Inside a tf.function tensors are symbolic: they get values only when the graph runs, "
        "so .numpy() works only eagerly. Return the tensor itself.",
    ),
    (
        "",
        "which is out of scope",
        "A tensor made inside a traced loop or branch was used outside it, for example "
        "through a Python list: a loop over a tensor (`for i in tf.range(n)`, or range(n) once "
        "n is a tensor) becomes a tf.while_loop when traced. Loop over a Python int instead, "
        "or collect the values in a tf.TensorArray.",
    ),
    (
        "",
        "after one iteration. Use tf.autograph.experimental.set_loop_options",
        "A tensor that changes shape in a loop over a tensor (tf.range) needs a shape "
        "invariant when traced: loop over the Python int n instead, or collect the values in a "
        "tf.TensorArray.",
    ),
    (
        "",
        "Tried to stack elements of an empty list with non-fully-defined element_shape",
        "An empty tf.TensorArray cannot be stacked without knowing its elements' shape: create "
        "it with element_shape=() (or handle n == 0 before the loop).",
    ),
    (
        "",
        "with length 0 shorter than minimum length",
        "An op got an empty list of tensors (tf.concat([]), tf.add_n([]), ...): handle the "
        "empty case before it (an empty result is tf.zeros([0], dtype=...)).",
    ),
    ("", "that don't all match", _DTYPE_MISMATCH),
    ("", "that does not match type", _DTYPE_MISMATCH),
    ("", "was expected to be a", _DTYPE_MISMATCH),
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
        "Attempting to slice scalar input",
        "W and b may be scalars: do not index them (W[0]); `W * x + b` broadcasts either way.",
    ),
    (
        "",
        "A non-persistent GradientTape can only be used to compute one set of gradients",
        "Call tape.gradient(loss, [W, b]) once for both variables (or create the tape with "
        "persistent=True).",
    ),
    (
        "",
        "can only be called for the variables it was originally built with",
        "A Keras optimizer remembers the variables it first updated: create the optimizer for "
        "these variables (e.g. inside fit), not once at module level.",
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
