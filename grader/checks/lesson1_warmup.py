"""Warm-up: graphs, variables and Fibonacci.

Checks for ``exercises/lesson1_warmup.py``: ``make_counter()`` and ``fibonacci(n)``.
"""

from __future__ import annotations

import numpy as np

from grader.check import check
from grader.expect import describe, expect_array, expect_close, fail
from grader.learner.failures import LearnerRaised
from grader.learner.wire import Array

PROBES = "lesson1_warmup"
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
#: Ops that compute something; a graph without any of them only returns constants.
ARITHMETIC_OPS = frozenset(
    "MatMul BatchMatMul BatchMatMulV2 BatchMatMulV3 Add AddV2 AddN Mul Sub Cumsum Einsum "
    "TensorListSetItem TensorListPushBack".split()
)
LOOP_OPS = frozenset(["While", "StatelessWhile"])
LARGEST_N = 93  # F(92) = 7540113804746346429 is the largest Fibonacci number in int64


def fibonacci_reference(n: int) -> np.ndarray:
    numbers, a, b = [], 0, 1
    for _ in range(n):
        numbers.append(a)
        a, b = b, a + b
    return np.array(numbers, dtype=np.int64)


def _counter(learner, seed: int, calls: int, counters: int = 1) -> dict:
    return learner.run(
        f"{PROBES}:counter", label="make_counter()", seed=seed, calls=calls, counters=counters
    )


def _counter_values(description: dict) -> list[int]:
    values = []
    for value in description["values"]:
        label = "each call of the counter"
        if not isinstance(value, Array) or value.shape != () or value.dtype not in INTEGER_DTYPES:
            fail(f"{label} should return a scalar integer tensor, got {describe(value)}")
        values.append(int(value.array))
    return values


def _fibonacci(learner, seed: int, n: int) -> object:
    return learner.run(f"{PROBES}:call", label=f"fibonacci({n})", seed=seed, name="fibonacci",
                       args=[n])


@check(
    "the counter counts 1, 2, 3",
    points=2,
    hint="Create count = tf.Variable(0) in make_counter, then return an inner @tf.function that "
    "does `return count.assign_add(1)`.",
)
def test_counter_counts(learner, seed):
    description = _counter(learner, seed, calls=3)
    if not description["callable"]:
        fail(f"make_counter() should return a function, got {description}")
    values = _counter_values(description)
    if values == [1, 1, 1]:
        fail(
            "the counter returned 1, 1, 1: its state is not kept between calls. In a tf.function "
            "a Python `count += 1` runs only while tracing; keep the count in a tf.Variable and "
            "update it with assign_add"
        )
    if values != [1, 2, 3]:
        fail(f"three calls of the counter should return 1, 2, 3, got {values}")


@check(
    "make_counter returns a tf.function",
    points=1,
    hint="Decorate the inner function with @tf.function: that is what builds the graph "
    "(the blueprint of 2016).",
)
def test_counter_is_tf_function(learner, seed):
    description = _counter(learner, seed, calls=1)
    if not description["is_tf_function"]:
        fail(
            "make_counter() should return a tf.function (decorate the inner function with "
            "@tf.function), got a plain Python callable"
        )


@check(
    "the counter's graph updates a tf.Variable",
    points=2,
    hint="The variable must be created outside the traced function and updated inside it "
    "with assign_add (or assign), so the update is an op of the graph.",
)
def test_counter_graph_updates_variable(learner, seed):
    description = _counter(learner, seed, calls=1)
    if not description["is_tf_function"]:
        fail("make_counter() should return a tf.function whose graph updates a tf.Variable")
    ops = set(description.get("ops", []))
    if description.get("captured_variables", 0) < 1:
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
)
def test_counters_are_independent(learner, seed):
    description = _counter(learner, seed, calls=4, counters=2)
    values = _counter_values(description)
    if values != [1, 1, 2, 2]:
        fail(
            "two counters called in turn should return 1, 1, 2, 2, got "
            f"{values}: do both counters share one variable?"
        )


