"""Default limits of grading one submission (a module of constants: the CLI imports it at start)."""

#: One call of the learner's code.
DEFAULT_CALL_TIMEOUT_S = 30.0
#: All calls of one submission together: what a hanging submission costs.
DEFAULT_TOTAL_TIMEOUT_S = 300.0
