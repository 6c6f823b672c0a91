"""The ``grade`` command line: parse, dispatch to a command's ``main``, errors in one line."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader import __version__
from grader.errors import GraderError, UsageError
from grader.limits import DEFAULT_CALL_TIMEOUT_S as CALL_TIMEOUT_S
from grader.limits import DEFAULT_TOTAL_TIMEOUT_S as TOTAL_TIMEOUT_S


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that says how to fix it."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `grade --help`)")


class _Console(Console):
    """A rich console that goes quiet when its reader goes away (``grade lesson1 | head``)."""

    def on_broken_pipe(self) -> None:
        # rich's default raises SystemExit from inside whatever is printing (here: the middle of
        # a check); instead stop printing and let grading finish, so the exit code stays honest.
        self.quiet = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.file.fileno())
            os.close(devnull)


def _seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _course_lessons() -> tuple:
    """The served course's lessons, or none when there is no course here (new-course)."""
    from grader.curriculum import lessons

    try:
        return lessons()
    except GraderError:
        return ()


def _take_course(argv: list[str]) -> list[str]:
    """Serve the course of ``--course DIR`` (anywhere on the line); the other arguments."""
    from grader import course

    rest, index = [], 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--course" or arg.startswith("--course="):
            value = arg.partition("=")[2] if "=" in arg else None
            if value is None:
                if index + 1 >= len(argv):
                    raise UsageError("--course needs a folder: --course DIR (a course folder, "
                                     "one holding course/course.toml)")
                value = argv[index + 1]
                index += 1
            course.use(Path(value))
        else:
            rest.append(arg)
        index += 1
    return rest


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="grade",
        description="Grade your TensorFlow course exercises. Start with: grade lesson1",
    )
    parser.add_argument("--version", action="version", version=f"grade {__version__}")
    parser.add_argument("--course", metavar="DIR", help="the course folder (one holding "
                        "course/course.toml; default: found from the current folder up); "
                        "accepted by every command")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    new_course = commands.add_parser(
        "new-course", help="authors: make a course folder with one example lesson")
    new_course.add_argument("folder", type=Path, metavar="DIR", help="the course's new folder")
    new_course.add_argument("--title", help="the course's title (default: from DIR's name)")
    new_lesson = commands.add_parser(
        "new-lesson", help="authors: scaffold a lesson (solution, stub, notes, checks)")
    new_lesson.add_argument("name", metavar="NAME", help="lessonN_topic, e.g. lesson2_embeddings")
    new_lesson.add_argument("--title", required=True, help="the lesson's title")
    check_course = commands.add_parser(
        "check-course", help="authors: check the course (stubs, checks, solutions, notes)")
    check_course.add_argument("--lessons", metavar="1,2,...", help="only these lessons")
    check_course.add_argument("--quick", action="store_true",
                              help="only the checks that need no grading (seconds)")
    release = commands.add_parser(
        "release", help="authors: write what students get (no solutions, no hidden checks)")
    release.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help="the student repository's folder (new or empty)")
    release.add_argument("--without-reference", action="store_true",
                         help="keep the reference helpers (reference.py) out of the release")
    release.add_argument("--force", action="store_true", help="replace a non-empty --out")
    commands.add_parser("list", help="lessons, their files, and your best scores")
    reset = commands.add_parser(
        "reset", help="put a lesson's untouched stub back (your file is kept as a backup)")
    reset.add_argument("lesson", metavar="LESSON", help="the lesson to reset, e.g. lesson1")
    batch = commands.add_parser(
        "batch", help="instructors: grade a class folder into a gradebook, exports and feedback"
    )
    batch.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                       help="one folder per student holding lesson files (alice/lesson1_basics.py)")
    batch.add_argument("--out", type=Path, required=True, metavar="OUT",
                       help="folder for gradebook.db, grades.csv, summary.md and students/")
    batch.add_argument("--lessons", metavar="1,2,...",
                       help="lessons to grade (default: every lesson anyone submitted)")
    batch.add_argument("--jobs", type=int, metavar="N",
                       help="grade N submissions at a time (default: the number of CPUs)")
    batch.add_argument("--no-sandbox", action="store_true",
                       help="grade even where learner code cannot be isolated (unsafe)")
    batch.add_argument("--timeout", type=_seconds, default=CALL_TIMEOUT_S, metavar="SECONDS",
                       help="time limit of one call of a student's code "
                       f"(default {CALL_TIMEOUT_S:g})")
    batch.add_argument("--total-timeout", type=_seconds, default=TOTAL_TIMEOUT_S,
                       metavar="SECONDS", help="time limit of grading one submission, all its "
                       f"calls together (default {TOTAL_TIMEOUT_S:g})")
    batch.add_argument("--checks", type=Path, metavar="DIR",
                       help="add your hidden checks: DIR holds lessonN_<topic>.py modules "
                       "(see docs/hidden-checks.md)")
    batch.add_argument("--feedback-hidden", action="store_true",
                       help="show the hidden checks' messages and hints in the students' files "
                       "(feedback.md, results.json, junit.xml)")
    batch.add_argument("--nbgrader-db", type=Path, metavar="PATH",
                       help="also write the scores into this nbgrader gradebook.db "
                            "(nbgrader's submitted/ layout)")
    batch.add_argument("--lms", choices=("canvas", "moodle"),
                       help="also write the gradebook CSV this LMS imports (needs --roster)")
    batch.add_argument("--roster", type=Path, metavar="CSV",
                       help="for --lms: a 'folder' column and the LMS's student identifiers")
    batch.add_argument("--missing", choices=("zero", "blank"), default="zero",
                       help="for --lms: a student with no file gets 0 or an empty cell "
                       "(default zero)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on the Dask cluster at ADDRESS (tcp://HOST:8786 or tls://...; "
                            'pip install -e ".[cluster]")')
    batch.add_argument("--security", type=Path, metavar="FILE",
                       help="the Dask security configuration (YAML: TLS CA, cert and key) of a "
                            "tls:// --scheduler")
    gradescope = commands.add_parser(
        "gradescope", help="instructors: the autograder zip for Gradescope's Upload autograder")
    gradescope.add_argument("--out", type=Path, required=True, metavar="ZIP",
                            help="the zip to write, e.g. autograder.zip")
    gradescope.add_argument("--lessons", metavar="1,2,...",
                            help="lessons it grades (default: every lesson)")
    gradescope.add_argument("--checks", type=Path, metavar="DIR",
                            help="your hidden check modules (as for grade batch), in the zip")
    gradescope.add_argument("--timeout", type=_seconds, default=CALL_TIMEOUT_S, metavar="SECONDS",
                            help=f"as for grade batch (default {CALL_TIMEOUT_S:g})")
    gradescope.add_argument("--total-timeout", type=_seconds, default=TOTAL_TIMEOUT_S,
                            metavar="SECONDS", help=f"as for grade batch (default "
                            f"{TOTAL_TIMEOUT_S:g})")
    site = commands.add_parser("site", help="build the course site (static HTML, opens offline)")
    site.add_argument("--out", type=Path, metavar="DIR",
                      help="the folder to build into (default: build/site in the course)")
    site.add_argument("--no-figures", action="store_false", dest="figures",
                      help="skip the figures made by running the solutions")
    notebooks = commands.add_parser(
        "notebooks", help="instructors: every lesson as a Jupyter notebook for nbgrader")
    notebooks.add_argument("--out", type=Path, required=True, metavar="DIR",
                           help="the folder to write <lesson>.ipynb files into")
    notebooks.add_argument("--with-solutions", action="store_true",
                           help="keep the reference code (in nbgrader solution regions): the "
                                "instructor's source notebooks")
    notebooks.add_argument("--lessons", metavar="1,2,...",
                           help="lessons to write (default: every lesson)")
    audit = commands.add_parser(
        "audit", help="instructors: prove the checks (planted bugs caught, seeds, thresholds)")
    audit.add_argument("lessons", nargs="*", metavar="LESSON",
                       help="lessons to audit, e.g. lesson1 (default: every lesson)")
    audit.add_argument("--seeds", type=int, default=20, metavar="N",
                       help="grade the reference with its seeds salted N ways (default 20)")
    audit.add_argument("--sample", type=int, metavar="N",
                       help="grade at most N mutants per lesson, spread over functions and "
                       "operators (default: all)")
    audit.add_argument("--json", type=Path, metavar="OUT", dest="json_out",
                       help="also write the report as JSON to OUT")
    audit.add_argument("--jobs", type=int, metavar="N",
                       help="grade N variants at a time (default: the number of CPUs)")
    for lesson in _course_lessons():
        sub = commands.add_parser(
            lesson.name, help=f"grade exercises/{lesson.filename}: {lesson.title}"
        )
        sub.add_argument("--submission", type=Path, metavar="PATH",
                         help="grade this file instead of your exercises/ file (it is copied)")
        sub.add_argument("--json", type=Path, metavar="OUT", dest="json_out",
                         help="also write a Gradescope-style results.json to OUT")
        sub.add_argument("--hint", action="store_true", help="show the hint of each failing check")
        sub.add_argument("--watch", action="store_true", help="grade again on every save")
        sub.add_argument("--verbose", action="store_true",
                         help="show what your code printed during each check")
        sub.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                         help="time limit of one call of your code (default: the course's, "
                         f"else {CALL_TIMEOUT_S:g})")
        sub.add_argument("--total-timeout", type=_seconds, metavar="SECONDS",
                         help="time limit of grading, all calls of your code together "
                         f"(default: the course's, else {TOTAL_TIMEOUT_S:g})")
        sub.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                         help="where TensorFlow runs your code (default cpu)")
        sub.add_argument("--checks", type=Path, metavar="DIR",
                         help="instructors: add the hidden checks in DIR to this lesson's")
    return parser


