# attack: none: the honest twin of ndarray_subclass.py (the same values as plain arrays)
import numpy as np


def make_counter():
    return lambda: np.zeros((), np.int32)


def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    return np.zeros(n, np.int64)
