"""web/src/forget.js ("Delete my data") against a real WebSocket server, from Node.js: the action frame on a fresh
session, the `receipt` event resolving with the receipt, an `error` event or a refusing close rejecting with the
agent's reason (which the dialog shows), and the socket closed by the app afterwards."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from local.http_server import BackgroundServer
from tests.support.agentcore_headers import SESSION_HEADER
from tests.web.test_transport import ARN, NODE, SENTINEL, TOKEN

PROBE = Path(__file__).with_name("forget_probe.mjs")
RECEIPT = {
    "actor": "sub-1",
    "deleted": {"sessions": 2, "owner_records": 2, "conversation_objects": 6},
    "not_deleted": [{"kind": "log_lines", "reason": "kept until the log group's retention ends"}],
    "complete": True,
}
DISABLED = {"code": "feature_disabled", "message": "forget-me is not enabled on this runtime"}


class Recorder:
    """Answers forget-me three ways, recording the frames, the session id and how the client closed."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}
        self.app = Starlette(
            routes=[
                WebSocketRoute("/receipt/runtimes/{arn:path}/ws", self._receipt),
                WebSocketRoute("/error/runtimes/{arn:path}/ws", self._error),
                WebSocketRoute("/refused/runtimes/{arn:path}/ws", self._refused),
                WebSocketRoute("/broken/runtimes/{arn:path}/ws", self._broken),
            ]
        )

    async def _accept(self, websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=SENTINEL)
        query = parse_qs(websocket.scope["query_string"].decode())
        self.seen["session_id"] = query[SESSION_HEADER][0]
        self.seen["frame"] = json.loads(await websocket.receive_text())

    async def _receipt(self, websocket: WebSocket) -> None:
        await self._accept(websocket)
        event = {"type": "receipt", "receipt": RECEIPT, "session_id": self.seen["session_id"], "request_id": "r-1"}
        await websocket.send_text(json.dumps(event))
        self.seen["client_close"] = (await websocket.receive())["code"]

    async def _error(self, websocket: WebSocket) -> None:
        await self._accept(websocket)
        await websocket.send_text(json.dumps({"type": "error", **DISABLED, "request_id": "r-2"}))
        self.seen["client_close"] = (await websocket.receive())["code"]

    async def _broken(self, websocket: WebSocket) -> None:
        await self._accept(websocket)
        await websocket.send_text(json.dumps({"type": "receipt", "receipt": {"actor": "sub-1", "deleted": {}}}))
        self.seen["client_close"] = (await websocket.receive())["code"]

    async def _refused(self, websocket: WebSocket) -> None:
        await self._accept(websocket)
        await websocket.close(code=4003, reason=json.dumps(DISABLED))


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    background = BackgroundServer(recorder.app)
    try:
        yield "ws" + background.url.removeprefix("http"), recorder
    finally:
        background.stop()


def _probe(base_url: str) -> dict[str, Any]:
    result = subprocess.run([str(NODE), str(PROBE), base_url, ARN, TOKEN], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_receipt_resolves_and_the_app_closes_the_socket(server):
    base, recorder = server
    assert _probe(f"{base}/receipt") == {"receipt": RECEIPT}
    assert recorder.seen["frame"] == {"action": "forget_me"}
    assert re.fullmatch(r"web-[0-9a-f-]{36}", recorder.seen["session_id"])
    assert recorder.seen["client_close"] == 1000


def test_a_fresh_session_each_time(server):
    base, recorder = server
    _probe(f"{base}/receipt")
    first = recorder.seen["session_id"]
    _probe(f"{base}/receipt")
    assert recorder.seen["session_id"] != first


def test_an_error_event_rejects_with_the_agents_reason(server):
    base, recorder = server
    assert _probe(f"{base}/error") == {
        "error": {"forget": True, "reason": {"type": "error", **DISABLED, "request_id": "r-2"}}
    }
    assert recorder.seen["client_close"] == 1000


def test_a_refusing_close_rejects_with_its_reason(server):
    base, _ = server
    assert _probe(f"{base}/refused") == {"error": {"forget": True, "reason": DISABLED}}


def test_a_receipt_without_the_contracts_fields_is_not_shown_as_one(server):
    base, _ = server
    reason = {"code": "bad_frame", "message": "the runtime sent no receipt"}
    assert _probe(f"{base}/broken") == {"error": {"forget": True, "reason": reason}}
