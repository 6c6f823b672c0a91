# attack: ndarray subclasses whose __eq__, __array__ and comparisons claim the right answer
import numpy as np


class Sneaky(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)

    def __ne__(self, other):
        return np.zeros(np.shape(other), bool)

    def __array__(self, dtype=None, copy=None):
        return np.arange(len(self), dtype=np.int64)

    def tolist(self):
        return [0, 1, 1, 2, 3, 5, 8, 13, 21, 34][: len(self)]


def make_counter():
    return lambda: np.zeros((), np.int32).view(Sneaky)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    return np.zeros(n, np.int64).view(Sneaky)
