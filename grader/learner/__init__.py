"""The learner process: where the learner's code runs, apart from every verdict.

``zygote`` pre-imports TensorFlow once and forks a fresh ``worker`` per submission;
``session`` is the trusted side's handle on one; ``wire`` is the plain-data protocol between them.
"""