@check(
    "fibonacci(n) returns the first n Fibonacci numbers",
    points=2,
    hint="Start from [[0], [1]]; on each step record the top value, then multiply by "
    "[[0, 1], [1, 1]]. The first numbers are 0, 1, 1, 2, 3, 5.",
)
def test_fibonacci_values(learner, seed):
    for n in (1, 2, 3, 10):
        value = _fibonacci(learner, seed, n)
        array = expect_array(value, label=f"fibonacci({n})")
        expected = fibonacci_reference(n)
        if array.shape != expected.shape:
            fail(f"fibonacci({n}) should hold {n} numbers, got shape {array.shape}")
        expect_close(array, expected, label=f"fibonacci({n})")


@check(
    "fibonacci(n) is a 1-D int64 tensor of shape (n,)",
    points=2,
    hint="Create the state and the step matrix with dtype=tf.int64, and tf.stack the recorded "
    "values into one vector.",
)
def test_fibonacci_dtype_and_shape(learner, seed):
    expect_array(_fibonacci(learner, seed, 10), label="fibonacci(10)", shape=(10,), dtype="int64")


@check(
    "fibonacci(0) is an empty int64 tensor",
    points=1,
    hint="tf.stack([]) fails: return tf.zeros([0], dtype=tf.int64) (or tf.constant([], "
    "dtype=tf.int64)) when n == 0.",
)
def test_fibonacci_zero(learner, seed):
    expect_array(_fibonacci(learner, seed, 0), label="fibonacci(0)", shape=(0,), dtype="int64")


@check(
    "fibonacci(-1) raises ValueError",
    points=1,
    hint="Start with: if n < 0: raise ValueError(...)",
)
def test_fibonacci_negative(learner, seed):
    try:
        value = _fibonacci(learner, seed, -1)
    except LearnerRaised as error:
        if error.type != "ValueError":
            fail(f"fibonacci(-1) should raise ValueError, but raised {error.type}")
        return
    fail(f"fibonacci(-1) should raise ValueError, but returned {describe(value)}")


@check(
    f"fibonacci({LARGEST_N}) is exact up to F(92), the int64 limit",
    points=1,
    hint="int32 overflows after F(46) and float64 loses digits after F(78): use tf.int64 "
    "everywhere.",
)
def test_fibonacci_large(learner, seed):
    value = _fibonacci(learner, seed, LARGEST_N)
    array = expect_array(value, label=f"fibonacci({LARGEST_N})", shape=(LARGEST_N,))
    expected = fibonacci_reference(LARGEST_N)
    if array.dtype != np.int64:
        fail(f"fibonacci({LARGEST_N}) should be int64 to hold F(92); got {array.dtype}")
    expect_close(array, expected, label=f"fibonacci({LARGEST_N})")


@check(
    "fibonacci works when traced by tf.function",
    points=2,
    hint="tf.function(fibonacci)(10) traces your function into a graph. Do not create a "
    "tf.Variable inside fibonacci (create it once outside), and decide with Python ints, not "
    "tensors.",
)
def test_fibonacci_traced(learner, seed):
    sizes = [10, 12]
    description = learner.run(
        f"{PROBES}:traced_fibonacci", label="tf.function(fibonacci)(10)", seed=seed, sizes=sizes
    )
    for n, value in zip(sizes, description["values"], strict=True):
        label = f"tf.function(fibonacci)({n})"
        array = expect_array(value, label=label, shape=(n,), dtype="int64")
        expect_close(array, fibonacci_reference(n), label=label)


@check(
    "the traced graph computes the numbers with TensorFlow ops",
    points=2,
    hint="Compute inside TensorFlow (tf.matmul on the state, or tf.while_loop): numbers "
    "computed in plain Python become constants in the graph.",
)
def test_fibonacci_graph_computes(learner, seed):
    description = learner.run(
        f"{PROBES}:traced_fibonacci", label="tf.function(fibonacci)(10)", seed=seed, sizes=[10]
    )
    ops = set(description["ops"])
    if not ops & ARITHMETIC_OPS:
        fail(
            "the graph that tf.function traced from fibonacci holds no arithmetic, only "
            f"{', '.join(sorted(ops)) or 'nothing'}: the numbers were computed in Python and "
            "baked in as constants. Use tf.matmul (or tf.add) on tensors or variables"
        )
