"""A notebook's code as a lesson module: what the grader imports in the learner process.

The same rule serves the notebook's autograder cells (run in Jupyter's kernel, over the cells
executed so far) and ``grade batch`` over nbgrader's ``submitted/`` folder (over the saved cells),
so both grade the same module for a notebook run top to bottom:

- autograder test cells (they hold :data:`TEST_CELL_MARKER`) are skipped;
- of every other code cell, the top-level imports, function and class definitions and
  assignments are kept, in order (a later definition replaces an earlier one, as in the kernel);
  scratch work (expressions, loops, prints, a stub's top-level ``raise``) is dropped, and so is
  the import cell's ``from grader.notebooks.cell import …`` (the notebook's plumbing);
- IPython syntax is turned into Python as IPython would run it, or dropped: magics, shell
  escapes and help (``%matplotlib``, ``!ls``, ``listing = !ls``, ``x = %env``, ``obj?``) are
  dropped, ``%time stmt`` keeps ``stmt``, ``%%time`` keeps its cell, ``%%bash`` drops it;
- a cell that is not valid Python but defines a function is kept as is, so the syntax error
  reaches the learner as it would from a ``.py`` file.

A notebook is read safely (:mod:`grader.safe_read`, size and structure bounded before it is
trusted); whatever is wrong with it is one line, which the grader hands back as the student's
``error``. Only the standard library is used: ``grade batch`` reads notebooks without Jupyter
installed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path

from grader.safe_read import UnreadableFile, read_regular, shown

TEST_CELL_MARKER = "# grader: autograder test"
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
         ast.Assign, ast.AnnAssign)
_CELL_MODULE = "grader.notebooks.cell"
_DEFINES = re.compile(r"^\s*(async\s+def|def|class)\s", re.MULTILINE)
# IPython syntax, line by line (as IPython's own input transformers see it)
_TIMED = re.compile(r"^(\s*)%time\s+(.*)$")  # `%time stmt` runs stmt in the user's namespace
_MAGIC = re.compile(r"^\s*(%|!|\?)")  # `%magic`, `!cmd`, `?obj`
_ASSIGNED = re.compile(r"^\s*[\w.]+(\s*,\s*[\w.]+)*\s*=\s*(%|!)")  # `x = !cmd`, `x = %magic`
_HELP = re.compile(r"^\s*[\w.]+\s*\?{1,2}\s*$")  # `obj?`, `obj??`
_CELL_MAGIC = re.compile(r"^%%(\w+)")
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}  # their body is Python

NOTEBOOK_MAX_BYTES = 16 * 2**20  # a notebook with a few pictures in its outputs is far below
CODE_MAX_BYTES = 2 * 2**20  # the code of its code cells: as much as a lesson's .py may hold
MAX_JSON_CONTAINERS = 1_000_000  # objects and arrays: bounds the memory json.loads takes


class NotebookUnreadable(ValueError):
    """The file is not a notebook this grader can read (not JSON, not nbformat 4)."""


def _course_helper(node: ast.stmt) -> bool:
    """``from grader.notebooks.cell import …``: the notebook's own plumbing, not lesson code."""
    return isinstance(node, ast.ImportFrom) and node.module == _CELL_MODULE


def _from_ipython(node: ast.stmt) -> bool:
    """An assignment from ``get_ipython()`` (a magic as IPython rewrites it): IPython's, not
    lesson code, and the learner's process has no IPython."""
    value = getattr(node, "value", None) if isinstance(node, ast.Assign | ast.AnnAssign) else None
    return value is not None and any(isinstance(n, ast.Name) and n.id == "get_ipython"
                                     for n in ast.walk(value))


