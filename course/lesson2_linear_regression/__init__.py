"""Lesson 2's grading: ``checks`` (trusted side), ``probes`` (learner side), ``figures`` (site)."""
