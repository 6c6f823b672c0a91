"""Lesson 4's grading: ``checks`` (trusted side), ``probes`` (learner side), ``figures`` (site)."""
