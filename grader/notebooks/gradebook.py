"""``grade batch --nbgrader-db PATH``: the batch's scores into nbgrader's gradebook.

Through nbgrader's own API (:class:`nbgrader.api.Gradebook`): for every notebook of nbgrader's
``submitted/`` folder that the batch graded, the student and the submission are created if
needed, and each autograder cell's grade (``check-<id>``, as ``grade notebooks`` names them)
gets the check's points as its ``auto_score``. The assignments and notebooks must already be in
that gradebook (``nbgrader generate_assignment`` puts them there).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from grader.batch.discovery import nbgrader_submitted, notebook_lesson
from grader.batch.records import LessonRecord
from grader.errors import SetupError

CHECK_PREFIX = "check-"


@dataclass(frozen=True)
class Written:
    notebooks: int
    grades: int


def check_database(path: Path) -> None:
    """Fail before grading when ``path`` cannot be nbgrader's gradebook."""
    if not path.is_file():
        raise SetupError(f"--nbgrader-db {path}: no such file; pass the gradebook.db of the "
                         "nbgrader course (created by `nbgrader generate_assignment`)")
    try:
        import nbgrader.api  # noqa: F401
    except ImportError:
        raise SetupError("--nbgrader-db needs nbgrader: pip install -e \".[notebooks]\" in the "
                         "course folder") from None


def write_scores(path: Path, submissions: Path, records: list[LessonRecord]) -> Written:
    """Write ``records`` of the notebooks under ``submissions`` into the gradebook at ``path``."""
    from nbgrader.api import Gradebook, MissingEntry

    base = nbgrader_submitted(submissions)
    if base is None:
        raise SetupError(f"--nbgrader-db: {submissions} is not nbgrader's submitted/ layout "
                         "(submitted/<student>/<assignment>/<notebook>.ipynb)")
    by_key = {(record.student, record.lesson): record for record in records}
    notebooks = grades = 0
    # nbgrader's own SQLAlchemy use warns ("not in session") on add_submission: not ours to fix
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{path.resolve()}") as book:
        warnings.simplefilter("ignore")
        for student in sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink()):
            for folder in sorted(p for p in student.iterdir()
                                 if p.is_dir() and not p.is_symlink()):
                for notebook in sorted(folder.glob("*.ipynb")):
                    lesson = notebook_lesson(folder.name, notebook.stem)
                    record = by_key.get((student.name, lesson.stem)) if lesson else None
                    if record is None:
                        continue
                    try:
                        book.find_notebook(notebook.stem, folder.name)
                    except MissingEntry:
                        raise SetupError(
                            f"--nbgrader-db: the gradebook has no notebook {notebook.stem} in "
                            f"assignment {folder.name}: run `nbgrader generate_assignment "
                            f"{folder.name}` in that course first") from None
                    book.update_or_create_student(student.name)
                    try:
                        book.find_submission(folder.name, student.name)
                    except MissingEntry:
                        book.add_submission(folder.name, student.name)
                    points = {CHECK_PREFIX + c.id: c.points for c in record.checks}
                    for cell in book.find_notebook(notebook.stem, folder.name).grade_cells:
                        if cell.name not in points:
                            continue
                        grade = book.find_grade(cell.name, notebook.stem, folder.name,
                                                student.name)
                        grade.auto_score = points[cell.name]
                        grades += 1
                    book.db.commit()
                    notebooks += 1
    return Written(notebooks, grades)
