"""Run an ASGI app with uvicorn in a background thread, guarded against idle, slow and too many connections.

WHY a thread, not a subprocess: the front door lives in the same process as the code that starts the
local runtime (tests, `python -m local`), so it stops when its owner stops and needs no readiness file.

WHY the guard (uvicorn 0.54 with h11, read from `uvicorn/protocols/http/h11_impl.py`): uvicorn arms no timer
before a connection's first response and `limit_concurrency` answers only once a request head arrived, so
idle or half-sent connections were kept forever until descriptors ran out, and asyncio then logged every
failed `accept()`. The agent server has the same guard (`agent/http_server.py`); `local/` and `agent/`
never import each other, so each carries its own:

- a request head must arrive within `header_timeout_seconds` of the connection opening or of its previous
  response, and a request body within `body_timeout_seconds` (408), or the connection is closed;
- at most `max_connections` are open (never more than half the descriptor limit); one more gets 503;
- running out of descriptors anyway is logged once a minute, not once per `accept()`.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import resource
import socket
import threading
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from local.aws_errors import ERROR_TYPE_HEADER, aws_error_type

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # nosec B104 - names, not a bind: these are only compared against
MAX_REQUEST_HEAD_BYTES = 128 * 1024  # AgentCore forwards up to 20 allowlisted headers of up to 4 KB each
LOG_INTERVAL_SECONDS = 60.0


class _Throttled:
    """A warning logged at most once per interval, with how often it was suppressed meanwhile."""

    def __init__(self, message: str) -> None:
        self._message, self._last, self._suppressed = message, float("-inf"), 0

    def warn(self, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last < LOG_INTERVAL_SECONDS:
            self._suppressed += 1
            return
        logger.warning(self._message, self._suppressed, *args)
        self._last, self._suppressed = now, 0


def _error_type_header(status: int) -> bytes:
    """The AWS error name header (local/aws_errors.py), so SDKs read these refusals like the front door's."""
    return f"{ERROR_TYPE_HEADER}: {aws_error_type(status)}".encode()


def _error_json(status_line: bytes, body: dict[str, str], *extra_headers: bytes) -> bytes:
    data = json.dumps(body).encode()
    headers = b"".join(h + b"\r\n" for h in extra_headers)
    return (
        status_line
        + b"\r\ncontent-type: application/json\r\nconnection: close\r\n"
        + headers
        + b"content-length: "
        + str(len(data)).encode()
        + b"\r\n\r\n"
        + data
    )


def _guarded_protocol(header_timeout_seconds: float, connection_limit: int) -> type[H11Protocol]:
    message = f"the server already has {connection_limit} open connections, its limit; retry later"
    refusal = _error_json(
        b"HTTP/1.1 503 Service Unavailable",
        {"error": message, "code": "too_many_connections", "message": message},
        b"retry-after: 1",
        _error_type_header(503),
    )
    refused_log = _Throttled("suppressed=<%s>, limit=<%s> | refused a connection over the limit")

    class GuardedH11Protocol(H11Protocol):
        _timer: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= connection_limit:
                self._refused = True
                transport.write(refusal)
                transport.close()
                refused_log.warn(connection_limit)
                return
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if not self._refused:
                self._disarm()
                super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a complete request head arrived
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._timer = self.loop.call_later(header_timeout_seconds, self._timed_out)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _timed_out(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol


class _BodyTimedOut(Exception):
    """Raised into the app when its request body stopped arriving; the 408 is already sent."""


class BodyTimeout:
    """ASGI wrapper: a request body must arrive within `seconds`, else 408 and the connection is closed."""

    def __init__(self, app: Any, seconds: float) -> None:
        self._app, self._seconds = app, seconds

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self._seconds
        state = {"body_done": False, "started": False, "answered": False}

        async def timed_receive() -> dict[str, Any]:
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

        async def guarded_send(message: dict[str, Any]) -> None:
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


def _quiet_resource_errors() -> Any:
    throttled = _Throttled("suppressed=<%s>, error=<%s> | out of file descriptors; refusing new connections")

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            throttled.warn(errno.errorcode.get(error.errno or 0, "?"))
            return
        loop.default_exception_handler(context)

    return handle


class _GuardedServer(uvicorn.Server):
    async def serve(self, sockets: Any = None) -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_resource_errors())
        await super().serve(sockets)


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
        # back the second write of every response on a kept-alive connection until the client's delayed ACK (~40 ms).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port = self._socket.getsockname()[1]
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = max_connections if soft == resource.RLIM_INFINITY else max(1, min(max_connections, soft // 2))
        config = uvicorn.Config(
            BodyTimeout(app, body_timeout_seconds),
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
            http=_guarded_protocol(header_timeout_seconds, limit),
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        )
        self._server = _GuardedServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"uvicorn-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_started(startup_timeout_seconds)

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43123` (loopback when listening on every interface)."""
        return f"http://{LOOPBACK if self.host in WILDCARD_HOSTS else self.host}:{self.port}"

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
                raise RuntimeError(f"server did not start on port {self.port} within {timeout_seconds} s")
            time.sleep(0.02)
