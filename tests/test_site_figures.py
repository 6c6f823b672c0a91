"""Figures of the site as a learner reads them: readable, and teaching what the text says.

The recipes' figure functions run here in-process on the reference solutions (no site build);
the pictures themselves are looked at in the browser tests and by hand.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from grader.curriculum import lesson_part
from grader.sitebuild.figures import mnist_available
from tests.conftest import REPO

MIN_POINTS = 9.0  # the smallest text a figure may hold, at its natural size


def _solution(stem: str):
    spec = importlib.util.spec_from_file_location(f"_figure_test_{stem}",
                                                  REPO / "solutions" / f"{stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lesson10_epochs_figure_has_numbers_one_can_read() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figures = lesson_part("lesson10_distributed", "figures")

    fig = figures.epochs_figure(_solution("lesson10_distributed"))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    labels = [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels()]
    assert len(ax.texts) >= 3 * 10  # a number in every cell of three epochs
    small = {t.get_text(): t.get_fontsize() for t in labels if t.get_fontsize() < MIN_POINTS}
    assert not small, f"text smaller than {MIN_POINTS} pt: {small}"
    cells = len({round(t.get_position()[0]) for t in ax.texts})
    cell_px = ax.get_window_extent(renderer).width / cells
    widest = max(t.get_window_extent(renderer).width for t in ax.texts)
    assert cell_px >= 1.5 * widest, (cell_px, widest)  # room around every number


def test_confusion_matrices_have_counts_one_can_read() -> None:
    """Lessons 3 to 6 show one: its counts were 7 pt."""
    from grader.sitebuild.plot import confusion_figure

    labels = np.repeat(np.arange(10), 200)
    predicted = (labels + (np.arange(2000) % 7 == 0)) % 10  # every cell of two diagonals
    ax = confusion_figure(predicted, labels).axes[0]
    assert len(ax.texts) == 20
    texts = [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels()]
    small = {t.get_text(): t.get_fontsize() for t in texts if t.get_fontsize() < MIN_POINTS}
    assert not small, f"text smaller than {MIN_POINTS} pt: {small}"


@pytest.mark.skipif(not mnist_available(), reason="needs MNIST: set MNIST_DIR")
def test_lesson10_training_figure_shows_the_mistake_doing_worse() -> None:
    """The text: the per-replica mean makes every step twice too large. At the figure's rate the
    dashed curve must end, and mostly run, above the right one (at 0.5 it ended lower)."""
    from grader.data.mnist import grading_split
    figures = lesson_part("lesson10_distributed", "figures")

    split = grading_split()

    def loss(W, b) -> float:
        z = split.test_images @ np.asarray(W, np.float32) + np.asarray(b, np.float32)
        z = z - z.max(axis=1, keepdims=True)
        picked = z[np.arange(len(z)), split.test_labels]
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - picked))

    right = figures._trajectory(split.train_images, split.train_labels, loss)
    mistake = figures._trajectory(split.train_images, split.train_labels, loss, scale=2.0)
    assert mistake[-1] > right[-1] * 1.05, (right[-1], mistake[-1])
    above = sum(m > r for m, r in zip(mistake[1:], right[1:], strict=True))
    assert above >= 0.75 * (len(right) - 1), f"the mistake is above on only {above} steps"


def _grader_files_imported(recipe_path) -> set[str]:
    """The grader's files a recipe imports (anywhere in it), as paths from the repository root."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(recipe_path.read_text(encoding="utf-8"))):
        modules = []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader"):
            modules = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names if alias.name.startswith("grader")]
        for module in modules:
            base = REPO / Path(*module.split("."))
            if base.with_suffix(".py").is_file():
                found.add(base.with_suffix(".py").relative_to(REPO).as_posix())
                break  # "from grader.data import base_model": the module, not the package
    return found - {"grader/sitebuild/figures.py", "grader/sitebuild/plot.py"}


def test_every_grader_file_a_recipe_imports_is_in_its_cache_key() -> None:
    from grader.curriculum import lessons
    from grader.sitebuild.figures import dependencies, recipe

    checked = 0
    for lesson in lessons():
        module = recipe(lesson.stem)
        if module is None:
            continue
        keyed = {path.relative_to(REPO).as_posix() for path in dependencies(module, True)}
        missing = _grader_files_imported(Path(module.__file__)) - keyed
        assert not missing, f"{lesson.stem}: add {sorted(missing)} to DEPENDS_ON"
        checked += 1
    assert checked >= 9


def test_a_changed_dependency_remakes_only_the_figures_that_use_it(tmp_path, monkeypatch) -> None:
    from types import ModuleType

    from grader.sitebuild import figures

    monkeypatch.setattr(figures, "_ROOT", tmp_path)
    (tmp_path / "grader" / "data").mkdir(parents=True)
    (tmp_path / "grader" / "data" / "mnist.py").write_text("# the loader\n")
    reader = tmp_path / "grader" / "reader.py"
    reader.write_text("version = 1\n")
    solution = tmp_path / "solution.py"
    solution.write_text("x = 1\n")

    def recipe(name: str, depends: tuple[str, ...]) -> ModuleType:
        module = ModuleType(name)
        module.__file__ = str(tmp_path / f"{name}.py")
        Path(module.__file__).write_text(f"# {name}\n")
        module.DEPENDS_ON = depends
        return module

    using, other = recipe("using", ("grader/reader.py",)), recipe("other", ())
    before = {m: figures.cache_key(solution, m, False) for m in (using, other)}
    reader.write_text("version = 2\n")
    after = {m: figures.cache_key(solution, m, False) for m in (using, other)}
    assert after[using] != before[using]
    assert after[other] == before[other]
    assert figures.cache_key(solution, other, True) != before[other]  # the MNIST loader too

    broken = recipe("broken", ("grader/nope.py",))
    with pytest.raises(figures.SiteError, match=r"DEPENDS_ON names grader/nope.py"):
        figures.cache_key(solution, broken, False)


@pytest.mark.slow
@pytest.mark.skipif(not mnist_available(), reason="needs MNIST: set MNIST_DIR")
def test_lesson7_figures_train_in_few_epochs(tmp_path, monkeypatch) -> None:
    """Keras' work per epoch cost four times the training itself when the figure ran 200 epochs
    of one batch (30 labels): each training is one epoch of about the same number of batches."""
    import keras

    from grader.data.mnist import grading_split
    figures = lesson_part("lesson7_transfer_learning", "figures")

    fits: list[tuple[int, int]] = []
    fit = keras.Model.fit

    def counted(model, x, y, *args, epochs=1, batch_size=32, **kwargs):
        fits.append((epochs, epochs * -(-len(x) // batch_size)))
        return fit(model, x, y, *args, epochs=epochs, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", counted)
    figures.make(_solution("lesson7_transfer_learning"), tmp_path, grading_split())
    assert len(fits) == 3 * len(figures.COUNTS)
    assert sum(epochs for epochs, _ in fits) <= len(fits), fits
    budget = len(figures.COUNTS) * 2 * (figures.STEPS + figures.TUNE_STEPS)
    assert 0.9 * budget <= sum(batches for _, batches in fits) <= 1.1 * budget, fits
    assert {p.name for p in tmp_path.glob("*.png")} == {"labels.png", "predictions.png"}
