# attack: takes memory until something stops it, in the learner process itself
import numpy as np


def make_counter():
    blocks = []
    while True:
        blocks.append(np.ones(2**27))  # 1 GiB at a time, touched


def fibonacci(n):
    raise NotImplementedError("fibonacci")
