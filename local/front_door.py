"""The local stand-in for AgentCore Runtime's data-plane front door.

WHY: on AWS a client never talks to the container; it calls
`POST /runtimes/<URL-encoded runtime ARN>/invocations?qualifier=<endpoint>` (or the runtime id with
`?accountId=`), AgentCore authenticates it with the runtime's one inbound authorizer (a custom JWT
authorizer, or IAM/SigV4), checks the session id, then forwards to the microVM with the session header and
only the allowlisted request headers. This Starlette app does the same on 127.0.0.1 in front of the agent
server, so the client's code paths (URL building, token handling or SigV4, streaming) are the deployed ones,
and every error answer is AWS-shaped (`message`, `x-amzn-ErrorType`) so AWS SDKs can read it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute

from local.agentcore_headers import END_USER_HEADER, REQUEST_ID_HEADER, SESSION_HEADER
from local.aws_errors import ERROR_TYPE_HEADER, aws_error_type, error_response
from local.inbound_auth import AuthorizationError, AuthorizerType, InboundAuthorizer, InboundRequest
from local.request_body import (
    DEFAULT_MAX_PROMPT_CHARS,
    BodyTooLargeError,
    check_declared_length,
    max_body_bytes,
    read_body,
)
from local.runtime_address import RuntimeAddressError, check_runtime_address

logger = logging.getLogger(__name__)

# The request-header allowlist of the deployed runtime per authorizer (stacks/runtime/runtime_stack.py; a test keeps
# them equal): AgentCore forwards Authorization only to JWT runtimes, custom headers only when allowlisted.
# https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html
FORWARDED_HEADERS: dict[AuthorizerType, tuple[str, ...]] = {"jwt": ("Authorization",), "iam": (END_USER_HEADER,)}
MIN_SESSION_ID_CHARS = 33
MAX_SESSION_ID_CHARS = 256
# AgentCore's answer to a request signed the other way (aws/agentcore-cli issue 714, PR 1647: AccessDeniedException).
AUTHORIZATION_METHOD_MISMATCH = (
    "Authorization method mismatch. The agent is configured for a different authorization method than what was "
    "used in your request. Check the agent's authorization configuration and ensure your request uses the "
    "matching method (OAuth or SigV4)"
)
# Retry-After: the agent's busy-session answers (409/429) say when to retry, and the client honours it.
_FORWARDED_RESPONSE_HEADERS = (b"content-type", REQUEST_ID_HEADER.lower().encode(), b"retry-after")
_FOREIGN_SCHEME = {"jwt": "aws4-hmac-sha256", "iam": "bearer"}
# Printable ASCII (RFC 9110 field-vchar and SP, without obs-text): the session id is echoed in a response header,
# becomes part of store keys, and botocore's model bounds only its length (SessionType: 33-256 characters).
_SESSION_ID_CHARACTERS = range(0x20, 0x7F)
# What this front door serves, named in the 404 for any other path (the forms of botocore's bedrock-agentcore model:
# InvokeAgentRuntime and StopRuntimeSession, `agentRuntimeArn` "either the full ARN or the agent ID").
ADDRESS_FORMS = (
    "POST /runtimes/<URL-encoded runtime ARN>/invocations?qualifier=<endpoint>",
    "POST /runtimes/<runtime id>/invocations?accountId=<account>&qualifier=<endpoint>",
    "POST /runtimes/<URL-encoded runtime ARN, or id with accountId>/stopruntimesession?qualifier=<endpoint>",
    "GET (WebSocket) /runtimes/<URL-encoded runtime ARN>/ws?qualifier=<endpoint>",
    "GET /ping",
)
_ECHOED_PATH_CHARS = 200
# A refusal sent before the body was read: the rest of the body may still be arriving, so the connection is closed
# rather than kept for a next request it would be mistaken for (as the agent does for its 413).
_CLOSE = {"Connection": "close"}
# The front door's own failure (a bug): AgentCore's InternalServerException, never a stack trace.
FRONT_DOOR_FAILURE = "InternalServerException"


@dataclass(frozen=True)
class FrontDoorConfig:
    """What the front door serves and where it forwards.

    Attributes:
        runtime_arn: the ARN clients put (URL-encoded) in the path; other ARNs get 404.
        endpoint_name: the only accepted `qualifier` (default endpoint `DEFAULT` is also accepted).
        upstream_url: base URL of the agent server (`/invocations` and `/ping` live under it); with
            `upstream_unix_socket`, only its host names the agent in the `Host` header.
        upstream_unix_socket: the Unix socket the agent listens on, when it listens on one (the local runtime's
            agent does: see `local/agent_process.py`). Default: none, the agent is reached at `upstream_url`.
        upstream_timeout_seconds: how long one invocation may take end to end.
        max_body_bytes: the longest request body accepted, the agent's own limit (`local/request_body.py`).
            Default: the agent's limit for its default `MAX_PROMPT_CHARS`.
    """

    runtime_arn: str
    endpoint_name: str
    upstream_url: str
    upstream_unix_socket: Path | None = None
    upstream_timeout_seconds: float = 300.0
    max_body_bytes: int = max_body_bytes(DEFAULT_MAX_PROMPT_CHARS)


def create_front_door(*, config: FrontDoorConfig, authorizer: InboundAuthorizer) -> Starlette:
    """Build the ASGI app.

    Args:
        config: runtime identity and upstream location.
        authorizer: the runtime's inbound authorizer (`JwtAuthorizer` or `SigV4Authorizer`), checking every call.
    """
    transport = httpx.AsyncHTTPTransport(uds=str(config.upstream_unix_socket)) if config.upstream_unix_socket else None
    upstream = httpx.AsyncClient(
        base_url=config.upstream_url, transport=transport, timeout=config.upstream_timeout_seconds
    )
    forwarded = FORWARDED_HEADERS[authorizer.authorizer_type]

    async def invocations(request: Request) -> Response:
        checked = await _check_request(request, config=config, authorizer=authorizer, forwarded=forwarded)
        if isinstance(checked, Response):
            return checked
        session_id, body = checked
        return await _forward(request, upstream=upstream, session_id=session_id, body=body, forwarded=forwarded)

    async def stop_session(request: Request) -> Response:
        checked = await _check_request(request, config=config, authorizer=authorizer, forwarded=forwarded)
        if isinstance(checked, Response):
            return checked
        session_id, _ = checked
        # WHY no call to the agent: locally one agent process serves every session, so there is no
        # microVM to stop. As on AWS, what the session store persisted stays and a later call resumes it.
        logger.info("session_id=<%s> | stop requested; local runtime has no per-session microVM", session_id)
        return JSONResponse({"runtimeSessionId": session_id, "statusCode": 200}, headers={SESSION_HEADER: session_id})

    async def ping(_: Request) -> Response:
        return JSONResponse({"status": "Healthy"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await upstream.aclose()

    # Imported here: local/front_door_ws.py reuses this module's checks, so it imports this module.
    from local.front_door_ws import websocket_endpoint

    return Starlette(
        routes=[
            Route("/runtimes/{identifier:path}/invocations", invocations, methods=["POST"]),
            WebSocketRoute(
                "/runtimes/{identifier:path}/ws",
                websocket_endpoint(config=config, authorizer=authorizer, forwarded=forwarded),
            ),
            Route("/runtimes/{identifier:path}/stopruntimesession", stop_session, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: _unrouted, Exception: _failed},
    )


async def _unrouted(request: Request, exc: Exception) -> Response:
    """Starlette's 404 (no route) and 405 (route, other method), AWS-shaped and naming the address forms served.

    WHY ResourceNotFoundException: botocore's bedrock-agentcore model has no shape for an unknown route; its
    404 shape is "the specified resource does not exist", which a client calling `POST /invocations` (the starter
    toolkit's local address) or a misspelt action hits.
    """
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    path = raw_path(request)
    shown = path if len(path) <= _ECHOED_PATH_CHARS else path[:_ECHOED_PATH_CHARS] + "..."
    code = "unknown_route" if status == 404 else "method_not_allowed"
    message = f"no operation at {request.method} {shown}; this front door serves: " + "; ".join(ADDRESS_FORMS)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    return error_response(status, code, message, error_type="ResourceNotFoundException", headers={**headers, **_CLOSE})


async def _failed(_: Request, exc: Exception) -> Response:
    """A bug in the front door: a JSON 500 the SDKs read, the stack trace only in the log (Starlette logs it)."""
    logger.error("error=<%s> | front door failed", type(exc).__name__)
    return error_response(
        500, "internal_error", "the local front door failed; see its log", error_type=FRONT_DOOR_FAILURE, headers=_CLOSE
    )


async def _check_request(
    request: Request, *, config: FrontDoorConfig, authorizer: InboundAuthorizer, forwarded: tuple[str, ...]
) -> tuple[str, bytes] | Response:
    """Apply AgentCore's checks in order; return the session id to use and the body, or the error response.

    The body is read last and only up to the agent's limit: a JWT is checked before any of it is read (a bearer
    token does not cover the body), SigV4 needs the body's hash so it is read first, never past the limit.
    """
    try:
        check_headers(request, config=config, forwarded=forwarded)
        if authorizer.authorizer_type == "iam":
            body = await read_body(request, config.max_body_bytes)
            principal = await _authenticate(request, body, authorizer)
        else:
            principal = await _authenticate(request, b"", authorizer)
            body = await read_body(request, config.max_body_bytes)
    except Refusal as refusal:
        return refusal.response
    except BodyTooLargeError as e:
        return error_response(413, "payload_too_large", e.message, headers=_CLOSE)
    except ClientDisconnect:
        # Nobody is left to read an answer; this one only ends the request without logging it as a failure.
        logger.info("path=<%s> | client left before sending the whole body", request.url.path[:_ECHOED_PATH_CHARS])
        return error_response(400, "client_disconnected", "the client closed the connection before the whole body")
    session_id = request.headers.get(SESSION_HEADER) or f"local-{uuid.uuid4().hex}"
    problem = session_id_problem(session_id)
    if problem:
        return error_response(400, "invalid_session_id", problem)
    logger.debug("principal=<%s>, session_id=<%s> | request authorized", principal, session_id)
    return session_id, body


class Refusal(Exception):
    """A check failed: answer `response` (sent before the body was read, so the connection is closed)."""

    def __init__(self, status: int, code: str, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        self.response = error_response(status, code, message, error_type=error_type, headers=_CLOSE)


def check_headers(request: HTTPConnection, *, config: FrontDoorConfig, forwarded: tuple[str, ...]) -> None:
    """The checks that need the address and headers only, the declared body length included.

    Raises:
        Refusal: the first check that failed.
        BodyTooLargeError: `Content-Length` is over the agent's limit.
    """
    try:
        check_runtime_address(
            _raw_identifier(request), account_id=request.query_params.get("accountId"), runtime_arn=config.runtime_arn
        )
    except RuntimeAddressError as e:
        raise Refusal(e.status, e.code, e.message) from None
    qualifier = request.query_params.get("qualifier", "DEFAULT")
    if qualifier not in (config.endpoint_name, "DEFAULT"):
        raise Refusal(404, "endpoint_not_found", f"runtime has no endpoint named {qualifier!r}")
    if len(request.headers.getlist("authorization")) > 1:
        # WHY: with two, the checked header and the forwarded one could differ; refuse rather than pick one.
        raise Refusal(401, "invalid_token", "request has more than one Authorization header; send exactly one")
    repeated = _repeated_forwarded_header(request, forwarded)
    if repeated:
        raise Refusal(400, "repeated_header", repeated)
    check_declared_length(request.headers, config.max_body_bytes)


async def _authenticate(request: Request, body: bytes, authorizer: InboundAuthorizer) -> str:
    """The authorizer's verdict on the request (with `body` as received; empty for a JWT, which does not cover it)."""
    return await authenticate_inbound(_inbound_request(request, body), authorizer)


