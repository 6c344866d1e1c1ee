"""The streamed turn's events as JSON bodies, shared by the SSE answer (``/invocations``) and the WebSocket (``/ws``).

One shape for both transports: ``{"type": "delta", "text"}``, ``{"type": "done", "response", "session_id",
"request_id", "usage"}`` (plus ``"cancelled": true`` when the client stopped the turn), and ``{"type": "error",
"error", "code", "message", "request_id"}``. The web app and the CLI read exactly these. ``/ws`` answers
forget-me with one ``{"type": "receipt", "receipt", "session_id", "request_id"}`` (``agent/forget_me.py``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from agent.conversation import StreamEvent
from agent.error_mapping import api_error_for
from agent.errors import ApiError, InternalError

logger = logging.getLogger(__name__)

STREAM_ENDED = "the stream ended without a result"  # a streamed turn that stopped without its done event
CLIENT_CLOSED_REQUEST = 499  # logged only: the client left mid-stream; the turn still completes and is stored


def error_fields(error: ApiError, request_id: str) -> dict[str, Any]:
    """The error body's fields, for a JSON answer and a streamed ``error`` event alike.

    ``message`` repeats ``error`` because AWS SDKs read the message from it.
    """
    return {"error": error.message, "code": error.code, "message": error.message, "request_id": request_id}


def event_body(event: StreamEvent, session_id: str, request_id: str) -> dict[str, Any]:
    """The JSON body of one ``delta``, ``done`` or ``error`` event."""
    if event.kind == "delta":
        return {"type": "delta", "text": event.text}
    if event.kind == "done" and event.result is not None:
        body: dict[str, Any] = {
            "type": "done",
            "response": event.result.text,
            "session_id": session_id,
            "request_id": request_id,
            "usage": event.result.usage,
        }
        if event.result.cancelled:
            body["cancelled"] = True
        return body
    return {"type": "error", **error_fields(event.error or InternalError(STREAM_ENDED), request_id)}


def stream_outcome(last: StreamEvent) -> tuple[int, str]:
    """The status and outcome a streamed turn is logged with, from the last event it forwarded."""
    if last.error is not None:
        return last.error.status, last.error.code
    if last.kind == "disconnected":
        return CLIENT_CLOSED_REQUEST, "client_disconnected"
    if last.result is not None and last.result.cancelled:
        return 200, "cancelled"
    return 200, "ok"


def receipt_body(receipt: dict[str, Any], session_id: str, request_id: str) -> dict[str, Any]:
    """The ``receipt`` event: forget-me's answer on ``/ws``, the same receipt ``/invocations`` answers with."""
    return {"type": "receipt", "receipt": receipt, "session_id": session_id, "request_id": request_id}


def end_of_stream(turn: asyncio.Task[None], *, events: asyncio.Queue[StreamEvent], request_id: str) -> None:
    """Queue the turn's last event: ``end``, or the classified error (logged with its stack)."""
    error = None if turn.cancelled() else turn.exception()
    if error is None:
        events.put_nowait(StreamEvent("end"))
        return
    if not isinstance(error, ApiError):
        logger.error("request_id=<%s> | streamed turn failed", request_id, exc_info=error)
    events.put_nowait(StreamEvent("error", error=api_error_for(error)))
