"""HTTP helpers for talking to an agent server the way AgentCore Runtime does."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import jwt

from tests.support.agentcore_headers import END_USER_HEADER, REQUEST_ID_HEADER, SESSION_HEADER


def new_session_id() -> str:
    """A runtime session id as clients make them (at least 33 characters)."""
    return f"session-{uuid.uuid4()}"


def bearer_token(subject: str) -> str:
    """A JWT with ``sub`` = subject. Unverified by the agent (AgentCore verifies), so any key will do."""
    return jwt.encode({"sub": subject, "token_use": "access"}, "test-signing-key-of-32-bytes-min!", algorithm="HS256")


def headers_for(
    session_id: str | None, *, subject: str | None = None, request_id: str | None = None, end_user: str | None = None
) -> dict[str, str]:
    """Headers AgentCore forwards: session id, optional request id, Authorization and the end-user header."""
    headers = {"Content-Type": "application/json"}
    if session_id is not None:
        headers[SESSION_HEADER] = session_id
    if request_id is not None:
        headers[REQUEST_ID_HEADER] = request_id
    if subject is not None:
        headers["Authorization"] = f"Bearer {bearer_token(subject)}"
    if end_user is not None:
        headers[END_USER_HEADER] = end_user
    return headers


def invoke(
    base_url: str,
    session_id: str | None,
    prompt: Any,
    *,
    subject: str | None = None,
    stream: bool | None = None,
    request_id: str | None = None,
    end_user: str | None = None,
    timeout: float = 30.0,
) -> httpx.Response:
    """POST /invocations with ``{"prompt": prompt}`` (plus ``stream`` when given)."""
    body: dict[str, Any] = {"prompt": prompt}
    if stream is not None:
        body["stream"] = stream
    return httpx.post(
        f"{base_url}/invocations",
        json=body,
        timeout=timeout,
        headers=headers_for(session_id, subject=subject, request_id=request_id, end_user=end_user),
    )


def forget_me(
    base_url: str, *, subject: str | None = None, end_user: str | None = None, timeout: float = 60.0
) -> httpx.Response:
    """POST /invocations with ``{"action": "forget_me"}`` on a new session id, as ``subject`` or ``end_user``."""
    return httpx.post(
        f"{base_url}/invocations",
        json={"action": "forget_me"},
        timeout=timeout,
        headers=headers_for(new_session_id(), subject=subject, end_user=end_user),
    )


def ask(base_url: str, session_id: str, prompt: str, *, subject: str | None = None, end_user: str | None = None) -> str:
    """Invoke and return the ``response`` text, failing loudly on a non-200."""
    response = invoke(base_url, session_id, prompt, subject=subject, end_user=end_user)
    assert response.status_code == 200, response.text
    return response.json()["response"]


def sse_events(body: str) -> list[dict[str, Any]]:
    """Parse a ``text/event-stream`` body into its JSON ``data:`` payloads."""
    return [json.loads(line[len("data: ") :]) for line in body.splitlines() if line.startswith("data: ")]


def log_records(log_text: str) -> list[dict[str, Any]]:
    """JSON log lines of a server log (non-JSON lines are skipped)."""
    records = []
    for line in log_text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def request_log(log_text: str, request_id: str) -> list[dict[str, Any]]:
    """The per-request lines for ``request_id``."""
    return [r for r in log_records(log_text) if r.get("event") == "invocation" and r.get("request_id") == request_id]
