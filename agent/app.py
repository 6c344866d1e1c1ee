"""The ASGI app: a Starlette app serving AgentCore's HTTP contract, one isolated, persistent Strands agent per session.

``create_app(settings=None, *, model_factory=None)`` is the contract tests and ``python -m agent`` use; calling it
is the agent's startup (``agent/lifecycle.py``). Flow of one request: body (size and time bounded) → JSON →
session header → caller (JWT ``sub``; IAM mode: the end-user header) → payload → owner check → session (waited
for on the event loop, per-session lock) → turn in a worker thread → JSON or SSE answer; every outcome is
logged once.

Why a plain Starlette app and not ``BedrockAgentCoreApp``: bedrock_agentcore 1.25's app (``runtime/app.py``)
reads the whole body before the entrypoint runs (``await request.json()``, no size or time limit), answers bad
JSON in its own shape (``{"error": "Invalid JSON", "details": ...}``), serves ``/ping`` as a sync route from
the worker-thread pool, and runs an async entrypoint on a second event loop in another thread, holding a
worker thread per open stream (``_async_gen_to_sync_gen`` iterated by ``iterate_in_threadpool``). Every one of
those contradicts this contract (bounded bodies, one error shape, ``/ping`` never queued behind turns, waiting
without threads); fixing them around the SDK meant overriding its private members. The contract itself is
small (``POST /invocations``, ``GET /ping``; devguide ``runtime-http-protocol-contract``), so it is served
here directly, and the SDK is used through its public API only: ``BedrockAgentCoreContext`` (request and
session ids for SDK code such as the Memory session manager) and ``PingStatus`` (``agent/health.py``). Not
carried over: config bundles and routing-experiment span attributes read from baggage (``runtime/tracing.py``),
features this agent does not use, and the debug task actions.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from strands import Agent

from agent.agentcore_headers import REQUEST_ID_HEADER, SESSION_HEADER
from agent.caller_identity import caller_actor
from agent.conversation import StreamEvent, TurnResult, run_turn, stream_turn
from agent.conversation_repair import close_unanswered_turn
from agent.erasure import build_erasure
from agent.errors import (
    ApiError,
    ClientDisconnectedError,
    InternalError,
    PayloadTooLargeError,
    RequestTimeoutError,
)
from agent.forget_me import ForgetMe
from agent.health import PING_PATH
from agent.lifecycle import AgentLifecycle
from agent.model_factory import ModelFactory, model_factory_for, model_warm_up
from agent.request_log import log_failed_request, log_request
from agent.request_payload import (
    Invocation,
    parse_json_body,
    requested_action,
    validate_payload,
    validate_session_id,
)
from agent.restore_watch import RestoreWatch
from agent.session_access import authorize_session
from agent.session_registry import SessionRegistry
from agent.session_store import SessionStore, build_session_store
from agent.settings import Settings
from agent.stream_events import STREAM_ENDED, end_of_stream, error_fields, event_body, stream_outcome
from agent.tools import TOOLS
from agent.websocket_handler import WebSocketHandler

logger = logging.getLogger(__name__)

# Worst case JSON spends 12 bytes on one prompt character (a surrogate pair as two \uXXXX escapes); other
# fields are ignored but must fit in the slack.
BYTES_PER_PROMPT_CHAR = 12
BODY_SLACK_BYTES = 64 * 1024
TRANSPORT_FRAME_FACTOR = 2
SYSTEM_PROMPT = "You are a helpful assistant. Answer briefly. Use the get_weather tool for questions about the weather."


def error_response(error: ApiError, request_id: str) -> JSONResponse:
    """The contract's error body, with ``Retry-After`` when the error has one."""
    headers = {REQUEST_ID_HEADER: request_id}
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, RequestTimeoutError):
        headers["Connection"] = "close"  # the rest of the body may still arrive; do not read it as a request
    return JSONResponse(error_fields(error, request_id), status_code=error.status, headers=headers)


