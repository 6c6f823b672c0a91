"""One exception hierarchy, caught at the CLI: each carries a one-line message with the fix."""


class GraderError(Exception):
    """Base of every error the grader reports to a user instead of a traceback."""

    exit_code = 2


class UsageError(GraderError):
    """The command was called wrongly (unknown lesson, bad option)."""


class SetupError(GraderError):
    """The machine or the files are not ready (missing file, TensorFlow or data)."""


class InfrastructureError(GraderError):
    """The grader itself could not run (learner processes cannot start, disk full)."""
