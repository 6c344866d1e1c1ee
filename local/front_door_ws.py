"""The local front door's WebSocket address: `/runtimes/<URL-encoded ARN>/ws?qualifier=…`, proxied to the agent's `/ws`.

WHY: AgentCore accepts three ways to authenticate a WebSocket (devguide `runtime-get-started-websocket`): an OAuth
bearer token in `Authorization` (SDK clients), the same token as the subprotocol
`base64UrlBearerAuthorization.<base64url token, no padding>` next to the sentinel `base64UrlBearerAuthorization`
(browsers cannot set headers), and SigV4 (headers, or a pre-signed URL) for IAM runtimes. The checks are the HTTP
address's (`local/front_door.py`: address, qualifier, authorizer, session id), run before the upgrade, so a
refusal is the same status, JSON body and `x-amzn-ErrorType` as over HTTP (sent with the WebSocket Denial
Response extension, which uvicorn implements). The session id comes from the header or, for browsers, the query
parameter of the same name.

What the agent gets: the session header and the allowlisted headers, like `/invocations`; a token that came as a
subprotocol is forwarded as `Authorization: Bearer …`, the form the agent reads the caller from (whether AgentCore
itself rewrites it so is not documented; the agent also accepts it only from the header). Of the subprotocols,
only the sentinel is forwarded and echoed, never the token-carrying one. Frames and the agent's close code and
reason are relayed unchanged both ways.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect, unix_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from local.agentcore_headers import BEARER_SUBPROTOCOL, REQUEST_ID_HEADER, SESSION_HEADER
from local.aws_errors import error_response
from local.front_door import (
    FrontDoorConfig,
    Refusal,
    authenticate_inbound,
    check_headers,
    raw_path,
    session_id_problem,
)
from local.inbound_auth import InboundAuthorizer, InboundRequest
from local.request_body import BodyTooLargeError

logger = logging.getLogger(__name__)

TOKEN_SUBPROTOCOL_PREFIX = BEARER_SUBPROTOCOL + "."
UPSTREAM_OPEN_TIMEOUT_SECONDS = 10.0
UPSTREAM_MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # the agent's events (a done event carries the whole answer)
# Close codes that may not be sent in a close frame (RFC 6455 §7.4.1): an abnormal end of the agent's connection
# is relayed as 1011 (internal error) instead.
UNSENDABLE_CLOSE_CODES = frozenset({1005, 1006, 1015})
INTERNAL_ERROR_CLOSE = 1011


def websocket_endpoint(
    *, config: FrontDoorConfig, authorizer: InboundAuthorizer, forwarded: tuple[str, ...]
) -> Callable[[WebSocket], Awaitable[None]]:
    """The `/runtimes/{identifier}/ws` endpoint: check as HTTP does, then relay to the agent's `/ws`."""

    async def endpoint(websocket: WebSocket) -> None:
        try:
            check_headers(websocket, config=config, forwarded=forwarded)
            inbound, bearer = _inbound_request(websocket)
            await authenticate_inbound(inbound, authorizer)
        except Refusal as refusal:
            await websocket.send_denial_response(refusal.response)
            return
        except BodyTooLargeError as e:
            await websocket.send_denial_response(error_response(413, "payload_too_large", e.message))
            return
        session_id = (
            websocket.headers.get(SESSION_HEADER)
            or websocket.query_params.get(SESSION_HEADER)
            or f"local-{uuid.uuid4().hex}"
        )
        problem = session_id_problem(session_id)
        if problem:
            await websocket.send_denial_response(error_response(400, "invalid_session_id", problem))
            return
        headers = {
            SESSION_HEADER: session_id,
            REQUEST_ID_HEADER: websocket.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex,
        }
        headers.update({name: websocket.headers[name] for name in forwarded if name in websocket.headers})
        if bearer is not None and "Authorization" in forwarded:
            headers["Authorization"] = f"Bearer {bearer}"
        sentinel = BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in websocket.scope.get("subprotocols", []) else None
        try:
            upstream = await _connect_upstream(config, headers, sentinel)
        except (OSError, InvalidHandshake, TimeoutError) as e:
            logger.warning("error=<%s> | agent websocket unreachable", type(e).__name__)
            await websocket.send_denial_response(
                error_response(502, "runtime_unavailable", "the agent server behind the local runtime is unreachable")
            )
            return
        await websocket.accept(subprotocol=sentinel)
        await _relay(websocket, upstream)

    return endpoint


