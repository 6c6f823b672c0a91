"""Mutation operators specific to TensorFlow code (planted bugs a numerical grader must catch).

cosmic-ray's core operators (see :mod:`grader.audit.mutants`) change Python's operators, numbers,
booleans and decorators; what they cannot express are the mistakes that TensorFlow code makes
with calls: arguments swapped (labels and logits), the wrong reduction (``reduce_sum`` for
``reduce_mean``), a call left out (``tape.watch``, ``writer.flush``, a ``clip``, a dataset's
``shuffle``), a term dropped (a bias, an epsilon), an input returned unchanged, or a constant of
the right shape returned. Each operator here yields text edits of one source span, found through
Python's own ``ast`` (whose positions are exact), so a mutant differs from the reference by
exactly one small change.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start:end]`` by ``text``; ``what`` says it in a few words."""

    start: int
    end: int
    text: str
    what: str


class Source:
    """A module's text with its syntax tree and exact character offsets of nodes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tree = ast.parse(text)
        self._line_starts = [0]
        for line in text.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))
        self._lines = text.splitlines(keepends=True)
        #: how the module names TensorFlow (for operators that add a call of it)
        self.tf = "tf" if "import tensorflow as tf" in text else "__import__('tensorflow')"

    def offset(self, line: int, col_bytes: int) -> int:
        """The character offset of ``ast``'s (1-based line, UTF-8 byte column)."""
        prefix = self._lines[line - 1].encode("utf-8")[:col_bytes].decode("utf-8", "replace")
        return self._line_starts[line - 1] + len(prefix)

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]


def _called_name(call: ast.Call) -> str:
    """The last part of a call's name: ``tf.reduce_mean(...)`` → ``reduce_mean``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _name_span(source: Source, call: ast.Call) -> tuple[int, int]:
    """Where the called name's last part stands."""
    func = call.func
    start, end = source.span(func)
    if isinstance(func, ast.Attribute):
        return end - len(func.attr), end
    return start, end


def _calls(source: Source) -> Iterator[ast.Call]:
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Call):
            yield node


#: TensorFlow (and Keras) names that a mistake swaps for their neighbour.
NAME_SWAPS: dict[str, str] = {
    "reduce_mean": "reduce_sum", "reduce_sum": "reduce_mean",
    "reduce_max": "reduce_min", "reduce_min": "reduce_max",
    "argmax": "argmin", "argmin": "argmax",
    "assign_sub": "assign_add", "assign_add": "assign_sub",
    "maximum": "minimum", "minimum": "maximum",
    "zeros": "ones", "ones": "zeros", "zeros_like": "ones_like", "ones_like": "zeros_like",
    "softmax": "sigmoid", "sigmoid": "softmax", "relu": "sigmoid", "tanh": "sigmoid",
    "max_pool2d": "avg_pool2d", "avg_pool2d": "max_pool2d",
    "matmul": "multiply",
    "compute_average_loss": "reduce_mean",
}

#: Calls that keep their first argument's shape: leaving one out is a classic mistake
#: (no clip, no activation, no cast, no stop_gradient).
UNWRAPPABLE = frozenset([
    "clip_by_value", "relu", "sigmoid", "softmax", "tanh", "cast", "identity", "stop_gradient",
    "round", "abs", "square", "sqrt", "exp", "log", "convert_to_tensor", "constant",
    "reshape", "transpose", "squeeze", "expand_dims", "resize", "roll",
])

#: Methods of a chain (``ds.shuffle(n).batch(b).prefetch(1)``) that a mistake leaves out.
CHAIN_METHODS = frozenset(["shuffle", "prefetch", "repeat", "batch", "map", "cache"])

#: Keyword values that mean the same kind of thing and get mixed up.
STRING_SWAPS: dict[str, str] = {"SAME": "VALID", "VALID": "SAME", "relu": "linear",
                                "softmax": "linear", "same": "valid", "valid": "same"}


def swap_call_name(source: Source) -> Iterator[Edit]:
    """``tf.reduce_mean`` → ``tf.reduce_sum`` and the other pairs of :data:`NAME_SWAPS`."""
    for call in _calls(source):
        name = _called_name(call)
        if name in NAME_SWAPS:
            start, end = _name_span(source, call)
            yield Edit(start, end, NAME_SWAPS[name], f"{name} → {NAME_SWAPS[name]}")


