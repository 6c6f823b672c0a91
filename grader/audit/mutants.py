"""Planted bugs: variants of a reference solution that each differ from it by one small change.

Two sources of operators:

- **cosmic-ray's core operators** (``cosmic_ray.mutating.mutate_code``, a well-kept mutation
  library): arithmetic and comparison operators replaced, unary operators and booleans flipped,
  numbers moved by one (an axis, an index, a constant), a decorator removed (``@tf.function``),
  a ``for`` loop that never runs. We take the subset that makes sense for numerical code
  (:data:`CORE_OPERATORS`): cosmic-ray also offers bit shifts and ``is`` comparisons, which only
  multiply mutants that say nothing about a TensorFlow lesson.
- **our TensorFlow operators** (:mod:`grader.audit.tf_operators`), for what cosmic-ray has no
  operator for: swapped arguments, the wrong reduction, a call left out, a dropped term, an input
  returned unchanged, a constant of the right shape.

Only code between a solution's ``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers is
mutated (the learner's part: docstrings, imports and the stub's frame stay as they are), every
mutant compiles, and two operators that give the same source give one mutant.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from grader.audit import tf_operators
from grader.errors import SetupError
from grader.stubs import Region, solution_regions

#: cosmic-ray's operators we use, by its names (``core/…``).
CORE_OPERATORS: tuple[str, ...] = (
    "core/ReplaceBinaryOperator_Add_Sub", "core/ReplaceBinaryOperator_Sub_Add",
    "core/ReplaceBinaryOperator_Mul_Div", "core/ReplaceBinaryOperator_Div_Mul",
    "core/ReplaceBinaryOperator_Mul_Add", "core/ReplaceBinaryOperator_Pow_Mul",
    "core/ReplaceBinaryOperator_FloorDiv_Div", "core/ReplaceBinaryOperator_Div_FloorDiv",
    "core/ReplaceBinaryOperator_Mod_FloorDiv",
    "core/ReplaceComparisonOperator_Lt_LtE", "core/ReplaceComparisonOperator_LtE_Lt",
    "core/ReplaceComparisonOperator_Gt_GtE", "core/ReplaceComparisonOperator_GtE_Gt",
    "core/ReplaceComparisonOperator_Eq_NotEq", "core/ReplaceComparisonOperator_NotEq_Eq",
    "core/ReplaceComparisonOperator_Is_IsNot", "core/ReplaceComparisonOperator_IsNot_Is",
    "core/ReplaceUnaryOperator_USub_UAdd", "core/ReplaceUnaryOperator_Delete_USub",
    "core/ReplaceUnaryOperator_Delete_Not",
    "core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue",
    "core/ReplaceAndWithOr", "core/ReplaceOrWithAnd", "core/AddNot",
    "core/NumberReplacer", "core/RemoveDecorator", "core/ZeroIterationForLoop",
)

#: Occurrences of one operator tried at the most (a guard against a runaway operator).
MAX_OCCURRENCES = 500


@dataclass(frozen=True)
class Mutant:
    """One planted bug: the reference's source with one change."""

    operator: str  # "core/NumberReplacer", "tf/SwapCallName", ...
    function: str  # the exercise function it touches ("<module>" for solution-only state)
    line: int  # 1-based, in the reference solution
    what: str  # the change in a few words
    source: str

    change: str = ""  # the changed lines, old and new: what the id is made from
    repeat: int = 1  # the same change to the same text elsewhere in the function: 2, 3, …

    @property
    def id(self) -> str:
        """A short name that stays the same while the lines it changes do (an edit elsewhere
        in the solution does not rename it): function, operator and a digest of the change."""
        digest = hashlib.sha256(self.change.encode("utf-8")).hexdigest()[:8]
        again = f"-{self.repeat}" if self.repeat > 1 else ""
        return f"{self.function}-{self.operator.split('/')[-1]}-{digest}{again}"

    def diff(self, original: str, name: str = "solution") -> str:
        """The change as a unified diff against ``original``."""
        return "".join(difflib.unified_diff(
            original.splitlines(keepends=True), self.source.splitlines(keepends=True),
            f"{name} (reference)", f"{name} (mutant)", n=1,
        ))


