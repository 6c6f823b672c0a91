"""``grade release --out DIR``: the student release of the course served."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from grader.authoring.release import make_release
from grader.course import active_root
from grader.curriculum import lessons
from grader.workspace import display_path


def main(*, out: Path, console: Console, with_reference: bool = True,
         force: bool = False) -> int:
    """Write the release; say what it carries (and what it leaves out); return 0."""
    every = list(lessons())
    release = make_release(active_root(), every, out, with_reference=with_reference,
                           force=force)
    console.print(f"Wrote {display_path(release.out)}: {len(every)} lesson(s), "
                  f"{len(release.files)} files: the manifest, exercises/ (stubs), each "
                  "lesson's notes and visible checks; no solutions/, no tests, no hidden "
                  "checks.", soft_wrap=True)
    for name, helpers in release.references.items():
        console.print(f"  {name}: carries reference helpers {', '.join(helpers)} (answers: "
                      "checks use them in place of the student's); --without-reference "
                      "keeps them out", soft_wrap=True)
    for name, helpers in release.kept_out.items():
        console.print(f"  {name}: reference helpers kept out ({', '.join(helpers)}): checks "
                      "that use them run the student's own and say \"depends on ...\" when "
                      "one fails; grade with the full course in `grade batch` or Gradescope",
                      soft_wrap=True)
    console.print(f"Students: cd {display_path(release.out)}; grade list; grade "
                  f"{every[0].name if every else 'lesson1'}", soft_wrap=True)
    return 0
