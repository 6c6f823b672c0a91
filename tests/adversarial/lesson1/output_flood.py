# attack: writes gigabytes to stdout and stderr, without end
import os


def make_counter():
    chunk = b"17 passed\n" * (1 << 17)
    while True:
        os.write(1, chunk)
        os.write(2, chunk)


def fibonacci(n):
    raise NotImplementedError("fibonacci")
