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

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from local.aws_errors import ERROR_TYPE_HEADER, aws_error_type, error_response
from local.inbound_auth import AuthorizationError, AuthorizerType, InboundAuthorizer, InboundRequest
from local.runtime_address import RuntimeAddressError, check_runtime_address

logger = logging.getLogger(__name__)

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
END_USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id"
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
_FORWARDED_RESPONSE_HEADERS = ("content-type", "x-amzn-bedrock-agentcore-runtime-request-id", "retry-after")
_FOREIGN_SCHEME = {"jwt": "aws4-hmac-sha256", "iam": "bearer"}


@dataclass(frozen=True)
class FrontDoorConfig:
    """What the front door serves and where it forwards.

    Attributes:
        runtime_arn: the ARN clients put (URL-encoded) in the path; other ARNs get 404.
        endpoint_name: the only accepted `qualifier` (default endpoint `DEFAULT` is also accepted).
        upstream_url: base URL of the agent server (`/invocations` and `/ping` live under it).
        upstream_timeout_seconds: how long one invocation may take end to end.
    """

    runtime_arn: str
    endpoint_name: str
    upstream_url: str
    upstream_timeout_seconds: float = 300.0


def create_front_door(*, config: FrontDoorConfig, authorizer: InboundAuthorizer) -> Starlette:
    """Build the ASGI app.

    Args:
        config: runtime identity and upstream location.
        authorizer: the runtime's inbound authorizer (`JwtAuthorizer` or `SigV4Authorizer`), checking every call.
    """
    upstream = httpx.AsyncClient(base_url=config.upstream_url, timeout=config.upstream_timeout_seconds)
    forwarded = FORWARDED_HEADERS[authorizer.authorizer_type]

    async def invocations(request: Request) -> Response:
        checked = await _check_request(request, config=config, authorizer=authorizer, forwarded=forwarded)
        if isinstance(checked, Response):
            return checked
        return await _forward(request, upstream=upstream, session_id=checked, forwarded=forwarded)

    async def stop_session(request: Request) -> Response:
        checked = await _check_request(request, config=config, authorizer=authorizer, forwarded=forwarded)
        if isinstance(checked, Response):
            return checked
        # WHY no call to the agent: locally one agent process serves every session, so there is no
        # microVM to stop. As on AWS, what the session store persisted stays and a later call resumes it.
        logger.info("session_id=<%s> | stop requested; local runtime has no per-session microVM", checked)
        return JSONResponse({"runtimeSessionId": checked, "statusCode": 200}, headers={SESSION_HEADER: checked})

    async def ping(_: Request) -> Response:
        return JSONResponse({"status": "Healthy"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await upstream.aclose()

    return Starlette(
        routes=[
            Route("/runtimes/{identifier:path}/invocations", invocations, methods=["POST"]),
            Route("/runtimes/{identifier:path}/stopruntimesession", stop_session, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def _check_request(
    request: Request, *, config: FrontDoorConfig, authorizer: InboundAuthorizer, forwarded: tuple[str, ...]
) -> str | Response:
    """Apply AgentCore's checks in order; return the session id to use, or the error response."""
    try:
        check_runtime_address(
            _raw_identifier(request), account_id=request.query_params.get("accountId"), runtime_arn=config.runtime_arn
        )
    except RuntimeAddressError as e:
        return error_response(e.status, e.code, e.message)
    qualifier = request.query_params.get("qualifier", "DEFAULT")
    if qualifier not in (config.endpoint_name, "DEFAULT"):
        return error_response(404, "endpoint_not_found", f"runtime has no endpoint named {qualifier!r}")
    if len(request.headers.getlist("authorization")) > 1:
        # WHY: with two, the checked header and the forwarded one could differ; refuse rather than pick one.
        return error_response(401, "invalid_token", "request has more than one Authorization header; send exactly one")
    repeated = _repeated_forwarded_header(request, forwarded)
    if repeated:
        return error_response(400, "repeated_header", repeated)
    inbound = _inbound_request(request, await request.body())
    scheme = (inbound.header("authorization") or "").split(" ", 1)[0].lower()
    if scheme == _FOREIGN_SCHEME[authorizer.authorizer_type]:
        # WHY: AgentCore authorizes a runtime one way only; SigV4 to a JWT runtime, or a bearer token to an
        # IAM runtime, is refused before any verification.
        return error_response(403, "authorization_method_mismatch", AUTHORIZATION_METHOD_MISMATCH)
    try:
        principal = await run_in_threadpool(authorizer.authenticate, inbound)
    except AuthorizationError as e:
        logger.info("status=<%s>, code=<%s> | request refused by authorizer", e.status, e.code)
        return error_response(e.status, e.code, e.message, error_type=e.error_type)
    session_id = request.headers.get(SESSION_HEADER) or f"local-{uuid.uuid4().hex}"
    problem = _session_id_problem(session_id)
    if problem:
        return error_response(400, "invalid_session_id", problem)
    logger.debug("principal=<%s>, session_id=<%s> | request authorized", principal, session_id)
    return session_id


def _raw_path(request: Request) -> str:
    """The path exactly as sent (ASGI `raw_path`, still percent-encoded); Starlette's `path` is decoded."""
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    return raw_path.decode("latin-1")


def _raw_identifier(request: Request) -> str:
    """The runtime identifier as sent: the path between `/runtimes/` and the action, still percent-encoded."""
    return _raw_path(request)[len("/runtimes/") :].rsplit("/", 1)[0]


def _inbound_request(request: Request, body: bytes) -> InboundRequest:
    """The request as the signer saw it: raw path and query, lower-case headers (repeats joined by `,`)."""
    headers = {name: ",".join(request.headers.getlist(name)) for name in request.headers}
    return InboundRequest(
        method=request.method,
        raw_path=_raw_path(request),
        query_string=request.scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
    )


def _repeated_forwarded_header(request: Request, forwarded: tuple[str, ...]) -> str | None:
    """An allowlisted header sent more than once: which value would the agent see? Refuse instead.

    Runs after the Authorization check, so only a custom header can be repeated here.
    """
    for name in forwarded:
        count = len(request.headers.getlist(name))
        if count > 1:
            return f"header {name} appears {count} times but may appear at most once"
    return None


def _session_id_problem(session_id: str) -> str | None:
    """Explain why a session id is unacceptable, or return None."""
    if len(session_id) < MIN_SESSION_ID_CHARS:
        return f"{SESSION_HEADER} is {len(session_id)} characters long but must be at least {MIN_SESSION_ID_CHARS}"
    if len(session_id) > MAX_SESSION_ID_CHARS:
        return f"{SESSION_HEADER} is {len(session_id)} characters long but must be at most {MAX_SESSION_ID_CHARS}"
    return None


async def _forward(
    request: Request, *, upstream: httpx.AsyncClient, session_id: str, forwarded: tuple[str, ...]
) -> Response:
    """Send the call to the agent server with the allowlisted headers only, and stream its answer back.

    An error answer gets `x-amzn-ErrorType` (and `message`, if the agent left it out) so AWS SDKs can read it.
    """
    headers = {
        SESSION_HEADER: session_id,
        "Content-Type": request.headers.get("content-type", "application/json"),
        REQUEST_HEADER: request.headers.get(REQUEST_HEADER) or uuid.uuid4().hex,
    }
    headers.update({name: request.headers[name] for name in forwarded if name in request.headers})
    if "accept" in request.headers:
        headers["Accept"] = request.headers["accept"]
    outgoing = upstream.build_request("POST", "/invocations", headers=headers, content=await request.body())
    try:
        answer = await upstream.send(outgoing, stream=True)
    except httpx.HTTPError as e:
        logger.warning("upstream=<%s>, error=<%s> | agent server unreachable", upstream.base_url, e)
        return error_response(502, "runtime_unavailable", "the agent server behind the local runtime is unreachable")
    response_headers = {k: v for k, v in answer.headers.items() if k.lower() in _FORWARDED_RESPONSE_HEADERS}
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
