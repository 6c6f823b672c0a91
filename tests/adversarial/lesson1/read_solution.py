# attack: finds the reference solution (or a neighbour's file) and runs it as its own
import glob
import os

import grader

REPO = os.path.dirname(os.path.dirname(grader.__file__))
CANDIDATES = [os.path.join(REPO, "solutions", "lesson1_warmup.py"),
              *glob.glob("/*/*/solutions/lesson1_warmup.py"),
              *glob.glob("/tmp/*/*/*/lesson1_warmup.py")[:50],
              *glob.glob("/tmp/*/*/lesson1_warmup.py")[:50]]
for candidate in CANDIDATES:
    try:
        with open(candidate) as handle:
            source = handle.read()
    except OSError:
        continue
    if "NotImplementedError" not in source and "def fibonacci" in source:
        exec(compile(source, candidate, "exec"), globals())
        break
else:
    def make_counter():
        raise NotImplementedError("make_counter")

    def fibonacci(n):
        raise NotImplementedError("fibonacci")