def _parsed(text: str) -> ast.Module | None:
    """``text``'s syntax tree, or None if it is not Python (or nested too deep to compile)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _without_magics(source: str) -> str:
    """``source`` as Python: IPython's magics, shell escapes and help requests dropped (a line
    becomes ``pass``, so a block keeps its body), ``%time stmt`` kept as ``stmt``; a cell magic
    whose body is not Python (``%%bash``, ``%%writefile``) drops the whole cell."""
    lines = source.splitlines()
    cell_magic = _CELL_MAGIC.match(lines[0]) if lines else None
    if cell_magic is not None:
        if cell_magic.group(1) not in _PYTHON_CELL_MAGICS:
            return ""
        lines[0] = ""
    out, continued = [], False
    for line in lines:
        if continued:  # the rest of a magic continued with a backslash
            out.append("")
        elif (timed := _TIMED.match(line)) is not None:
            out.append(timed.group(1) + timed.group(2))
        elif _MAGIC.match(line) or _ASSIGNED.match(line) or _HELP.match(line):
            out.append(line[:len(line) - len(line.lstrip())] + "pass")
        else:
            out.append(line)
            continue
        continued = line.rstrip().endswith("\\")
    return "\n".join(out)


def _kept_statements(source: str) -> list[str]:
    text, tree = source, _parsed(source)  # Python as it is: a `%` inside a string stays
    if tree is None:
        text = _without_magics(source)
        tree = _parsed(text)
    if tree is None:
        # not Python (or nested too deep to compile): a cell that defines something reaches the
        # learner's import as is, with its error; anything else is scratch work
        return [source.rstrip()] if _DEFINES.search(text) else []
    lines = text.splitlines()
    kept = []
    for node in tree.body:
        if not isinstance(node, _KEEP) or _course_helper(node) or _from_ipython(node):
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


def _load(path: Path) -> object:
    """``path``'s JSON, its size and its number of objects bounded before it is parsed."""
    try:
        data = read_regular(path, limit=NOTEBOOK_MAX_BYTES, what="the lesson's notebook")
    except UnreadableFile as error:
        raise NotebookUnreadable(str(error)) from None
    name = shown(path.name)
    if data.count(b"{") + data.count(b"[") > MAX_JSON_CONTAINERS:
        raise NotebookUnreadable(f"{name} holds more than {MAX_JSON_CONTAINERS:,} JSON objects: "
                                 "it is not a lesson's notebook")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotebookUnreadable(f"{name} is not a readable notebook (not UTF-8 text)") from None
    except RecursionError:
        raise NotebookUnreadable(f"{name} is not a readable notebook (its JSON is nested too "
                                 "deep)") from None
    except (ValueError, MemoryError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise NotebookUnreadable(f"{name} is not a readable notebook ({detail})") from None


def _fault(name: str, what: str) -> NotebookUnreadable:
    return NotebookUnreadable(f"{name} is not a valid Jupyter notebook ({what}): open it in "
                              "Jupyter, save it, and hand it in again")


def _code_cells(notebook: object, name: str) -> list[dict]:
    """The code cells of ``notebook``, its structure checked where the grader relies on it."""
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookUnreadable(f"{name} is not a Jupyter notebook (no cells)")
    version = notebook.get("nbformat", 4)
    if not isinstance(version, int) or isinstance(version, bool) or version < 4:
        raise _fault(name, f"nbformat {version!r}, not 4")
    if not isinstance(notebook.get("metadata", {}), dict):
        raise _fault(name, "its metadata is not an object")
    cells = []
    for number, cell in enumerate(notebook["cells"], start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type", ""), str):
            raise _fault(name, f"cell {number} is not a cell")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not (isinstance(source, str)
                or (isinstance(source, list) and all(isinstance(x, str) for x in source))):
            raise _fault(name, f"cell {number}'s source is not text")
        metadata = cell.get("metadata", {})
        if not isinstance(metadata, dict) or not isinstance(metadata.get("nbgrader", {}), dict):
            raise _fault(name, f"cell {number}'s metadata is not an object")
        cells.append(cell)
    return cells


def notebook_cells(path: Path) -> list[str]:
    """The sources of ``path``'s code cells, autograder test cells left out (nbgrader metadata).

    Raises :class:`NotebookUnreadable` (one line) for anything that is not a readable notebook:
    not a regular file, too large, not JSON, nested too deep, not nbformat 4's structure."""
    name = shown(path.name)
    sources = []
    for cell in _code_cells(_load(path), name):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            continue  # a test cell: the grader's own, whatever it holds
        source = cell.get("source", "")
        sources.append("".join(source) if isinstance(source, list) else source)
    size = sum(len(source.encode("utf-8", "surrogatepass")) for source in sources)
    if size > CODE_MAX_BYTES:
        raise NotebookUnreadable(f"{name}'s code cells hold {size / 2**20:.1f} MiB of code, more "
                                 f"than the {CODE_MAX_BYTES // 2**20} MiB of a lesson's file")
    return sources


def read_notebook(path: Path) -> tuple[str, str]:
    """The lesson module of the notebook at ``path`` and, if it is not a readable notebook, one
    line saying why (the module then fails at import with that line)."""
    try:
        return module_source(notebook_cells(path), origin=shown(path.name)), ""
    except NotebookUnreadable as error:
        return f"raise ImportError({str(error)!r})\n", str(error)


def notebook_module(path: Path) -> str:
    """The lesson module of the notebook at ``path``; an unreadable notebook becomes a module
    that fails at import with the reason, so the student's result says why (status error)."""
    return read_notebook(path)[0]
