"""What can go wrong in a learner process, as exceptions a check lets through (or catches).

Each carries a message in the learner's terms; the pytest plugin turns an uncaught one into the
failure message of the check that needed the call.
"""

from __future__ import annotations

import os
import signal

from grader.learner.explain import advice_for


class LearnerFailure(Exception):
    """The learner's code did not give an answer the check could judge."""

    outcome = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LearnerRaised(LearnerFailure):
    """The learner's code raised an exception."""

    def __init__(self, where: str, error: dict) -> None:
        self.where = where
        self.type = str(error.get("type", "Exception"))
        self.detail = str(error.get("message", ""))
        self.line = error.get("line") if type(error.get("line")) is int else None
        self.traceback = str(error.get("traceback", ""))
        self.function = str(error["function"]) if type(error.get("function")) is str else None
        super().__init__(self._compose())

    def _compose(self) -> str:
        if self.type == "NotImplementedError" and self.function not in (None, "<module>"):
            return (f"{self.function} is not written yet (it still raises NotImplementedError): "
                    "fill in its TODO")
        first_line = self.detail.strip().splitlines()[-1] if self.detail.strip() else ""
        at = f" (line {self.line})" if self.line else ""
        message = f"{self.where} raised {self.type}{at}: {first_line}".rstrip(": ")
        advice = advice_for(self.type, self.detail)
        return f"{message}\n{advice}" if advice else message


class LearnerImportFailed(LearnerRaised):
    """The learner's file could not be imported (syntax error, exception at import)."""

    outcome = "error"

    def _compose(self) -> str:
        at = f" line {self.line}" if self.line else ""
        first_line = self.detail.strip().splitlines()[0] if self.detail.strip() else ""
        if self.type in ("SyntaxError", "IndentationError", "TabError"):
            return f"{self.where}{at}: {self.type}: {first_line} — fix the syntax and grade again"
        return f"{self.where} failed{at}: {self.type}: {first_line}"


class LearnerTimeout(LearnerFailure):
    """The call did not return in time."""

    outcome = "timeout"

    def __init__(self, where: str, seconds: float) -> None:
        super().__init__(f"{where} did not return within {seconds:g} s (an endless loop?)")


class LearnerOutOfMemory(LearnerFailure):
    """The learner process used more memory than allowed."""

    outcome = "out of memory"

    def __init__(self, where: str, limit_bytes: int) -> None:
        super().__init__(f"{where} used more than {limit_bytes / 2**30:g} GiB of memory")


class LearnerDied(LearnerFailure):
    """The learner process ended in the middle of a call."""

    outcome = "crashed"

    def __init__(self, where: str, status: int | None) -> None:
        super().__init__(f"{where} ended the learner process: {describe_status(status)}")


class LearnerProtocolError(LearnerFailure):
    """The learner process answered with something that is not a valid answer."""

    outcome = "crashed"

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"{where} gave no valid answer ({detail}); nothing it printed counts")


def describe_status(status: int | None) -> str:
    """A wait status in words: "it exited with code 3", "it was killed by SIGSEGV (a crash)"."""
    if status is None:
        return "it exited"
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return f"it exited with code {code} (sys.exit or os._exit in your code?)"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    crash = " (a crash)" if name in ("SIGSEGV", "SIGBUS", "SIGABRT", "SIGFPE", "SIGILL") else ""
    return f"it was killed by {name}{crash}"
