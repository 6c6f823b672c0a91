"""The grader version an autograder carries: the release and a digest of the package's files.

The digest is taken over the ``grader/`` files of the wheel when the zip is built, and over the
installed package inside the container, so the container provably runs exactly that grader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import grader


def digest_of(files: Iterable[tuple[str, bytes]]) -> str:
    """sha256 over ``(path inside the package, bytes)`` pairs, in path order."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _kept(relative: str) -> bool:
    parts = relative.split("/")
    return "__pycache__" not in parts and not relative.endswith((".pyc", ".pyo"))


def wheel_files(wheel: Path) -> list[tuple[str, bytes]]:
    """The ``grader/`` files of a wheel."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()
                if name.startswith("grader/") and not name.endswith("/") and _kept(name)]


def installed_files() -> list[tuple[str, bytes]]:
    """The files of the ``grader`` package this process imported."""
    package = Path(grader.__file__).resolve().parent
    found = []
    for path in package.rglob("*"):
        relative = "grader/" + path.relative_to(package).as_posix()
        if path.is_file() and _kept(relative):
            found.append((relative, path.read_bytes()))
    return found


def installed_digest() -> str:
    return digest_of(installed_files())
