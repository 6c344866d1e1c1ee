"""web/src/transport.js speaks AgentCore's WebSocket contract, checked from Node.js (the browser's WebSocket API)
against a real server: the URL (URL-encoded ARN, qualifier, session id query parameter), the two bearer
subprotocols with the sentinel echoed, the prompt and cancel frames, the events, a JSON close reason, and a
refusal before the upgrade surfacing as a connect error (what a browser sees as close code 1006). Neither the app's
own close (New chat) nor the runtime's normal close after `done` is reported as an error (issue 19)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from local.http_server import BackgroundServer
from tests.support.agentcore_headers import BEARER_SUBPROTOCOL, SESSION_HEADER

PROBE = Path(__file__).with_name("transport_probe.mjs")
NODE = Path(sys.executable).parent / "node"
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agent_dev-AbCdEf0123"
SESSION_ID = "web-0f8fad5b-d9cb-469f-a165-70867728950e"
# A JWT's shape, of a length whose standard base64 ends in "==" (the subprotocol must carry no padding).
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc"
SENTINEL = BEARER_SUBPROTOCOL
FORBIDDEN = {"code": "session_forbidden", "message": "this session belongs to another user"}


class Recorder:
    """What the server saw, and its answers: two deltas and a done, then a 4003 close after the cancel."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}
        self.app = Starlette(
            routes=[
                WebSocketRoute("/runtimes/{arn:path}/ws", self._socket),
                WebSocketRoute("/normal/runtimes/{arn:path}/ws", self._done_then_normal_close),
                WebSocketRoute("/client-closes/runtimes/{arn:path}/ws", self._done_then_wait_for_close),
                Route("/refused/runtimes/{arn:path}/ws", lambda _: PlainTextResponse("no", status_code=403)),
            ]
        )

    async def _socket(self, websocket: WebSocket) -> None:
        self.seen |= {
            "raw_path": websocket.scope["raw_path"].decode(),
            "query": parse_qs(websocket.scope["query_string"].decode()),
            "subprotocols": websocket.scope["subprotocols"],
        }
        await websocket.accept(subprotocol=SENTINEL)
        self.seen["frames"] = [json.loads(await websocket.receive_text())]
        for event in ({"type": "delta", "text": "Hel"}, {"type": "delta", "text": "lo"}):
            await websocket.send_text(json.dumps(event))
        await websocket.send_text(json.dumps({"type": "done", "response": "Hello", "session_id": SESSION_ID}))
        self.seen["frames"].append(json.loads(await websocket.receive_text()))
        await websocket.close(code=4003, reason=json.dumps(FORBIDDEN))

    async def _answer_done(self, websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=SENTINEL)
        await websocket.receive_text()
        await websocket.send_text(json.dumps({"type": "done", "response": "Hello", "session_id": SESSION_ID}))

    async def _done_then_normal_close(self, websocket: WebSocket) -> None:
        await self._answer_done(websocket)
        await websocket.close(code=1000, reason="done")

    async def _done_then_wait_for_close(self, websocket: WebSocket) -> None:
        await self._answer_done(websocket)
        self.seen["client_close"] = (await websocket.receive())["code"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[BackgroundServer, Recorder]]:
    recorder = Recorder()
    background = BackgroundServer(recorder.app)
    try:
        yield background, recorder
    finally:
        background.stop()


def _probe(base_url: str, mode: str = "cancel") -> dict[str, Any]:
    result = subprocess.run(
        [str(NODE), str(PROBE), base_url, ARN, SESSION_ID, TOKEN, mode], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_transport_uses_the_runtime_url_bearer_subprotocols_and_frames(server):
    background, recorder = server
    answer = _probe("ws" + background.url.removeprefix("http"))
    assert base64.b64encode(TOKEN.encode()).endswith(b"==")
    encoded = base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("=")
    assert recorder.seen["raw_path"] == (
        "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fagent_dev-AbCdEf0123/ws"
    )
    assert recorder.seen["query"] == {
        "qualifier": ["live"],
        SESSION_HEADER: [SESSION_ID],  # the browser names the session in the query
    }
    assert recorder.seen["subprotocols"] == [f"{SENTINEL}.{encoded}", SENTINEL]
    assert recorder.seen["frames"] == [{"prompt": "hi"}, {"type": "cancel"}]
    assert [e["type"] for e in answer["events"]] == ["delta", "delta", "done"]
    assert answer["close"] == {"code": 4003, "reason": FORBIDDEN}


def test_refusal_before_the_upgrade_is_a_connect_error(server):
    background, _ = server
    answer = _probe("ws" + background.url.removeprefix("http") + "/refused")
    assert answer == {"events": [], "close": {"connectError": True}}


def test_the_apps_own_close_is_not_reported(server):
    """New chat closes the socket with 1000 "done": the close event that follows must not reach onClose."""
    background, recorder = server
    answer = _probe("ws" + background.url.removeprefix("http") + "/client-closes", mode="close")
    assert [e["type"] for e in answer["events"]] == ["done"]
    assert answer["close"] == {"selfClosed": True, "onCloseCalls": []}
    assert recorder.seen["client_close"] == 1000


def test_a_normal_close_after_done_carries_no_error(server):
    background, _ = server
    answer = _probe("ws" + background.url.removeprefix("http") + "/normal")
    assert answer["close"] == {"code": 1000, "reason": None}
