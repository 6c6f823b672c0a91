"""The lessons: one package per lesson, ``grader/lessons/lessonN_<topic>/``, holding every part
of its grading. Adding a lesson is one such folder, plus ``exercises/``, ``solutions/`` and
``course/lessonN.md``; the registry (:mod:`grader.curriculum`) finds it here.

- ``checks.py``: the graded checks, pytest tests run in the trusted process (see
  :mod:`grader.check`); its docstring's first line is the lesson's title. It may declare
  ``LOGICAL_DEVICES = 2``: the lesson's learner processes (and its figures' worker) then see
  two logical devices, made before TensorFlow runs an op (see :mod:`grader.learner.devices`),
  for lessons about ``tf.distribute``; every other lesson's see one.
- ``probes.py``: trusted helpers that run *inside* the learner process. A probe calls the
  learner's functions with the inputs a check chose and returns plain data (numbers, arrays, a
  graph's bytes). It judges nothing: code in the learner process can rewrite it.
- ``figures.py`` (optional): the site's figures. It declares ``FIGURES`` (a list of
  :class:`~grader.sitebuild.figures.Figure`) at import time without importing TensorFlow, and a
  ``make(solution, out, split)`` function that the figure worker calls in a subprocess:
  ``solution`` is the reference solution module, ``out`` the folder to write ``<name>.png``
  into, ``split`` MNIST's grading split or None when MNIST is not available (then only figures
  with ``needs_mnist=False`` are expected).

A lesson package's ``__init__.py`` stays empty of imports: the learner process imports
``probes`` through it and must not pull in pytest or the checks.
"""
