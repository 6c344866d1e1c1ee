"""How much request body the front door reads: never more than the agent's largest valid request.

WHY: the agent refuses a body longer than ``max_prompt_chars × 12 + 64 KiB`` with 413 (``agent/app.py``: JSON may
spend 12 bytes on one prompt character, a surrogate pair as two ``\\uXXXX`` escapes, plus slack for the rest of the
object). A front door that read any body first let one unauthenticated 400 MiB POST grow ``python -m local`` by
700 MiB for good. Here the same limit is applied before the agent is involved: from ``Content-Length`` alone when the
client sends one, otherwise by stopping to read once the limit is passed. The two constants are the agent's (a test
keeps them equal): ``local/`` does not import agent internals, and the local runtime hands the agent the
``MAX_PROMPT_CHARS`` this limit is computed from.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

BYTES_PER_PROMPT_CHAR = 12
BODY_SLACK_BYTES = 64 * 1024
# The agent's default MAX_PROMPT_CHARS (agent/settings.py; a test keeps them equal), for an agent started without it.
DEFAULT_MAX_PROMPT_CHARS = 16000
_MAX_CONTENT_LENGTH_DIGITS = 19  # more digits than any body anyone sends; int() of the rest is never needed


class BodyTooLargeError(Exception):
    """The body is longer than the limit: answer 413 and close the connection (the rest may still be arriving)."""

    def __init__(self, limit: int) -> None:
        self.message = f"request body is longer than {limit} bytes, the most a valid request needs"
        super().__init__(self.message)


def max_body_bytes(max_prompt_chars: int) -> int:
    """The agent's largest valid body for a prompt of at most ``max_prompt_chars`` characters."""
    return max_prompt_chars * BYTES_PER_PROMPT_CHAR + BODY_SLACK_BYTES


def check_declared_length(headers: Mapping[str, str], limit: int) -> None:
    """Refuse from the headers alone a body whose ``Content-Length`` is over ``limit``.

    h11 (uvicorn's parser) already refused a ``Content-Length`` that is not a number with 400.

    Raises:
        BodyTooLargeError: the declared length is over ``limit``.
    """
    declared = headers.get("content-length", "").strip()
    if declared.isdigit() and (len(declared) > _MAX_CONTENT_LENGTH_DIGITS or int(declared) > limit):
        raise BodyTooLargeError(limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, read chunk by chunk and given up on as soon as it passes ``limit`` bytes.

    Raises:
        BodyTooLargeError: more than ``limit`` bytes arrived (chunked bodies declare no length up front).
    """
    check_declared_length(request.headers, limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise BodyTooLargeError(limit)
    return bytes(received)
