"""Lesson 5's grading: ``checks`` (trusted side), ``probes`` (learner side), ``figures`` (site)."""
