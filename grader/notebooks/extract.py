"""A notebook's code as a lesson module: what the grader imports in the learner process.

The same rule serves the notebook's autograder cells (run in Jupyter's kernel, over the cells
executed so far) and ``grade batch`` over nbgrader's ``submitted/`` folder (over the saved cells),
so both grade the same module for a notebook run top to bottom:

- autograder test cells (they hold :data:`TEST_CELL_MARKER`) are skipped;
- of every other code cell, the top-level imports, function and class definitions and
  assignments are kept, in order (a later definition replaces an earlier one, as in the kernel);
  scratch work (expressions, loops, prints, a stub's top-level ``raise``) is dropped, and so is
  the import cell's ``from grader.notebooks.cell import …`` (the notebook's plumbing);
- IPython magics and shell escapes (``%time``, ``!ls``) are dropped;
- a cell that is not valid Python but defines a function is kept as is, so the syntax error
  reaches the learner as it would from a ``.py`` file.

Only the standard library is used: ``grade batch`` reads notebooks without Jupyter installed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path

TEST_CELL_MARKER = "# grader: autograder test"
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
         ast.Assign, ast.AnnAssign)
_CELL_MODULE = "grader.notebooks.cell"
_MAGIC = re.compile(r"^\s*(%|!|\?)")
_DEFINES = re.compile(r"^\s*(async\s+def|def|class)\s", re.MULTILINE)


class NotebookUnreadable(ValueError):
    """The file is not a notebook this grader can read (not JSON, not nbformat 4)."""


def _course_helper(node: ast.stmt) -> bool:
    """``from grader.notebooks.cell import …``: the notebook's own plumbing, not lesson code."""
    return isinstance(node, ast.ImportFrom) and node.module == _CELL_MODULE


def _without_magics(source: str) -> str:
    return "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())


def _kept_statements(source: str) -> list[str]:
    text = _without_magics(source)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return [source.rstrip()] if _DEFINES.search(text) else []
    lines = text.splitlines()
    kept = []
    for node in tree.body:
        if not isinstance(node, _KEEP) or _course_helper(node):
            continue
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        kept.append("\n".join(lines[first - 1:node.end_lineno]).rstrip())
    return kept


def module_source(cells: Iterable[str], *, origin: str) -> str:
    """The module made of ``cells`` (code cells' sources, in order); ``origin`` names them."""
    parts = [f"# Code extracted by the grader from {origin}: definitions and assignments of its "
             "code cells, in order."]
    for source in cells:
        if TEST_CELL_MARKER in source:
            continue
        parts.extend(_kept_statements(source))
    return "\n\n".join(parts) + "\n"


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_cells(path: Path) -> list[str]:
    """The sources of ``path``'s code cells, autograder test cells left out (nbgrader metadata)."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise NotebookUnreadable(f"{path.name} is not a readable notebook ({error})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookUnreadable(f"{path.name} is not a Jupyter notebook (no cells)")
    sources = []
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if isinstance(meta, dict) and meta.get("grade") and not meta.get("solution"):
            continue  # a test cell: the grader's own, whatever it holds
        sources.append(_source(cell))
    return sources


def notebook_module(path: Path) -> str:
    """The lesson module of the notebook at ``path``; an unreadable notebook becomes a module
    that fails at import with the reason, so the student's result says why (status error)."""
    try:
        return module_source(notebook_cells(path), origin=path.name)
    except NotebookUnreadable as error:
        return f"raise ImportError({str(error)!r})\n"
    except OSError as error:
        return f"raise ImportError({f'cannot read {path.name} ({error.strerror})'!r})\n"
