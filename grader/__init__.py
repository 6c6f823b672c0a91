"""Auto-graded TensorFlow course: the grader package.

Public API: :func:`grade_submission` grades one file; :class:`Zygote` is the pre-warmed
learner-process factory it uses; results are :class:`GradingResults`.

They are imported on first use: learner processes import this package too, and should not
carry pytest and the checks' machinery they never use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "CheckResult": "grader.results",
    "GradingResults": "grader.results",
    "Zygote": "grader.learner.zygote",
    "grade_submission": "grader.runner",
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
