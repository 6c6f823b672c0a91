"""Auto-graded TensorFlow course: the grader package.

Public API: :func:`grade_submission` grades one file; :class:`Zygote` is the pre-warmed
learner-process factory it uses; results are :class:`GradingResults`.
"""

__version__ = "0.1.0"

from grader.learner.zygote import Zygote
from grader.results import CheckResult, GradingResults
from grader.runner import grade_submission

__all__ = ["CheckResult", "GradingResults", "Zygote", "__version__", "grade_submission"]
