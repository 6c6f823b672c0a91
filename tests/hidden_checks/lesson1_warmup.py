"""An instructor's hidden checks of lesson 1 (used by the tests, as docs/hidden-checks.md
describes): VISIBILITY is left at its default, "hidden"."""

import numpy as np

from grader.check import check
from grader.expect import expect_array, fail

PROBES = "lesson1_warmup"  # the lesson's own probes: the learner process runs only those


@check(
    "fibonacci(20) is right to the last number (hidden)",
    points=2,
    hint="Keep multiplying by [[0, 1], [1, 1]] for every number asked for, not a fixed count.",
    grades="fibonacci",
)
def test_hidden_fibonacci_twenty(learner, seed):
    value = learner.run(f"{PROBES}:call", label="fibonacci(20)", seed=seed, name="fibonacci",
                        args=[20])
    a, b, expected = 0, 1, []
    for _ in range(20):
        expected.append(a)
        a, b = b, a + b
    expect_array(value, label="fibonacci(20)", shape=(20,))
    got = np.asarray(value.array)
    if not np.array_equal(got, expected):
        fail(f"fibonacci(20) returned {got.tolist()}, expected {expected}")
