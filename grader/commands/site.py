"""``grade site``: build the course site into a folder that opens from disk."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader.errors import SetupError


def main(*, out: Path | None, console: Console, figures: bool = True) -> int:
    try:
        from grader.sitebuild import build_site
    except ImportError as error:
        raise SetupError(
            f"building the site needs {error.name or 'more packages'}: "
            'pip install -e ".[site]" in the course folder'
        ) from None
    def progress(text: str) -> None:
        console.print(f"[dim]… {escape(text)}[/]", soft_wrap=True)

    report = build_site(out, figures=figures, on_progress=progress)
    index = (report.out / "index.html").resolve()
    cached = "" if report.figure_lessons_made else " (all from the cache)"
    console.print(
        f"Built {len(report.pages)} pages and {report.figures} figures{cached} "
        f"in {report.seconds:.1f} s: open", soft_wrap=True,
    )
    console.print(f"  {index.as_uri()}", soft_wrap=True)  # whole, to copy into a browser
    if report.figures_missing:
        console.print(
            f"[yellow]{len(report.figures_missing)} figures need MNIST[/] "
            "(set MNIST_DIR to a folder with the MNIST files and build again): "
            + ", ".join(report.figures_missing),
            soft_wrap=True,
        )
    return 0
