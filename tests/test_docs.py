"""The repository's documents stand on their own: every link they make resolves inside the
repository (a clone has no ../shared), and the README shows the offline MNIST command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_resolves_inside_the_repository(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    assert "../shared" not in text
    for match in LINK.finditer(text):
        target = match["target"]
        if re.match(r"^[a-z]+:", target):
            continue  # a web address
        path = (document.parent / target).resolve()
        assert path.is_relative_to(REPO), f"{document.name} links {target}, outside the clone"
        assert path.exists(), f"{document.name} links {target}, which does not exist"


def test_the_readme_shows_the_offline_mnist_command_and_links_the_design() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "MNIST_DIR=/path/to/mnist grade lesson3" in readme
    assert "t10k-images-idx3-ubyte.gz" in readme and "t10k-labels-idx1-ubyte.gz" in readme
    assert "](docs/design.md)" in readme
    assert "grade reset lesson1" in readme
    design = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    for needed in ("## The curriculum", "## How a lesson is made", "### BEGIN SOLUTION"):
        assert needed in design


def test_course_notes_name_no_path_outside_the_repository() -> None:
    for note in sorted((REPO / "course").glob("*/notes.md")):
        assert "../shared" not in note.read_text(encoding="utf-8"), note.parent.name


def test_the_readme_starts_with_clone_venv_install_grade_in_that_order() -> None:
    """A learner types the Start block from the top: each step needs the one before it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme[readme.index("## Start"):]
    opened = start.index("```bash\n") + len("```bash\n")
    block = start[opened:start.index("```", opened)]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    steps = ["git clone ", "cd ", "python3 -m venv .venv", ". .venv/bin/activate",
             'pip install -e ".[cpu]"', "grade lesson1"]
    assert len(commands) == len(steps), commands
    for command, step in zip(commands, steps, strict=True):
        assert command.startswith(step), (command, step)
    folder = commands[0].split()[-1]  # the clone's folder is the one the next line enters
    assert commands[1] == f"cd {folder}", commands
