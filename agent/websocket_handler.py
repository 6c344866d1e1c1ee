"""``/ws``: AgentCore's WebSocket contract beside ``/invocations`` (devguide ``runtime-get-started-websocket``).

The same rules as ``/invocations``: the caller from the forwarded headers (``agent/caller_identity.py``), the
session id from the header or, for browsers that cannot set headers, the query parameter of the same name,
the owner check before anything runs, and turns through the session registry (one at a time per session,
stored like every other turn). Frames are JSON text: the client sends ``{"prompt": …}``, ``{"type":
"cancel"}`` or ``{"action": "forget_me"}``; the agent answers with the SSE contract's events
(``agent/stream_events.py``), and forget-me with one ``receipt`` event. After forget-me the connection's
session is claimed again only when its next turn starts, so an erasure leaves no owner record behind.

A refused connection is accepted and then closed with the table's code and a JSON reason
(``agent/close_codes.py``), because a browser can read a close reason but not an HTTP refusal. A bad frame
(binary, not JSON, too long, a second prompt while a turn runs) is answered with an ``error`` event and the
connection stays open. A client that leaves mid-turn does not cut the turn short, as with SSE. When the
client offers the bearer subprotocol's sentinel ``base64UrlBearerAuthorization``, the agent echoes it (a
browser drops a connection whose server selects none of its subprotocols); the token-carrying subprotocol is
never echoed.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bedrock_agentcore.runtime.context import BedrockAgentCoreContext
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from agent.agentcore_headers import BEARER_SUBPROTOCOL, REQUEST_ID_HEADER, SESSION_HEADER
from agent.caller_identity import caller_actor
from agent.close_codes import IDLE_TIMEOUT_CODE, IDLE_TIMEOUT_STATUS, close_code, close_reason, error_close
from agent.conversation import StreamEvent, stream_turn
from agent.errors import ApiError, BadRequestError, InternalError, PayloadTooLargeError, SessionBusyError
from agent.forget_me import ForgetMe
from agent.request_log import log_failed_request, log_request
from agent.request_payload import parse_json_body, requested_action, validate_payload, validate_session_id
from agent.session_access import authorize_session
from agent.session_registry import SessionRegistry
from agent.session_store import SessionStore
from agent.settings import Settings
from agent.stream_events import (
    STREAM_ENDED,
    end_of_stream,
    error_fields,
    event_body,
    receipt_body,
    stream_outcome,
)

logger = logging.getLogger(__name__)

CANCEL = "cancel"


@dataclass
class _Turn:
    """The connection's running turn: the task forwarding its events and the signal that stops it."""

    task: asyncio.Task[None]
    cancel_signal: threading.Event


