"""Checks: one pytest module per lesson, run in the trusted process (see grader.check)."""