async def authenticate_inbound(inbound: InboundRequest, authorizer: InboundAuthorizer) -> str:
    """The authorizer's verdict on a request as it arrived (HTTP or a WebSocket upgrade).

    Raises:
        Refusal: a request signed the other way, or one the authorizer refuses.
    """
    scheme = (inbound.header("authorization") or "").split(" ", 1)[0].lower()
    if scheme == _FOREIGN_SCHEME[authorizer.authorizer_type]:
        # WHY: AgentCore authorizes a runtime one way only; SigV4 to a JWT runtime, or a bearer token to an
        # IAM runtime, is refused before any verification.
        raise Refusal(403, "authorization_method_mismatch", AUTHORIZATION_METHOD_MISMATCH)
    try:
        return await run_in_threadpool(authorizer.authenticate, inbound)
    except AuthorizationError as e:
        logger.info("status=<%s>, code=<%s> | request refused by authorizer", e.status, e.code)
        raise Refusal(e.status, e.code, e.message, error_type=e.error_type) from None


def raw_path(request: HTTPConnection) -> str:
    """The path exactly as sent (ASGI `raw_path`, still percent-encoded); Starlette's `path` is decoded."""
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    return raw_path.decode("latin-1")


def _raw_identifier(request: HTTPConnection) -> str:
    """The runtime identifier as sent: the path between `/runtimes/` and the action, still percent-encoded."""
    return raw_path(request)[len("/runtimes/") :].rsplit("/", 1)[0]