def swap_arguments(source: Source) -> Iterator[Edit]:
    """Two neighbouring positional arguments swapped; ``labels=``/``logits=`` values swapped."""
    for call in _calls(source):
        args = [a for a in call.args if not isinstance(a, ast.Starred)]
        for left, right in itertools.pairwise(args):
            (ls, le), (rs, re_) = source.span(left), source.span(right)
            a, b = source.text[ls:le], source.text[rs:re_]
            if a != b:
                text = b + source.text[le:rs] + a
                yield Edit(ls, re_, text, f"arguments {a!r} and {b!r} of "
                           f"{_called_name(call) or 'a call'} swapped")
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        for one, other in (("labels", "logits"), ("y_true", "y_pred"), ("x", "y")):
            if one in keywords and other in keywords:
                first, second = sorted((keywords[one], keywords[other]),
                                       key=lambda n: source.span(n)[0])
                (fs, fe), (ss, se) = source.span(first), source.span(second)
                text = source.text[ss:se] + source.text[fe:ss] + source.text[fs:fe]
                yield Edit(fs, se, text, f"{one}= and {other}= swapped")


def delete_call_statement(source: Source) -> Iterator[Edit]:
    """A statement that is only a call (``tape.watch(x)``, ``writer.flush()``) left out."""
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            start, end = source.span(node)
            yield Edit(start, end, "pass", f"the call {source.segment(node.value.func)}(…) "
                       "left out")


def unwrap_call(source: Source) -> Iterator[Edit]:
    """``tf.clip_by_value(x, a, b)`` → ``x`` (and the other calls of :data:`UNWRAPPABLE`);
    ``ds.shuffle(n).batch(b)`` → ``ds.batch(b)`` (the methods of :data:`CHAIN_METHODS`)."""
    for call in _calls(source):
        name = _called_name(call)
        func = call.func
        if name in CHAIN_METHODS and isinstance(func, ast.Attribute):
            start, end = source.span(call)
            yield Edit(start, end, source.segment(func.value), f".{name}(…) left out")
        elif name in UNWRAPPABLE and call.args and not isinstance(call.args[0], ast.Starred):
            start, end = source.span(call)
            yield Edit(start, end, f"({source.segment(call.args[0])})",
                       f"{name}(…) left out")


def drop_term(source: Source) -> Iterator[Edit]:
    """``a + b`` → ``a`` and → ``b`` (a bias, an epsilon); ``a * b`` and ``a / b`` → ``a``
    (a factor: the learning rate, a normalisation)."""
    for node in ast.walk(source.tree):
        if isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.MatMult
        ):
            start, end = source.span(node)
            left, right = source.segment(node.left), source.segment(node.right)
            yield Edit(start, end, f"({left})", f"the term {right!r} dropped")
            if isinstance(node.op, ast.Add | ast.Mult):
                yield Edit(start, end, f"({right})", f"the term {left!r} dropped")


def _functions(source: Source) -> Iterator[ast.FunctionDef]:
    for node in ast.walk(source.tree):
        if isinstance(node, ast.FunctionDef):
            yield node


def _returns(function: ast.FunctionDef) -> Iterator[ast.Return]:
    """The function's own returns (not those of functions nested in it)."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                          | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))


def return_input(source: Source) -> Iterator[Edit]:
    """``return expr`` → ``return <first argument>``: the input handed back unchanged."""
    for function in _functions(source):
        params = [a.arg for a in function.args.args if a.arg not in ("self", "cls")]
        if not params:
            continue
        for node in _returns(function):
            assert node.value is not None
            start, end = source.span(node.value)
            if source.text[start:end] != params[0]:
                yield Edit(start, end, params[0], f"{function.name} returns its input "
                           f"{params[0]!r} unchanged")


def return_constant(source: Source) -> Iterator[Edit]:
    """``return expr`` → ``return tf.zeros_like(expr)``: a hard-coded value of the right shape."""
    for function in _functions(source):
        for node in _returns(function):
            assert node.value is not None
            if isinstance(node.value, ast.Tuple | ast.List | ast.Dict | ast.Constant):
                continue
            start, end = source.span(node.value)
            yield Edit(start, end, f"{source.tf}.zeros_like({source.text[start:end]})",
                       f"{function.name} returns zeros of the right shape")


def swap_string_constant(source: Source) -> Iterator[Edit]:
    """``padding="SAME"`` → ``"VALID"``, ``activation="relu"`` → ``"linear"``."""
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value in STRING_SWAPS:
            start, end = source.span(node)
            quote = source.text[start]
            yield Edit(start, end, f"{quote}{STRING_SWAPS[node.value]}{quote}",
                       f"{node.value!r} → {STRING_SWAPS[node.value]!r}")


#: Our operators, by the name a report shows.
OPERATORS: dict[str, Callable[[Source], Iterator[Edit]]] = {
    "tf/SwapCallName": swap_call_name,
    "tf/SwapArguments": swap_arguments,
    "tf/DeleteCall": delete_call_statement,
    "tf/UnwrapCall": unwrap_call,
    "tf/DropTerm": drop_term,
    "tf/ReturnInput": return_input,
    "tf/ReturnConstant": return_constant,
    "tf/SwapString": swap_string_constant,
}
