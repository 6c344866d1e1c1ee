"""A Bedrock Runtime stand-in: Converse and ConverseStream over HTTP, answered by the shared reply script.

WHY: the stack deploys the agent with ``MODEL_PROVIDER=bedrock``, i.e. Strands' ``BedrockModel`` calling
``converse_stream`` through botocore. moto's ``bedrock-runtime`` has InvokeModel only, so this server plays
Bedrock for that path: an unchanged agent reaches it through ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (botocore's
service-specific endpoint variable) and everything from botocore's serializer to Strands' stream handling runs
as deployed. It refuses conversations Bedrock refuses (``local/converse_validation.py``) so tests catch them.

Wire shapes follow botocore's model ``botocore/data/bedrock-runtime/2023-09-30/service-2.json``:
- ``POST /model/{modelId}/converse`` → ``ConverseResponse`` JSON (``output.message``, ``stopReason``, ``usage``,
  ``metrics``);
- ``POST /model/{modelId}/converse-stream`` → ``ConverseStreamResponse``, whose payload ``stream`` is the event
  stream ``ConverseStreamOutput``: ``messageStart``, ``contentBlockStart`` (tool use only, as Bedrock sends it),
  ``contentBlockDelta``, ``contentBlockStop``, ``messageStop``, ``metadata``, framed by ``local/event_stream.py``;
- errors (rest-json): HTTP status of the error shape, ``x-amzn-ErrorType`` header and ``{"message": ...}``, which
  botocore's ``RestJSONParser`` reads as ``Error.Code`` / ``Error.Message``. ``ValidationException`` is 400 and
  ``ModelErrorException`` 424 (neither is retried by botocore, so a test sees the first answer).

Every call is recorded (operation, model id, SigV4 scope and access key id) so tests can check what the agent
asked Bedrock for and with which credentials.
Run it alone with ``python -m local.bedrock_runtime --port N``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from local.converse_validation import ConverseValidationError, validate_converse_request
from local.event_stream import CONTENT_TYPE as EVENT_STREAM_CONTENT_TYPE
from local.event_stream import event_message
from local.http_server import BackgroundServer
from local.processes import stop_on_signal
from local.reply_script import (
    Message,
    Reply,
    ReplyScriptError,
    answer_on_loop,
    text_chunks,
    token_usage,
)

logger = logging.getLogger(__name__)

CONVERSE = "Converse"
CONVERSE_STREAM = "ConverseStream"
# Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request, ...
_SIGV4_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"

Event = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class ConverseCall:
    """One request the stand-in answered (or refused).

    Attributes:
        operation: ``Converse`` or ``ConverseStream``.
        model_id: the ``modelId`` path label, URL-decoded (a model id, profile id or ARN).
        signing_service: the SigV4 credential scope's service (``bedrock`` for bedrock-runtime), None if unsigned.
        signing_region: the SigV4 credential scope's region, None if unsigned.
        messages: the conversation sent.
        status: the HTTP status answered.
        access_key_id: the access key id that signed the call (SigV4 credential scope), None if unsigned; the
            snapshot rehearsal tells keys fetched before a checkpoint from those fetched after restore by it.
    """

    operation: str
    model_id: str
    signing_service: str | None
    signing_region: str | None
    messages: list[Message]
    status: int
    access_key_id: str | None = None


def converse_stream_events(messages: list[Message], reply: Reply) -> list[Event]:
    """A reply as the ConverseStream events Bedrock sends: ``(event type, event body)`` in order."""
    events: list[Event] = [("messageStart", {"role": "assistant"})]
    if reply.tool_call is not None:
        call = reply.tool_call
        events += [
            (
                "contentBlockStart",
                {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name}}},
            ),
            (
                "contentBlockDelta",
                {"contentBlockIndex": 0, "delta": {"toolUse": {"input": json.dumps(call.arguments)}}},
            ),
            ("contentBlockStop", {"contentBlockIndex": 0}),
            ("messageStop", {"stopReason": "tool_use"}),
        ]
    else:
        events += [
            ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": c}}) for c in text_chunks(reply.text or "")
        ]
        events += [("contentBlockStop", {"contentBlockIndex": 0}), ("messageStop", {"stopReason": "end_turn"})]
    events.append(("metadata", {"usage": _usage(messages, reply), "metrics": {"latencyMs": 1}}))
    return events


def converse_response(messages: list[Message], reply: Reply) -> dict[str, Any]:
    """A reply as the Converse (non-streaming) response body."""
    if reply.tool_call is not None:
        call = reply.tool_call
        content: list[dict[str, Any]] = [
            {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name, "input": call.arguments}}
        ]
    else:
        content = [{"text": reply.text or ""}]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use" if reply.tool_call is not None else "end_turn",
        "usage": _usage(messages, reply),
        "metrics": {"latencyMs": 1},
    }


def _usage(messages: list[Message], reply: Reply) -> dict[str, int]:
    input_tokens, output_tokens = token_usage(messages, reply)
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens}


async def _chunks(frames: list[bytes]) -> AsyncIterator[bytes]:
    """One event-stream message per body chunk, as Bedrock streams them.

    An async iterator: Starlette walks a plain iterator on its thread pool, one thread hop per event.
    """
    for frame in frames:
        yield frame


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"x-amzn-ErrorType": f"{code}:{_ERROR_NAMESPACE}", "x-amzn-RequestId": str(uuid.uuid4())}
    return JSONResponse({"message": message}, status_code=status, headers=headers)


class BedrockRuntimeApp:
    """The ASGI app and the calls it has served."""

    def __init__(self) -> None:
        self._calls: list[ConverseCall] = []
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/model/{model_id:path}/converse", self._converse, methods=["POST"]),
                Route("/model/{model_id:path}/converse-stream", self._converse_stream, methods=["POST"]),
                Route("/ping", self._ping, methods=["GET"]),
            ]
        )

    def recorded_calls(self) -> list[ConverseCall]:
        """A snapshot of the calls served so far, oldest first."""
        with self._lock:
            return list(self._calls)

    async def _ping(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _converse(self, request: Request) -> Response:
        return await self._answer(request, CONVERSE)

    async def _converse_stream(self, request: Request) -> Response:
        return await self._answer(request, CONVERSE_STREAM)

    async def _answer(self, request: Request, operation: str) -> Response:
        model_id = request.path_params["model_id"]
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("the request body must be a JSON object")
        except ValueError as error:
            return self._record(
                request, operation, model_id, [], _error(400, "ValidationException", f"Malformed request body: {error}")
            )
        sent = body.get("messages")
        messages: list[Message] = sent if isinstance(sent, list) else []
        try:
            validate_converse_request(body)
            reply = await answer_on_loop(messages)
        except ConverseValidationError as error:
            return self._record(request, operation, model_id, messages, _error(400, "ValidationException", str(error)))
        except ReplyScriptError as error:
            return self._record(request, operation, model_id, messages, _error(424, "ModelErrorException", str(error)))
        request_id = {"x-amzn-RequestId": str(uuid.uuid4())}
        if operation == CONVERSE:
            response: Response = JSONResponse(converse_response(messages, reply), headers=request_id)
        else:
            frames = [event_message(kind, event) for kind, event in converse_stream_events(messages, reply)]
            response = StreamingResponse(_chunks(frames), media_type=EVENT_STREAM_CONTENT_TYPE, headers=request_id)
        return self._record(request, operation, model_id, messages, response)

    def _record(
        self, request: Request, operation: str, model_id: str, messages: list[Message], response: Response
    ) -> Response:
        scope = _SIGV4_SCOPE.search(request.headers.get("authorization", ""))
        call = ConverseCall(
            operation=operation,
            model_id=model_id,
            signing_service=scope.group(3) if scope else None,
            signing_region=scope.group(2) if scope else None,
            messages=messages,
            status=response.status_code,
            access_key_id=scope.group(1) if scope else None,
        )
        with self._lock:
            self._calls.append(call)
        logger.debug("operation=<%s>, model_id=<%s>, status=<%s> | bedrock call", operation, model_id, call.status)
        return response


@dataclass
class BedrockRuntimeStandIn:
    """The stand-in serving on 127.0.0.1; use ``endpoint_url`` as ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``."""

    server: BackgroundServer
    app: BedrockRuntimeApp = field(repr=False)

    @property
    def endpoint_url(self) -> str:
        """Base URL botocore's bedrock-runtime client should use."""
        return self.server.url

    @property
    def calls(self) -> list[ConverseCall]:
        """A snapshot of the calls served so far, oldest first."""
        return self.app.recorded_calls()

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


def start_bedrock_runtime(port: int = 0) -> BedrockRuntimeStandIn:
    """Serve the stand-in on 127.0.0.1:``port`` (0 picks a free port) in a background thread."""
    app = BedrockRuntimeApp()
    server = BackgroundServer(app.app, port=port)
    logger.info("endpoint=<%s> | bedrock runtime stand-in started", server.url)
    return BedrockRuntimeStandIn(server=server, app=app)


def main() -> None:
    """Serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free port)")
    args = parser.parse_args()
    stopped = stop_on_signal()  # before serving: a SIGTERM right after the first /ping answer is still orderly
    stand_in = start_bedrock_runtime(args.port)
    print(f"bedrock runtime stand-in listening on {stand_in.endpoint_url}", flush=True)
    stopped.wait()
    stand_in.stop()


if __name__ == "__main__":
    main()
