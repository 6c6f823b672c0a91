"""Grade one submission of one lesson: run the lesson's checks against a learner process."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.batch.versions import grader_version
from grader.curriculum import Lesson
from grader.errors import InfrastructureError, SetupError
from grader.hidden import HiddenChecks, materialized_paths
from grader.learner import sandbox
from grader.learner.session import LearnerSession, ProgressCallback, displayable
from grader.learner.zygote import Zygote
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S
from grader.pytest_plugin import GradingPlugin, salted_seeds
from grader.results import ERROR, CheckResult, GradingResults
from grader.safe_read import UnreadableFile, read_regular, shown

MAX_SUBMISSION_BYTES = 2 * 2**20


@functools.cache
def machine_capabilities() -> sandbox.Capabilities:
    """What isolation this machine allows (probed once per grader process)."""
    return sandbox.machine()


def read_submission(path: Path, *, follow_links: bool = True) -> bytes:
    """The submission's bytes (read once: see :mod:`grader.safe_read`), or a SetupError that says
    what is wrong with the file (``follow_links``: a symbolic link is read, not refused)."""
    if not path.exists() and not path.is_symlink():
        raise SetupError(f"{path}: no such file; check the path (see `grade list` for lessons)")
    if path.suffix != ".py" and path.is_file():
        raise SetupError(f"{path} is not a Python file: pass the lesson's .py file")
    try:
        data = read_regular(path, limit=MAX_SUBMISSION_BYTES, what="the lesson's .py file",
                            follow_links=follow_links)
    except UnreadableFile as error:
        raise SetupError(str(error).replace(shown(path.name), str(path), 1)) from None
    check_source(data, path)
    return data


def check_source(data: bytes, path: Path) -> None:
    """A SetupError naming ``path`` unless ``data`` is Python source text."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise SetupError(
            f"{path} is not a text file (not UTF-8): pass the lesson's .py source"
        ) from None
    if b"\0" in data:
        raise SetupError(f"{path} holds binary data: pass the lesson's .py source")


@contextlib.contextmanager
def _isolated_pytest_environment() -> Iterator[None]:
    """No third-party plugins (e.g. ones that reorder tests) and no user addopts."""
    keys = ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


PYTEST_INI = Path(__file__).parent / "pytest.ini"
UNUSED_PLUGINS = ("junitxml", "pastebin", "doctest", "setuponly", "setupplan", "faulthandler",
                  "debugging", "legacypath")


def _pytest_args(lesson: Lesson, extra: list[Path] | None = None) -> list[str]:
    return [
        str(lesson.check_path),
        *map(str, extra or []),
        "-c", str(PYTEST_INI),
        "--rootdir", str(lesson.course.grading_dir),
        "--noconftest",
        "--capture=no",
        "-p", "no:cacheprovider",
        "-p", "no:stepwise",
        # These two end every session with gc.collect() calls (~40 ms each, more than the
        # rest of pytest's own work on a lesson) to report exceptions raised in __del__ or
        # threads: a developer's aid, not a grader's, and paid per submission.
        "-p", "no:unraisableexception",
        "-p", "no:threadexception",
        # Plugins no check uses (reports, a debugger, doctests), whose set-up every session
        # pays; the fixtures authors may use (tmp_path, monkeypatch, caplog, recwarn) stay.
        *[arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}")],
        "-q",
    ]


def grade_submission(
    lesson: Lesson,
    submission: Path,
    *,
    zygote: Zygote,
    on_result: Callable[[CheckResult], None] | None = None,
    on_progress: ProgressCallback | None = None,
    isolate: bool | None = None,
    call_timeout: float | None = None,
    total_timeout: float | None = None,
    hidden: HiddenChecks | None = None,
    seed_salt: str = "",
    replies: list | None = None,
) -> GradingResults:
    """Grade ``submission`` (a copy of it: the file is never modified) on ``lesson``'s checks.

    ``isolate``: run the learner process in the sandbox (default: whenever the machine allows).
    ``call_timeout`` limits each call of the learner's code, ``total_timeout`` all of them
    (default: the course manifest's, else the grader's defaults).
    ``hidden``: an instructor's hidden checks; the lesson's run after its own checks, their
    results marked with their module's visibility. ``seed_salt``: seed every check differently
    (`grade audit`; "" grades as always).
    ``replies``: a list that receives every probe answer as ``(check id, probe, value)``
    (for ``grade check-course``).
    """
    started = time.monotonic()
    call_timeout = call_timeout or lesson.call_timeout or DEFAULT_CALL_TIMEOUT_S
    total_timeout = total_timeout or lesson.total_timeout or DEFAULT_TOTAL_TIMEOUT_S
    data = read_submission(submission)
    infos = lesson.checks()
    extra = hidden.checks(lesson) if hidden is not None else []
    visibility = {check.info.id: check.visibility for check in extra}
    infos += [check.info for check in extra]
    results = GradingResults(
        lesson=lesson.stem,
        title=lesson.title,
        submission=str(submission),
        sha256=hashlib.sha256(data).hexdigest(),
        grader_version=grader_version(lesson) + (hidden.version_suffix(lesson) if hidden else ""),
    )
    prepare = getattr(lesson.module(), "prepare", None)
    if callable(prepare):
        prepare()  # e.g. load the lesson's data: missing data stops here, not in every check
    zygote.wait_ready()  # a machine problem (no TensorFlow, no GPU) stops here, not per check
    if isolate is None:  # namespaces, or at least a user id of the learner's own
        isolate = machine_capabilities().protected
    with LearnerSession(
        zygote, submission, module_name=lesson.stem, call_timeout=call_timeout,
        total_timeout=total_timeout, isolate=isolate, logical_devices=lesson.logical_devices,
        optimize_graphs=lesson.optimize_graphs,
        course_package=lesson.course.package,
    ) as session:
        session.on_progress = on_progress
        session.replies = replies
        plugin = GradingPlugin(lesson.stem, session, on_result, lesson=lesson)
        with _isolated_pytest_environment(), salted_seeds(seed_salt), \
                contextlib.redirect_stdout(io.StringIO()) as log:
            paths = materialized_paths(hidden, lesson) if extra and hidden else []
            code = pytest.main(_pytest_args(lesson, paths), plugins=[plugin])
    if plugin.infrastructure_error is not None:
        raise plugin.infrastructure_error
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise InfrastructureError(
            f"the checks of {lesson.name} could not run (pytest exit {int(code)}): "
            + log.getvalue().strip()[-300:]
        )
    by_id = {result.id: result for result in plugin.results.values()}
    for info in infos:
        results.checks.append(by_id.get(info.id) or CheckResult(
            id=info.id, title=info.title, max_points=info.points, points=0.0, status=ERROR,
            hint=info.hint, outcome="grader error", message="this check did not run",
        ))
    for result in results.checks:
        result.visibility = visibility.get(result.id, result.visibility)
    if plugin.import_failure is not None:
        results.problem = displayable(plugin.import_failure.message)
    results.duration_s = round(time.monotonic() - started, 3)
    return results
