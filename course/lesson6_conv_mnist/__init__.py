"""Lesson 6's grading: ``checks`` (trusted side), ``probes`` (learner side), ``figures`` (site)."""