def _changed_lines(original: str, mutated: str) -> tuple[int, int] | None:
    """The first and last 1-based lines of ``original`` that the mutation changed."""
    old, new = original.splitlines(), mutated.splitlines()
    first = 0
    while first < min(len(old), len(new)) and old[first] == new[first]:
        first += 1
    if first == len(old) == len(new):
        return None
    last_old, last_new = len(old) - 1, len(new) - 1
    while last_old >= first and last_new >= first and old[last_old] == new[last_new]:
        last_old, last_new = last_old - 1, last_new - 1
    return first + 1, max(first, last_old) + 1


def _change(original: str, mutated: str, lines: tuple[int, int]) -> tuple[str, str]:
    """The changed lines of ``original`` and what stands there in ``mutated``."""
    old = original.splitlines()
    new = mutated.splitlines()
    first, last = lines
    tail = len(old) - last  # unchanged lines after the change, in both
    return "\n".join(old[first - 1: last]), "\n".join(new[first - 1: len(new) - tail])


def _region_of(regions: list[Region], lines: tuple[int, int]) -> Region | None:
    """The solution region holding lines ``lines`` (1-based, inclusive), if one does."""
    first, last = lines
    for region in regions:
        if region.begin + 1 < first and last < region.end + 1:
            return region
    return None


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _core_candidates(original: str) -> Iterator[tuple[str, str, str]]:
    """(operator, mutated source, what) for each occurrence of each core operator."""
    try:
        from cosmic_ray.mutating import mutate_code
        from cosmic_ray.plugins import get_operator
    except ImportError:
        raise SetupError("grade audit needs cosmic-ray's mutation operators: "
                         'pip install -e ".[audit]"') from None

    for name in CORE_OPERATORS:
        operator = get_operator(name)()
        for occurrence in range(MAX_OCCURRENCES):
            try:
                mutated = mutate_code(original, operator, occurrence)
            except Exception:  # an operator that cannot handle some syntax: no mutant there
                break
            if mutated is None:
                break
            yield name, mutated, ""


def _tf_candidates(original: str) -> Iterator[tuple[str, str, str]]:
    source = tf_operators.Source(original)
    for name, operator in tf_operators.OPERATORS.items():
        for edit in operator(source):
            yield name, original[: edit.start] + edit.text + original[edit.end:], edit.what


def generate(original: str, path: str | None = None,
             operators: Iterable[str] | None = None) -> list[Mutant]:
    """Every distinct, compiling mutant of ``original`` whose change lies inside a solution
    region, in a stable order. ``operators``: only these names (default: all)."""
    regions = solution_regions(original, path)
    wanted = set(operators) if operators is not None else None
    seen = {original}
    ids: set[str] = set()
    found: list[Mutant] = []
    for name, mutated, what in (*_core_candidates(original), *_tf_candidates(original)):
        if (wanted is not None and name not in wanted) or mutated in seen:
            continue
        lines = _changed_lines(original, mutated)
        region = _region_of(regions, lines) if lines else None
        if region is None or not _compiles(mutated):
            continue
        seen.add(mutated)
        old, new = _change(original, mutated, lines)
        mutant = Mutant(name, region.function or "<module>", lines[0],
                        what or f"`{old.strip()}` → `{new.strip()}`", mutated,
                        change=f"{old}\n→\n{new}")
        while mutant.id in ids:  # two identical lines changed alike: number them in order
            mutant = dataclasses.replace(mutant, repeat=mutant.repeat + 1)
        ids.add(mutant.id)
        found.append(mutant)
    return found


def sample(mutants: list[Mutant], count: int, salt: str = "") -> list[Mutant]:
    """At most ``count`` mutants, the same ones on every run, spread first over the functions
    and then over the operators within each (round-robin, each in a stable shuffled order)."""
    if count >= len(mutants):
        return list(mutants)

    def order(key: str) -> str:
        return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()

    by_function: dict[str, dict[str, list[Mutant]]] = {}
    for mutant in sorted(mutants, key=lambda m: order(m.id)):
        by_function.setdefault(mutant.function, {}).setdefault(mutant.operator, []).append(mutant)
    queues = [[group for _, group in sorted(groups.items(), key=lambda kv: order(kv[0]))]
              for _, groups in sorted(by_function.items(), key=lambda kv: order(kv[0]))]
    chosen: list[Mutant] = []
    while len(chosen) < count:
        for queue in queues:
            while queue and not queue[0]:
                queue.pop(0)
            if queue and len(chosen) < count:
                chosen.append(queue[0].pop(0))
                queue.append(queue.pop(0))  # this function's next operator next time
    return chosen
