"""The site builder's one error: a one-line message that names the file to fix (exit code 2)."""

from grader.errors import GraderError


class SiteError(GraderError):
    """The site cannot be built as its sources stand (a missing page, include or link target)."""
