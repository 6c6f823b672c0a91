"""Probes: trusted helpers that run inside the learner process.

A probe calls the learner's functions with the inputs a check chose and returns plain data
(numbers, arrays, op names). It judges nothing: every verdict is computed by the checks in the
trusted process. One module per lesson, named like the lesson's file.
"""
