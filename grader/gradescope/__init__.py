"""Gradescope: the autograder zip (``grade gradescope``) and the runner inside its container."""
