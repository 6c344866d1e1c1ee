"""JSON log lines: one per request with session id, request id, latency and outcome.

Prompt and response text are never put in these records; at DEBUG only their lengths are.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from agent.error_mapping import api_error_for
from agent.errors import ApiError

logger = logging.getLogger(__name__)

REQUEST_LOGGER = "agent.requests"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; ``extra={"fields": {...}}`` adds structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["error_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["stack"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    """Send the ``agent`` loggers to stdout as JSON lines at ``level``."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("agent")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def log_request(
    *,
    session_id: str | None,
    request_id: str,
    actor_id: str | None,
    status: int,
    outcome: str,
    started: float,
    stream: bool,
) -> None:
    """Write the per-request line (INFO for success and 4xx, ERROR for 5xx)."""
    latency_ms = round((time.monotonic() - started) * 1000, 1)
    fields = {
        "event": "invocation",
        "session_id": session_id,
        "request_id": request_id,
        "actor_id": actor_id,
        "status": status,
        "outcome": outcome,
        "latency_ms": latency_ms,
        "stream": stream,
    }
    level = logging.ERROR if status >= 500 else logging.INFO
    logging.getLogger(REQUEST_LOGGER).log(
        level,
        "session_id=<%s>, request_id=<%s>, status=<%s>, outcome=<%s>, latency_ms=<%s> | invocation finished",
        session_id,
        request_id,
        status,
        outcome,
        latency_ms,
        extra={"fields": fields},
    )


def log_failed_request(
    raw: Exception,
    *,
    session_id: str | None,
    request_id: str,
    actor_id: str | None,
    started: float,
    stream: bool,
    what: str,
) -> ApiError:
    """Classify a failure, log its stack when it was not an expected API error, and write the request line once.

    ``/invocations`` and ``/ws`` answer the returned error in their own form (JSON body or close frame).
    """
    error = api_error_for(raw)
    if not isinstance(raw, ApiError):
        logger.exception("session_id=<%s>, request_id=<%s> | %s", session_id, request_id, what)
    log_request(
        session_id=session_id,
        request_id=request_id,
        actor_id=actor_id,
        status=error.status,
        outcome=error.code,
        started=started,
        stream=stream,
    )
    return error