def _inbound_request(request: Request, body: bytes) -> InboundRequest:
    """The request as the signer saw it: raw path and query, lower-case headers (repeats joined by `,`)."""
    headers = {name: ",".join(request.headers.getlist(name)) for name in request.headers}
    return InboundRequest(
        method=request.method,
        raw_path=raw_path(request),
        query_string=request.scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
    )


def _repeated_forwarded_header(request: HTTPConnection, forwarded: tuple[str, ...]) -> str | None:
    """An allowlisted header sent more than once: which value would the agent see? Refuse instead.

    Runs after the Authorization check, so only a custom header can be repeated here.
    """
    for name in forwarded:
        count = len(request.headers.getlist(name))
        if count > 1:
            return f"header {name} appears {count} times but may appear at most once"
    return None


def session_id_problem(session_id: str) -> str | None:
    """Explain why a session id is unacceptable, or return None."""
    if len(session_id) < MIN_SESSION_ID_CHARS:
        return f"{SESSION_HEADER} is {len(session_id)} characters long but must be at least {MIN_SESSION_ID_CHARS}"
    if len(session_id) > MAX_SESSION_ID_CHARS:
        return f"{SESSION_HEADER} is {len(session_id)} characters long but must be at most {MAX_SESSION_ID_CHARS}"
    for position, character in enumerate(session_id):
        if ord(character) not in _SESSION_ID_CHARACTERS:
            # Starlette decodes header bytes as Latin-1, so each character is one byte as sent.
            return (
                f"{SESSION_HEADER} may hold printable ASCII characters only, "
                f"but byte 0x{ord(character):02x} at position {position} is not"
            )
    return None


