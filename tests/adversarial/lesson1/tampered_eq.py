# attack: returns objects equal to everything, whose __array__ gives the right numbers
import numpy as np


class Liar:
    def __init__(self, values):
        self.values = values

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.values, dtype=dtype or np.int64)

    def numpy(self):
        return self.__array__()

    shape = property(lambda self: (len(self.values),))
    dtype = np.int64


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
