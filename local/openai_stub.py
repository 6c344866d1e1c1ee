"""An OpenAI-compatible chat-completions stub answering from the shared reply script.

WHY: where no Python object can be injected (the agent in its container, `python -m agent` with
`MODEL_PROVIDER=openai`, the benchmark's agents), the agent is pointed at this server with
`OPENAI_BASE_URL=http://<host>:<port>/v1`. Replies come from `local/reply_script.py` (the OpenAI messages
converted to the Converse shape it reads), so a reply depends only on the conversation the agent sent and
the same script holds in every world. Tests run it in a thread (`start_openai_stub`); the benchmark runs
it alone in a process (`python -m local.openai_stub --port N --one-delta`), so its work never competes
with the timing client.

It is a bare ASGI app (no framework), so its own cost stays a small, fixed part of every round trip:
- `POST /v1/chat/completions` (or `/chat/completions`) → a `chat.completion`, or with `"stream": true`
  `chat.completion.chunk` server-sent events ending in `[DONE]`, with a usage chunk when
  `stream_options.include_usage` is set; a text reply streams one delta per word unless `one_delta` is set
  (the benchmark's setting: the fewest events per call);
- a tool call as OpenAI's `tool_calls`; a tool result last ends the tool loop with its text;
- `meet N sessions` waits on a worker thread for its peers (the rendezvous blocks a thread, not the loop);
- `fail the model` → 500 `server_error`; a body that is not a chat request → 400 `invalid_request_error`;
- `GET /ping` and `/health` → 200, `GET /v1/models` lists one model; anything else → 404 naming the route.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from local.http_server import BackgroundServer
from local.processes import LOOPBACK
from local.reply_script import (
    Reply,
    ReplyScriptError,
    answer_on_loop,
    converse_from_openai,
    openai_text,
    text_chunks,
)

COMPLETIONS_PATHS = ("/v1/chat/completions", "/chat/completions")
HEALTH_PATHS = ("/ping", "/health")
MODELS_PATHS = ("/v1/models", "/models")
DEFAULT_MODEL = "stub"
COMPLETION_ID = "chatcmpl-stub"

Message = dict[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _tool_call(reply: Reply) -> dict[str, Any]:
    """The reply's tool call as an OpenAI ``tool_calls`` entry."""
    call = reply.tool_call
    assert call is not None
    return {
        "id": call.tool_use_id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


def usage(messages: list[dict[str, Any]], reply: Reply) -> dict[str, int]:
    """Token counts as whitespace-separated words, so usage is deterministic."""
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
        "id": COMPLETION_ID,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", DEFAULT_MODEL),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_call else "stop"}],
        "usage": usage(request.get("messages", []), reply),
    }


def completion_chunks(request: dict[str, Any], reply: Reply, *, one_delta: bool = False) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` sequence of a streamed answer (``[DONE]`` is added by the sender)."""
    base = {
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", DEFAULT_MODEL),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reply.tool_call is not None:
        chunks += [chunk({"tool_calls": [{"index": 0, **_tool_call(reply)}]}), chunk({}, "tool_calls")]
    else:
        pieces = [reply.text or ""] if one_delta else text_chunks(reply.text or "")
        chunks += [chunk({"content": piece}) for piece in pieces]
        chunks.append(chunk({}, "stop"))
    if (request.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": usage(request.get("messages", []), reply)})
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


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop; answering the lifespan protocol lets any server run the app."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(*, one_delta: bool = False) -> ASGIApp:
    """The ASGI app; ``one_delta`` streams a text reply as one delta instead of one per word."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if method == "GET" and path in HEALTH_PATHS:
            await _send_json(send, 200, {"status": "ok"})
            return
        if method == "GET" and path.rstrip("/") in MODELS_PATHS:
            models = [{"id": DEFAULT_MODEL, "object": "model", "owned_by": "agentcore-session"}]
            await _send_json(send, 200, {"object": "list", "data": models})
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
            message = f"bad request: {error}"
            await _send_json(send, 400, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        try:
            reply = await answer_on_loop(converse_from_openai(messages))
        except ReplyScriptError as error:
            await _send_json(send, 500, {"error": {"message": str(error), "type": "server_error"}})
            return
        if not request.get("stream"):
            await _send_json(send, 200, completion(request, reply))
            return
        chunks = completion_chunks(request, reply, one_delta=one_delta)
        events = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        await _send(send, 200, events.encode(), "text/event-stream")

    return app


@dataclass
class OpenAIStub:
    """The stub serving in a background thread; ``base_url`` (ending in ``/v1``) is the ``OPENAI_BASE_URL``."""

    server: BackgroundServer

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return self.server.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, as OpenAI clients expect it."""
        return f"{self.server.url}/v1"

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


def start_openai_stub(port: int = 0, host: str = LOOPBACK, *, one_delta: bool = False) -> OpenAIStub:
    """Serve the stub on ``host:port`` (0 picks a free port) in a background thread."""
    return OpenAIStub(server=BackgroundServer(create_app(one_delta=one_delta), port=port, host=host))


def main() -> None:
    """Serve on HOST:PORT until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--one-delta", action="store_true", help="stream a text reply as one delta, not per word")
    args = parser.parse_args()

    import uvicorn

    app = create_app(one_delta=args.one_delta)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