class InvocationHandler:
    """``POST /invocations``: reads, validates, authorizes, runs the turn and answers."""

    def __init__(
        self, *, settings: Settings, store: SessionStore, registry: SessionRegistry, forget_me: ForgetMe
    ) -> None:
        self._settings = settings
        self._store = store
        self._registry = registry
        self._forget_me = forget_me
        self.max_body_bytes = settings.max_prompt_chars * BYTES_PER_PROMPT_CHAR + BODY_SLACK_BYTES

    async def handle(self, request: Request) -> Response:
        started = time.monotonic()
        request_id = request.headers.get(REQUEST_ID_HEADER) or str(uuid.uuid4())
        session_id, actor_id, stream = request.headers.get(SESSION_HEADER), None, False
        BedrockAgentCoreContext.set_request_context(request_id, session_id)
        try:
            payload = parse_json_body(await self._read_body(request))
            session_id = validate_session_id(session_id)
            actor_id = caller_actor(request.headers, authorizer_type=self._settings.authorizer_type)
            if requested_action(payload) is not None:  # forget_me, the only action; the session is not claimed
                return await self._forget(session_id, actor_id, request_id, started)
            invocation = validate_payload(payload, max_prompt_chars=self._settings.max_prompt_chars)
            stream = invocation.stream
            await authorize_session(self._store.owners, session_id, actor_id, registry=self._registry)
            if invocation.stream:
                return await self._stream(invocation, session_id, actor_id, request_id, started)
            result: TurnResult = await self._registry.run(
                actor_id, session_id, functools.partial(run_turn, prompt=invocation.prompt)
            )
        except Exception as raw:
            error = log_failed_request(
                raw,
                session_id=session_id,
                request_id=request_id,
                actor_id=actor_id,
                started=started,
                stream=stream,
                what="turn failed",
            )
            return error_response(error, request_id)
        log_request(
            session_id=session_id,
            request_id=request_id,
            actor_id=actor_id,
            status=200,
            outcome="ok",
            started=started,
            stream=False,
        )
        body = {"response": result.text, "session_id": session_id, "request_id": request_id, "usage": result.usage}
        return JSONResponse(body, headers={REQUEST_ID_HEADER: request_id})

    async def _read_body(self, request: Request) -> bytes:
        """The whole body, refused when longer than any valid request or slower than the body timeout."""
        limit, seconds = self.max_body_bytes, self._settings.http_body_timeout_seconds
        declared = request.headers.get("content-length", "")
        too_large = PayloadTooLargeError(f"request body is longer than {limit} bytes, the most a valid request needs")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks: list[bytes] = []

        async def read() -> None:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)

        try:
            await asyncio.wait_for(read(), timeout=seconds)
        except TimeoutError:
            raise RequestTimeoutError(f"the request body did not arrive within {seconds} seconds") from None
        except ClientDisconnect:
            raise ClientDisconnectedError("the client closed the connection before sending the whole body") from None
        return b"".join(chunks)

    async def _forget(self, session_id: str, actor_id: str, request_id: str, started: float) -> Response:
        receipt = await self._forget_me.forget(actor_id)
        log_request(
            session_id=session_id,
            request_id=request_id,
            actor_id=actor_id,
            status=200,
            outcome="forgotten",
            started=started,
            stream=False,
        )
        return JSONResponse({"receipt": receipt.body()}, headers={REQUEST_ID_HEADER: request_id})

    async def _stream(
        self, invocation: Invocation, session_id: str, actor_id: str, request_id: str, started: float
    ) -> Response:
        """Start the turn (waiting, busy and queue-full are plain JSON errors), then answer with its SSE stream."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[StreamEvent] = asyncio.Queue()

        def emit(event: StreamEvent) -> None:  # called from the worker thread
            loop.call_soon_threadsafe(events.put_nowait, event)

        turn = await self._registry.start(
            actor_id, session_id, functools.partial(stream_turn, prompt=invocation.prompt, emit=emit)
        )
        turn.add_done_callback(functools.partial(end_of_stream, events=events, request_id=request_id))

        def finished(last: StreamEvent) -> None:
            status, outcome = stream_outcome(last)
            log_request(
                session_id=session_id,
                request_id=request_id,
                actor_id=actor_id,
                status=status,
                outcome=outcome,
                started=started,
                stream=True,
            )

        body = _sse_body(events, finished, session_id=session_id, request_id=request_id)
        return StreamingResponse(body, media_type="text/event-stream", headers={REQUEST_ID_HEADER: request_id})


async def _sse_body(
    events: asyncio.Queue[StreamEvent], finished: Callable[[StreamEvent], None], *, session_id: str, request_id: str
) -> AsyncIterator[bytes]:
    """Turn events into ``data:`` lines until the turn ends; log once, also when the client goes away."""
    last = StreamEvent("disconnected")
    try:
        while True:
            event = await events.get()
            if event.kind == "end":
                if last.kind != "done":
                    last = StreamEvent("error", error=InternalError(STREAM_ENDED))
                    yield _sse(event_body(last, session_id, request_id))
                break
            last = event
            yield _sse(event_body(event, session_id, request_id))
            if event.kind == "error":
                break
    except (asyncio.CancelledError, GeneratorExit):
        last = StreamEvent("disconnected")
        raise
    finally:
        finished(last)


def _sse(body: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


def _agent_builder(store: SessionStore, model_factory: ModelFactory) -> Callable[[str, str], Agent]:
    """Create one session's agent; its session manager restores the stored conversation on construction.

    A restored conversation whose last turn was never answered is closed before the agent is used
    (``agent/conversation_repair.py``).
    """

    def create(actor_id: str, session_id: str) -> Agent:
        session_manager = store.session_manager(session_id=session_id, actor_id=actor_id)
        agent = Agent(
            model=model_factory(),
            tools=list(TOOLS),
            system_prompt=SYSTEM_PROMPT,
            session_manager=session_manager,
            callback_handler=None,
            trace_attributes={"session.id": session_id},
        )
        closed = close_unanswered_turn(agent, session_manager)
        if closed:
            logger.warning(
                "session_id=<%s>, appended=<%s> | closed an unanswered turn found on restore", session_id, closed
            )
        return agent

    return create


def _repair_after_failure(store: SessionStore) -> Callable[[Any], bool]:
    """After a failed turn: a persisting store (the truth) restores the agent, so nothing is repaired and the
    registry drops it; with ``none`` the agent is the only copy, so its unanswered turn is closed in place and
    the repaired agent is kept. Returns whether it repaired the agent."""

    def repair(agent: Any) -> bool:
        if store.persists:
            return False
        close_unanswered_turn(agent, None)
        return True

    return repair


def create_app(
    settings: Settings | None = None,
    *,
    model_factory: ModelFactory | None = None,
    lifecycle: AgentLifecycle | None = None,
) -> Starlette:
    """Start the agent (``AgentLifecycle.warm_up``) and build its ASGI app from settings.

    Args:
        settings: validated settings; ``Settings.from_env()`` when omitted.
        model_factory: returns the Strands ``Model`` for an agent; defaults to the configured provider's one
            shared client, built on first use. Tests inject a scripted model here.
        lifecycle: the startup / after-restore / per-request state; one on the real clocks when omitted.
    """
    settings = settings or Settings.from_env()
    lifecycle = lifecycle or AgentLifecycle(settings)
    lifecycle.warm_up()  # before the app exists: its telemetry middleware takes the tracer with the safe ids
    store = build_session_store(settings)
    model_factory = model_factory or model_factory_for(settings)
    lifecycle.prepare_after_restore(
        builds=(*(client.build for client in store.clients), model_factory),
        warm_ups=(*(client.warm for client in store.clients), model_warm_up(model_factory, settings)),
    )
    registry = SessionRegistry(
        create_agent=_agent_builder(store, model_factory),
        max_sessions=settings.max_sessions,
        idle_ttl_seconds=settings.session_idle_ttl_seconds,
        wait_seconds=settings.session_wait_seconds,
        max_waiters=settings.session_max_waiters,
        repair_after_failure=_repair_after_failure(store),
    )
    forget_me = ForgetMe(
        enabled=settings.forget_me_enabled,
        erasure=build_erasure(settings, store),
        registry=registry,
        owners=store.owners,
    )
    invocations = InvocationHandler(settings=settings, store=store, registry=registry, forget_me=forget_me)
    websockets = WebSocketHandler(
        settings=settings,
        store=store,
        registry=registry,
        forget_me=forget_me,
        max_frame_bytes=invocations.max_body_bytes,
    )
    app = Starlette(
        routes=[
            Route("/invocations", invocations.handle, methods=["POST"]),
            Route(PING_PATH, lifecycle.health.ping, methods=["GET"]),
            WebSocketRoute("/ws", websockets.handle),
        ],
        middleware=[
            Middleware(
                RestoreWatch,
                detector=lifecycle.detector,
                after_restore=lifecycle.after_restore,
                serving=lifecycle.requests.serving,
            ),
        ],
    )
    # The WebSocket library's own frame cap (it closes with 1009): above the app's limit, so a frame a little
    # too long gets an error event and the connection stays open, while memory stays bounded.
    app.state.ws_max_message_bytes = TRANSPORT_FRAME_FACTOR * invocations.max_body_bytes
    logger.info(
        "model_provider=<%s>, model_id=<%s>, session_store=<%s>, max_sessions=<%s>, authorizer_type=<%s> "
        "| agent app ready",
        settings.model_provider,
        settings.model_id,
        settings.session_store,
        settings.max_sessions,
        settings.authorizer_type,
    )
    return app
