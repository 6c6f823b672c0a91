"""Lesson 10's grading: ``checks`` (trusted side), ``probes`` (learner side), ``figures`` (site)."""
