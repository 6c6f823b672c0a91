"""``grade batch SUBMISSIONS --out OUT``: grade a class into a gradebook, exports and feedback."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.batch import exports, summary
from grader.batch.discovery import discover
from grader.batch.gradebook import FILENAME, Gradebook
from grader.batch.records import (
    CRASHED,
    ERROR,
    GRADED,
    GRADER_ERROR,
    MISSING,
    LessonInfo,
    LessonRecord,
    from_results,
    without_grading,
)
from grader.batch.replies import BadReply, results_of
from grader.batch.scheduling import Done, Job, Limits, WorkerProcess, run, warm_workers
from grader.batch.versions import grader_version
from grader.curriculum import Lesson
from grader.errors import InfrastructureError, SetupError, UsageError
from grader.hidden import HiddenChecks
from grader.limits import DEFAULT_CALL_TIMEOUT_S, DEFAULT_TOTAL_TIMEOUT_S
from grader.runner import MAX_SUBMISSION_BYTES, check_source, machine_capabilities
from grader.safe_read import UnreadableFile, read_regular, shown

LOCK_NAME = ".grade-batch.lock"


def main(
    *,
    submissions: Path,
    out: Path,
    console: Console,
    lessons: list[Lesson] | None = None,
    jobs: int | None = None,
    call_timeout: float = DEFAULT_CALL_TIMEOUT_S,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT_S,
    device: str = "cpu",
    no_sandbox: bool = False,
    nbgrader_db: Path | None = None,
    checks: Path | None = None,
    feedback_hidden: bool = False,
    lms: str | None = None,
    roster: Path | None = None,
    missing: str = "zero",
    scheduler: str | None = None,
    security: Path | None = None,
) -> int:
    """Grade every student × lesson not yet in the gradebook; write exports; return 0.

    Untrusted code is graded only in the sandbox, unless ``no_sandbox`` says otherwise.
    ``nbgrader_db``: also write the scores into that nbgrader gradebook (nbgrader's layout).
    ``checks``: a folder of the instructor's hidden checks (see :mod:`grader.hidden`), graded
    with the lessons' own; ``feedback_hidden`` shows them in the students' feedback too.
    ``lms`` and ``roster``: also write the gradebook import of that LMS (``canvas.csv`` or
    ``moodle.csv``), students without a file at 0 or blank (``missing``).
    ``scheduler``: grade on the Dask cluster at that address (``security``: its TLS
    configuration file), where each worker checks its own isolation and grader version.
    """
    if scheduler is not None:
        from grader.batch import cluster

        cluster.require_distributed()
        if jobs is not None:
            raise UsageError("--jobs is for grading on this machine: with --scheduler each Dask "
                             "worker grades as many submissions at a time as it has threads")
    elif security is not None:
        raise UsageError("--security is the TLS configuration of a --scheduler: pass both")
    lms_roster = _read_roster(lms, roster)
    hidden = HiddenChecks.from_dir(checks) if checks is not None else None
    capabilities = machine_capabilities()
    if scheduler is None and not capabilities.isolated and not no_sandbox:
        raise SetupError(
            f"{capabilities.explain()}; batch grading runs students' code, so it refuses to run "
            "without isolation: run it as root on Linux, or pass --no-sandbox to accept the risk"
        )
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UsageError("--jobs must be at least 1")
    if not (call_timeout > 0 and total_timeout > 0):  # the CLI's own type checks this too
        raise UsageError("--timeout and --total-timeout must be positive numbers of seconds")
    if not submissions.is_dir():
        raise SetupError(f"{submissions}: no such folder; pass the folder holding one folder "
                         "per student")
    if nbgrader_db is not None:
        from grader.notebooks.gradebook import check_database

        check_database(nbgrader_db)
    _make_out(out)
    with _exclusive(out), contextlib.ExitStack() as stack, \
            tempfile.TemporaryDirectory(prefix="grade-hidden-") as snapshot:
        client = None
        started: list[WorkerProcess] = []
        if scheduler is not None:
            client = cluster.connect(scheduler, security)
            stack.callback(client.close)
        else:  # TensorFlow's import in each worker overlaps reading the class
            started = warm_workers(workers, device, isolate=not no_sandbox)
            for process in started:
                stack.callback(process.close)
        found = discover(submissions, wanted=lessons, exclude=out)
        # A Dask worker must run the same grading code (its own hidden checks come with the run).
        code_versions = {lesson.stem: grader_version(lesson) for lesson in found.lessons}
        versions = {lesson.stem: code_versions[lesson.stem]
                    + (hidden.version_suffix(lesson) if hidden else "")
                    for lesson in found.lessons}
        # The workers grade with this very content, even if the folder changes meanwhile.
        snapshot_dir = hidden.write(Path(snapshot)) if hidden else None
        with Gradebook(out / FILENAME) as book:
            book.register(found.students, [(x, versions[x.stem]) for x in found.lessons],
                          hidden)
            stored = book.keys()
            direct: list[LessonRecord] = []
            todo: list[Job] = []
            for sub in found.submissions:
                version = versions[sub.lesson.stem]
                sha, problem = _fingerprint(sub.path)
                problem = sub.problem or problem  # a notebook that is not a readable notebook
                if stored.get((sub.student, sub.lesson.stem)) == (sha, version):
                    continue
                if sub.path is None:
                    direct.append(without_grading(
                        sub.student, sub.lesson, status=MISSING, sha256=None,
                        grader_version=version, hidden=hidden,
                        problem=f"no file {sub.lesson.filename} in {sub.student}/"))
                elif problem:
                    direct.append(without_grading(
                        sub.student, sub.lesson, status=ERROR, sha256=sha,
                        grader_version=version, problem=problem, hidden=hidden))
                else:
                    todo.append(Job(sub.student, sub.lesson, sub.path, snapshot_dir))
            skipped = len(found.submissions) - len(direct) - len(todo)
            where = (f" on {min(workers, len(todo))} workers" if client is None
                     else f" on the Dask cluster at {scheduler}")
            _announce(console, found, skipped, len(direct), len(todo), where)
            names = {lesson.stem: lesson.name for lesson in found.lessons}
            for record in direct:
                book.record(record)
                if record.status == ERROR:  # the file cannot be graded: say whose, and why
                    console.print(f"{escape(record.student)} {names[record.lesson]}: "
                                  f"{record.score:g}/{record.max_score:g} error: "
                                  f"{escape(record.problem)}", soft_wrap=True)
            limits = Limits(call_timeout, total_timeout)
            if client is None:
                results = run(todo, workers=workers, limits=limits, device=device,
                              isolate=not no_sandbox, started=started)
                _grade(console, book, todo, results, versions, hidden=hidden)
            elif todo:
                _grade_on_cluster(console, book, todo, client, scheduler, limits=limits,
                                  device=device, versions=versions, isolate=not no_sandbox,
                                  hidden=hidden, code_versions=code_versions)
            records = book.records()
            lessons_known = {stem: LessonInfo(stem, number, title)
                             for stem, number, title in book.lessons()}
        exports.remove_stale_temporaries(out)
        exports.write_all(out, records, lessons_known, feedback_hidden=feedback_hidden)
        lesson_stats, check_stats = summary.summarize(records, lessons_known)
        summary_text = summary.markdown(lesson_stats, check_stats, records,
                                        ignored=found.ignored_files())
        lms_export = None
        if lms_roster is not None:
            from grader.batch import lms as lms_files

            lms_export = lms_files.export(lms_roster, records, lessons_known, missing=missing)
            exports.write(out / lms_export.filename, lms_export.text)
            summary_text += lms_files.summary_markdown(lms_export, lms_roster)
        exports.write(out / "summary.md", summary_text)
        if nbgrader_db is not None:
            from grader.notebooks.gradebook import write_scores

            written = write_scores(nbgrader_db, submissions, records)
            console.print(f"nbgrader gradebook {nbgrader_db}: {written.grades} grades of "
                          f"{written.notebooks} notebooks written", soft_wrap=True)
    console.print()
    summary.render(console, lesson_stats, check_stats)
    if lms_export is not None:
        _announce_lms(console, out, lms_export)
    console.print(f"\nGradebook: {out / FILENAME}\nExports: {out / 'grades.csv'}, "
                  f"{out / 'summary.md'}, {out / exports.STUDENTS_DIR}/<student>/"
                  "{results.json, junit.xml, feedback.md}", soft_wrap=True)
    return 0


def _read_roster(lms: str | None, roster: Path | None):
    """The roster, read before any grading (a bad one stops here, with its row)."""
    if lms is None and roster is None:
        return None
    if lms is None or roster is None:
        raise UsageError("--lms and --roster go together: e.g. --lms canvas --roster roster.csv")
    from grader.batch.lms import read_roster

    return read_roster(roster, lms)


def _announce_lms(console: Console, out: Path, result) -> None:
    console.print(f"{result.filename.split('.')[0].capitalize()} import: "
                  f"{out / result.filename}", soft_wrap=True)
    if result.not_in_roster:
        console.print(f"[yellow]submission folders missing from the roster (not in "
                      f"{result.filename}):[/] {escape(', '.join(result.not_in_roster))}",
                      soft_wrap=True)
    if result.without_submission:
        console.print(f"roster students with no submission folder: "
                      f"{escape(', '.join(result.without_submission))}", soft_wrap=True)


def _make_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SetupError(f"--out {out} is a file: pass a folder (it is created if needed)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(
            f"cannot create --out {out} ({exc.strerror or exc}): check the path") from None


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One ``grade batch`` at a time per OUT folder (the lock goes with the process, even -9)."""
    try:
        handle = (out / LOCK_NAME).open("a")
    except OSError as exc:
        raise InfrastructureError(f"cannot write in {out} ({exc.strerror or exc}): check its "
                                  "permissions and free space") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InfrastructureError(
                f"another grade batch is writing {out}: wait for it to end (or stop it) and "
                "run again") from None
        yield


def _fingerprint(path: Path | None) -> tuple[str | None, str]:
    """The file's sha256 (None if absent or not readable as a file) and why it cannot be graded,
    if so. The file is read once, and only if it is a regular file of a submission's size."""
    if path is None:
        return None, ""
    try:
        data = read_regular(path, limit=MAX_SUBMISSION_BYTES, what="the lesson's .py file",
                            follow_links=True)  # discovery let only links inside the folder in
    except UnreadableFile as error:
        return None, str(error)
    try:
        check_source(data, path)
    except SetupError as error:
        return hashlib.sha256(data).hexdigest(), _for_student(str(error), path)
    return hashlib.sha256(data).hexdigest(), ""


def _for_student(message: str, path: Path) -> str:
    """``message`` without the instructor's folders: feedback is handed back as is."""
    return message.replace(str(path), path.name)


def _announce(console: Console, found, skipped: int, direct: int, todo: int, where: str) -> None:
    names = ", ".join(lesson.name for lesson in found.lessons)
    console.print(f"{len(found.students)} students ({found.layout}), lessons {names}: "
                  f"{skipped} results already in the gradebook, {direct} recorded without "
                  f"grading (missing or unreadable files), {todo} to grade"
                  + (where if todo else ""), soft_wrap=True)
    for path, why in found.ignored_files():
        console.print(f"[yellow]ignored:[/] {escape(path)}: {escape(why)}", soft_wrap=True)


def _record_of(done: Done, versions: dict[str, str],
               hidden: HiddenChecks | None = None) -> LessonRecord:
    job, reply = done.job, done.reply
    version = versions[job.lesson.stem]
    if "results" in reply:
        try:
            # the file may have changed since it was read for grading: no sha256 to compare
            results = results_of(reply, job.lesson, None, hidden)
        except BadReply as error:
            reply = {"bad_reply": f"a worker sent a reply this grader cannot have made ({error})"}
        else:
            return from_results(job.student, job.lesson, results, version)
    if "bad_reply" in reply:  # no sha256 stored: the next run grades the file again
        return without_grading(job.student, job.lesson, status=GRADER_ERROR, sha256=None,
                               grader_version=version, hidden=hidden,
                               problem=f"{reply['bad_reply']}: run the same command again")
    for key, status in (("unreadable", ERROR), ("crashed", CRASHED)):
        if key in reply:
            return without_grading(job.student, job.lesson, status=status,
                                   sha256=_fingerprint(job.path)[0], grader_version=version,
                                   problem=_for_student(str(reply[key]), job.path),
                                   hidden=hidden)
    if "infrastructure" in reply:
        raise InfrastructureError(str(reply["infrastructure"]))
    detail = str(reply.get("internal", reply))
    raise InfrastructureError(
        f"the grader failed while grading {job.path} (a bug of the grader, not the student's)"
        f"\n{detail}")


def _grade(console: Console, book: Gradebook, todo: list[Job],
           results: Generator[Done, None, None], versions: dict[str, str],
           progress_columns: tuple = (), start: Callable[[Progress, TaskID], None] | None = None,
           hidden: HiddenChecks | None = None) -> None:
    """Commit each result as it comes (the only writer of the gradebook), with a progress bar."""
    if not todo:
        results.close()
        return
    columns = (TextColumn("Grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), *progress_columns)
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("grading", total=len(todo), workers=0)
        if start is not None:
            start(progress, task)
        try:
            for done in results:
                record = _record_of(done, versions, hidden)
                book.record(record)
                if record.status != GRADED:
                    progress.console.print(
                        f"{escape(record.student)} {done.job.lesson.name}: "
                        f"{record.score:g}/{record.max_score:g} {record.status}: "
                        f"{escape(shown(record.problem))}", soft_wrap=True)
                progress.advance(task)
        finally:
            results.close()


def _grade_on_cluster(console: Console, book: Gradebook, todo: list[Job], client: Any,
                      address: str, *, limits: Limits, device: str, versions: dict[str, str],
                      isolate: bool, hidden: HiddenChecks | None = None,
                      code_versions: dict[str, str] | None = None) -> None:
    """:func:`_grade`, the jobs sent to the Dask cluster; the bar counts its able workers."""
    from grader.batch import cluster

    hooks: dict[str, Callable] = {}

    def start(progress: Progress, task: TaskID) -> None:
        hooks["workers"] = lambda n: progress.update(task, workers=n)
        hooks["refusal"] = lambda line: progress.console.print(
            f"[yellow]{escape(line)}[/]", soft_wrap=True)

    results = cluster.run(
        client, todo, address=address, limits=limits, device=device, isolate=isolate,
        versions=code_versions or versions,
        extra_checks=hidden.files if hidden is not None else None, hidden=hidden,
        on_workers=lambda n: hooks["workers"](n),
        on_refusal=lambda line: hooks["refusal"](line))
    _grade(console, book, todo, results, versions,
           progress_columns=(TextColumn("{task.fields[workers]} workers"),), start=start,
           hidden=hidden)