def _run(argv: list[str], console: Console) -> int:
    from grader.curriculum import find_lesson

    argv = _take_course(argv)
    if argv and argv[0].startswith("lesson") and not argv[0].startswith("-"):
        find_lesson(argv[0])  # an unknown lesson gets a clear one-line error
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    if args.command == "new-course":
        from grader.commands import new_course

        return new_course.main(folder=args.folder, console=console, title=args.title)
    if args.command == "new-lesson":
        from grader.commands import new_lesson

        return new_lesson.main(name=args.name, title=args.title, console=console)
    if args.command == "check-course":
        from grader.commands import check_course

        return check_course.main(console=console, chosen=_lesson_list(args.lessons),
                                 quick=args.quick)
    if args.command == "release":
        from grader.commands import release

        return release.main(out=args.out, console=console,
                            with_reference=not args.without_reference, force=args.force)
    if args.command == "list":
        from grader.commands import listing

        return listing.main(console=console)
    if args.command == "reset":
        from grader.commands import reset

        return reset.main(lesson=find_lesson(args.lesson), console=console)
    if args.command == "site":
        from grader.commands import site

        return site.main(out=args.out, console=console, figures=args.figures)

    if args.command == "audit":
        from grader.commands import audit

        return audit.main(console=console, chosen=[find_lesson(n) for n in args.lessons] or None,
                          seeds=args.seeds, max_mutants=args.sample, jobs=args.jobs,
                          json_out=args.json_out)

    if args.command == "gradescope":
        from grader.commands import gradescope

        return gradescope.main(out=args.out, console=console, lessons=_lesson_list(args.lessons),
                               checks=args.checks, call_timeout=args.timeout,
                               total_timeout=args.total_timeout)

    if args.command == "notebooks":
        from grader.commands import notebooks

        return notebooks.main(out=args.out, console=console, with_solutions=args.with_solutions,
                              lessons=_lesson_list(args.lessons))

    if args.command == "batch":
        from grader.commands import batch

        return batch.main(
            submissions=args.submissions,
            out=args.out,
            console=console,
            lessons=_lesson_list(args.lessons),
            jobs=args.jobs,
            call_timeout=args.timeout,
            total_timeout=args.total_timeout,
            no_sandbox=args.no_sandbox,
            nbgrader_db=args.nbgrader_db,
            checks=args.checks,
            feedback_hidden=args.feedback_hidden,
            lms=args.lms,
            roster=args.roster,
            missing=args.missing,
            scheduler=args.scheduler,
            security=args.security,
        )

    from grader.commands import lesson as lesson_command
    from grader.learner.zygote import Zygote

    zygote = Zygote(device=args.device)  # started once the arguments are known to be good
    with contextlib.closing(zygote):
        return lesson_command.main(
            lesson=find_lesson(args.command),
            zygote=zygote,
            console=console,
            submission=args.submission,
            json_out=args.json_out,
            hints=args.hint,
            watch=args.watch,
            verbose=args.verbose,
            call_timeout=args.timeout,
            total_timeout=args.total_timeout,
            checks=args.checks,
        )


