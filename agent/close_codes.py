"""The WebSocket close codes ``/ws`` uses after accepting a connection: one table, published in docs/agent.md.

Refusals before the upgrade are HTTP answers, which browsers cannot read (they see 1006). After the upgrade
the agent closes with ``4000 + the HTTP status`` of the same error, so one table serves both transports, and a
JSON reason ``{"code", "message"}`` the web app shows. RFC 6455 §7.4.2 reserves 4000–4999 for applications;
§5.5 limits a control frame's payload to 125 bytes, two of which carry the code, so the reason is at most 123
bytes of UTF-8.

| code | when |
|---|---|
| 1000 | the client closed |
| 1009 | a frame larger than the transport's cap (the library closes; smaller oversized frames get an error event) |
| 4400 | missing or invalid session id, duplicate caller header |
| 4401 | Authorization is not a readable bearer JWT |
| 4403 | the session belongs to another caller |
| 4408 | no frame for ``WS_IDLE_TIMEOUT_SECONDS`` while no turn runs |
| 4503 | the owner records could not be read |
| 4500 | anything unexpected |
"""

from __future__ import annotations

import json

from agent.errors import ApiError

NORMAL_CLOSURE = 1000
APPLICATION_BASE = 4000
MAX_REASON_BYTES = 123
IDLE_TIMEOUT_CODE = "idle_timeout"
IDLE_TIMEOUT_STATUS = 408


def close_code(status: int) -> int:
    """The close code for an error answered over HTTP with ``status``."""
    return APPLICATION_BASE + status


def close_reason(code: str, message: str) -> str:
    """``{"code", "message"}`` as JSON of at most 123 bytes: the message is shortened (with "…") to fit."""
    reason = json.dumps({"code": code, "message": message})  # ASCII only (ensure_ascii): one byte a character
    keep = len(message)
    while len(reason) > MAX_REASON_BYTES and keep > 0:
        keep -= max(1, (len(reason) - MAX_REASON_BYTES) // 6)  # an escaped character takes at most 6 bytes
        reason = json.dumps({"code": code, "message": message[: max(keep, 0)] + "…"})
    return reason


def error_close(error: ApiError) -> tuple[int, str]:
    """The close code and reason for an error."""
    return close_code(error.status), close_reason(error.code, error.message)
