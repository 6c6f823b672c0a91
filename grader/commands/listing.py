"""``grade list``: every lesson, its file, and the learner's best score so far."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader import history
from grader.curriculum import lessons
from grader.workspace import find_root

_LESSON, _BEST, _STATUS = len("lesson10"), len("26/26"), len("not graded yet")


def main(*, console: Console) -> int:
    root = find_root()
    scores = history.load(root) if root else {}
    table = Table(title="Lessons", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    every = lessons()
    # The file is what a learner opens: never wrapped or cut, whatever the terminal's width.
    file_width = max(len(lesson.filename) for lesson in every)
    # A title on one line beside its file, when the terminal is that wide; else under the file
    # name, in the file's column (wide enough for any title word: none breaks mid-word).
    one_line = (_LESSON + max(len(lesson.title) for lesson in every) + file_width + _BEST
                + _STATUS + 2 * 4)
    beside = console.width >= one_line
    table.add_column("Lesson", no_wrap=True)
    if beside:
        table.add_column("Title", ratio=1, overflow="fold")
        table.add_column("File in exercises/", no_wrap=True, overflow="ignore",
                         min_width=file_width)
    else:
        table.add_column("File in exercises/ and title", overflow="fold", min_width=file_width)
    table.add_column("Best", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for lesson in every:
        possible = lesson.max_points
        best = history.best_of(scores.get(lesson.stem))  # a damaged history: not graded
        if root is None or not (root / "exercises" / lesson.filename).exists():
            status = "[dim]file missing[/]"
        elif best is None:
            status = "not graded yet"
        elif best >= possible:
            status = "[green]complete[/]"
        else:
            status = "[yellow]in progress[/]"
        shown = f"{best:g}/{possible:g}" if best is not None else f"–/{possible:g}"
        if beside:
            table.add_row(lesson.name, lesson.title, lesson.filename, shown, status)
        else:
            table.add_row(lesson.name, f"{lesson.filename}\n[dim]{escape(lesson.title)}[/]",
                          shown, status)
    console.print(table)
    if root is None:
        console.print("[dim]No exercises/ folder here: run grade list inside the course "
                      "folder.[/]", soft_wrap=True)
        return 0
    missing = [lesson for lesson in every if not (root / "exercises" / lesson.filename).exists()]
    if missing:
        console.print(f"A missing file comes back with: [bold]grade reset {missing[0].name}[/]",
                      soft_wrap=True)
    left = history.unfinished(root)
    if left:
        console.print(f"Grade a lesson with: [bold]grade {left[0].name}[/]", soft_wrap=True)
    else:
        console.print("[green]You have finished every lesson.[/]", soft_wrap=True)
    return 0
