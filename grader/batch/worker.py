"""A batch worker process: one zygote (TensorFlow imported once), grading job after job.

The batch's main process starts ``python -m grader.batch.worker DEVICE`` and talks to it in JSON
lines: a job ``{"lesson", "path", "timeout"}`` on stdin, one reply on stdout. Replies are plain
data, never pickles:

- ``{"results": GradingResults.to_dict()}``: graded (whatever the learner's code did), with
  the hidden checks of the job's ``checks`` folder, if it names one;
- ``{"unreadable": message}``: the file is not a gradable source file (the student's problem);
- ``{"infrastructure": message}``: the machine or the grader failed (data missing, no learner
  processes): the batch stops, nobody gets a zero;
- ``{"internal": traceback}``: a bug of the grader; the batch stops too.

Each submission runs in its own learner process forked by this worker's zygote.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

_stopping = False


def _stop(signum: int, frame: object) -> None:
    global _stopping
    _stopping = True
    # Raised where grading is: pytest ends its session, the learner session kills its process,
    # and the zygote is closed on the way out.
    raise KeyboardInterrupt


def _grade(job: dict[str, Any], zygote: Any, isolate: bool | None) -> dict[str, Any]:
    from grader.curriculum import find_lesson
    from grader.errors import GraderError, SetupError
    from grader.hidden import remember
    from grader.runner import grade_submission, read_submission

    path = Path(job["path"])
    for folder in job.get("hide") or []:
        remember(Path(folder))
    try:
        read_submission(path)
    except SetupError as error:
        return {"unreadable": str(error)}
    try:
        hidden = _hidden_checks(job.get("checks"))
        results = grade_submission(
            find_lesson(job["lesson"]), path, zygote=zygote, call_timeout=float(job["timeout"]),
            total_timeout=float(job["total_timeout"]), isolate=isolate, hidden=hidden,
            seed_salt=str(job.get("seed_salt") or ""),
        )
    except GraderError as error:
        return {"infrastructure": str(error)}
    except Exception:
        return {"internal": traceback.format_exc()}
    return {"results": results.to_dict()}


_HIDDEN: dict[str, Any] = {}


def _hidden_checks(folder: str | None) -> Any:
    """The hidden checks in ``folder`` (None for none), loaded once per worker."""
    if not folder:
        return None
    if folder not in _HIDDEN:
        from grader.hidden import HiddenChecks

        _HIDDEN[folder] = HiddenChecks.from_dir(Path(folder))
    return _HIDDEN[folder]


def main(argv: list[str]) -> int:
    # Our replies go to a private copy of stdout; anything else printing to fd 1 (a library, a
    # warning) lands on stderr and cannot break or forge the protocol.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, _stop)
    from grader.learner.zygote import Zygote

    zygote = Zygote(device=argv[0] if argv else "cpu").start()
    isolate = False if argv[1:2] == ["no-sandbox"] else None  # None: isolate where possible
    try:
        with contextlib.closing(zygote):
            for line in sys.stdin:
                if line.strip():
                    reply = _grade(json.loads(line), zygote, isolate)
                    if _stopping:
                        return 1
                    replies.write(json.dumps(reply) + "\n")
    except (KeyboardInterrupt, BrokenPipeError):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
