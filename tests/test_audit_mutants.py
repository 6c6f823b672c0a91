"""The mutation engine of `grade audit`: each operator plants the bug it names, only inside the
learner's part of a solution, every mutant compiles, and ids and samples are stable."""

from __future__ import annotations

import pytest

from grader.audit import mutants, tf_operators

SOLUTION = '''"""A lesson."""

import tensorflow as tf

SCALE = 3  # outside the markers: never mutated


def loss(logits, labels):
    """Mean cross-entropy."""
    # TODO: write it.
    ### BEGIN SOLUTION
    per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_mean(per_example)
    ### END SOLUTION


def step(image, model, step_size):
    """One step of ascent."""
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        tape.watch(image)
        value = model(image)
    gradient = tape.gradient(value, image)
    gradient /= tf.math.reduce_std(gradient) + 1e-8
    return tf.clip_by_value(image + gradient * step_size, -1, 1)
    ### END SOLUTION


def pipeline(ds, batch_size):
    """Batches."""
    ### BEGIN SOLUTION
    return ds.shuffle(100).batch(batch_size).prefetch(1)
    ### END SOLUTION
'''


@pytest.fixture(scope="module")
def planted() -> list[mutants.Mutant]:
    return mutants.generate(SOLUTION, "lesson.py")


def _changes(planted: list[mutants.Mutant], operator: str) -> list[str]:
    return [m.what for m in planted if m.operator == operator]


@pytest.mark.parametrize(("operator", "expected"), [
    ("tf/SwapCallName", "reduce_mean → reduce_sum"),
    ("tf/SwapArguments", "labels= and logits= swapped"),
    ("tf/DeleteCall", "the call tape.watch(…) left out"),
    ("tf/UnwrapCall", "clip_by_value(…) left out"),
    ("tf/UnwrapCall", ".shuffle(…) left out"),
    ("tf/UnwrapCall", ".prefetch(…) left out"),
    ("tf/DropTerm", "the term '1e-8' dropped"),
    ("tf/ReturnInput", "step returns its input 'image' unchanged"),
    ("tf/ReturnConstant", "loss returns zeros of the right shape"),
])
def test_each_tensorflow_operator_plants_its_bug(planted, operator, expected):
    assert expected in _changes(planted, operator)


def test_core_operators_come_from_cosmic_ray(planted):
    sources = {m.operator: m.source for m in planted}
    assert "core/ReplaceBinaryOperator_Add_Sub" in sources  # reduce_std(...) + 1e-8
    assert "core/ReplaceUnaryOperator_Delete_USub" in sources  # -1 → 1 in the clip
    assert "core/NumberReplacer" in sources
    flipped = [m for m in planted if m.operator == "core/ReplaceUnaryOperator_Delete_USub"]
    assert any("clip_by_value(image + gradient * step_size, 1, 1)" in m.source for m in flipped)


def test_only_the_solution_regions_change(planted):
    assert planted
    for mutant in planted:
        assert "SCALE = 3" in mutant.source
        assert mutant.source.count("### BEGIN SOLUTION") == 3
        assert mutant.function in ("loss", "step", "pipeline")
        assert '"""Mean cross-entropy."""' in mutant.source


def test_every_mutant_compiles_and_differs(planted):
    sources = [m.source for m in planted]
    assert len(set(sources)) == len(sources)
    assert SOLUTION not in sources
    for source in sources:
        compile(source, "<mutant>", "exec")


def test_a_mutant_is_one_small_change(planted):
    for mutant in planted:
        diff = mutant.diff(SOLUTION, "lesson.py")
        removed = [line for line in diff.splitlines()
                   if line.startswith("-") and not line.startswith("---")]
        assert 1 <= len(removed) <= 3, diff


def test_ids_survive_an_edit_elsewhere(planted):
    edited = SOLUTION.replace('"""Batches."""', '"""Batches, shuffled."""\n    # more words')
    again = {m.id for m in mutants.generate(edited, "lesson.py") if m.function == "loss"}
    assert {m.id for m in planted if m.function == "loss"} == again


def test_sample_is_stable_and_spread(planted):
    chosen = mutants.sample(planted, 9, "lesson")
    assert [m.id for m in chosen] == [m.id for m in mutants.sample(planted, 9, "lesson")]
    assert len(chosen) == 9
    assert {m.function for m in chosen} == {"loss", "step", "pipeline"}
    assert mutants.sample(planted, 10_000) == planted


def test_operator_spans_are_exact_with_non_ascii_text():
    source = tf_operators.Source('x = "é"; y = tf.reduce_mean(x)\n')
    edit = next(tf_operators.swap_call_name(source))
    assert source.text[edit.start:edit.end] == "reduce_mean"


def test_the_same_change_on_two_identical_lines_gets_two_ids():
    source = SOLUTION.replace(
        "    return ds.shuffle(100).batch(batch_size).prefetch(1)\n",
        "    ds = ds.shuffle(100)\n    ds = ds.shuffle(100)\n    return ds.batch(batch_size)\n")
    planted = mutants.generate(source, "lesson.py")
    ids = [m.id for m in planted]
    assert len(ids) == len(set(ids))
    twice = [m for m in planted if m.function == "pipeline" and m.what == ".shuffle(…) left out"]
    assert len(twice) == 2 and twice[1].id == twice[0].id + "-2"
