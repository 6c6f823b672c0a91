"""The stubs derived from the solutions' markers (grader/stubs.py), on small sources."""

from __future__ import annotations

import pytest

from grader.stubs import StubError, derive_stub

SOLUTION = '''"""Doc.

Check your work with:  grade lesson1
"""

import tensorflow as tf


### BEGIN SOLUTION
import numpy as np

_state = 1
### END SOLUTION


def f(x):
    """Doc of f."""
    # TODO: add one.
    ### BEGIN SOLUTION
    def inner():
        return x + 1
    return inner()
    ### END SOLUTION


async def g():
    # TODO: nothing.
    ### BEGIN SOLUTION
    return np.zeros(1)
    ### END SOLUTION
'''

STUB = '''"""Doc.

Check your work with:  grade lesson1
"""

import tensorflow as tf


# Module-level state or helpers for f, if you need any
# (a tf.Variable created here, once, outlives every call).


def f(x):
    """Doc of f."""
    # TODO: add one.
    raise NotImplementedError("f")


async def g():
    # TODO: nothing.
    raise NotImplementedError("g")
'''


def test_regions_become_raises_and_module_regions_a_placeholder():
    """A module-level region (state a function needs) leaves a comment saying where such state
    goes, as the notebook's state cell does (issue 18 §2: lesson 1's stub had no place for
    fibonacci's tf.Variable)."""
    assert derive_stub(SOLUTION, "s.py") == STUB


def test_a_file_without_regions_is_its_own_stub():
    assert derive_stub(STUB) == STUB


def test_the_lesson1_stub_has_a_place_for_fibonacci_s_variable():
    from tests.conftest import untouched_stub

    stub = untouched_stub("lesson1_warmup.py").read_text(encoding="utf-8")
    before = stub[stub.index('raise NotImplementedError("make_counter")'):
                  stub.index("def fibonacci")]
    assert "# Module-level state or helpers for fibonacci" in before
    todo = stub[stub.index("def fibonacci"):stub.index('raise NotImplementedError("fib')]
    assert "created once, at module level above this function" in " ".join(
        todo.replace("#", " ").split())


@pytest.mark.parametrize(("source", "words"), [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "line 2: ### BEGIN SOLUTION is never"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "line 3: ### END SOLUTION without"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "3: ### BEGIN SOLUTION inside"),
    ("def f():\n    ### BEGIN SOLUTION\n  ### END SOLUTION\n", "line 3: ### END SOLUTION is not"),
    ("if x:\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n", "line 2: an indented"),
])
def test_unbalanced_markers_are_one_clear_line(source, words):
    with pytest.raises(StubError) as error:
        derive_stub(source, "solutions/x.py")
    message = str(error.value)
    assert message.startswith("solutions/x.py, line ") and "\n" not in message
    assert words in message


def test_the_lesson1_todo_says_where_the_counter_s_variable_lives():
    from tests.conftest import untouched_stub

    stub = untouched_stub("lesson1_warmup.py").read_text(encoding="utf-8")
    todo = stub[stub.index("def make_counter"):stub.index('raise NotImplementedError("make')]
    assert "once: outside the traced" in " ".join(todo.replace("#", " ").split())
