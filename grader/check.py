"""How a check is declared: a pytest test with a title, points and a hint.

    @check("fibonacci(0) is an empty int64 tensor", points=1, hint="...")
    def test_fibonacci_zero(learner, seed): ...

Checks raise :class:`CheckFailed` (usually through :mod:`grader.expect`) with a message in the
learner's terms; failures of the learner process itself arrive as
:class:`~grader.learner.failures.LearnerFailure` and fail the check the same way.

One mistake should cost the points of one function, so a check also says which exercise
functions it is about:

- ``grades``: the function(s) whose behaviour it judges (``"train_step"``);
- ``uses``: exercise functions the graded one calls, which the learner process replaces by the
  grader's reference versions (``course/<stem>/reference.py``) while this check runs, so
  that the check passes when the graded function itself is right (``uses=("mse_loss",)``);
- ``depends``: the learner's own functions a composition check runs unreplaced (a ``fit``, a
  held-out accuracy); when one of them fails its own checks, this check's message says first
  "depends on `mse_loss`, which fails its own checks: fix it first".

Most verdicts rest on data judged here (values, graphs, files). A few facts about the learner's
Python objects can only be reported by the learner process itself, which code there can rewrite;
a check whose points rest on one declares it, ``reported=("whether make_counter() returned a
tf.function",)``. :mod:`grader.reported` lists them per lesson (the dev-check compares that list
with the README's).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any


class CheckFailed(AssertionError):
    """A check's verdict: the learner's answer is wrong, and why."""


@dataclass(frozen=True)
class CheckInfo:
    """What a check is worth and how to help with it."""

    id: str
    title: str
    points: float
    hint: str
    grades: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    reported: tuple[str, ...] = ()


def _names(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def check(
    title: str,
    *,
    points: float,
    hint: str,
    grades: str | tuple[str, ...] = (),
    uses: str | tuple[str, ...] = (),
    depends: str | tuple[str, ...] = (),
    reported: str | tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a pytest test function as a graded check (see the module's docstring)."""

    def decorate(function: Callable[..., Any]) -> Any:
        info = CheckInfo(function.__name__.removeprefix("test_"), title, points, hint,
                         _names(grades), _names(uses), _names(depends), _names(reported))
        function.check_info = info  # type: ignore[attr-defined]
        return function

    return decorate


def check_info(function: Any) -> CheckInfo | None:
    """The :class:`CheckInfo` of a check function, or None for any other function."""
    info = getattr(function, "check_info", None)
    return info if isinstance(info, CheckInfo) else None


def checks_in(module: ModuleType) -> list[CheckInfo]:
    """The checks a lesson's check module declares, in the order they run."""
    found = [
        (_first_line(obj), obj.check_info)
        for name, obj in vars(module).items()
        if name.startswith("test_") and hasattr(obj, "check_info")
    ]
    return [info for _, info in sorted(found, key=lambda pair: pair[0])]


def _first_line(function: Any) -> int:
    """Where ``function`` starts in its file (its first decorator's line): read from its code,
    not from its source, which a batch would otherwise tokenise for every submission."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code.co_firstlineno if code is not None else inspect.getsourcelines(function)[1]
