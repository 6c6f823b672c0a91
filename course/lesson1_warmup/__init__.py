"""Lesson 1's grading: ``checks`` (trusted side), ``probes`` (learner side)."""
