"""Known survivors: mutants that cannot change behaviour, recorded in the lesson's folder.

``<lesson folder>/audit.toml``::

    [equivalent]
    "fit-NumberReplacer-9369d834" = "W's shape [0] broadcasts like [1] in W * x: same line"

Each key is a mutant's id (``grade audit`` prints it beside every survivor), each value one line
saying why no learner's answer could differ. A recorded mutant stops being reported; an id that
no mutant has any more is reported as stale, so the file cannot rot.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from grader.errors import SetupError

FILENAME = "audit.toml"


def equivalent_mutants(folder: Path) -> dict[str, str]:
    """The recorded equivalent mutants of the lesson in ``folder``: id → reason."""
    path = folder / FILENAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SetupError(f"{path}: not valid TOML ({error}): fix the file") from None
    table = data.get("equivalent", {})
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in table.items()
    ):
        raise SetupError(f"{path}: [equivalent] must map each mutant id to a one-line reason")
    return {key: value.strip() for key, value in table.items()}
