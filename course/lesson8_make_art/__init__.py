"""Lesson 8's grading: ``checks``, ``probes``, ``figures``, ``reference`` and ``network``."""
