"""Serve the app with uvicorn, guarded against idle, slow and too many connections.

What uvicorn (0.54, h11) does not do on its own, read from ``uvicorn/protocols/http/h11_impl.py``: it arms
no timer until a first response was sent (``timeout_keep_alive`` starts in ``on_response_complete`` and any
byte cancels it), so a connection that never completes its request head stays open forever; and
``limit_concurrency`` only answers 503 once a request head arrives, after the connection was accepted and
kept. Hundreds of idle or half-sent connections thus exhausted the file descriptors, ``/ping`` stopped
answering and asyncio logged every failed ``accept()``. Here:

- each connection must deliver a complete request head within ``HTTP_HEADER_TIMEOUT_SECONDS`` of opening or
  of its previous response, or it is closed (the request body has its own timeout, in ``agent/app.py``);
- at most ``HTTP_MAX_CONNECTIONS`` connections are open at once, and never more than half the process's file
  descriptor limit; one more is answered 503 with ``Retry-After`` and closed at once;
- request heads may be up to 128 KiB (AgentCore forwards at most 20 allowlisted headers of up to 4 KB each);
- a WebSocket upgrade stops the head timer (uvicorn's WebSocket protocols join the same connection set, so the
  cap counts WebSockets too; ``h11_impl.handle_websocket_upgrade`` and ``websockets_sansio_impl``);
- running out of descriptors anyway is logged as one line, at most once a minute, not once per ``accept()``.

The local runtime's servers (``local/http_server.py``) reuse this guard rather than carry a copy, so this
module imports nothing else from ``agent/`` at run time (``tests/local/test_http_server.py`` checks it).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import resource
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from agent.settings import Settings

logger = logging.getLogger(__name__)

MAX_REQUEST_HEAD_BYTES = 128 * 1024
DEFAULT_WS_MAX_MESSAGE_BYTES = 1024 * 1024
KEEP_ALIVE_SECONDS = 5  # uvicorn's default, stated: idle keep-alive connections close after this
LOG_INTERVAL_SECONDS = 60.0
RESOURCE_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class _Throttled:
    """A warning logged at most once per interval, with how often it happened meanwhile."""

    def __init__(self, message: str) -> None:
        self._message = message
        self._last = float("-inf")
        self._suppressed = 0

    def warn(self, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last < LOG_INTERVAL_SECONDS:
            self._suppressed += 1
            return
        logger.warning(self._message, self._suppressed, *args)
        self._last, self._suppressed = now, 0


def max_connections(configured: int) -> int:
    """``configured``, but at most half the soft file descriptor limit (the rest: store, model, logs)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return configured if soft == resource.RLIM_INFINITY else max(1, min(configured, soft // 2))


def guarded_protocol(
    *, header_timeout_seconds: float, connection_limit: int, refusal_headers: Mapping[str, str] | None = None
) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a request-head timeout and a connection cap.

    ``refusal_headers`` are added to the 503 over the cap (the local front door adds ``x-amzn-ErrorType``).
    """
    message = f"the server already has {connection_limit} open connections, its limit; retry later"
    refusal_body = json.dumps({"error": message, "code": "too_many_connections", "message": message}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in (refusal_headers or {}).items())
        + f"content-length: {len(refusal_body)}\r\n\r\n"
    )
    refusal = head.encode() + refusal_body
    refused_log = _Throttled("suppressed=<%s>, limit=<%s> | refused a connection over the limit")

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= connection_limit:
                self._refused = True
                transport.write(refusal)
                transport.close()
                refused_log.warn(connection_limit)
                return
            super().connection_made(transport)
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._disarm_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a complete request head arrived and a new request started
                self._disarm_head_timer()

        def handle_websocket_upgrade(self, event: Any) -> None:
            self._disarm_head_timer()  # the head arrived; the WebSocket's own idle rule applies from here
            super().handle_websocket_upgrade(event)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm_head_timer()  # the next request's head must arrive in time too

        def _arm_head_timer(self) -> None:
            self._disarm_head_timer()
            self._head_timer = self.loop.call_later(header_timeout_seconds, self._head_timed_out)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol


def _quiet_resource_errors() -> Any:
    """An event loop exception handler that turns the per-``accept()`` EMFILE storm into one throttled line."""
    throttled = _Throttled("suppressed=<%s>, error=<%s> | out of file descriptors; refusing new connections")

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in RESOURCE_ERRNOS:
            throttled.warn(errno.errorcode.get(error.errno or 0, "?"))
            return
        loop.default_exception_handler(context)

    return handle


class GuardedServer(uvicorn.Server):
    """uvicorn's server with the resource-error handler installed on its event loop."""

    async def serve(self, sockets: Any = None) -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_resource_errors())
        await super().serve(sockets)


def server_config(app: Any, settings: Settings, *, host: str | None = None) -> uvicorn.Config:
    """The uvicorn configuration ``python -m agent`` serves with (``host`` overrides ``settings.host``).

    With ``settings.unix_socket`` uvicorn listens on that socket (its ``uds``) and not on ``host``:``port``. uvicorn
    makes the socket file mode 0666 (``uvicorn/server.py``), so whoever creates the socket's directory decides who
    may connect: the local runtime makes it 0700 (``local/agent_process.py``).
    """
    limit = max_connections(settings.http_max_connections)
    # The app states its largest WebSocket message (agent/app.py); the library closes with 1009 above it.
    ws_max_size = getattr(getattr(app, "state", None), "ws_max_message_bytes", DEFAULT_WS_MAX_MESSAGE_BYTES)
    protocol = guarded_protocol(header_timeout_seconds=settings.http_header_timeout_seconds, connection_limit=limit)
    logger.info(
        "host=<%s>, port=<%s>, unix_socket=<%s>, max_connections=<%s> | serving",
        host or settings.host,
        settings.port,
        settings.unix_socket,
        limit,
    )
    return uvicorn.Config(
        app,
        host=host or settings.host,
        port=settings.port,
        uds=settings.unix_socket,
        http=protocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        ws="websockets-sansio",
        ws_max_size=ws_max_size,
        log_level="warning",
        access_log=False,
    )


def serve(app: Any, settings: Settings, *, host: str | None = None) -> None:
    """Serve ``app`` until the process is told to stop."""
    GuardedServer(server_config(app, settings, host=host)).run()
