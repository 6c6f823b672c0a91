"""The lessons as Jupyter notebooks for nbgrader, and notebooks back into lesson code.

- :func:`write_notebooks`: every lesson as an nbgrader notebook (``grade notebooks``);
- :mod:`grader.notebooks.extract`: a notebook's code as the lesson module the grader imports
  (used by the notebooks' autograder cells and by ``grade batch`` over nbgrader's ``submitted/``);
- :mod:`grader.notebooks.cell`: what an autograder cell runs in the notebook's kernel;
- :mod:`grader.notebooks.gradebook`: ``grade batch --nbgrader-db``, scores into nbgrader's
  gradebook.
"""

from __future__ import annotations

import os
from pathlib import Path

from grader.curriculum import Lesson, lessons


def course_root() -> Path:
    """The folder of the course served (see :mod:`grader.course`): course/, solutions/..."""
    from grader.course import active_root

    return active_root()


def write_notebooks(out: Path, *, with_solutions: bool, root: Path | None = None,
                    chosen: list[Lesson] | None = None) -> list[Path]:
    """Write ``<out>/<lesson stem>.ipynb`` for each lesson; return the paths written."""
    import nbformat

    from grader.notebooks.build import lesson_notebook

    root = root or course_root()
    notebooks = [(lesson, lesson_notebook(lesson, root, with_solutions=with_solutions))
                 for lesson in (chosen or lessons())]  # all built before anything is written
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson, notebook in notebooks:
        path = out / f"{lesson.stem}.ipynb"
        temporary = path.with_name(f".{path.name}.tmp")
        nbformat.write(notebook, str(temporary))
        os.replace(temporary, path)
        written.append(path)
    return written
