"""Warm-up: graphs, variables and Fibonacci.

Checks for ``exercises/lesson1_warmup.py``: ``make_counter()`` and ``fibonacci(n)``.
"""

from __future__ import annotations

import numpy as np

from grader.check import check
from grader.expect import NUMERIC_KINDS, TENSOR_KINDS, describe, expect_array, expect_close, fail
from grader.graphs import GraphError, op_types
from grader.learner.explain import advice_for
from grader.learner.failures import LearnerFailure, LearnerRaised
from grader.learner.wire import Array
from grader.pytest_plugin import seed_for

PROBES = "lesson1_warmup"
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
#: Ops that compute something; a graph without any of them only moves constants around
#: (writing Python-computed numbers into a TensorArray is no computation either).
ARITHMETIC_OPS = frozenset(
    ["MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Add", "AddV2", "AddN", "Mul",
     "Sub", "Sum", "Cumsum", "Einsum"]
)
#: Ops through which a graph uses a tf.Variable it captured (reads and updates).
VARIABLE_OPS = frozenset(
    ["ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"]
)
#: What the learner process reports and the grader cannot check outside (see grader.reported).
TENSOR_FACT = ("whether fibonacci's result was a tf.Tensor, not a numpy array of the same "
               "values")
LARGEST_N = 93  # F(92) = 7540113804746346429 is the largest Fibonacci number in int64


def fibonacci_reference(n: int) -> np.ndarray:
    numbers, a, b = [], 0, 1
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    return np.array(numbers, dtype=np.int64)


def _counter(learner, calls: int, counters: int = 1, trace: bool = False) -> dict:
    """What the counters did: one run per grading for each ``calls, counters, trace``, shared
    by the checks that judge it (the counter's first three calls, its type and its graph)."""
    return learner.run_once(
        f"{PROBES}:counter", label="make_counter()", seed=seed_for(f"{PROBES}::counter"),
        calls=calls, counters=counters, trace=trace,
    )


def _raise_learners(description: dict, key: str) -> None:
    """Raise the learner's exception that the probe described under ``key``, if any: as if the
    call had raised it here (the probe caught it so that the other checks of the same run are
    judged on what did work)."""
    error = description.get(key)
    if error is not None:
        error = error if type(error) is dict else {}
        raise LearnerRaised(str(error.get("where") or "make_counter()"), error)


def _graph_ops(description: dict, label: str) -> set[str]:
    """The op types of the graph the learner exported, read here (see :mod:`grader.graphs`)."""
    graph = description.get("graph")
    if not isinstance(graph, Array) or graph.dtype != "uint8" or graph.array.ndim != 1:
        fail(f"{label} was not exported: the grader got {describe(graph)}")
    try:
        return set(op_types(graph.array.tobytes()))
    except GraphError as error:
        fail(f"{label}: {error}")


def _counter_values(description: dict) -> list[int]:
    _raise_learners(description, "call_error")
    values = []
    for value in description["values"]:
        label = "each call of the counter"
        if not isinstance(value, Array) or value.shape != () or value.dtype not in INTEGER_DTYPES:
            fail(f"{label} should return a scalar integer tensor, got {describe(value)}")
        values.append(int(value.array))
    return values


def _fibonacci(learner, n: int, *, again: bool = False) -> object:
    """``fibonacci(n)``: called once per grading for each n, the checks that judge it sharing
    the answer; ``again`` calls it anew (to see whether a second call gives the same)."""
    run = learner.run if again else learner.run_once
    return run(f"{PROBES}:call", label=f"fibonacci({n})", seed=seed_for(f"{PROBES}::fibonacci"),
               name="fibonacci", args=[n])


def _expect_tensor(value: object, *, label: str, **expected) -> np.ndarray:
    """Like :func:`expect_array`, with the fix for the usual wrong kinds of answer.

    Any array counts here: whether it was a tf.Tensor or a numpy array of the same numbers only
    the learner process can report, so that is judged by its own check, worth no points
    (``fibonacci_returns_tensor``)."""
    if type(value) in (list, tuple):
        fail(f"{label} should return one tf.Tensor, got {describe(value)}: tf.stack the "
             "numbers into one tensor")
    return expect_array(value, label=label, kinds=NUMERIC_KINDS, **expected)


def _numbers(array: np.ndarray, n: int) -> np.ndarray:
    """The numbers of a result, as a vector: shape (n, 1) or (1, n) is judged by the dtype and
    shape check, not a second time here."""
    return array.reshape(n) if array.ndim > 1 and array.size == n else array


