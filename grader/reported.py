"""The facts that learner processes report about themselves, lesson by lesson.

A fact is reported (not judged from data) when code in the learner process could forge it by
rewriting the grader's probes there; the checks whose points rest on one declare it
(``@check(..., reported=...)``). ``python -m grader.reported`` prints the list as the README's
section "What the learner process can and cannot fake" shows it; the dev-check
(``tests/test_devcheck.py``) keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable

from grader.curriculum import Lesson, lessons


def facts(lesson: Lesson) -> dict[str, list[str]]:
    """Each fact the lesson's checks declare, with the ids of the checks that rest on it."""
    found: dict[str, list[str]] = {}
    for info in lesson.checks():
        for fact in info.reported:
            found.setdefault(fact, []).append(info.id)
    return found


def problems(lesson: Lesson) -> list[str]:
    """Checks whose points rest on a reported fact: a fact the learner process could forge
    never earns a point (judge it from data, or make the check worth 0)."""
    return [f"{lesson.name}: check `{info.id}` rests on a reported fact "
            f"({'; '.join(info.reported)}) but is worth {info.points:g} points: judge it from "
            "data the trusted side can verify, or make it worth 0"
            for info in lesson.checks() if info.reported and info.points]


def lines(course: Iterable[Lesson] | None = None) -> list[str]:
    """The README's list: ``- lesson N: <fact> (<check ids>)``, lesson by lesson."""
    return [f"- {lesson.name}: {fact} ({', '.join(f'`{c}`' for c in checks)})"
            for lesson in (lessons() if course is None else course)
            for fact, checks in facts(lesson).items()]


def main() -> None:
    """Print the list (for the README)."""
    print("\n".join(lines()))


if __name__ == "__main__":
    main()
