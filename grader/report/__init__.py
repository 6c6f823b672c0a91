"""Renderers of grading results: the terminal, Gradescope-style JSON."""