class WebSocketHandler:
    """Serves one ``/ws`` connection per call of :meth:`handle`."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: SessionStore,
        registry: SessionRegistry,
        forget_me: ForgetMe,
        max_frame_bytes: int,
    ) -> None:
        self._settings = settings
        self._store = store
        self._registry = registry
        self._forget_me = forget_me
        self._max_frame_bytes = max_frame_bytes

    async def handle(self, websocket: WebSocket) -> None:
        request_id = websocket.headers.get(REQUEST_ID_HEADER) or str(uuid.uuid4())
        session_id = websocket.headers.get(SESSION_HEADER) or websocket.query_params.get(SESSION_HEADER)
        subprotocol = BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in websocket.scope.get("subprotocols", []) else None
        actor_id = None
        try:
            session_id = validate_session_id(session_id)
            actor_id = caller_actor(websocket.headers, authorizer_type=self._settings.authorizer_type)
            await authorize_session(self._store.owners, session_id, actor_id, registry=self._registry)
        except Exception as raw:
            error = log_failed_request(
                raw,
                session_id=session_id,
                request_id=request_id,
                actor_id=actor_id,
                started=time.monotonic(),
                stream=True,
                what="websocket refused",
            )
            await websocket.accept(subprotocol=subprotocol)
            code, reason = error_close(error)
            await websocket.close(code=code, reason=reason)
            return
        await websocket.accept(subprotocol=subprotocol)
        await _Connection(self, websocket, session_id, actor_id).serve()


class _Connection:
    """One accepted connection: reads frames, runs at most one turn at a time, closes when idle."""

    def __init__(self, handler: WebSocketHandler, websocket: WebSocket, session_id: str, actor_id: str) -> None:
        self._handler = handler
        self._websocket = websocket
        self._session_id = session_id
        self._actor_id = actor_id
        self._turn: _Turn | None = None
        self._claimed = True  # the handler claimed the session before accepting; forget-me releases it

    async def serve(self) -> None:
        receive: asyncio.Task[Any] = asyncio.ensure_future(self._websocket.receive())
        idle_seconds = self._handler._settings.ws_idle_timeout_seconds
        try:
            while True:
                waiting: set[asyncio.Future[Any]] = {receive}
                if self._turn is not None:
                    waiting.add(self._turn.task)
                done, _ = await asyncio.wait(
                    waiting, timeout=None if self._turn else idle_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    await self._close_idle(idle_seconds)
                    return
                if self._turn is not None and self._turn.task in done:
                    self._turn = None
                if receive not in done:
                    continue
                message = receive.result()
                if message["type"] == "websocket.disconnect":
                    return
                await self._on_frame(message)
                receive = asyncio.ensure_future(self._websocket.receive())
        finally:
            receive.cancel()
            if self._turn is not None:
                self._turn.task.cancel()  # stops forwarding only: the registry's task finishes and stores the turn

    async def _close_idle(self, idle_seconds: int) -> None:
        message = f"no frame for {idle_seconds} seconds; reconnect to continue"
        logger.info("session_id=<%s> | closed an idle websocket", self._session_id)
        await self._websocket.close(
            code=close_code(IDLE_TIMEOUT_STATUS), reason=close_reason(IDLE_TIMEOUT_CODE, message)
        )

    async def _on_frame(self, message: dict[str, Any]) -> None:
        request_id = str(uuid.uuid4())
        try:
            payload = self._decode(message)
            if isinstance(payload, dict) and payload.get("type") == CANCEL:
                if self._turn is not None:
                    self._turn.cancel_signal.set()
                return  # a cancel that crossed the turn's done event is not an error
            if isinstance(payload, dict) and "type" in payload:
                raise BadRequestError(f"field 'type' must be '{CANCEL}' or absent", code="invalid_payload")
            if requested_action(payload) is not None:
                await self._forget(request_id)
                return
            invocation = validate_payload(payload, max_prompt_chars=self._handler._settings.max_prompt_chars)
            if self._turn is not None:
                raise SessionBusyError("a turn is already running on this connection; wait for done or cancel it")
            if not self._claimed:
                await authorize_session(
                    self._handler._store.owners, self._session_id, self._actor_id, registry=self._handler._registry
                )
                self._claimed = True
        except ApiError as error:
            await self._send({"type": "error", **error_fields(error, request_id)})
            return
        cancel_signal = threading.Event()
        task = asyncio.ensure_future(self._run_turn(invocation.prompt, request_id, cancel_signal))
        self._turn = _Turn(task=task, cancel_signal=cancel_signal)

    async def _forget(self, request_id: str) -> None:
        """Erase the caller's data (frames wait meanwhile) and send the receipt; errors are the caller's to see."""
        if self._turn is not None:
            raise SessionBusyError("a turn is running on this connection; wait for done or cancel it, then forget")
        started = time.monotonic()
        try:
            receipt = await self._handler._forget_me.forget(self._actor_id)
        except Exception as raw:
            error = log_failed_request(
                raw,
                session_id=self._session_id,
                request_id=request_id,
                actor_id=self._actor_id,
                started=started,
                stream=True,
                what="forget-me failed",
            )
            await self._send({"type": "error", **error_fields(error, request_id)})
            return
        self._claimed = False
        log_request(
            session_id=self._session_id,
            request_id=request_id,
            actor_id=self._actor_id,
            status=200,
            outcome="forgotten",
            started=started,
            stream=True,
        )
        await self._send(receipt_body(receipt.body(), self._session_id, request_id))

    def _decode(self, message: dict[str, Any]) -> Any:
        text = message.get("text")
        if text is None:
            raise BadRequestError("binary frames are not accepted; send JSON text", code="invalid_frame")
        body = text.encode("utf-8", "surrogatepass")
        if len(body) > self._handler._max_frame_bytes:
            raise PayloadTooLargeError(
                f"frame is {len(body)} bytes long but may be at most {self._handler._max_frame_bytes}"
            )
        return parse_json_body(body)

    async def _run_turn(self, prompt: str, request_id: str, cancel_signal: threading.Event) -> None:
        """Start the turn in the registry and forward its events until done or error; log once."""
        started = time.monotonic()
        BedrockAgentCoreContext.set_request_context(request_id, self._session_id)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[StreamEvent] = asyncio.Queue()

        def emit(event: StreamEvent) -> None:  # called from the worker thread
            loop.call_soon_threadsafe(events.put_nowait, event)

        last = StreamEvent("disconnected")
        try:
            work = functools.partial(stream_turn, prompt=prompt, emit=emit, cancel_signal=cancel_signal)
            try:
                turn = await self._handler._registry.start(self._actor_id, self._session_id, work)
            except ApiError as error:
                last = StreamEvent("error", error=error)
                self._release(cancel_signal)
                await self._send(event_body(last, self._session_id, request_id))
                return
            turn.add_done_callback(functools.partial(end_of_stream, events=events, request_id=request_id))
            while True:
                event = await events.get()
                if event.kind == "end":
                    if last.kind != "done":
                        last = StreamEvent("error", error=InternalError(STREAM_ENDED))
                        self._release(cancel_signal)
                        await self._send(event_body(last, self._session_id, request_id))
                    return
                last = event
                if event.kind in ("done", "error"):
                    self._release(cancel_signal)
                await self._send(event_body(event, self._session_id, request_id))
                if event.kind == "error":
                    return
        finally:
            self._release(cancel_signal)
            self._log_turn(last, request_id, started)

    def _release(self, cancel_signal: threading.Event) -> None:
        """The connection takes a new prompt from now on: before the last event is sent, so a client answering
        ``done`` at once is never told a turn still runs (the registry's lock still serializes the session)."""
        if self._turn is not None and self._turn.cancel_signal is cancel_signal:
            self._turn = None

    def _log_turn(self, last: StreamEvent, request_id: str, started: float) -> None:
        status, outcome = stream_outcome(last)
        log_request(
            session_id=self._session_id,
            request_id=request_id,
            actor_id=self._actor_id,
            status=status,
            outcome=outcome,
            started=started,
            stream=True,
        )

    async def _send(self, body: dict[str, Any]) -> None:
        if self._websocket.application_state != WebSocketState.CONNECTED:
            return
        try:
            await self._websocket.send_text(json.dumps(body, ensure_ascii=False))
        except (WebSocketDisconnect, RuntimeError, OSError):
            logger.debug("session_id=<%s> | client left before an event was sent", self._session_id)
