"""Run an ASGI app with uvicorn in a background thread, guarded against idle, slow and too many connections.

WHY a thread, not a subprocess: the front door lives in the same process as the code that starts the
local runtime (tests, `python -m local`), so it stops when its owner stops and needs no readiness file.

WHY the guard: uvicorn arms no timer before a connection's first response and `limit_concurrency` answers
only once a request head arrived, so idle or half-sent connections were kept until descriptors ran out, and
asyncio then logged every failed `accept()`. The guard against that (request-head timeout, connection cap,
one throttled line when descriptors run out) has one home, `agent/http_server.py`: the agent's container
ships only `agent/`, so the guard must live there, and this module reuses it. That module imports nothing
else from `agent/` at run time (tests/local/test_http_server.py checks it), so `local/` still depends on no
agent internals. Here:

- a request head must arrive within `header_timeout_seconds` of the connection opening or of its previous
  response (the agent's guard), and a request body within `body_timeout_seconds` (408, `BodyTimeout` below;
  the agent bounds its body inside its app), or the connection is closed;
- at most `max_connections` are open (never more than half the descriptor limit); one more gets 503 with
  `x-amzn-ErrorType`, as AWS SDKs read the front door's other refusals;
- running out of descriptors anyway is logged once a minute, not once per `accept()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

import agent.http_server as guard
from local.aws_errors import ERROR_TYPE_HEADER, aws_error_type
from local.processes import LOOPBACK

logger = logging.getLogger(__name__)

WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # nosec B104 - names, not a bind: these are only compared against
KEEP_ALIVE_SECONDS = 5  # uvicorn's default, stated: idle keep-alive connections close after this
GRACEFUL_SHUTDOWN_SECONDS = 2
JOIN_SECONDS = 5.0

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _BodyTimedOut(Exception):
    """Raised into the app when its request body stopped arriving; the 408 is already sent."""


class BodyTimeout:
    """ASGI wrapper: a request body must arrive within `seconds`, else 408 and the connection is closed."""

    def __init__(self, app: Any, seconds: float) -> None:
        self._app, self._seconds = app, seconds

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self._seconds
        state = {"body_done": False, "started": False, "answered": False}

        async def timed_receive() -> Message:
            if state["body_done"]:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
            except TimeoutError:
                if not state["started"]:
                    state["answered"] = True
                    await send_timeout()
                raise _BodyTimedOut from None
            state["body_done"] = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def send_timeout() -> None:
            message = f"the request body did not arrive within {self._seconds:g} seconds"
            body = json.dumps({"error": message, "code": "request_timeout", "message": message}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 408,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"connection", b"close"),
                        (b"content-length", str(len(body)).encode()),
                        (ERROR_TYPE_HEADER.lower().encode(), aws_error_type(408).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

        async def guarded_send(message: Message) -> None:
            if state["answered"]:
                return
            state["started"] = True
            await send(message)

        try:
            await self._app(scope, timed_receive, guarded_send)
        except _BodyTimedOut:
            pass
        except Exception:
            if not state["answered"]:
                raise


class _SignallingServer(guard.GuardedServer):
    """The agent's guarded uvicorn server, telling a waiting thread when its startup is over (done or failed)."""

    def __init__(self, config: uvicorn.Config, *, startup_over: threading.Event) -> None:
        super().__init__(config)
        self._startup_over = startup_over

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self._startup_over.set()


class BackgroundServer:
    """A guarded uvicorn server in a daemon thread, on 127.0.0.1 unless told otherwise."""

    def __init__(
        self,
        app: object,
        *,
        port: int = 0,
        host: str = LOOPBACK,
        startup_timeout_seconds: float = 10.0,
        header_timeout_seconds: float = 10.0,
        body_timeout_seconds: float = 30.0,
        max_connections: int = 256,
    ) -> None:
        """Start serving `app`; returns once the socket accepts connections.

        Args:
            app: the ASGI application.
            port: TCP port; 0 picks a free one.
            host: address to listen on; default loopback only.
            startup_timeout_seconds: how long to wait for the server to come up.
            header_timeout_seconds: time a connection has to deliver a request head.
            body_timeout_seconds: time a request has to deliver its body.
            max_connections: open connections at once (at most half the file descriptor limit).

        Raises:
            RuntimeError: the server did not start in time.
        """
        # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted connections only when the listening
        # socket's proto is IPPROTO_TCP (asyncio.base_events._set_nodelay); with the default proto 0, Nagle held
        # back the second write of every response on a kept-alive connection until the client's delayed ACK
        # (~40 ms).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        protocol = guard.guarded_protocol(
            header_timeout_seconds=header_timeout_seconds,
            connection_limit=guard.max_connections(max_connections),
            refusal_headers={ERROR_TYPE_HEADER: aws_error_type(503)},
        )
        config = uvicorn.Config(
            BodyTimeout(app, body_timeout_seconds),
            log_level="warning",
            lifespan="on",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            http=protocol,
            h11_max_incomplete_event_size=guard.MAX_REQUEST_HEAD_BYTES,
        )
        self._startup_over = threading.Event()
        self._server = _SignallingServer(config, startup_over=self._startup_over)
        self._thread = threading.Thread(target=self._serve, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        if not self._startup_over.wait(startup_timeout_seconds) or not self._server.started:
            self.stop()
            raise RuntimeError(f"server did not start on port {self.port} within {startup_timeout_seconds} s")

    def _serve(self) -> None:
        """The thread's body; ends the startup wait even when uvicorn fails before its startup."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._startup_over.set()

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43123` (loopback when listening on every interface)."""
        return f"http://{LOOPBACK if self.host in WILDCARD_HOSTS else self.host}:{self.port}"

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=JOIN_SECONDS)
        self._socket.close()
        logger.debug("port=<%s> | background server stopped", self.port)
