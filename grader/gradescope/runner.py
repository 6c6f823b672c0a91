"""The autograder inside Gradescope's container: ``python -m grader.gradescope.runner``.

``--root ROOT`` grades ``ROOT/submission/`` into ``ROOT/results/results.json`` (ROOT is
``$AUTOGRADER_ROOT``, by default ``/autograder``; the zip is unpacked in ``ROOT/source``). Each
lesson file is graded as ``grade batch`` grades it: a worker process with its own zygote, the
learner's code in a sandboxed learner process where the container allows it, the limits the zip
was built with, a file that kills its worker twice recorded as crashed. Whatever happens, a
results.json is written and the exit code is 0; a fault of the grader says "tell your
instructor" and keeps its traceback in a hidden test, the hidden stdout and
``ROOT/grader-fault.log``.

``--check-install --source DIR`` (run by setup.sh) checks that the installed grader is the one
the zip was built with and that TensorFlow imports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

CONFIG_NAME = "autograder.json"
FAULT_LOG = "grader-fault.log"
STAGING = "grading"  # ROOT/grading/: the files as graded (a notebook's extracted code)
RESULTS = "results"
#: ROOT's folders that learner code must neither read nor write: the zip (hidden checks, data),
#: the verdict, the submission as received and as graded
PRIVATE = ("source", RESULTS, "submission", STAGING)


class GraderFault(Exception):
    """The autograder cannot grade (bad install, missing data, a bug): not the student's fault."""


