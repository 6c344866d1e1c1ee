"""An OpenAI-compatible chat-completions server answering from the shared reply script.

Where a Python object cannot be injected (the agent running in a container), the agent is pointed at
this server with ``MODEL_PROVIDER=openai`` and ``OPENAI_BASE_URL=http://<host>:<port>/v1``. Replies
come from :func:`local.reply_script.answer` (``meet N sessions`` included: each request has its own
thread), so the same script holds in every world.

Run it standalone with ``python -m tests.support.openai_stub --port N [--host 0.0.0.0]``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.reply_script import Reply, ReplyScriptError, answer, converse_from_openai, openai_text, text_chunks

COMPLETIONS_PATHS = ("/v1/chat/completions", "/chat/completions")


def _usage(request: dict[str, Any], reply: Reply) -> dict[str, int]:
    prompt_tokens = sum(len(openai_text(m.get("content")).split()) for m in request.get("messages", []))
    completion_tokens = len((reply.text or "").split()) or 1
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _tool_call_json(reply: Reply) -> dict[str, Any]:
    call = reply.tool_call
    assert call is not None
    return {
        "id": call.tool_use_id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


def completion_body(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """Non-streaming chat.completion response."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_call is not None:
        message["tool_calls"] = [_tool_call_json(reply)]
    finish = "tool_calls" if reply.tool_call is not None else "stop"
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(request, reply),
    }


def completion_chunks(request: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
    """Streaming chat.completion.chunk sequence (the caller appends ``[DONE]``)."""
    base = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", "scripted"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reply.tool_call is not None:
        chunks.append(chunk({"tool_calls": [{"index": 0, **_tool_call_json(reply)}]}))
        chunks.append(chunk({}, "tool_calls"))
    else:
        chunks += [chunk({"content": piece}) for piece in text_chunks(reply.text or "")]
        chunks.append(chunk({}, "stop"))
    if (request.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage(request, reply)})
    return chunks


class _Handler(BaseHTTPRequestHandler):
    """Serves POST chat/completions; everything else is 404."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """``/health`` for readiness checks, ``/v1/models`` for clients that list models."""
        if self.path in ("/health", "/ping"):
            self._send_json(200, {"status": "ok"})
        elif self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(
                200, {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "tests"}]}
            )
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        """Answer a chat completion from the scripted logic."""
        if self.path not in COMPLETIONS_PATHS:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        try:
            reply = answer(converse_from_openai(request.get("messages", [])))
        except ReplyScriptError as error:
            self._send_json(500, {"error": {"message": str(error), "type": "server_error"}})
            return
        if not request.get("stream"):
            self._send_json(200, completion_body(request, reply))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for item in completion_chunks(request, reply):
            self.wfile.write(f"data: {json.dumps(item)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


@dataclass
class OpenAIStub:
    """A running stub; ``base_url`` ends in ``/v1`` as OpenAI clients expect."""

    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        """Bound TCP port."""
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        """URL to use as ``OPENAI_BASE_URL`` from the same host."""
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_openai_stub(port: int = 0, host: str = "127.0.0.1") -> OpenAIStub:
    """Start the stub in a daemon thread on ``host:port`` (0 = a free port)."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="openai-stub", daemon=True)
    thread.start()
    return OpenAIStub(server=server, thread=thread)


def main() -> None:
    """Serve in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    stub = start_openai_stub(args.port, args.host)
    print(f"openai stub listening on http://{args.host}:{stub.port}/v1", flush=True)
    try:
        stub.thread.join()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
