"""A lesson as a Jupyter notebook with nbgrader's cell metadata.

The notebook, top to bottom:

- the lesson's notes (``course/lessonN.md``), one read-only markdown cell per ``##`` section;
- a read-only code cell with the lesson's imports;
- per exercise function, in the exercise file's order: an nbgrader *solution* cell holding the
  function's signature, docstring and TODO from ``exercises/``, and its body from ``solutions/``
  between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's ``generate_assignment``
  turns that into the stub). Module-level state a reference needs (lesson 1's ``tf.Variable``)
  gets a solution cell of its own before the function;
- the autograder: one read-only nbgrader *grade* cell per check of the lesson, worth the check's
  points, that calls :func:`grader.notebooks.cell.check` (the course's checks, run by the grader on
  the code of the cells above, never in the notebook's kernel).

``with_solutions=False`` writes the student's version instead: the same cells with the exercise's
stubs where the solution regions were (what ``generate_assignment`` hands out).
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from grader.curriculum import Lesson
from grader.errors import SetupError
from grader.notebooks.extract import TEST_CELL_MARKER

SCHEMA_VERSION = 3
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
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


def _nodes(path: Path) -> tuple[list[str], ast.Module]:
    text = path.read_text(encoding="utf-8")
    try:
        return text.splitlines(), ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise SetupError(f"{path}: cannot be parsed ({error.msg}, line {error.lineno})") from None


def _text(lines: list[str], node: ast.stmt) -> str:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    return "\n".join(lines[first - 1:node.end_lineno])


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_stub_raise(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Raise) and node.exc is not None
            and "NotImplementedError" in ast.unparse(node.exc))


def _function_cell(name: str, exercise: tuple[list[str], ast.FunctionDef],
                   solution: tuple[list[str], ast.FunctionDef], with_solutions: bool) -> str:
    """The exercise's header and TODO, then the reference body as a solution region."""
    ex_lines, ex_node = exercise
    sol_lines, sol_node = solution
    stub = ex_node.body[-1]
    if not _is_stub_raise(stub):  # not a plain stub: the whole reference is the solution
        region = _text(sol_lines, sol_node)
        body = f"{BEGIN}\n{region}\n{END}" if with_solutions else _text(ex_lines, ex_node)
        return body
    first = min([ex_node.lineno, *(d.lineno for d in ex_node.decorator_list)])
    header = ex_lines[first - 1:stub.lineno - 1]
    indent = " " * stub.col_offset
    if not with_solutions:
        return "\n".join([*header, *ex_lines[stub.lineno - 1:stub.end_lineno]])
    body = sol_node.body[1:] if _is_docstring(sol_node.body[0]) else sol_node.body
    start = (sol_node.body[0].end_lineno + 1) if body is not sol_node.body else body[0].lineno
    reference = textwrap.dedent("\n".join(sol_lines[start - 1:sol_node.end_lineno])).strip("\n")
    region = textwrap.indent(reference, indent, lambda line: bool(line.strip()))
    return "\n".join([*header, f"{indent}{BEGIN}", region, f"{indent}{END}"])


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
        if not target.is_file():
            raise SetupError(f"the notes include {match['path']}, which does not exist")
        code = target.read_text(encoding="utf-8")
        if match["name"]:
            lines, tree = _nodes(target)
            found = [n for n in tree.body if getattr(n, "name", None) == match["name"]]
            if not found:
                raise SetupError(f"the notes include {match['path']}#{match['name']}, "
                                 "which has no such function")
            code = _text(lines, found[0])
        out.extend(["```python", code.rstrip("\n"), "```"])
    return "\n".join(out)


def lesson_cells(lesson: Lesson, root: Path, *, with_solutions: bool) -> list[Cell]:
    """Every cell of ``lesson``'s notebook, from the course folder ``root``."""
    notes_path = root / "course" / f"{lesson.name}.md"
    exercise_path = root / "exercises" / lesson.filename
    solution_path = root / "solutions" / lesson.filename
    for needed in (notes_path, exercise_path, solution_path):
        if not needed.is_file():
            raise SetupError(f"{needed} is missing: notebooks are built from a clone of the "
                             "course (course/, exercises/, solutions/)")
    ex_lines, ex_tree = _nodes(exercise_path)
    sol_lines, sol_tree = _nodes(solution_path)
    cells = [Cell("markdown", text, f"notes-{n}") for n, text in enumerate(
        _notes_cells(_expand_includes(notes_path.read_text(encoding="utf-8"), root)), start=1)]
    cells.append(Cell("markdown", _HOW_TO.format(name=lesson.name), "how-to"))

    imports: list[str] = []
    for lines, tree in ((ex_lines, ex_tree), (sol_lines, sol_tree)):
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom) and _text(lines, node) not in imports:
                imports.append(_text(lines, node))
    cells.append(Cell("code", "\n".join(imports), "imports"))

    exercise_functions = {n.name: n for n in ex_tree.body if isinstance(n, ast.FunctionDef)}
    pending_state: list[str] = []
    for node in sol_tree.body:
        if _is_docstring(node) or isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if not isinstance(node, ast.FunctionDef) or node.name not in exercise_functions:
            pending_state.append(_text(sol_lines, node))  # state or helpers of the reference
            continue
        if pending_state:
            comment = (f"# Module-level state or helpers for {node.name}, if you need any\n"
                       "# (a tf.Variable created here, once, outlives every call).")
            state = "\n\n".join(pending_state)
            body = f"{BEGIN}\n{state}\n{END}" if with_solutions else "# YOUR CODE HERE"
            cells.append(Cell("code", f"{comment}\n{body}", f"state-{node.name}", solution=True))
            pending_state = []
        source = _function_cell(node.name, (ex_lines, exercise_functions[node.name]),
                                (sol_lines, node), with_solutions)
        cells.append(Cell("code", source, f"solution-{node.name}", solution=True))
    missing = set(exercise_functions) - {c.grade_id.removeprefix("solution-") for c in cells}
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
