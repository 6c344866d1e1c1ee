"""An OpenAI-compatible chat-completions server for the benchmark: answers immediately, echoes what it sees.

Both agents under test (ours and the baseline) talk to this one process with the same Strands
``OpenAIModel`` client, so every difference in latency is the agents' own. The reply depends only on
the messages in the request, which is how the benchmark detects cross-talk: "Do you remember my name?"
is answered from the last "My name is X" in the conversation the agent sent. An agent that mixes
sessions' histories answers with someone else's name.

Replies come from the project's one reply script, :func:`local.reply_script.reply_for` (the OpenAI messages
converted to the Converse shape it reads): a tool result last ends the tool loop with its text, "My name is X",
"Do you remember my name?", "weather in <city>" (a ``get_weather`` tool call) and the rest as documented there.
``meet N sessions`` is not served here: it would block this single event loop.

It is a bare ASGI app on uvicorn (no framework) so the stub's own cost stays a small, fixed part of every
round trip. Run it with ``python -m bench.stub_model --port N``; it lives in ``bench/`` only.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from local.reply_script import Reply, ReplyScriptError, converse_from_openai, openai_text, reply_for

COMPLETIONS_PATHS = ("/v1/chat/completions", "/chat/completions")
HEALTH_PATHS = ("/ping", "/health")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _tool_call(reply: Reply) -> dict[str, Any]:
    """The reply's tool call as an OpenAI ``tool_calls`` entry."""
    call = reply.tool_call
    assert call is not None
    return {
        "id": call.tool_use_id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


def _usage(messages: list[dict[str, Any]], reply: Reply) -> dict[str, int]:
    prompt_tokens = sum(len(openai_text(m.get("content")).split()) for m in messages)
    completion_tokens = len((reply.text or "").split()) or 1
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_call is not None:
        message["tool_calls"] = [_tool_call(reply)]
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "bench-stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_call else "stop"}],
        "usage": _usage(request.get("messages", []), reply),
    }


def completion_chunks(request: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` sequence of a streamed answer (``[DONE]`` is added by the sender)."""
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", "bench-stub"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reply.tool_call is not None:
        chunks += [chunk({"tool_calls": [{"index": 0, **_tool_call(reply)}]}), chunk({}, "tool_calls")]
    else:
        chunks += [chunk({"content": reply.text}), chunk({}, "stop")]
    if (request.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage(request.get("messages", []), reply)})
    return chunks


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
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
    try:
        reply = reply_for(converse_from_openai(messages))
    except ReplyScriptError as error:
        await _send_json(send, 500, {"error": {"message": str(error), "type": "server_error"}})
        return
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
