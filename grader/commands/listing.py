"""``grade list``: every lesson, its file, and the learner's best score so far."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from grader import history
from grader.curriculum import lessons
from grader.workspace import find_root


def main(*, console: Console) -> int:
    root = find_root()
    scores = history.load(root) if root else {}
    table = Table(title="Lessons", title_justify="left")
    for column in ("Lesson", "Title", "File", "Best", "Status"):
        table.add_column(column, justify="right" if column == "Best" else "left")
    for lesson in lessons():
        possible = lesson.max_points
        entry = scores.get(lesson.stem) or {}
        best = entry.get("best") if isinstance(entry, dict) else None
        if type(best) not in (int, float):  # a damaged history shows as not graded
            best = None
        if root is None or not (root / "exercises" / lesson.filename).exists():
            status = "[dim]file missing[/]"
        elif best is None:
            status = "not graded yet"
        elif best >= possible:
            status = "[green]complete[/]"
        else:
            status = "[yellow]in progress[/]"
        shown = f"{best:g}/{possible:g}" if best is not None else f"–/{possible:g}"
        table.add_row(lesson.name, lesson.title, f"exercises/{lesson.filename}", shown, status)
    console.print(table)
    if root is None:
        console.print("[dim]No exercises/ folder here: run grade list inside the course folder.[/]")
    else:
        console.print("[dim]Grade a lesson with: grade lesson1[/]")
    return 0
