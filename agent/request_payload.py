"""Validates the invocation request: session header and ``{"prompt": str, "stream"?: bool}`` body."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from agent.errors import BadRequestError

SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$")
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"


@dataclass(frozen=True)
class Invocation:
    """A validated request."""

    prompt: str
    stream: bool


def parse_json_body(body: bytes) -> Any:
    """Decode the raw body as JSON.

    Raises:
        BadRequestError: ``invalid_json`` naming the decoding problem.
    """
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequestError("request body is not valid UTF-8 JSON", code="invalid_json") from None
    except json.JSONDecodeError as error:
        detail = f"{error.msg} at line {error.lineno} column {error.colno}"
        raise BadRequestError(f"request body is not valid JSON: {detail}", code="invalid_json") from None


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def validate_session_id(session_id: str | None) -> str:
    """Require the session header and a safe id (it becomes part of store keys and paths).

    Raises:
        BadRequestError: ``missing_session_id`` or ``invalid_session_id``.
    """
    if not session_id:
        raise BadRequestError(f"header {SESSION_HEADER} is required", code="missing_session_id")
    if not SESSION_ID_PATTERN.match(session_id):
        raise BadRequestError(
            f"header {SESSION_HEADER} must be 1-256 characters of letters, digits, '-' or '_', starting with a letter or digit",
            code="invalid_session_id",
        )
    return session_id


def validate_payload(payload: Any, *, max_prompt_chars: int) -> Invocation:
    """Check the decoded body against the contract.

    Raises:
        BadRequestError: ``invalid_payload``, ``missing_prompt``, ``invalid_prompt`` or ``prompt_too_long``.
    """
    if not isinstance(payload, dict):
        raise BadRequestError(f"request body must be a JSON object, got {_json_type(payload)}", code="invalid_payload")
    if "prompt" not in payload:
        raise BadRequestError("field 'prompt' is required", code="missing_prompt")
    prompt = payload["prompt"]
    if not isinstance(prompt, str):
        raise BadRequestError(f"field 'prompt' must be a string, got {_json_type(prompt)}", code="invalid_prompt")
    if not prompt.strip():
        raise BadRequestError("field 'prompt' must not be empty", code="invalid_prompt")
    if len(prompt) > max_prompt_chars:
        raise BadRequestError(
            f"field 'prompt' is {len(prompt)} characters long but must be at most {max_prompt_chars}",
            code="prompt_too_long",
        )
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequestError(f"field 'stream' must be a boolean, got {_json_type(stream)}", code="invalid_payload")
    return Invocation(prompt=prompt, stream=stream)
