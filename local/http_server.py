"""Run an ASGI app with uvicorn in a background thread on 127.0.0.1.

WHY a thread, not a subprocess: the front door lives in the same process as the code that starts the
local runtime (tests, `python -m local`), so it stops when its owner stops and needs no readiness file.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

logger = logging.getLogger(__name__)


class BackgroundServer:
    """A uvicorn server bound to 127.0.0.1 in a daemon thread."""

    def __init__(self, app: object, *, port: int = 0, startup_timeout_seconds: float = 10.0) -> None:
        """Start serving `app`; returns once the socket accepts connections.

        Args:
            app: the ASGI application.
            port: TCP port; 0 picks a free one.
            startup_timeout_seconds: how long to wait for the server to come up.

        Raises:
            RuntimeError: the server did not start in time.
        """
        # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted connections only when the listening
        # socket's proto is IPPROTO_TCP (asyncio.base_events._set_nodelay); with the default proto 0, Nagle held
        # back the second write of every response on a kept-alive connection until the client's delayed ACK (~40 ms).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", port))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"uvicorn-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_started(startup_timeout_seconds)

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43123`."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()
        logger.debug("port=<%s> | background server stopped", self.port)

    def _wait_started(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"front door did not start on port {self.port} within {timeout_seconds} s")
            time.sleep(0.02)
