"""``grade notebooks --out DIR [--with-solutions]``: the lessons as nbgrader notebooks."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from grader.curriculum import Lesson
from grader.errors import SetupError


def main(*, out: Path, console: Console, with_solutions: bool = False,
         lessons: list[Lesson] | None = None) -> int:
    """Write one notebook per lesson into ``out``; return 0."""
    try:
        from grader.notebooks import write_notebooks
    except ImportError as error:
        raise SetupError(f"notebooks need {error.name or 'more packages'}: "
                         'pip install -e ".[notebooks]" in the course folder') from None
    if out.exists() and not out.is_dir():
        raise SetupError(f"--out {out} is a file: pass a folder (it is created if needed)")
    written = write_notebooks(out, with_solutions=with_solutions, chosen=lessons)
    kind = ("instructor notebooks (reference code inside nbgrader solution regions: put them "
            "in nbgrader's source/<assignment>/ and run `nbgrader generate_assignment`)"
            if with_solutions else
            "student notebooks (stubs to fill in; the autograder cells run the course's checks)")
    console.print(f"Wrote {len(written)} {kind} to {out}:", soft_wrap=True)
    for path in written:
        console.print(f"  {path.name}", soft_wrap=True)
    return 0
