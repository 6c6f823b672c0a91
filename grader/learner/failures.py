"""What can go wrong in a learner process, as exceptions a check lets through (or catches).

Each carries a message in the learner's terms; the pytest plugin turns an uncaught one into the
failure message of the check that needed the call.
"""

from __future__ import annotations

import os
import re
import signal

from grader.learner.explain import advice_for


class LearnerFailure(Exception):
    """The learner's code did not give an answer the check could judge."""

    outcome = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _ExceptionReport(LearnerFailure):
    """An exception raised by the learner's code, as the learner process described it."""

    def __init__(self, where: str, error: dict) -> None:
        self.where = where
        self.type = str(error.get("type", "Exception"))
        self.detail = str(error.get("message", ""))
        self.line = error.get("line") if type(error.get("line")) is int else None
        self.traceback = str(error.get("traceback", ""))
        self.function = str(error["function"]) if type(error.get("function")) is str else None
        if self.line is None and self.function is None:
            self.function, self.line = _traced_location(self.detail)
        super().__init__(self._compose())

    def _compose(self) -> str:
        raise NotImplementedError


class LearnerRaised(_ExceptionReport):
    """The learner's code raised an exception during a call."""

    def _compose(self) -> str:
        if self.type == "NotImplementedError" and self.function not in (None, "<module>"):
            return (f"{self.function} is not written yet (it still raises NotImplementedError): "
                    "fill in its TODO")
        missing = _missing_function(self.type, self.detail) if self.function is None else None
        if missing:
            return (f"{missing} is missing from your file: define it with `def {missing}(...)` "
                    "(was it deleted or renamed?)")
        at = f" (line {self.line})" if self.line else ""
        message = f"{self.where} raised {self.type}{at}: {_last_line(self.type, self.detail)}"
        message = message.rstrip(": ")
        if self.type == "SystemExit":
            return (f"{message}\nYour code calls sys.exit() (or exit()/quit()): return a value "
                    "instead; the grader calls your functions, it does not run your file.")
        advice = advice_for(self.type, self.detail)
        return f"{message}\n{advice}" if advice else message


class LearnerImportFailed(_ExceptionReport):
    """The learner's file could not be imported (syntax error, exception at import)."""

    outcome = "error"

    def _compose(self) -> str:
        at = f" at line {self.line}" if self.line else ""
        first_line = self.detail.strip().splitlines()[0] if self.detail.strip() else ""
        if self.type in ("SyntaxError", "IndentationError", "TabError"):
            # "expected ':' (lesson1_basics.py, line 34)" names the grader's copy: drop that part
            first_line = _SYNTAX_LOCATION.sub("", first_line)
            return (f"{self.where} failed: {self.type}{at}: {first_line} — fix the syntax and "
                    "grade again")
        if self.type == "SystemExit":
            return (f"{self.where} failed: your file calls sys.exit(){at} while it is imported: "
                    "remove that call (or put it under `if __name__ == \"__main__\":`)")
        message = f"{self.where} failed{at}: {self.type}: {_shorten(first_line)}".rstrip(": ")
        advice = advice_for(self.type, self.detail)
        return f"{message}\n{advice}" if advice else message


_SYNTAX_LOCATION = re.compile(r"\s*\([^()]*, line \d+\)$")
_USER_CODE_FRAME = re.compile(r'File "([^"\n]*)", line (\d+), in (\w+)')
_MISSING_MODULE_ATTRIBUTE = re.compile(r"^module 'lesson\w*' has no attribute '(\w+)'$")
_MESSAGE_LIMIT = 300


def _traced_location(detail: str) -> tuple[str | None, int | None]:
    """Function and line of the learner's code in a tf.function error's "in user code:" part.

    Inside ``tf.function`` the traceback runs through AutoGraph's generated files, so the
    learner's frames are only named in the message.
    """
    if "in user code:" not in detail:
        return None, None
    frames = [(name, int(line)) for path, line, name in _USER_CODE_FRAME.findall(detail)
              if "grade-learner-" in path]
    return frames[-1] if frames else (None, None)


def _missing_function(error_type: str, detail: str) -> str | None:
    """The name the grader looked up in the learner's module and did not find, if that failed."""
    if error_type != "AttributeError":
        return None
    match = _MISSING_MODULE_ATTRIBUTE.match(detail.strip())
    return match.group(1) if match else None


def _last_line(error_type: str, detail: str) -> str:
    """The last line of an exception's message, without a repeated "Type: " and not too long."""
    lines = detail.strip().splitlines()
    last = lines[-1].strip() if lines else ""
    if last.startswith(f"{error_type}: "):
        last = last[len(error_type) + 2:]
    return _shorten(last)


def _shorten(text: str) -> str:
    """``text`` cut at a sentence end near ``_MESSAGE_LIMIT`` characters."""
    if len(text) <= _MESSAGE_LIMIT:
        return text
    cut = text.rfind(". ", 0, _MESSAGE_LIMIT)
    return (text[: cut + 1] if cut > 40 else text[:_MESSAGE_LIMIT]) + " […]"


class LearnerTimeout(LearnerFailure):
    """The call did not return in time."""

    outcome = "timeout"

    def __init__(self, where: str, seconds: float) -> None:
        super().__init__(f"{where} did not return within {seconds:g} s (an endless loop?)")


class LearnerOutOfTime(LearnerFailure):
    """Grading the submission used its whole time limit: this call was cut short or not run."""

    outcome = "timeout"

    def __init__(self, where: str, budget_s: float, *, started: bool) -> None:
        what = "was stopped" if started else "was not run"
        super().__init__(
            f"{where} {what}: grading this submission used its whole time limit of "
            f"{budget_s:g} s for all calls together (earlier calls were slow or hung; an "
            "instructor can raise it with --total-timeout)"
        )


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
    if name == "SIGXCPU":
        return "it was stopped for using more than its limit of CPU time"
    crash = " (a crash)" if name in ("SIGSEGV", "SIGBUS", "SIGABRT", "SIGFPE", "SIGILL") else ""
    return f"it was killed by {name}{crash}"