def _lesson_list(text: str | None) -> list | None:
    """``--lessons 1,lesson3`` as lessons, in course order; None when not given."""
    from grader.curriculum import find_lesson

    if text is None:
        return None
    chosen = {find_lesson(part) for part in text.split(",") if part.strip()}
    if not chosen:
        raise UsageError("--lessons needs at least one lesson, e.g. --lessons 1,2")
    return sorted(chosen, key=lambda lesson: lesson.number)


def _keep_for_report(details: str) -> str:
    """Write ``details`` to a log file; return how to report them, to end a one-line message."""
    log = Path(tempfile.gettempdir()) / "grade-crash.log"
    try:
        log.write_text(details, encoding="utf-8")
    except OSError:
        return "please report it with the command you ran"
    return f"please report it with {log}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``grade`` script."""
    console = _Console(file=sys.stdout, highlight=False)
    errors = _Console(file=sys.stderr, highlight=False)
    try:
        code = _run(sys.argv[1:] if argv is None else argv, console)
    except GraderError as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        message = lines[0]
        if len(lines) > 1:  # details (e.g. pytest's own output) are for the instructor
            message += f" ({_keep_for_report(str(error))})"
        errors.print(f"[bold red]grade: error:[/] {escape(message)}", soft_wrap=True)
        code = error.exit_code
    except KeyboardInterrupt:
        errors.print("grade: interrupted", soft_wrap=True)
        code = 130
    except Exception:
        where = _keep_for_report(traceback.format_exc())
        errors.print(f"grade: internal error: the grader failed; {escape(where)}", soft_wrap=True)
        code = 3
    if argv is None:
        _exit(code)
    return code


def _exit(code: int) -> None:
    """End the ``grade`` process with ``code`` once everything is written, without the
    interpreter's teardown: with TensorFlow loaded (checks that rebuild Keras models) that
    takes about a second after the last line is printed. Exit handlers (the removal of
    temporary folders) still run."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code)
