"""Raw TCP clients that misbehave on purpose: idle, half-sent request heads, many at once.

Reading until the server closes is how a test observes a server-side timeout or refusal without sleeping;
the socket timeout only bounds a failing test (a server that never closes).
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlparse

FAILURE_BOUND_SECONDS = 60.0
HALF_HEAD = b"POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"  # no blank line


def connect(base_url: str, first_bytes: bytes = b"") -> socket.socket:
    """Open a connection to ``base_url`` and send ``first_bytes`` (nothing: an idle connection)."""
    address = urlparse(base_url)
    connection = socket.create_connection((address.hostname, address.port), timeout=FAILURE_BOUND_SECONDS)
    if first_bytes:
        connection.sendall(first_bytes)
    return connection


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection; then close our end."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    finally:
        connection.close()
    return received


def response_parts(raw: bytes) -> tuple[bytes, dict[str, str], Any]:
    """Status line, lower-cased headers and JSON body of one raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.decode().lower(): v.decode().strip() for k, _, v in (line.partition(b":") for line in lines)}
    return status, headers, json.loads(body) if body else None