def _inbound_request(websocket: WebSocket) -> tuple[InboundRequest, str | None]:
    """The upgrade request as the authorizer checks it, and the bearer token when it came as a subprotocol.

    Raises:
        Refusal: the subprotocols carry a token without the sentinel, more than one token, a token that is not
            base64url, or a token besides an `Authorization` header.
    """
    headers = {name: ",".join(websocket.headers.getlist(name)) for name in websocket.headers}
    offered: list[str] = websocket.scope.get("subprotocols", [])
    tokens = [
        protocol[len(TOKEN_SUBPROTOCOL_PREFIX) :]
        for protocol in offered
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX)
    ]
    bearer = None
    if tokens:
        if len(tokens) > 1 or BEARER_SUBPROTOCOL not in offered:
            raise Refusal(
                401,
                "invalid_token",
                f"offer one {TOKEN_SUBPROTOCOL_PREFIX}<token> subprotocol and the {BEARER_SUBPROTOCOL} sentinel",
            )
        if "authorization" in headers:
            raise Refusal(400, "invalid_token", "send the token once: in Authorization or as a subprotocol, not both")
        bearer = _decoded_token(tokens[0])
        headers["authorization"] = f"Bearer {bearer}"
    inbound = InboundRequest(
        method="GET",
        raw_path=raw_path(websocket),
        query_string=websocket.scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=b"",
    )
    return inbound, bearer


def _decoded_token(encoded: str) -> str:
    """base64url without padding (RFC 4648 §5) → the token text; padding in the subprotocol is refused."""
    try:
        if "=" in encoded:
            raise ValueError("padding")
        padded = encoded + "=" * (-len(encoded) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Refusal(
            401, "invalid_token", f"the {TOKEN_SUBPROTOCOL_PREFIX} subprotocol must carry base64url without padding"
        ) from None


async def _connect_upstream(config: FrontDoorConfig, headers: dict[str, str], sentinel: str | None) -> ClientConnection:
    """Open the agent's `/ws` with the forwarded headers, over its Unix socket when it listens on one."""
    options: dict[str, Any] = {
        "additional_headers": headers,
        "subprotocols": [sentinel] if sentinel else None,
        "open_timeout": UPSTREAM_OPEN_TIMEOUT_SECONDS,
        "max_size": UPSTREAM_MAX_MESSAGE_BYTES,
    }
    address = config.upstream_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/") + "/ws"
    if config.upstream_unix_socket is not None:
        return await unix_connect(str(Path(config.upstream_unix_socket)), uri=address, **options)
    return await connect(address, **options)


async def _relay(websocket: WebSocket, upstream: ClientConnection) -> None:
    """Copy frames both ways until either side closes; the agent's close code and reason reach the client."""

    async def client_to_agent() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                code = message.get("code") or 1000
                await upstream.close(code=1000 if code in UNSENDABLE_CLOSE_CODES else code)
                return
            if message.get("text") is not None:
                await upstream.send(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])

    async def agent_to_client() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in upstream:
                if isinstance(frame, str):
                    await websocket.send_text(frame)
                else:
                    await websocket.send_bytes(frame)
        code = upstream.close_code or INTERNAL_ERROR_CLOSE
        await websocket.close(
            code=INTERNAL_ERROR_CLOSE if code in UNSENDABLE_CLOSE_CODES else code, reason=upstream.close_reason or ""
        )

    tasks = [asyncio.ensure_future(client_to_agent()), asyncio.ensure_future(agent_to_client())]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                logger.info("error=<%s> | websocket relay ended", type(task.exception()).__name__)
    finally:
        for task in tasks:
            task.cancel()
        await upstream.close()
