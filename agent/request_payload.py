"""Validates the invocation request: the session header and a ``{"prompt", "stream"?}`` or ``{"action"}`` body."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from agent.errors import BadRequestError

SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$")
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
FORGET_ME = "forget_me"
ACTIONS = (FORGET_ME,)


@dataclass(frozen=True)
class Invocation:
    """A validated request."""

    prompt: str
    stream: bool


def _reject_constant(name: str) -> Any:
    raise BadRequestError(f"request body is not valid JSON: {name} is not a JSON number", code="invalid_json")


def parse_json_body(body: bytes) -> Any:
    """Decode the raw body as strict JSON (RFC 8259: UTF-8, no NaN or Infinity).

    Raises:
        BadRequestError: ``invalid_json`` naming the problem and, where there is one, its position.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequestError(
            f"request body is not valid UTF-8: byte 0x{body[error.start]:02x} at position {error.start}",
            code="invalid_json",
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        detail = f"{error.msg} at line {error.lineno} column {error.colno}"
        raise BadRequestError(f"request body is not valid JSON: {detail}", code="invalid_json") from None
    except RecursionError:
        # The C decoder recurses once per nesting level; Python's recursion limit bounds it.
        raise BadRequestError(
            "request body is not valid JSON: it nests arrays or objects too deeply", code="invalid_json"
        ) from None
    except ValueError as error:
        # int() refuses numbers longer than sys.get_int_max_str_digits() (4300 by default, CVE-2020-10735).
        if "integer string conversion" not in str(error):
            raise
        raise BadRequestError(
            f"request body is not valid JSON: a number has more than {sys.get_int_max_str_digits()} digits",
            code="invalid_json",
        ) from None


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
            f"header {SESSION_HEADER} must be 1-256 characters of letters, digits, '-' or '_', "
            "starting with a letter or digit",
            code="invalid_session_id",
        )
    return session_id


def _require_encodable(prompt: str) -> None:
    """Refuse text UTF-8 cannot carry, before it reaches the session, the store or the model.

    JSON's ``\\uXXXX`` escapes can spell a lone UTF-16 surrogate (a client cutting text inside an emoji
    sends ``"cut \\ud83d"``); Python decodes it into a string that no store or model client can encode.
    Surrogates are the only code points JSON can carry that UTF-8 cannot encode.
    """
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BadRequestError(
            f"field 'prompt' has an unpaired UTF-16 surrogate U+{ord(prompt[error.start]):04X} at character "
            f"{error.start} (counting from 0); send valid Unicode text",
            code="invalid_prompt",
        ) from None


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
    _require_encodable(prompt)
    if len(prompt) > max_prompt_chars:
        raise BadRequestError(
            f"field 'prompt' is {len(prompt)} characters long but must be at most {max_prompt_chars}",
            code="prompt_too_long",
        )
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequestError(f"field 'stream' must be a boolean, got {_json_type(stream)}", code="invalid_payload")
    return Invocation(prompt=prompt, stream=stream)


def requested_action(payload: Any) -> str | None:
    """The body's ``action`` (today only ``forget_me``), or None for a turn.

    An action travels on the path turns do (AgentCore proxies only ``/invocations`` and ``/ws``), so it is told
    apart by its field; a body with both ``action`` and ``prompt`` is refused rather than guessed at.

    Raises:
        BadRequestError: ``invalid_payload`` for an unknown action or one sent with a prompt.
    """
    if not isinstance(payload, dict) or "action" not in payload:
        return None
    action = payload["action"]
    if action not in ACTIONS:
        allowed = ", ".join(repr(a) for a in ACTIONS)
        raise BadRequestError(f"field 'action' must be one of {allowed}, got {json.dumps(action)[:80]}")
    if "prompt" in payload:
        raise BadRequestError("send either field 'prompt' (a turn) or field 'action', not both")
    return str(action)
