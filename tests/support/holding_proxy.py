"""An HTTP proxy in front of the AWS emulator that holds the first request matching a rule: a rendezvous point.

A test points a real process's AWS endpoint at the proxy, waits until the process is inside the held call
(``wait_held``), and then kills the process there, or lets the call go on. No sleep and no hook in product code
decide where the process stops: the call it makes does. Requests that do not match are forwarded as they are.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

FAILURE_BOUND_SECONDS = 60.0  # bounds a failing test only
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})

Rule = Callable[[str, str], bool]  # (method, path) -> hold it?


@dataclass
class HoldingProxy:
    """The proxy's state: which request it held, and the test's word for it."""

    url: str = ""
    held: threading.Event = field(default_factory=threading.Event)
    held_request: tuple[str, str] | None = None
    _go: threading.Event = field(default_factory=threading.Event)
    _forward: bool = True

    def wait_held(self) -> tuple[str, str]:
        """Block until a matching request arrived; return its method and path."""
        if not self.held.wait(FAILURE_BOUND_SECONDS):
            raise AssertionError("no request matched the proxy's rule")
        assert self.held_request is not None
        return self.held_request

    def drop(self) -> None:
        """Never forward the held request (its process is being killed): close its connection unanswered."""
        self._forward = False
        self._go.set()

    def release(self) -> None:
        """Forward the held request after all."""
        self._go.set()


@contextmanager
def holding_proxy(upstream: str, rule: Rule) -> Iterator[HoldingProxy]:
    """Serve a proxy to ``upstream`` on a free port of 127.0.0.1 until the block ends."""
    state = HoldingProxy()
    client = httpx.Client(base_url=upstream, timeout=FAILURE_BOUND_SECONDS)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not state.held.is_set() and rule(self.command, self.path):
                state.held_request = (self.command, self.path)
                state.held.set()
                state._go.wait(FAILURE_BOUND_SECONDS)
                if not state._forward:
                    self.close_connection = True
                    return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = client.request(self.command, self.path, headers=headers, content=body)
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if not state._go.is_set():
            state.drop()
        server.shutdown()
        server.server_close()
        client.close()
