"""A small fault-injecting HTTP/1.1 proxy of our own, on 127.0.0.1.

One request per connection (it forces `Connection: close`). For each request it draws a fault:
drop the response after the upstream handled the request, cut the upload mid-body, delay, answer
503 itself, or cut the response mid-body. It keeps counts so tests can check faults happened.
"""

from __future__ import annotations

import collections
import dataclasses
import random
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclasses.dataclass
class Faults:
    drop_response: float = 0.0  # upstream handles the request, the client never hears back
    cut_upload: float = 0.0  # only part of the body reaches the upstream, then both sides close
    server_error: float = 0.0  # the proxy answers 503 without forwarding
    cut_response: float = 0.0  # the client gets half the response, then the connection closes
    delay: float = 0.0  # seconds added before forwarding
    only_path: str = "/v1/batches"  # faults apply to requests for this path prefix
    seed: int = 1


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _force_close(head: bytes) -> bytes:
    lines = [
        line
        for line in head.split(b"\r\n")
        if line.partition(b":")[0].strip().lower() != b"connection"
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


class FaultProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int], faults: Faults) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.faults = faults
        self.counts: collections.Counter[str] = collections.Counter()
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()

    def draw(self, path: str) -> str:
        f = self.faults
        if not path.startswith(f.only_path):
            return "pass"
        with self._lock:
            roll = self._random.random()
            for name, chance in (
                ("drop_response", f.drop_response),
                ("cut_upload", f.cut_upload),
                ("server_error", f.server_error),
                ("cut_response", f.cut_response),
            ):
                if roll < chance:
                    self.counts[name] += 1
                    return name
                roll -= chance
            self.counts["pass"] += 1
            return "pass"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(socketserver.BaseRequestHandler):
    server: FaultProxy

    def handle(self) -> None:
        client: socket.socket = self.request
        head, body = _read_head(client)
        if not head:
            return
        length = _content_length(head)
        while len(body) < length:
            chunk = client.recv(min(65536, length - len(body)))
            if not chunk:
                return
            body += chunk
        path = head.split(b" ", 2)[1].decode()
        fault = self.server.draw(path)
        if self.server.faults.delay:
            time.sleep(self.server.faults.delay)
        if fault == "server_error":
            client.sendall(UNAVAILABLE)
            return
        with socket.create_connection(self.server.upstream, timeout=30) as upstream:
            if fault == "cut_upload":
                upstream.sendall(_force_close(head) + body[: len(body) // 2])
                upstream.shutdown(socket.SHUT_RDWR)
                return  # both sides close: the client sees the connection drop
            upstream.sendall(_force_close(head) + body)
            response = b""
            while chunk := upstream.recv(65536):
                response += chunk
        if fault == "drop_response":
            return
        if fault == "cut_response":
            client.sendall(response[: len(response) // 2])
            return
        client.sendall(response)


@contextmanager
def fault_proxy(upstream_url: str, faults: Faults) -> Iterator[FaultProxy]:
    host, port = upstream_url.removeprefix("http://").split(":")
    proxy = FaultProxy((host, int(port)), faults)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(5)