async def _forward(
    request: Request, *, upstream: httpx.AsyncClient, session_id: str, body: bytes, forwarded: tuple[str, ...]
) -> Response:
    """Send the call to the agent server with the allowlisted headers only, and stream its answer back.

    Header values travel as the bytes that arrived (Starlette decodes them as Latin-1, encoding back restores them):
    httpx would encode a `str` as ASCII and fail on any other byte. An end-user header that is not ASCII thus
    reaches the agent unchanged, which hashes it like any unsafe user id (`agent/caller_identity.py`).
    An error answer gets `x-amzn-ErrorType` (and `message`, if the agent left it out) so AWS SDKs can read it.
    """
    headers = {
        SESSION_HEADER: session_id,
        "Content-Type": request.headers.get("content-type", "application/json"),
        REQUEST_ID_HEADER: request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex,
    }
    headers.update({name: request.headers[name] for name in forwarded if name in request.headers})
    if "accept" in request.headers:
        headers["Accept"] = request.headers["accept"]
    raw_headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    outgoing = upstream.build_request("POST", "/invocations", headers=raw_headers, content=body)
    try:
        answer = await upstream.send(outgoing, stream=True)
    except httpx.HTTPError as e:
        logger.warning("upstream=<%s>, error=<%s> | agent server unreachable", upstream.base_url, e)
        return error_response(502, "runtime_unavailable", "the agent server behind the local runtime is unreachable")
    response_headers = {
        name.decode("latin-1"): value.decode("latin-1")  # as sent; Starlette encodes them back as Latin-1
        for name, value in answer.headers.raw
        if name.lower() in _FORWARDED_RESPONSE_HEADERS
    }
    response_headers[SESSION_HEADER] = session_id
    if answer.status_code >= 400:
        response_headers[ERROR_TYPE_HEADER] = aws_error_type(answer.status_code)
        response_headers["content-type"] = "application/json"
        try:
            body = await _aws_shaped_error_body(answer)
        finally:
            await answer.aclose()
        return Response(body, status_code=answer.status_code, headers=response_headers)
    return StreamingResponse(
        answer.aiter_raw(),
        status_code=answer.status_code,
        headers=response_headers,
        background=BackgroundTask(answer.aclose),
    )


async def _aws_shaped_error_body(answer: httpx.Response) -> bytes:
    """The agent's error body with a `message`: added from `error` if missing; a non-JSON body is wrapped."""
    body = await answer.aread()
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        text = body.decode("utf-8", errors="replace").strip()[:1000] or f"the agent answered HTTP {answer.status_code}"
        return json.dumps({"error": text, "code": "runtime_error", "message": text}).encode()
    if "message" not in document:
        document["message"] = str(document.get("error") or f"the agent answered HTTP {answer.status_code}")
    return json.dumps(document).encode()
