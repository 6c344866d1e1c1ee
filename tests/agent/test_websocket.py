"""``/ws`` in process (Starlette's TestClient): exact events, close codes, bad frames, cancel, idle close.

The process is not the point here (the front door tests run it for real): the app is ``create_app`` with the
scripted model, plus one prompt the script does not have: ``talk forever`` streams ticks until the turn is
cancelled (bounded, so a broken cancel fails instead of hanging).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from agent.app import create_app
from agent.close_codes import MAX_REASON_BYTES, close_reason
from agent.settings import Settings
from local.reply_script import user_text_turns
from tests.support.agent_http import bearer_token, new_session_id
from tests.support.agentcore_headers import BEARER_SUBPROTOCOL, SESSION_HEADER
from tests.support.scripted_model import ScriptedModel
from tests.support.stored_conversation import file_messages

SESSION_PARAMETER = SESSION_HEADER  # the browser names the session in the query
SENTINEL = BEARER_SUBPROTOCOL
FOREVER = "talk forever"
MAX_TICKS = 20_000  # bounds a broken cancel: the turn then ends normally and the test fails on `cancelled`
TICK = "tick "


class TalkingModel(ScriptedModel):
    """The scripted model, plus ``talk forever``: text deltas until Strands stops reading (the cancel)."""

    async def stream(
        self, messages: Any, tool_specs: Any = None, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncIterable[dict[str, Any]]:  # type: ignore[override]
        if FOREVER not in user_text_turns(list(messages))[-1]:
            async for event in super().stream(messages, tool_specs, system_prompt, **kwargs):
                yield event
            return
        yield {"messageStart": {"role": "assistant"}}
        for _ in range(MAX_TICKS):
            yield {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": TICK}}}
            await asyncio.sleep(0.001)  # pacing only: lets the event loop deliver the cancel frame
        yield {"contentBlockStop": {"contentBlockIndex": 0}}
        yield {"messageStop": {"stopReason": "end_turn"}}


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


def _client(session_dir: Path, **overrides: Any) -> TestClient:
    settings = Settings(session_store="file", session_dir=session_dir, max_prompt_chars=200, **overrides)
    model = TalkingModel()
    return TestClient(create_app(settings, model_factory=lambda: model))


@pytest.fixture
def client(session_dir: Path) -> Iterator[TestClient]:
    with _client(session_dir) as test_client:
        yield test_client


def _connect(client: TestClient, session_id: str, subject: str = "alice", **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {bearer_token(subject)}", **kwargs.pop("headers", {})}
    return client.websocket_connect(f"/ws?{SESSION_PARAMETER}={session_id}", headers=headers, **kwargs)


def _turn(websocket: Any, prompt: str) -> list[dict[str, Any]]:
    """Send a prompt and return its events up to and including done or error."""
    websocket.send_text(json.dumps({"prompt": prompt}))
    return _until_end(websocket)


def _until_end(websocket: Any) -> list[dict[str, Any]]:
    events = []
    while True:
        events.append(websocket.receive_json())
        if events[-1]["type"] in ("done", "error"):
            return events


def _closed(client: TestClient, session_id: str, subject: str = "alice", **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with _connect(client, session_id, subject, **kwargs) as websocket, pytest.raises(WebSocketDisconnect) as closed:
        websocket.receive_text()
    assert len(closed.value.reason.encode()) <= MAX_REASON_BYTES
    return closed.value.code, json.loads(closed.value.reason)


def test_prompt_streams_deltas_then_done_and_the_session_remembers(client, session_dir):
    session_id = new_session_id()
    with _connect(client, session_id) as websocket:
        first = _turn(websocket, "My name is Alice")
        second = _turn(websocket, "Do you remember my name?")

    assert {e["type"] for e in first[:-1]} == {"delta"}
    assert "".join(e["text"] for e in first[:-1]) == "Nice to meet you, Alice."
    done = first[-1]
    assert set(done) == {"type", "response", "session_id", "request_id", "usage"}
    assert (done["type"], done["response"], done["session_id"]) == ("done", "Nice to meet you, Alice.", session_id)
    assert second[-1]["response"] == "Your name is Alice."
    assert [m["role"] for m in file_messages(session_dir, "alice", session_id)] == ["user", "assistant"] * 2


def test_session_id_in_the_header_works_and_a_new_session_forgets(client):
    session_id = new_session_id()
    with client.websocket_connect(
        "/ws", headers={"Authorization": f"Bearer {bearer_token('alice')}", SESSION_PARAMETER: session_id}
    ) as websocket:
        _turn(websocket, "My name is Alice")
    with _connect(client, new_session_id()) as websocket:
        assert _turn(websocket, "Do you remember my name?")[-1]["response"] == "I don't know your name."


def test_another_users_session_is_closed_with_4403_and_a_json_reason(client):
    session_id = new_session_id()
    with _connect(client, session_id, "alice") as websocket:
        _turn(websocket, "My name is Alice")

    code, reason = _closed(client, session_id, "bob")

    assert code == 4403 and reason["code"] == "session_forbidden"
    with _connect(client, session_id, "alice") as websocket:  # the owner still gets in
        assert _turn(websocket, "Do you remember my name?")[-1]["response"] == "Your name is Alice."


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/ws", {}, (4400, "missing_session_id")),
        (f"/ws?{SESSION_PARAMETER}=..%2Fescape", {}, (4400, "invalid_session_id")),
        (f"/ws?{SESSION_PARAMETER}=s-0123456789", {"Authorization": "Bearer not-a-jwt"}, (4401, "invalid_token")),
    ],
)
def test_refusals_close_with_the_tables_code(client, path, headers, expected):
    with client.websocket_connect(path, headers=headers) as websocket, pytest.raises(WebSocketDisconnect) as closed:
        websocket.receive_text()
    assert (closed.value.code, json.loads(closed.value.reason)["code"]) == expected


def test_bad_frames_get_error_events_and_the_socket_stays_healthy(client):
    with _connect(client, new_session_id()) as websocket:
        websocket.send_bytes(b'{"prompt": "hi"}')
        binary = websocket.receive_json()
        websocket.send_text("{not json")
        not_json = websocket.receive_json()
        websocket.send_text(json.dumps({"prompt": "x" * 100_000}))
        oversized = websocket.receive_json()
        websocket.send_text(json.dumps({"prompt": "x" * 201}))
        too_long = websocket.receive_json()
        websocket.send_text(json.dumps({"type": "shout"}))
        bad_type = websocket.receive_json()
        answer = _turn(websocket, "My name is Alice")

    codes = [e["code"] for e in (binary, not_json, oversized, too_long, bad_type)]
    assert codes == ["invalid_frame", "invalid_json", "payload_too_large", "prompt_too_long", "invalid_payload"]
    assert {e["type"] for e in (binary, not_json, oversized, too_long, bad_type)} == {"error"}
    assert answer[-1]["response"] == "Nice to meet you, Alice."


def test_cancel_stops_the_turn_which_is_stored_closed_and_the_next_turn_works(client, session_dir):
    session_id = new_session_id()
    with _connect(client, session_id) as websocket:
        _turn(websocket, "My name is Alice")
        websocket.send_text(json.dumps({"prompt": FOREVER}))
        assert websocket.receive_json() == {"type": "delta", "text": TICK}  # the turn is streaming now
        websocket.send_text(json.dumps({"prompt": "a second prompt"}))
        websocket.send_text(json.dumps({"type": "cancel"}))
        events = [websocket.receive_json()]
        while events[-1]["type"] != "done":
            events.append(websocket.receive_json())
        after = _turn(websocket, "Do you remember my name?")

    assert [e["code"] for e in events if e["type"] == "error"] == ["session_busy"]
    done = events[-1]
    assert done["type"] == "done" and done["cancelled"] is True
    assert len([e for e in events if e["type"] == "delta"]) < MAX_TICKS
    assert after[-1]["response"] == "Your name is Alice."
    stored = file_messages(session_dir, "alice", session_id)
    assert [m["role"] for m in stored] == ["user", "assistant"] * 3
    assert stored[2]["content"] == [{"text": FOREVER}]


def test_idle_socket_is_closed_with_4408(session_dir):
    with _client(session_dir, ws_idle_timeout_seconds=1) as client:
        code, reason = _closed(client, new_session_id())
    assert (code, reason["code"]) == (4408, "idle_timeout")


def test_the_bearer_sentinel_is_echoed_never_the_token(client):
    offered = [f"{SENTINEL}.ZXlKaGJHY2lPaUpJVXpJMU5pSjk", SENTINEL]
    with _connect(client, new_session_id(), subprotocols=offered) as websocket:
        assert websocket.accepted_subprotocol == SENTINEL
    with _connect(client, new_session_id()) as websocket:
        assert websocket.accepted_subprotocol is None


@pytest.mark.parametrize("message", ["short", "x" * 500, "é" * 300, 'quote " and backslash \\ ' * 20])
def test_close_reason_is_json_of_at_most_123_bytes(message):
    reason = close_reason("session_forbidden", message)

    decoded = json.loads(reason)
    assert len(reason.encode()) <= MAX_REASON_BYTES
    assert decoded["code"] == "session_forbidden"
    assert decoded["message"] == message or (
        decoded["message"].endswith("…") and message.startswith(decoded["message"][:-1])
    )
