"""Assertions that speak the learner's language.

Each raises :class:`~grader.check.CheckFailed` with a message such as
"fibonacci(10) should return a tf.Tensor of shape (10,) int64, got (10,) int32".
Types, shapes and dtypes are checked before values are compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.check import CheckFailed
from grader.learner.wire import Array, Opaque

TENSOR_KINDS = ("tf.Tensor", "tf.Variable")
NUMERIC_KINDS = ("tf.Tensor", "tf.Variable", "ndarray", "numpy scalar")


def describe(value: Any) -> str:
    """How a returned value looks to the learner: "a list", "a tf.Tensor of shape (3,) int32"."""
    if isinstance(value, Opaque):
        return value.describe()
    if isinstance(value, Array):
        text = value.describe()
        return f"{'an' if text[0] in 'aeiou' else 'a'} {text}"
    if value is None:
        return "None"
    if type(value) in (list, tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"the {type(value).__name__} {value!r}"[:200]


def fail(message: str) -> None:
    raise CheckFailed(message)


# What the running check measured against its thresholds, by name: the worst value of each
# (see measure). The grading plugin starts and collects it around every check.
_measured: dict[str, dict[str, Any]] | None = None


def start_measuring() -> None:
    global _measured
    _measured = {}


def stop_measuring() -> list[dict[str, Any]]:
    global _measured
    found, _measured = list((_measured or {}).values()), None
    return found


def measure(name: str, value: float, threshold: float, *, at_least: bool) -> bool:
    """Whether ``value`` holds against ``threshold`` (``>=`` it when ``at_least``, else ``<=``).

    Checks call it for every threshold they apply (an accuracy floor, a tolerance), so that
    `grade audit` can show how far the reference stays from each over many seeds: the margin an
    instructor reads before trusting a threshold. Within one check, the worst value of each
    ``name`` is kept.
    """
    value, threshold = float(value), float(threshold)
    holds = value >= threshold if at_least else value <= threshold
    if _measured is not None and np.isfinite(value):
        old = _measured.get(name)
        worse = old is None or (value < old["value"] if at_least else value > old["value"])
        if worse:
            _measured[name] = {"name": name, "value": value, "threshold": threshold,
                               "at_least": at_least}
    return holds


def expect_at_least(value: float, floor: float, *, label: str, message: str = "") -> None:
    """``value >= floor``, or fail with ``message`` (default: label, value and floor)."""
    if not measure(label, value, floor, at_least=True):
        fail(message or f"{label} is {value:.4g}, below the {floor:.4g} it needs")


def expect_at_most(value: float, ceiling: float, *, label: str, message: str = "") -> None:
    """``value <= ceiling``, or fail with ``message`` (default: label, value and ceiling)."""
    if not measure(label, value, ceiling, at_least=False):
        fail(message or f"{label} is {value:.4g}, above the {ceiling:.4g} it allows")


def expect_array(
    value: Any,
    *,
    label: str,
    kinds: tuple[str, ...] = TENSOR_KINDS,
    shape: tuple[int, ...] | None = None,
    dtype: str | tuple[str, ...] | None = None,
) -> np.ndarray:
    """Check kind, shape and dtype of a returned array; return its values."""
    dtypes = (dtype,) if isinstance(dtype, str) else dtype
    wanted = " or ".join(kinds[:2]) if kinds else "an array"
    if not isinstance(value, Array) or value.kind not in kinds:
        fail(f"{label} should return a {wanted}, got {describe(value)}")
    assert isinstance(value, Array)
    shape_ok = shape is None or value.shape == tuple(shape)
    dtype_ok = dtypes is None or value.dtype in dtypes
    if not (shape_ok and dtype_ok):
        expected = " ".join(
            part for part in (
                f"shape {tuple(shape)}" if shape is not None else f"shape {value.shape}",
                "/".join(dtypes) if dtypes else "",
            ) if part
        )
        fail(f"{label}: expected {expected}, got {value.shape} {value.dtype}")
    return value.array


def expect_number(value: Any, *, label: str) -> float:
    """A returned scalar as a float: a Python number, a 0-d or 1-element array."""
    if type(value) in (int, float):
        return float(value)
    if isinstance(value, Array) and value.array.size == 1 and value.array.dtype.kind in "iuf":
        return float(value.array.reshape(()))
    fail(f"{label} should be a number (a scalar tensor), got {describe(value)}")
    raise AssertionError  # unreachable


def expect_close(
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    label: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Compare values; the message names the first wrong position."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        fail(f"{label}: expected shape {expected.shape}, got {actual.shape}")
    if expected.dtype.kind in "iub" and actual.dtype.kind in "iub":
        wrong = actual != expected
    else:
        wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False)
        if actual.size and np.isfinite(actual).all() and np.isfinite(expected).all():
            error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
            allowed = atol + rtol * np.abs(expected.astype(np.float64))
            measure(f"{label}: error / tolerance", float(np.max(error / allowed)), 1.0,
                    at_least=False)
    if not wrong.any():
        return
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    where = f" at index {first[0] if len(first) == 1 else first}" if first else ""
    count = f" ({int(wrong.sum())} of {wrong.size} values differ)" if wrong.size > 1 else ""
    fail(f"{label} is wrong{where}: expected {_fmt(expected[first])}, got {_fmt(actual[first])}"
         f"{count}")


def _fmt(value: Any) -> str:
    value = np.asarray(value)
    if value.dtype.kind == "f":
        return f"{float(value):.6g}"
    return str(value.item()) if value.size == 1 else np.array2string(value, threshold=8)
