"""Read the agent's answer: one JSON body `{"response": ...}`, or the SSE events `delta`, `done` and `error`.

WHY httpx-sse and strict events: the event stream is framed by the WHATWG rules (comments, multi-line `data`,
CR/LF/CRLF line ends, an unterminated last event discarded), which httpx-sse implements; the agent's own
contract on top of it (agent/app.py `_stream`: unnamed events whose data is a JSON object with `type`) is checked
here. An event that breaks the contract, or a stream that ends before `done`, fails the call with a message
naming the event, instead of being skipped: a skipped delta is a silently shortened answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from httpx_sse import EventSource

from client.errors import CliError

logger = logging.getLogger(__name__)

TextSink = Callable[[str], None]
EVENT_STREAM = "text/event-stream"
AGENT_EVENT_TYPES = ("delta", "done", "error")
MALFORMED = "runtime sent a malformed event stream"
_SHOWN_CHARS = 200


def read_answer(response: httpx.Response, on_text: TextSink) -> str:
    """The answer of a 200 response, streamed or not; streamed text goes to `on_text` as it arrives."""
    if response.headers.get("content-type", "").startswith(EVENT_STREAM):
        return read_events(response, on_text)
    return read_json_answer(response.read(), on_text)


def read_botocore_answer(content_type: str, body: Any, on_text: TextSink) -> str:
    """The same for boto3's `invoke_agent_runtime`: `body` is its `StreamingBody`.

    WHY an httpx.Response around it: httpx-sse reads an httpx response; `iter_chunks()` streams into it
    unchanged, so both invokers share one event parser.
    """
    if EVENT_STREAM in content_type:
        chunks: Iterable[bytes] = body.iter_chunks()
        return read_events(httpx.Response(200, headers={"content-type": content_type}, content=chunks), on_text)
    return read_json_answer(body.read(), on_text)


def read_json_answer(raw: bytes, on_text: TextSink) -> str:
    """`{"response": ...}`, passed to `on_text` whole.

    Raises:
        CliError: the body is not an agent reply.
    """
    try:
        text = str(json.loads(raw)["response"])
    except (ValueError, KeyError, TypeError) as e:
        raise CliError(f"runtime answered with something that is not an agent reply: {raw[:_SHOWN_CHARS]!r}") from e
    on_text(text)
    return text


def read_events(response: httpx.Response, on_text: TextSink) -> str:
    """Consume the agent's events; deltas go to `on_text` as they arrive; returns the `done` event's answer.

    Raises:
        CliError: an `error` event, an event outside the contract, or no `done` before the stream ended.
    """
    parts: list[str] = []
    number = 0
    for number, sse in enumerate(EventSource(response).iter_sse(), start=1):
        if sse.event != "message":
            # A named event is addressed to another listener (WHATWG dispatch); the agent sends none.
            logger.debug("event=<%s>, number=<%d> | named event is not the agent's, skipped", sse.event, number)
            continue
        if not sse.data:
            continue  # WHATWG: an event with an empty data buffer is not dispatched (e.g. a lone `retry:`)
        event = _agent_event(number, sse.data)
        if event["type"] == "delta":
            parts.append(event["text"])
            on_text(event["text"])
        elif event["type"] == "done":
            return str(event.get("response", "".join(parts)))
        else:
            raise CliError(f"agent failed: {event.get('error', 'unknown error')} ({event.get('code', 'no code')})")
    events = f"{number} event{'' if number == 1 else 's'}"
    raise CliError(f'{MALFORMED}: it ended after {events} without the agent\'s "done" event')


def _agent_event(number: int, data: str) -> dict[str, Any]:
    """The JSON object of event `number`, checked against the agent's contract."""
    shown = data[:_SHOWN_CHARS]
    try:
        event = json.loads(data)
    except ValueError as e:
        raise CliError(f"{MALFORMED}: event {number} is not JSON: {shown!r}") from e
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise CliError(f'{MALFORMED}: event {number} is not an agent event (a JSON object with "type"): {shown!r}')
    if event["type"] not in AGENT_EVENT_TYPES:
        allowed = ", ".join(AGENT_EVENT_TYPES)
        raise CliError(f"{MALFORMED}: event {number} has type {event['type']!r}, not one of {allowed}")
    if event["type"] == "delta" and not isinstance(event.get("text"), str):
        raise CliError(f'{MALFORMED}: event {number} is a delta without "text": {shown!r}')
    return event
