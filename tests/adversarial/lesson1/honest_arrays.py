# attack: none: the honest twin of tampered_eq.py (the same numbers as plain arrays)
import numpy as np


def Liar(values):
    return np.asarray(values, dtype=np.int64)


def _fib(n):
    a, b, out = 0, 1, []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return out


def make_counter():
    calls = [0]

    def counter():
        calls[0] += 1
        return Liar(calls[0])

    return counter


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    return Liar(_fib(n))
