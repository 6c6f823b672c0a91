# attack: writes outside its folder: the repo, the grader, /tmp, /dev/shm, its own submitted file
import os

import grader

REPO = os.path.dirname(os.path.dirname(grader.__file__))
TAG = os.environ.get("PWNED_TAG", "pwned-adversarial")
for target in (os.path.join(REPO, TAG), os.path.join(REPO, "grader", TAG), f"/tmp/{TAG}",
               f"/dev/shm/{TAG}", f"/var/tmp/{TAG}", os.path.join(REPO, "solutions", TAG)):
    try:
        with open(target, "w") as handle:
            handle.write("pwned")
    except OSError:
        pass


def make_counter():
    raise NotImplementedError("make_counter")


def fibonacci(n):
    raise NotImplementedError("fibonacci")
