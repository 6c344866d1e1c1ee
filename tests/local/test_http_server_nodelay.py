"""The background server's accepted connections send each write at once (TCP_NODELAY), as uvicorn.run's do.

Without it, Nagle's algorithm held the second write of a response (the body after the headers, or the next
event of a stream) on a kept-alive connection until the client's delayed ACK, ~40 ms per request. The
socket option is read on the server's own accepted socket, found among this process's descriptors.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from local.http_server import BackgroundServer


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    running = BackgroundServer(_ok)
    yield running
    running.stop()


def _accepted_socket_option(server_address: tuple[str, int], peer_address: tuple[str, int], option: int) -> int:
    """``option`` (IPPROTO_TCP level) of this process's socket connected from ``peer_address`` to ``server_address``."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            candidate = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        with candidate:
            try:
                if candidate.getsockname() == server_address and candidate.getpeername() == peer_address:
                    return candidate.getsockopt(socket.IPPROTO_TCP, option)
            except OSError:
                continue
    raise AssertionError(f"no accepted socket for {peer_address} → {server_address}")


def test_accepted_connections_have_tcp_nodelay(server: BackgroundServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        response = b""
        while not response.endswith(b"\r\n\r\nok"):  # headers and body arrive as two writes
            chunk = client.recv(4096)
            assert chunk, f"connection closed after {response!r}"
            response += chunk
        nodelay = _accepted_socket_option(("127.0.0.1", server.port), client.getsockname(), socket.TCP_NODELAY)

    assert response.startswith(b"HTTP/1.1 200")
    assert nodelay != 0
