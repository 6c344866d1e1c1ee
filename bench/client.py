"""Calls a server under test the way AgentCore Runtime does and reads the answer text from either shape.

Ours answers ``{"response": "<text>", ...}``; the baseline answers like the public samples,
``{"result": <Strands message>}``. Latency is measured around the HTTP call only.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from agent.agentcore_headers import SESSION_HEADER

REQUEST_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Call:
    """One invocation: HTTP status (0 = transport error), answer text, seconds taken."""

    status: int
    answer: str
    seconds: float

    @property
    def ok(self) -> bool:
        """True for a 200 with an answer."""
        return self.status == 200


def new_session_id(label: str = "bench") -> str:
    """A runtime session id of at least 33 characters, as AgentCore requires."""
    return f"{label}-{uuid.uuid4()}"


def answer_text(body: Any) -> str:
    """The answer text in either response shape ('' when there is none)."""
    if not isinstance(body, dict):
        return ""
    response = body.get("response")
    if isinstance(response, str):
        return response.strip()
    message = body.get("result")
    if isinstance(message, dict):
        return "".join(block.get("text", "") for block in message.get("content", []) if isinstance(block, dict)).strip()
    return ""


def invoke(client: httpx.Client, base_url: str, session_id: str, prompt: str) -> Call:
    """POST /invocations and time it; transport failures are a status-0 call, not an exception."""
    started = time.perf_counter()
    try:
        response = client.post(
            f"{base_url}/invocations",
            json={"prompt": prompt},
            headers={SESSION_HEADER: session_id},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        return Call(status=0, answer=type(error).__name__, seconds=time.perf_counter() - started)
    seconds = time.perf_counter() - started
    try:
        answer = answer_text(response.json())
    except ValueError:
        answer = ""
    return Call(status=response.status_code, answer=answer, seconds=seconds)