def _plural(n: int) -> str:
    return f"{n} number" if n == 1 else f"{n} numbers"


def _same(value: object, array: np.ndarray) -> bool:
    """Whether ``value`` is an array equal to ``array`` in shape, dtype and values."""
    return (isinstance(value, Array) and value.shape == array.shape
            and value.dtype == str(array.dtype) and np.array_equal(value.array, array))


@check(
    "the counter counts 1, 2, 3",
    points=2,
    hint="Create count = tf.Variable(0) in make_counter, then return an inner @tf.function that "
    "does `return count.assign_add(1)`.",
    grades="make_counter",
)
def test_counter_counts(learner):
    description = _counter(learner, calls=3, trace=True)
    if not description["callable"]:
        fail(f"make_counter() should return a function, got a {description['kind']}")
    values = _counter_values(description)
    if values == [1, 1, 1]:
        fail(
            "the counter returned 1, 1, 1: its state is not kept between calls. In a tf.function "
            "Python statements such as `count += 1` or `count = count + 1` run only while "
            "tracing; keep the count in a tf.Variable and update it with count.assign_add(1)"
        )
    if values != [1, 2, 3]:
        fail(f"three calls of the counter should return 1, 2, 3, got {values}")


@check(
    "make_counter returns a tf.function (reported by your process: no points)",
    points=0,
    hint="Decorate the inner function with @tf.function: that is what builds the graph "
    "(the blueprint of 2016).",
    grades="make_counter",
    reported="whether make_counter() returned a tf.function",
)
def test_counter_is_tf_function(learner):
    description = _counter(learner, calls=3, trace=True)
    if not description["is_tf_function"]:
        got = ("a plain Python function" if description["kind"] in ("function", "method")
               else f"a {description['kind']} that is not a tf.function")
        fail(
            "make_counter() should return a tf.function (decorate the inner function with "
            f"@tf.function), got {got}"
        )


@check(
    "the counter's graph updates a tf.Variable",
    points=2,
    hint="The variable must be created outside the traced function and updated inside it "
    "with assign_add (or assign), so the update is an op of the graph.",
    grades="make_counter",
)
def test_counter_graph_updates_variable(learner):
    # Judged on the graph the counter's code gives when traced, by the learner's @tf.function
    # or, when that is missing, by the grader's: the missing decorator is the previous check's.
    description = _counter(learner, calls=3, trace=True)
    if not description["callable"]:
        fail(f"make_counter() should return a function, got a {description['kind']}")
    _raise_learners(description, "trace_error")
    ops = _graph_ops(description, "the counter's graph")
    if not ops & VARIABLE_OPS:
        fail("the counter's graph uses no tf.Variable: keep the count in a tf.Variable")
    if not ops & {"AssignAddVariableOp", "AssignVariableOp"}:
        fail(
            "the counter's graph reads the variable but never updates it: use "
            "count.assign_add(1) inside the tf.function"
        )


@check(
    "each counter has its own count",
    points=1,
    hint="Create the tf.Variable inside make_counter (not at module level), so that every "
    "counter gets a new one.",
    grades="make_counter",
)
def test_counters_are_independent(learner):
    # Judged on independence only: two counters called in turn must each return what it would
    # alone. What one counter returns (1, 2, 3 or not) is the first check's business.
    description = _counter(learner, calls=4, counters=2)
    if not description["callable"]:
        fail(f"make_counter() should return a function, got a {description['kind']}")
    values = _counter_values(description)
    if values[0::2] == values[1::2]:
        return
    if values == list(range(values[0], values[0] + 4)):
        fail(
            f"two new counters called in turn returned {', '.join(map(str, values))}, where "
            "1, 1, 2, 2 was expected: they share one count. Create the tf.Variable inside "
            "make_counter, so that each counter gets its own"
        )
    fail(f"two new counters called in turn should return 1, 1, 2, 2, got {values}")


