"""Figure recipes: one module per lesson, named like its check module (``lesson2_…``).

A recipe module declares ``FIGURES`` (a list of :class:`~grader.sitebuild.figures.Figure`) at
import time without importing TensorFlow, and a ``make(solution, out, split)`` function that the
figure worker calls in a subprocess: ``solution`` is the lesson's reference solution module,
``out`` the folder to write ``<name>.png`` into, ``split`` MNIST's grading split or None when
MNIST is not available (then only figures with ``needs_mnist=False`` are expected).
A lesson without a recipe module has no figures; adding one needs no change to the builder.
"""