def load_config(source: Path) -> dict[str, Any]:
    try:
        return json.loads((source / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GraderFault(f"cannot read {source / CONFIG_NAME}: {error}") from None


def hidden_checks_dir(source: Path) -> Path:
    """Where the zip keeps the instructor's hidden check modules (``--checks DIR``)."""
    return source / "checks"


def check_version(config: dict[str, Any]) -> str:
    """The installed grader's version; a GraderFault if it is not the zip's."""
    import grader
    from grader.gradescope.version import installed_digest

    digest = installed_digest()
    if digest != config.get("grader_digest") or grader.__version__ != config.get(
            "grader_version"):
        raise GraderFault(
            f"the installed grader ({grader.__version__}, digest {digest[:12]}, at "
            f"{Path(grader.__file__).parent}) is not the one this autograder was built with "
            f"({config.get('grader_version')}, digest {str(config.get('grader_digest'))[:12]}): "
            "rebuild the autograder's image")
    return f"{grader.__version__}+{digest[:12]}"


def check_install(source: Path) -> int:
    """setup.sh's last step: 0 when the grader and TensorFlow are ready, else 1 with why."""
    try:
        version = check_version(load_config(source))
        import tensorflow as tf

        from grader.runner import machine_capabilities
    except (GraderFault, ImportError) as error:
        print(f"setup.sh: error: {error}", file=sys.stderr)
        return 1
    print(f"setup.sh: grader {version}, TensorFlow {tf.__version__}; "
          f"{machine_capabilities().explain()}")
    return 0


def protect(root: Path) -> None:
    """Make ROOT's private folders root's alone (owner root, mode 0700), so a learner process
    running as a user of its own (see :mod:`grader.learner.sandbox`) can neither read the hidden
    checks nor write results.json, even where the container allows no namespaces to hide them.
    Not root: nothing to do (the learner then runs as this same user, as the notes say)."""
    if os.geteuid() != 0:
        return
    for name in PRIVATE:
        folder = root / name
        if name in (RESULTS, STAGING):
            folder.mkdir(mode=0o700, exist_ok=True)
        if folder.is_dir():
            os.chown(folder, 0, 0, follow_symlinks=False)
            folder.chmod(0o700)


def grade(root: Path) -> dict[str, Any]:
    """Grade ``root/submission`` into the results.json document (not yet timed)."""
    from grader.curriculum import find_lesson
    from grader.gradescope import submission
    from grader.gradescope.results import Document, Graded
    from grader.runner import machine_capabilities

    source = root / "source"
    config = load_config(source)
    version = check_version(config)
    data = source / "data" / "mnist"
    if data.is_dir():
        os.environ["MNIST_DIR"] = str(data)
    if (source / "course" / "course.toml").is_file():  # the course the zip carries
        from grader import course

        course.use(source)
    lessons = [find_lesson(stem) for stem in config["lessons"]]
    document = Document()
    document.extra = {"grader_version": version, "lessons_graded": []}
    document.footer = f"Graded by the course's grader {version}."
    capabilities = machine_capabilities()
    document.instructor_notes = [
        f"grader {version} (built {config.get('built_at')}, source {config.get('source')})",
        f"sandbox: {capabilities.explain()}",
        f"limits: {config['call_timeout_s']:g} s per call, {config['total_timeout_s']:g} s per "
        "lesson file",
    ]
    found, problem = submission.find(root / "submission", lessons)
    received = [p.relative_to(root / "submission").as_posix()
                for p in submission.submitted_files(root / "submission")]
    document.instructor_notes.append(f"received: {', '.join(received) or 'nothing'}")
    checks = hidden_checks_dir(source) if config.get("hidden_checks") else None
    if problem:
        document.messages.append(problem)
    graded = {item.lesson.stem: item
              for item in (_grade_found(found, root, config, version, checks) if found else [])}
    document.extra["lessons_graded"] = list(graded)
    # a lesson the zip grades and the submission lacks: its checks at 0, saying what to submit
    document.graded = [graded.get(lesson.stem) or Graded(lesson, _ungraded(
        lesson, problem or missing_file(lesson), version, None, checks=checks))
        for lesson in lessons]
    return document.render(0.0)


def missing_file(lesson) -> str:
    """Why a lesson of the assignment has no points: its file was not submitted."""
    return (f"No {lesson.filename} in your submission: this assignment grades it too. Upload "
            "it (from exercises/, under that name) with your other files and submit again.")


def _grade_found(found: list, root: Path, config: dict[str, Any], version: str,
                 checks: Path | None) -> list:
    from grader.batch.records import CRASHED, ERROR, from_results, results_from_dict
    from grader.batch.scheduling import Job, Limits, run
    from grader.gradescope.results import Graded

    staging = root / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    graded: dict[str, Graded] = {}
    jobs = []
    for item in found:
        staged = staging / item.lesson.filename
        problem = _stage(item, staged)
        if problem:
            graded[item.lesson.stem] = Graded(item.lesson, _ungraded(
                item.lesson, problem, version, None, status=ERROR, checks=checks), item.note)
        else:
            options = {"checks": checks} if checks is not None else {}
            jobs.append(Job("submission", item.lesson, staged, **options))
            graded[item.lesson.stem] = Graded(item.lesson, None, item.note)  # type: ignore[arg-type]
    limits = Limits(float(config["call_timeout_s"]), float(config["total_timeout_s"]))
    if jobs:
        done_all = run(jobs, workers=1, limits=limits, isolate=True)
        try:
            for done in done_all:
                lesson, reply = done.job.lesson, done.reply
                if "results" in reply:
                    results = results_from_dict(reply["results"])
                    record = from_results("submission", lesson, results, version)
                elif "unreadable" in reply or "crashed" in reply:
                    key = "unreadable" if "unreadable" in reply else "crashed"
                    message = str(reply[key]).replace(str(done.job.path), lesson.filename)
                    record = _ungraded(lesson, message, version, None, checks=checks,
                                       status=ERROR if key == "unreadable" else CRASHED)
                else:
                    detail = reply.get("infrastructure") or reply.get("internal") or reply
                    raise GraderFault(f"grading {lesson.filename} failed:\n{detail}")
                graded[lesson.stem].record = record
        finally:
            done_all.close()
    missing = [stem for stem, item in graded.items() if item.record is None]
    if missing:
        raise GraderFault(f"no result for {', '.join(missing)} (the grading workers stopped)")
    return [graded[item.lesson.stem] for item in found]


def _stage(item, staged: Path) -> str:
    """Copy (or extract, for a notebook) the file to grade to ``staged``; a problem with the
    student's file is returned as the message to show them."""
    from grader.errors import SetupError
    from grader.gradescope.submission import NOTEBOOK
    from grader.notebooks.extract import notebook_module
    from grader.runner import read_submission

    if item.kind == NOTEBOOK:
        code = notebook_module(item.path)  # unreadable: a module that fails at import, with why
        staged.write_text(code, encoding="utf-8")
        return ""
    try:
        data = read_submission(item.path)
    except SetupError as error:
        return str(error).replace(str(item.path), item.path.name)
    staged.write_bytes(data)
    return ""


def _ungraded(lesson, problem: str, version: str, sha256: str | None, *, status: str = "missing",
              checks: Path | None = None):
    """Every check of ``lesson`` (and of the hidden ``checks``) at 0, with ``problem``."""
    from grader.batch.records import without_grading
    from grader.hidden import HiddenChecks

    hidden = HiddenChecks.from_dir(checks) if checks is not None else None
    return without_grading("submission", lesson, status=status, problem=problem,
                           sha256=sha256, grader_version=version, hidden=hidden)


def run_autograder(root: Path) -> int:
    """Grade, then write results.json whatever happened; always 0 (Gradescope reads the file)."""
    from grader.gradescope import results
    from grader.gradescope.submission import submitted_files
    from grader.report.files import write_atomic

    started = time.monotonic()
    try:
        protect(root)
        document = grade(root)
        document["execution_time"] = round(time.monotonic() - started, 3)
    except Exception:  # the one place that turns any fault into a results.json
        detail = traceback.format_exc()
        print(detail)  # stdout: hidden from students (stdout_visibility), shown to instructors
        with contextlib.suppress(OSError):
            write_atomic(root / FAULT_LOG, detail)
        received = [p.name for p in submitted_files(root / "submission")]
        document = results.fault(time.monotonic() - started, detail, received=received)
    if os.geteuid() == 0:  # nothing a learner started outlives grading, whatever happened
        from grader.learner.sandbox import sweep_unclaimed

        with contextlib.suppress(OSError):
            sweep_unclaimed()
    write_atomic(root / RESULTS / "results.json", json.dumps(document, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope.runner")
    parser.add_argument("--root", type=Path,
                        default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    parser.add_argument("--check-install", action="store_true")
    parser.add_argument("--source", type=Path)
    args = parser.parse_args(argv)
    if args.check_install:
        return check_install(args.source or args.root / "source")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return run_autograder(args.root.resolve())


if __name__ == "__main__":
    sys.exit(main())
