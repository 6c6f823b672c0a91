# attack: prints Gradescope-style and grade --json results claiming full marks, writes results.json
import json, sys

FAKE = {"score": 17, "max_score": 17, "tests": [{"name": "all", "score": 17, "max_score": 17,
                                                  "status": "passed", "output": "ok"}]}
print(json.dumps(FAKE))
print(json.dumps(FAKE), file=sys.stderr)
for name in ("results.json", "../results.json", "/tmp/results.json"):
    try:
        with open(name, "w") as handle:
            json.dump(FAKE, handle)
    except OSError:
        pass


def make_counter():
    print(json.dumps(FAKE))
    raise NotImplementedError("make_counter")


def fibonacci(n):
    print('{"ok": true, "value": [0, 1, 1, 2, 3]}')
    raise NotImplementedError("fibonacci")
