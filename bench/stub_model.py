"""An OpenAI-compatible chat-completions server for the benchmark: answers immediately, echoes what it sees.

Both agents under test (ours and the baseline) talk to this one process with the same Strands
``OpenAIModel`` client, so every difference in latency is the agents' own. The reply depends only on
the messages in the request, which is how the benchmark detects cross-talk: "Do you remember my name?"
is answered from the last "My name is X" in the conversation the agent sent. An agent that mixes
sessions' histories answers with someone else's name.

Script (on the newest user text turn, case-insensitive):
- a ``tool`` message last → the tool's result text (ends the tool loop);
- ``Do you remember my name?`` → ``Your name is X.`` (last earlier "My name is X") or ``I don't know your name.``;
- ``My name is X`` → ``Nice to meet you, X.``;
- ``weather in <city>`` → a ``get_weather`` tool call with ``{"city": <city>}``;
- anything else → ``You said: <text>``.

It is a bare ASGI app on uvicorn (no framework) so the stub's own cost stays a small, fixed part of every
round trip. Run it with ``python -m bench.stub_model --port N``; it lives in ``bench/`` only.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

NAME_PATTERN = re.compile(r"\bmy name is ([^.!?\n]+)", re.IGNORECASE)
REMEMBER_PATTERN = re.compile(r"\bdo you remember my name\b", re.IGNORECASE)
WEATHER_PATTERN = re.compile(r"\bweather in ([A-Za-z][A-Za-z .'-]*[A-Za-z])", re.IGNORECASE)
COMPLETIONS_PATHS = ("/v1/chat/completions", "/chat/completions")
HEALTH_PATHS = ("/ping", "/health")
WEATHER_TOOL = "get_weather"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class StubReply:
    """Either a text answer or one tool call."""

    text: str = ""
    tool_call: dict[str, Any] | None = field(default=None)


def content_text(content: Any) -> str:
    """Text of an OpenAI message ``content`` (a string or a list of typed parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def reply_for(messages: list[dict[str, Any]]) -> StubReply:
    """Decide the reply from the OpenAI-format conversation alone."""
    if not messages:
        return StubReply(text="I received no messages.")
    if messages[-1].get("role") == "tool":
        return StubReply(text=content_text(messages[-1].get("content")))
    turns = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    turns = [t for t in turns if t]
    prompt = turns[-1] if turns else ""
    if REMEMBER_PATTERN.search(prompt):
        names = [m.group(1).strip() for t in turns[:-1] for m in [NAME_PATTERN.search(t)] if m]
        return StubReply(text=f"Your name is {names[-1]}." if names else "I don't know your name.")
    if name := NAME_PATTERN.search(prompt):
        return StubReply(text=f"Nice to meet you, {name.group(1).strip()}.")
    if city := WEATHER_PATTERN.search(prompt):
        arguments = json.dumps({"city": city.group(1).strip()})
        call = {"id": f"call_{len(messages)}", "type": "function", "function": {"name": WEATHER_TOOL, "arguments": arguments}}
        return StubReply(tool_call=call)
    return StubReply(text=f"You said: {prompt}")


def _usage(messages: list[dict[str, Any]], reply: StubReply) -> dict[str, int]:
    prompt_tokens = sum(len(content_text(m.get("content")).split()) for m in messages)
    completion_tokens = len(reply.text.split()) or 1
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def completion(request: dict[str, Any], reply: StubReply) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_call is not None:
        message["tool_calls"] = [reply.tool_call]
    return {
        "id": "chatcmpl-bench", "object": "chat.completion", "created": int(time.time()),
        "model": request.get("model", "bench-stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_call else "stop"}],
        "usage": _usage(request.get("messages", []), reply),
    }


def completion_chunks(request: dict[str, Any], reply: StubReply) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` sequence of a streamed answer (``[DONE]`` is added by the sender)."""
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": request.get("model", "bench-stub")}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reply.tool_call is not None:
        chunks += [chunk({"tool_calls": [{"index": 0, **reply.tool_call}]}), chunk({}, "tool_calls")]
    else:
        chunks += [chunk({"content": reply.text}), chunk({}, "stop")]
    if (request.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage(request.get("messages", []), reply)})
    return chunks


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _send(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    await _send(send, status, json.dumps(body).encode(), "application/json")


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app: POST chat completions, GET /ping; everything else 404, bad JSON 400."""
    if scope["type"] != "http":
        return
    path, method = scope["path"], scope["method"]
    if method == "GET" and path in HEALTH_PATHS:
        await _send_json(send, 200, {"status": "ok"})
        return
    if method != "POST" or path not in COMPLETIONS_PATHS:
        await _send_json(send, 404, {"error": {"message": f"no route {method} {path}", "type": "not_found"}})
        return
    try:
        request = json.loads(await _read_body(receive))
        messages = request["messages"]
        if not isinstance(messages, list):
            raise TypeError("messages must be a list")
    except (ValueError, KeyError, TypeError) as error:
        await _send_json(send, 400, {"error": {"message": f"bad request: {error}", "type": "invalid_request_error"}})
        return
    reply = reply_for(messages)
    if not request.get("stream"):
        await _send_json(send, 200, completion(request, reply))
        return
    events = "".join(f"data: {json.dumps(c)}\n\n" for c in completion_chunks(request, reply)) + "data: [DONE]\n\n"
    await _send(send, 200, events.encode(), "text/event-stream")


def main() -> None:
    """Serve on 127.0.0.1:PORT until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()

    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
