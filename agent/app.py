"""The ASGI app: BedrockAgentCoreApp serving one isolated, persistent Strands agent per session.

``create_app(settings=None, *, model_factory=None)`` is the contract tests and ``python -m agent`` use.
Flow of one request: JSON body → session header → caller (JWT ``sub``; IAM mode: the end-user header) → payload →
owner check → session checkout (per-session lock) → turn → JSON or SSE answer; every outcome is logged once.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext, RequestContext
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strands import Agent

from agent.caller_identity import caller_actor
from agent.conversation import StreamEvent, run_turn, stream_turn, to_api_error
from agent.errors import ApiError, SessionForbiddenError, StoreError
from agent.model_factory import ModelFactory, model_factory_for
from agent.request_log import log_request
from agent.request_payload import Invocation, parse_json_body, validate_payload, validate_session_id
from agent.session_registry import SessionRegistry
from agent.session_store import SessionStore, build_session_store
from agent.settings import Settings
from agent.tools import TOOLS

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
CLIENT_CLOSED_REQUEST = 499  # logged only: the client left mid-stream; the turn still completes and is stored
SYSTEM_PROMPT = (
    "You are a helpful assistant. Answer briefly. Use the get_weather tool for questions about the weather."
)


class AgentServerApp(BedrockAgentCoreApp):
    """BedrockAgentCoreApp whose malformed-JSON answer follows this server's error schema.

    The base class answers bad JSON before the entrypoint runs, with its own body shape; this check
    runs first so every 400 has ``error``, ``code`` and ``request_id``.
    """

    async def _handle_invocation(self, request: Request) -> Response:
        try:
            parse_json_body(await request.body())
        except ApiError as error:
            started = time.monotonic()
            request_id = request.headers.get(REQUEST_ID_HEADER) or str(uuid.uuid4())
            session_id = request.headers.get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
            log_request(session_id=session_id, request_id=request_id, actor_id=None, status=error.status,
                        outcome=error.code, started=started, stream=False)
            return error_response(error, request_id)
        return await super()._handle_invocation(request)


def error_response(error: ApiError, request_id: str) -> JSONResponse:
    """The contract's error body; ``message`` repeats ``error`` because AWS SDKs read the message from it."""
    body = {"error": error.message, "code": error.code, "message": error.message, "request_id": request_id}
    return JSONResponse(body, status_code=error.status, headers={REQUEST_ID_HEADER: request_id})


