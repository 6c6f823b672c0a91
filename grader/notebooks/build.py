"""A lesson as a Jupyter notebook with nbgrader's cell metadata.

The notebook, top to bottom:

- the lesson's notes (``course/<stem>/notes.md``), one read-only markdown cell per ``##`` section;
- a read-only code cell with the lesson's imports;
- per exercise function, in the solution file's order: an nbgrader *solution* cell holding the
  function from ``solutions/`` as it is, its body between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (nbgrader's ``generate_assignment`` turns that into the stub). A
  module-level solution region (lesson 1's ``tf.Variable``) gets a solution cell of its own
  before the function;
- the autograder: one read-only nbgrader *grade* cell per check of the lesson, worth the check's
  points, that calls :func:`grader.notebooks.cell.check` (the course's checks, run by the grader on
  the code of the cells above, never in the notebook's kernel).

``with_solutions=False`` writes the student's version instead: the same cells with the stub
derived from the solution (:mod:`grader.stubs`) where the solution regions were. Nothing is read
from ``exercises/``: a learner's working copy never reaches a notebook.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from grader.curriculum import Lesson
from grader.errors import SetupError
from grader.notebooks.extract import TEST_CELL_MARKER
from grader.stubs import (
    BEGIN,
    END,
    course_text,
    derive_stub,
    solution_regions,
    state_placeholder,
)

SCHEMA_VERSION = 3
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass(frozen=True)
class Cell:
    """A notebook cell before nbformat: kind, source and its nbgrader role."""

    kind: str  # "markdown" or "code"
    source: str
    grade_id: str
    solution: bool = False
    grade: bool = False
    points: float = 0.0

    @property
    def nbgrader(self) -> dict:
        meta = {"grade": self.grade, "grade_id": self.grade_id, "locked": not self.solution,
                "schema_version": SCHEMA_VERSION, "solution": self.solution}
        if self.grade:
            meta["points"] = self.points
        return meta


def _parse(text: str, path: Path) -> tuple[list[str], ast.Module]:
    try:
        return text.splitlines(), ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise SetupError(f"{path}: cannot be parsed ({error.msg}, line {error.lineno})") from None


def _nodes(path: Path) -> tuple[list[str], ast.Module]:
    return _parse(path.read_text(encoding="utf-8"), path)


def _text(lines: list[str], node: ast.stmt, last: int | None = None) -> str:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    return "\n".join(lines[first - 1:last or node.end_lineno])


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _notes_cells(notes: str) -> list[str]:
    """The notes split before each ``## `` heading (outside code fences)."""
    sections: list[list[str]] = [[]]
    fenced = False
    for line in notes.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if line.startswith("## ") and not fenced and any(x.strip() for x in sections[-1]):
            sections.append([])
        sections[-1].append(line)
    return ["\n".join(section).strip() for section in sections if any(x.strip() for x in section)]


_INSTRUCTORS = re.compile(r"^##\s+calibration\b", re.IGNORECASE)
_INCLUDE = re.compile(r"^<!--\s*include:\s*(?P<path>[^#\s]+)(?:#(?P<name>\w+))?\s*-->\s*$")


def _expand_includes(notes: str, root: Path) -> str:
    """``<!-- include: exercises/x.py#name -->`` lines (see the site) as fenced code."""
    out = []
    for line in notes.splitlines():
        match = _INCLUDE.match(line.strip())
        if not match:
            out.append(line)
            continue
        target = (root / match["path"]).resolve()
        stub_source = root / "solutions" / target.name
        if not target.is_file() and not (target.parent == (root / "exercises").resolve()
                                         and stub_source.is_file()):
            raise SetupError(f"the notes include {match['path']}, which does not exist")
        code = course_text(root, target)
        if match["name"]:
            lines, tree = _parse(code, target)
            found = [n for n in tree.body if getattr(n, "name", None) == match["name"]]
            if not found:
                raise SetupError(f"the notes include {match['path']}#{match['name']}, "
                                 "which has no such function")
            code = _text(lines, found[0])
        out.extend(["```python", code.rstrip("\n"), "```"])
    return "\n".join(out)