@check(
    "fibonacci(n) returns the first n Fibonacci numbers",
    points=2,
    hint="Start from [[0], [1]]; on each step record the top value, then multiply by "
    "[[0, 1], [1, 1]]. The first numbers are 0, 1, 1, 2, 3, 5.",
    grades="fibonacci",
)
def test_fibonacci_values(learner):
    for n in (1, 2, 3, 10):
        label = f"fibonacci({n})"
        first = _expect_tensor(_fibonacci(learner, n), label=label)
        array = _numbers(first, n)
        expected = fibonacci_reference(n)
        if array.shape != expected.shape:
            fail(f"{label} should hold {_plural(n)}, got shape {array.shape}")
        if np.array_equal(array, expected):
            continue
        if not _same(_fibonacci(learner, n, again=True), first):
            fail(
                f"calling {label} twice gave different numbers: does fibonacci start again "
                "from [[0], [1]] on every call? Assign the start value to the state at the "
                "beginning of fibonacci"
            )
        expect_close(array, expected, label=label)


@check(
    "fibonacci returns a tf.Tensor (reported by your process: no points)",
    points=0,
    hint="Return the tensor itself: tf.stack(numbers), not numbers.numpy() or np.array(...).",
    grades="fibonacci",
    reported=TENSOR_FACT,
)
def test_fibonacci_returns_tensor(learner):
    value = _fibonacci(learner, 10)
    if isinstance(value, Array) and value.kind not in TENSOR_KINDS:
        kind = "numpy array" if value.kind == "ndarray" else value.kind
        fail(f"fibonacci(10) should return a tf.Tensor, got a {kind} of shape {value.shape} "
             f"{value.dtype}: return the tensor itself (without .numpy() or np.array)")


@check(
    "fibonacci(n) is a 1-D int64 tensor of shape (n,)",
    points=2,
    hint="Create the state and the step matrix with dtype=tf.int64, and tf.stack the recorded "
    "values into one vector.",
    grades="fibonacci",
)
def test_fibonacci_dtype_and_shape(learner):
    value = _fibonacci(learner, 10)
    array = _expect_tensor(value, label="fibonacci(10)")
    if array.ndim > 1 and array.size == 10:
        fail(
            f"fibonacci(10): expected shape (10,) int64, got {array.shape} {array.dtype}: stack "
            "scalars such as state[0, 0] (not rows such as state[0]), or tf.reshape the result "
            "to [-1]"
        )
    _expect_tensor(value, label="fibonacci(10)", shape=(10,), dtype="int64")


@check(
    "fibonacci(0) is an empty tensor of the same dtype (int64)",
    points=1,
    hint="An empty list gives a float32 tensor (tf.stack([]), tf.constant([])) or an error "
    "(tf.concat([], 0)): return tf.zeros([0], dtype=tf.int64) when n == 0.",
    grades="fibonacci",
)
def test_fibonacci_zero(learner):
    try:
        value = _fibonacci(learner, 0)
    except LearnerRaised as error:
        if error.type == "NotImplementedError":
            raise
        fail(f"{error.message}\nHandle n == 0 first: return tf.zeros([0], dtype=tf.int64)")
    array = _expect_tensor(value, label="fibonacci(0)")
    # The dtype of the other results is judged by its own check: an empty tensor of that same
    # dtype is not a second mistake here. (tf.constant([]) alone is float32: that one is.)
    try:
        one = _fibonacci(learner, 1)
    except LearnerFailure:
        one = None
    dtypes = {"int64"}
    wanted = "int64"
    if isinstance(one, Array) and one.kind in TENSOR_KINDS and one.dtype != "int64":
        dtypes.add(one.dtype)
        wanted = f"int64 (or {one.dtype}, like fibonacci(1))"
    if array.shape == (0,) and str(array.dtype) in dtypes:
        return
    message = (f"fibonacci(0) should be an empty tensor of shape (0,) {wanted}, got "
               f"{array.shape} {array.dtype}")
    if array.shape == (0,) and array.dtype == np.float32:
        message += (": an empty list becomes a float32 tensor (tf.stack([]) or tf.constant([]) "
                    "without dtype); return tf.zeros([0], dtype=tf.int64) when n == 0")
    fail(message)


@check(
    "fibonacci(-1) raises ValueError",
    points=1,
    hint="Start with: if n < 0: raise ValueError(...)",
    grades="fibonacci",
)
def test_fibonacci_negative(learner):
    try:
        value = _fibonacci(learner, -1)
    except LearnerRaised as error:
        if error.type == "NotImplementedError":
            raise
        if error.type == "AssertionError":
            fail("fibonacci(-1) should raise ValueError, but raised AssertionError: an assert "
                 "is not a ValueError; write `if n < 0: raise ValueError(...)`")
        if error.type != "ValueError":
            fail(f"fibonacci(-1) should raise ValueError, but raised {error.type}")
        return
    fail(f"fibonacci(-1) should raise ValueError, but returned {describe(value)}")


