"""The local stand-in for AgentCore Runtime's data-plane front door.

WHY: on AWS a client never talks to the container; it calls
`POST /runtimes/<URL-encoded runtime ARN>/invocations?qualifier=<endpoint>` and AgentCore checks the
bearer token, checks the session id, then forwards to the microVM with the session header. This
Starlette app does the same on 127.0.0.1 in front of the agent server, so the client's code paths
(URL building, token handling, streaming) are the deployed ones.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from local.jwt_authorizer import AuthorizationError, JwtAuthorizer

logger = logging.getLogger(__name__)

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
MIN_SESSION_ID_CHARS = 33
MAX_SESSION_ID_CHARS = 256
_FORWARDED_RESPONSE_HEADERS = ("content-type", "x-amzn-bedrock-agentcore-runtime-request-id")


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


def create_front_door(*, config: FrontDoorConfig, authorizer: JwtAuthorizer) -> Starlette:
    """Build the ASGI app.

    Args:
        config: runtime identity and upstream location.
        authorizer: the custom-JWT-authorizer equivalent that checks every call.
    """
    upstream = httpx.AsyncClient(base_url=config.upstream_url, timeout=config.upstream_timeout_seconds)

    async def invocations(request: Request) -> Response:
        checked = await _check_request(request, config=config, authorizer=authorizer)
        if isinstance(checked, Response):
            return checked
        return await _forward(request, upstream=upstream, session_id=checked)

    async def stop_session(request: Request) -> Response:
        checked = await _check_request(request, config=config, authorizer=authorizer)
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
            Route("/runtimes/{arn:path}/invocations", invocations, methods=["POST"]),
            Route("/runtimes/{arn:path}/stopruntimesession", stop_session, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """A JSON error body shaped like the agent's: `{"error": ..., "code": ...}`."""
    return JSONResponse({"error": message, "code": code}, status_code=status)


async def _check_request(request: Request, *, config: FrontDoorConfig, authorizer: JwtAuthorizer) -> str | Response:
    """Apply AgentCore's checks in order; return the session id to use, or the error response."""
    arn = unquote(request.path_params["arn"])
    if arn != config.runtime_arn:
        return error_response(404, "runtime_not_found", f"no agent runtime with ARN {arn!r} is served here")
    qualifier = request.query_params.get("qualifier", "DEFAULT")
    if qualifier not in (config.endpoint_name, "DEFAULT"):
        return error_response(404, "endpoint_not_found", f"runtime has no endpoint named {qualifier!r}")
    if len(request.headers.getlist("authorization")) > 1:
        # WHY: with two, the checked header and the forwarded one could differ; refuse rather than pick one.
        return error_response(401, "invalid_token", "request has more than one Authorization header; send exactly one")
    if request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
        # WHY: AgentCore refuses SigV4 on a runtime whose inbound auth is a custom JWT authorizer.
        # `message` too: SigV4 callers are AWS SDKs, which read AWS-style error bodies.
        mismatch = "Authorization method mismatch: this runtime accepts Cognito bearer tokens, not SigV4"
        return JSONResponse(
            {"error": mismatch, "code": "authorization_method_mismatch", "message": mismatch},
            status_code=403,
            headers={"x-amzn-ErrorType": "AccessDeniedException"},
        )
    try:
        claims = await run_in_threadpool(authorizer.authorize, request.headers.get("authorization"))
    except AuthorizationError as e:
        logger.info("status=<%s>, code=<%s> | request refused by authorizer", e.status, e.code)
        return error_response(e.status, e.code, e.message)
    session_id = request.headers.get(SESSION_HEADER) or f"local-{uuid.uuid4().hex}"
    problem = _session_id_problem(session_id)
    if problem:
        return error_response(400, "invalid_session_id", problem)
    logger.debug("sub=<%s>, session_id=<%s> | request authorized", claims.get("sub"), session_id)
    return session_id


def _session_id_problem(session_id: str) -> str | None:
    """Explain why a session id is unacceptable, or return None."""
    if len(session_id) < MIN_SESSION_ID_CHARS:
        return (
            f"{SESSION_HEADER} is {len(session_id)} characters long "
            f"but must be at least {MIN_SESSION_ID_CHARS}"
        )
    if len(session_id) > MAX_SESSION_ID_CHARS:
        return (
            f"{SESSION_HEADER} is {len(session_id)} characters long "
            f"but must be at most {MAX_SESSION_ID_CHARS}"
        )
    return None


async def _forward(request: Request, *, upstream: httpx.AsyncClient, session_id: str) -> Response:
    """Send the call to the agent server and stream its answer back unchanged."""
    headers = {
        SESSION_HEADER: session_id,
        "Content-Type": request.headers.get("content-type", "application/json"),
        "Authorization": request.headers["authorization"],
        REQUEST_HEADER: request.headers.get(REQUEST_HEADER) or uuid.uuid4().hex,
    }
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
    return StreamingResponse(
        answer.aiter_raw(),
        status_code=answer.status_code,
        headers=response_headers,
        background=BackgroundTask(answer.aclose),
    )