def lesson_cells(lesson: Lesson, root: Path, *, with_solutions: bool) -> list[Cell]:
    """Every cell of ``lesson``'s notebook, from the course folder ``root``.

    Built from ``solutions/`` alone: the student's cells are the stub derived from it
    (:func:`grader.stubs.derive_stub`), the instructor's keep its solution regions as they are;
    the working copy in ``exercises/`` is never read.
    """
    notes_path = root / "course" / lesson.stem / "notes.md"
    solution_path = root / "solutions" / lesson.filename
    for needed in (notes_path, solution_path):
        if not needed.is_file():
            raise SetupError(f"{needed} is missing: notebooks are built from a clone of the "
                             "course (course/, solutions/)")
    solution_text = solution_path.read_text(encoding="utf-8")
    sol_lines, sol_tree = _parse(solution_text, solution_path)
    stub_lines, stub_tree = _parse(derive_stub(solution_text, solution_path), solution_path)
    regions = solution_regions(solution_text, solution_path)
    notes = _notes_cells(_expand_includes(notes_path.read_text(encoding="utf-8"), root))
    if not with_solutions:  # calibration sections are for instructors (folded on the site)
        notes = [text for text in notes if not _INSTRUCTORS.match(text)]
    cells = [Cell("markdown", text, f"notes-{n}") for n, text in enumerate(notes, start=1)]
    cells.append(Cell("markdown", _HOW_TO.format(name=lesson.name), "how-to"))

    module_regions = [r for r in regions if r.function is None]
    inside_region = {line for r in module_regions for line in range(r.begin + 1, r.end + 2)}
    imports: list[str] = []
    for node in sol_tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in inside_region:
            imports.append(_text(sol_lines, node))
    cells.append(Cell("code", _QUIET_IMPORTS + "\n".join(imports), "imports"))

    stub_functions = {n.name: n for n in stub_tree.body if isinstance(n, ast.FunctionDef)}
    region_end = {r.function: r.end + 1 for r in regions if r.function}  # 1-based END line
    pending_state = list(module_regions)
    for node in sol_tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name not in stub_functions:
            continue  # imports, state and helpers: the imports cell and the state regions
        before = [r for r in pending_state if r.end + 1 < node.lineno]
        pending_state = [r for r in pending_state if r not in before]
        if before:
            comment = state_placeholder(node.name)
            state = "\n\n".join("\n".join(sol_lines[r.begin + 1:r.end]) for r in before)
            body = f"{BEGIN}\n{state}\n{END}" if with_solutions else "# YOUR CODE HERE"
            cells.append(Cell("code", f"{comment}\n{body}", f"state-{node.name}", solution=True))
        if with_solutions:  # the solution's own regions, which nbgrader turns into the stub
            source = _text(sol_lines, node, max(node.end_lineno or 0,
                                                region_end.get(node.name, 0)))
        else:
            source = _text(stub_lines, stub_functions[node.name])
        cells.append(Cell("code", source, f"solution-{node.name}", solution=True))
    missing = set(stub_functions) - {c.grade_id.removeprefix("solution-") for c in cells}
    if missing:
        raise SetupError(f"{solution_path} lacks {', '.join(sorted(missing))}")

    cells.append(Cell("markdown", _TESTS.format(name=lesson.name,
                                                points=f"{lesson.max_points:g}"), "tests"))
    for info in lesson.checks():
        source = (f"{TEST_CELL_MARKER}: {info.title} ({info.points:g} "
                  f"point{'s' if info.points != 1 else ''})\n"
                  "from grader.notebooks.cell import check\n\n"
                  f"check({lesson.stem!r}, {info.id!r})")
        cells.append(Cell("code", source, f"check-{info.id}", grade=True, points=info.points))
    return cells


# TensorFlow's C++ runtime writes start-up lines to stderr at import (oneDNN, cpu_feature_guard),
# which the kernel shows under the cell: import it once with them silenced. (The grader extracts
# imports only, so graded code imports TensorFlow as usual.)
_QUIET_IMPORTS = ("from grader.notebooks.cell import quiet_tensorflow\n\n"
                  "quiet_tensorflow()  # TensorFlow without its C++ start-up log lines\n")


_HOW_TO = """## Your turn
Write each function where its cell says `YOUR CODE HERE` (or `raise NotImplementedError`), run
the cells from the top, then run the autograder cells at the end. They run the course's checks on
the functions you defined above, exactly as `grade {name}` does on a `.py` file; each says what
failed and gives a hint."""

_TESTS = """## Autograder
Each cell below is one of the {name} checks, worth its points ({points} in all). The checks run in
the course's grader, on a copy of the code of the cells above (definitions, imports and
assignments), in a separate process: run the notebook from the top first."""


def lesson_notebook(lesson: Lesson, root: Path, *, with_solutions: bool):
    """``lesson`` as an ``nbformat`` v4 notebook (validated)."""
    try:
        import nbformat
        from nbformat import v4
    except ImportError:
        raise SetupError("notebooks need nbformat: pip install 'tf-course[notebooks]'") from None
    notebook = v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    for cell in lesson_cells(lesson, root, with_solutions=with_solutions):
        make = v4.new_markdown_cell if cell.kind == "markdown" else v4.new_code_cell
        new = make(cell.source, id=cell.grade_id, metadata={"nbgrader": cell.nbgrader})
        if cell.kind == "markdown" or not cell.solution:
            new.metadata["deletable"] = False
            new.metadata["editable"] = False
        notebook.cells.append(new)
    nbformat.validate(notebook)
    return notebook