@check(
    f"fibonacci({LARGEST_N}) is exact up to F(92), the int64 limit",
    points=1,
    hint="int32 overflows after F(46) and float64 loses digits after F(78): use tf.int64 "
    "everywhere.",
    grades="fibonacci",
)
def test_fibonacci_large(learner):
    value = _fibonacci(learner, LARGEST_N)
    array = _numbers(_expect_tensor(value, label=f"fibonacci({LARGEST_N})"), LARGEST_N)
    if array.shape != (LARGEST_N,):
        fail(f"fibonacci({LARGEST_N}) should hold {LARGEST_N} numbers, got shape {array.shape}")
    expected = fibonacci_reference(LARGEST_N)
    if array.dtype != np.int64:
        fail(f"fibonacci({LARGEST_N}) should be int64 to hold F(92); got {array.dtype}")
    expect_close(array, expected, label=f"fibonacci({LARGEST_N})")


#: fibonacci traced for 10 (whose graph is judged), then retraced for a second n: a retrace is
#: what fails a tf.Variable created inside fibonacci. A small second n costs the least tracing
#: (each number is ops of its own in the graph); larger ones are judged by the eager calls.
TRACED_SIZES = [10, 5]


def _traced_fibonacci(learner) -> dict:
    """fibonacci wrapped in one tf.function and called for each of TRACED_SIZES, each call
    beside a direct one: run once per grading, shared by the two checks of tracing."""
    sizes = TRACED_SIZES
    try:
        return learner.run_once(f"{PROBES}:traced_fibonacci",
                                seed=seed_for(f"{PROBES}::traced_fibonacci"), sizes=sizes,
                                eager=True, label=f"tf.function(fibonacci)({sizes[0]})")
    except LearnerRaised as error:
        own_error = error.type == "ValueError" and not advice_for(error.type, error.detail)
        if own_error and error.where.startswith("tf.function("):
            fail(
                f"{error.message}\nTraced for n >= 0, fibonacci still raised a ValueError: if "
                "your `if n < 0` tests a tensor (n made into a tensor first), tf.function turns "
                "it into tf.cond and traces both branches, so the raise runs for every n. Test "
                "the Python int n itself, before making tensors from it"
            )
        raise


@check(
    "fibonacci works when traced by tf.function",
    points=2,
    hint="tf.function(fibonacci)(10) traces your function into a graph. Do not create a "
    "tf.Variable inside fibonacci (create it once outside), and decide with Python ints, not "
    "tensors.",
    grades="fibonacci",
)
def test_fibonacci_traced(learner):
    # Judged against the reference numbers, or else against what fibonacci(n) returns when
    # called directly: a mistake made either way (wrong dtype, shape or numbers) is judged by
    # the other checks; this one is about what tracing changes.
    sizes = TRACED_SIZES
    description = _traced_fibonacci(learner)
    values, eager_values = description["values"], description["eager"]
    for n, value, eager in zip(sizes, values, eager_values, strict=True):
        label = f"tf.function(fibonacci)({n})"
        array = _expect_tensor(value, label=label)
        expected = fibonacci_reference(n)
        if array.shape == expected.shape and np.array_equal(array, expected):
            continue
        if isinstance(eager, Array) and _same(eager, array):
            continue
        if isinstance(eager, Array) and eager.shape == expected.shape and np.array_equal(
            eager.array, expected
        ):
            label = f"fibonacci({n}) is right when called directly, but {label}"
        if array.shape != expected.shape:
            fail(f"{label} should hold {n} numbers, got shape {array.shape}")
        expect_close(array, expected, label=label)


@check(
    "the traced graph computes the numbers with TensorFlow ops",
    points=2,
    hint="Compute inside TensorFlow (tf.matmul on the state, or tf.while_loop): numbers "
    "computed in plain Python become constants in the graph.",
    grades="fibonacci",
)
def test_fibonacci_graph_computes(learner):
    description = _traced_fibonacci(learner)
    ops = _graph_ops(description, "the graph that tf.function traced from fibonacci")
    if not ops & ARITHMETIC_OPS:
        fail(
            "the graph that tf.function traced from fibonacci holds no arithmetic, only "
            f"{', '.join(sorted(ops)) or 'nothing'}: the numbers were computed in Python and "
            "baked in as constants. Use tf.matmul (or tf.add) on tensors or variables"
        )
