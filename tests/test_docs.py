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
