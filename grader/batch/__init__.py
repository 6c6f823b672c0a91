"""Batch grading for instructors: a class folder in, a SQLite gradebook, exports and feedback out.

The parts, in the order a run uses them:

- :mod:`~grader.batch.discovery`: which students and lesson files a class folder holds;
- :mod:`~grader.batch.versions`: the grader version a result is keyed by (per lesson);
- :mod:`~grader.batch.gradebook`: the SQLite gradebook, the only writer of it, resumable;
- :mod:`~grader.batch.scheduling`: worker processes (each with its own zygote) that grade;
- :mod:`~grader.batch.cluster` and :mod:`~grader.batch.cluster_worker`: the same jobs on a Dask
  cluster (``--scheduler``), the client's side and the workers' plugin;
- :mod:`~grader.batch.records`: one student's result for one lesson, as data;
- :mod:`~grader.batch.exports`, :mod:`~grader.batch.feedback`, :mod:`~grader.batch.summary`:
  what is rendered from the gradebook once grading is done.

``grade batch`` (:mod:`grader.commands.batch`) ties them together.
"""