class InvocationHandler:
    """The entrypoint: validates, authorizes, runs the turn and answers."""

    def __init__(self, *, settings: Settings, store: SessionStore, registry: SessionRegistry) -> None:
        self._settings = settings
        self._store = store
        self._registry = registry

    def __call__(self, payload: Any, context: RequestContext) -> Any:
        started = time.monotonic()
        request_id = BedrockAgentCoreContext.get_request_id() or str(uuid.uuid4())
        session_id, actor_id, stream = context.session_id, None, False
        try:
            session_id = validate_session_id(context.session_id)
            actor_id = caller_actor(context.request_headers, authorizer_type=self._settings.authorizer_type)
            invocation = validate_payload(payload, max_prompt_chars=self._settings.max_prompt_chars)
            stream = invocation.stream
            self._authorize(session_id, actor_id)
            if invocation.stream:
                return self._stream(invocation, session_id, actor_id, request_id, started)
            with self._registry.checkout(actor_id, session_id) as agent:
                result = run_turn(agent, invocation.prompt)
        except Exception as raw:  # noqa: BLE001 - every failure is answered in the contract's schema
            error = to_api_error(raw)
            if not isinstance(raw, ApiError):
                logger.exception("session_id=<%s>, request_id=<%s> | turn failed", session_id, request_id)
            log_request(session_id=session_id, request_id=request_id, actor_id=actor_id, status=error.status,
                        outcome=error.code, started=started, stream=stream)
            return error_response(error, request_id)
        log_request(session_id=session_id, request_id=request_id, actor_id=actor_id, status=200, outcome="ok",
                    started=started, stream=False)
        body = {"response": result.text, "session_id": session_id, "request_id": request_id, "usage": result.usage}
        return JSONResponse(body, headers={REQUEST_ID_HEADER: request_id})

    def _authorize(self, session_id: str, actor_id: str) -> None:
        try:
            allowed = self._store.owners.is_owner(session_id, actor_id)
        except Exception as error:  # noqa: BLE001 - a store outage is a 5xx, not a 403
            logger.exception("session_id=<%s> | owner check failed", session_id)
            raise StoreError(f"the session store failed ({type(error).__name__}); see server logs for this request id") from error
        if not allowed:
            raise SessionForbiddenError("this session id belongs to another caller; start a new session")

    def _stream(self, invocation: Invocation, session_id: str, actor_id: str, request_id: str, started: float) -> Iterator[dict[str, Any]]:
        def finished(last: StreamEvent) -> None:
            status, outcome = 200, "ok"
            if last.error is not None:
                status, outcome = last.error.status, last.error.code
            elif last.kind == "disconnected":
                status, outcome = CLIENT_CLOSED_REQUEST, "client_disconnected"
            log_request(session_id=session_id, request_id=request_id, actor_id=actor_id, status=status,
                        outcome=outcome, started=started, stream=True)

        checkout = self._registry.checkout(actor_id, session_id)
        for event in stream_turn(checkout, invocation.prompt, finished):
            if event.kind == "delta":
                yield {"type": "delta", "text": event.text}  # the base app sends each as one `data:` event
            elif event.kind == "done" and event.result is not None:
                yield {"type": "done", "response": event.result.text, "session_id": session_id,
                       "request_id": request_id, "usage": event.result.usage}
            elif event.error is not None:
                yield {"type": "error", "error": event.error.message, "code": event.error.code,
                       "message": event.error.message, "request_id": request_id}


def _agent_builder(store: SessionStore, model_factory: ModelFactory) -> Callable[[str, str], Agent]:
    """Create one session's agent; its session manager restores the stored conversation on construction."""

    def create(actor_id: str, session_id: str) -> Agent:
        model = model_factory()
        try:
            return Agent(
                model=model,
                tools=list(TOOLS),
                system_prompt=SYSTEM_PROMPT,
                session_manager=store.session_manager(session_id=session_id, actor_id=actor_id),
                callback_handler=None,
                trace_attributes={"session.id": session_id},
            )
        except Exception as error:  # noqa: BLE001 - opening or reading the stored session failed
            logger.exception("session_id=<%s> | could not restore the session from the store", session_id)
            raise StoreError(f"the session store failed ({type(error).__name__}); see server logs for this request id") from error

    return create


def create_app(settings: Settings | None = None, *, model_factory: ModelFactory | None = None) -> AgentServerApp:
    """Build the ASGI app from settings (read from the environment when None).

    Args:
        settings: validated settings; ``Settings.from_env()`` when omitted.
        model_factory: returns a new Strands ``Model`` per agent; defaults to the configured provider.
            Tests inject a scripted model here.
    """
    settings = settings or Settings.from_env()
    store = build_session_store(settings)
    registry = SessionRegistry(
        create_agent=_agent_builder(store, model_factory or model_factory_for(settings)),
        max_sessions=settings.max_sessions,
        idle_ttl_seconds=settings.session_idle_ttl_seconds,
        wait_seconds=settings.session_wait_seconds,
    )
    app = AgentServerApp()
    # The base app logs its own line per request (WARNING for every 4xx); ours (agent.requests) is the one
    # with outcome and latency, so keep only the base app's errors.
    logging.getLogger("bedrock_agentcore.app").setLevel(logging.ERROR)
    handler = InvocationHandler(settings=settings, store=store, registry=registry)

    def invoke(payload: Any, context: RequestContext) -> Any:
        return handler(payload, context)

    app.entrypoint(invoke)
    app.state.registry = registry
    logger.info(
        "model_provider=<%s>, model_id=<%s>, session_store=<%s>, max_sessions=<%s>, authorizer_type=<%s> | agent app ready",
        settings.model_provider, settings.model_id, settings.session_store, settings.max_sessions, settings.authorizer_type,
    )
    return app
