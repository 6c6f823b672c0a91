"""The learner's stubs, derived from the reference solutions (nbgrader's markers).

``solutions/lessonN_<topic>.py`` is the one source of truth. Each exercise function's reference
body sits between a ``### BEGIN SOLUTION`` and a ``### END SOLUTION`` line, after the function's
docstring and ``# TODO:`` comments. The stub (``exercises/lessonN_<topic>.py`` as handed out) is
that file with each region replaced by ``raise NotImplementedError("<function name>")`` at the
region's indentation; a region at module level (solution-only state, helpers or imports) is
replaced by a placeholder comment saying where such state goes (:func:`state_placeholder`, as
the notebooks' state cell says), so that a TODO that needs a module-level tf.Variable has a
place for it. The site, the notebooks and ``grade reset`` use
:func:`derive_stub`, never a learner's working copy; the dev-check proves that the committed
``exercises/`` equal it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SetupError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>\w+)\s*\(")


class StubError(SetupError):
    """A solution file whose markers cannot give a stub (one line: file, line, fix)."""


@dataclass(frozen=True)
class Region:
    """One solution region: its marker lines (0-based, inclusive) and where it sits."""

    begin: int
    end: int
    indent: str
    function: str | None  # the enclosing function's name; None at module level


def _where(path: Path | str | None, line: int) -> str:
    return f"{path if path is not None else '<solution>'}, line {line}"


def solution_regions(solution_source: str, path: Path | str | None = None) -> list[Region]:
    """The solution regions of ``solution_source``; a StubError for unbalanced markers."""
    lines = solution_source.splitlines()
    regions: list[Region] = []
    opened: tuple[int, str] | None = None
    for number, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if opened is not None:
                raise StubError(f"{_where(path, number + 1)}: {BEGIN} inside the region opened "
                                f"at line {opened[0] + 1}: close it with {END} first")
            opened = (number, line[: len(line) - len(line.lstrip())])
        elif marker == END:
            if opened is None:
                raise StubError(f"{_where(path, number + 1)}: {END} without a {BEGIN} before "
                                "it: add the BEGIN line or remove this one")
            begin, indent = opened
            if line[: len(line) - len(line.lstrip())] != indent:
                raise StubError(f"{_where(path, number + 1)}: {END} is not indented like its "
                                f"{BEGIN} (line {begin + 1}): align them")
            regions.append(Region(begin, number, indent, _enclosing(lines, begin, indent)))
            opened = None
    if opened is not None:
        raise StubError(f"{_where(path, opened[0] + 1)}: {BEGIN} is never closed: add an "
                        f"{END} line at its indentation")
    return regions


def _enclosing(lines: list[str], begin: int, indent: str) -> str | None:
    """The name of the innermost ``def`` above line ``begin`` indented less than the region."""
    if not indent:
        return None
    for line in reversed(lines[:begin]):
        match = _DEF.match(line)
        if match and len(match["indent"]) < len(indent):
            return match["name"]
    return None


def state_placeholder(function: str | None) -> str:
    """The comment that stands where a module-level solution region was (no final newline)."""
    owner = f" for {function}" if function else ""
    return (f"# Module-level state or helpers{owner}, if you need any\n"
            "# (a tf.Variable created here, once, outlives every call).")


def _next_function(lines: list[str], start: int) -> str | None:
    """The name of the first module-level ``def`` at or after line ``start``."""
    for line in lines[start:]:
        match = _DEF.match(line)
        if match and not match["indent"]:
            return match["name"]
    return None


def derive_stub(solution_source: str, path: Path | str | None = None) -> str:
    """The stub of ``solution_source`` (a solution file's text; ``path`` names it in errors)."""
    lines = solution_source.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    position = 0
    for region in solution_regions(solution_source, path):
        out.extend(lines[position:region.begin])
        position = region.end + 1
        if region.indent:
            if region.function is None:
                raise StubError(f"{_where(path, region.begin + 1)}: an indented {BEGIN} "
                                "outside any function: put it in a function's body, or at "
                                "module level")
            out.append(f'{region.indent}raise NotImplementedError("{region.function}"){newline}')
        else:  # module level: a placeholder saying where such state goes
            placeholder = state_placeholder(_next_function(lines, position))
            out.extend(line + newline for line in placeholder.split("\n"))
    out.extend(lines[position:])
    return "".join(out)


def read_stub(solution_path: Path) -> str:
    """The stub derived from the solution file at ``solution_path``; a SetupError if unreadable."""
    try:
        text = solution_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"cannot read {solution_path} ({error}): restore it with "
                         f"`git checkout -- {solution_path.name}`") from None
    return derive_stub(text, solution_path)


def strip_markers(solution_source: str) -> str:
    """The solution as a reader sees it: the marker lines taken out, the code kept."""
    lines = solution_source.splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in (BEGIN, END))


def course_text(root: Path, path: Path) -> str:
    """A course file's text as the site and the notebooks show it, never a learner's edits.

    ``exercises/lessonN_*.py`` is the stub derived from ``solutions/`` (whatever the working
    copy holds); ``solutions/lessonN_*.py`` is shown without its marker lines; any other file
    as it is.
    """
    resolved = path.resolve()
    root = root.resolve()
    if resolved.parent == root / "exercises" and resolved.suffix == ".py":
        solution = root / "solutions" / resolved.name
        if solution.is_file():
            return read_stub(solution)
    if resolved.parent == root / "solutions" and resolved.suffix == ".py":
        return strip_markers(resolved.read_text(encoding="utf-8"))
    return resolved.read_text(encoding="utf-8")


def write_stubs(root: Path) -> list[Path]:
    """For developers: write ``exercises/X`` from ``solutions/X`` for every lesson file."""
    written = []
    for solution in sorted((root / "solutions").glob("lesson*_*.py")):
        target = root / "exercises" / solution.name
        stub = read_stub(solution)
        if not target.is_file() or target.read_text(encoding="utf-8") != stub:
            target.write_text(stub, encoding="utf-8")
            written.append(target)
    return written


if __name__ == "__main__":  # python -m grader.stubs [COURSE_ROOT]: the developers' tool
    import sys

    course = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    changed = write_stubs(course)
    print(f"{len(changed)} stub(s) rewritten" + "".join(f"\n  {p}" for p in changed))
