"""Forget-me through the agent app in process (Starlette's TestClient) on the file store: the receipt exactly, the
files left exactly, both ways of naming the caller, ``/ws``, a turn in flight, and every refusal.

The process is not the point here; the S3 and Memory stores and the crash are tested against real processes in
``test_forget_me_stores.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agent.app import create_app
from agent.caller_identity import actor_key
from agent.settings import Settings
from tests.support.agent_http import bearer_token, headers_for, new_session_id
from tests.support.agentcore_headers import END_USER_HEADER, SESSION_HEADER
from tests.support.model_gate import ModelGate
from tests.support.polling import poll_until
from tests.support.scripted_model import ScriptedModel

LOG_LINES = {
    "kind": "log_lines",
    "reason": "request log lines name the actor id and session ids (never prompt or answer text); they stay in the "
    "runtime's log group (/aws/bedrock-agentcore/runtimes/<runtime id>-*) until its retention ends",
}
FORGET = {"action": "forget_me"}
DEADLINE_SECONDS = 30.0  # bounds a failing poll only


def _app(session_dir: Path, **overrides: Any) -> TestClient:
    model = ScriptedModel()
    settings = Settings(session_store="file", session_dir=session_dir, **overrides)
    return TestClient(create_app(settings, model_factory=lambda: model))


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def client(session_dir: Path) -> Iterator[TestClient]:
    with _app(session_dir) as test_client:
        yield test_client


def _say(client: TestClient, session_id: str, prompt: str, **caller: str) -> str:
    response = client.post("/invocations", json={"prompt": prompt}, headers=headers_for(session_id, **caller))
    assert response.status_code == 200, response.text
    return str(response.json()["response"])


def _forget(client: TestClient, session_id: str | None = None, **caller: str) -> Any:
    return client.post("/invocations", json=FORGET, headers=headers_for(session_id or new_session_id(), **caller))


def _files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def _receipt(actor: str, *, sessions: int, owners: int, objects: int) -> dict[str, Any]:
    deleted = {"sessions": sessions, "owner_records": owners, "conversation_objects": objects}
    return {"receipt": {"actor": actor, "deleted": deleted, "not_deleted": [LOG_LINES], "complete": True}}


def test_forget_me_erases_every_session_of_the_caller_and_nothing_of_anyone_else(client, session_dir):
    first, second, bobs = new_session_id(), new_session_id(), new_session_id()
    assert _say(client, first, "My name is Alice.", subject="alice") == "Nice to meet you, Alice."
    _say(client, second, "How many turns?", subject="alice")
    assert _say(client, bobs, "My name is Bob.", subject="bob") == "Nice to meet you, Bob."
    bobs_files = [name for name in _files(session_dir) if bobs in name]

    forgotten = _forget(client, first, subject="alice")

    assert forgotten.status_code == 200
    assert forgotten.json() == _receipt("alice", sessions=2, owners=2, objects=8)  # 4 files a one-turn session
    assert (
        _files(session_dir)
        == bobs_files
        == [
            f"actors/bob/session_{bobs}/agents/agent_default/agent.json",
            f"actors/bob/session_{bobs}/agents/agent_default/messages/message_0.json",
            f"actors/bob/session_{bobs}/agents/agent_default/messages/message_1.json",
            f"actors/bob/session_{bobs}/session.json",
            f"owners/{bobs}.json",
        ]
    )
    assert not (session_dir / "actors" / "alice").exists()
    assert _say(client, first, "Do you remember my name?", subject="alice") == "I don't know your name."
    assert _say(client, bobs, "Do you remember my name?", subject="bob") == "Your name is Bob."


def test_forget_me_again_deletes_nothing_and_says_so(client):
    _say(client, new_session_id(), "My name is Alice.", subject="alice")
    assert _forget(client, subject="alice").json() == _receipt("alice", sessions=1, owners=1, objects=4)

    assert _forget(client, subject="alice").json() == _receipt("alice", sessions=0, owners=0, objects=0)


def test_the_session_id_of_the_request_is_transport_only(client, session_dir):
    """Alice forgetting on Bob's session id erases Alice, not Bob, and claims nothing."""
    bobs, alices = new_session_id(), new_session_id()
    _say(client, bobs, "My name is Bob.", subject="bob")
    _say(client, alices, "My name is Alice.", subject="alice")

    forgotten = _forget(client, bobs, subject="alice")
    unused = _forget(client, subject="carol")

    assert forgotten.json() == _receipt("alice", sessions=1, owners=1, objects=4)
    assert unused.json() == _receipt("carol", sessions=0, owners=0, objects=0)
    assert json.loads((session_dir / "owners" / f"{bobs}.json").read_text()) == {"owner": "bob"}
    assert sorted(path.name for path in (session_dir / "owners").iterdir()) == [f"{bobs}.json"]
    assert (
        client.post("/invocations", json={"prompt": "hi"}, headers=headers_for(bobs, subject="alice")).status_code
        == 403
    )


def test_an_iam_caller_forgets_the_end_user_it_names(session_dir):
    end_user, other = "alice@example.com", "bob@example.com"
    with _app(session_dir, authorizer_type="iam") as client:
        session, others = new_session_id(), new_session_id()
        _say(client, session, "My name is Alice.", end_user=end_user)
        _say(client, others, "My name is Bob.", end_user=other)

        forgotten = _forget(client, end_user=end_user)

        assert forgotten.json() == _receipt(actor_key(end_user), sessions=1, owners=1, objects=4)
        assert _say(client, session, "Do you remember my name?", end_user=end_user) == "I don't know your name."
        assert _say(client, others, "Do you remember my name?", end_user=other) == "Your name is Bob."


@pytest.mark.parametrize(
    ("settings", "caller", "message"),
    [
        ({}, {}, "forget-me needs an identified caller"),
        ({"authorizer_type": "iam"}, {}, "forget-me needs an identified caller"),
        ({"forget_me_enabled": False}, {"subject": "alice"}, "forget-me is turned off on this agent"),
    ],
    ids=["jwt-anonymous", "iam-anonymous", "turned-off"],
)
def test_forget_me_is_refused_with_403_and_deletes_nothing(session_dir, settings, caller, message):
    with _app(session_dir, **settings) as client:
        session = new_session_id()
        _say(client, session, "My name is Alice.", **caller)
        before = _files(session_dir)

        refused = _forget(client, **caller)

        assert refused.status_code == 403
        assert refused.json()["code"] == "forget_me_refused"
        assert refused.json()["message"].startswith(message)
        assert set(refused.json()) == {"error", "code", "message", "request_id"}
        assert _files(session_dir) == before


@pytest.mark.parametrize(
    "body",
    [{"action": "forget_you"}, {"action": None}, {"action": "forget_me", "prompt": "hi"}],
    ids=["unknown", "null", "with-prompt"],
)
def test_a_bad_action_is_a_400_and_deletes_nothing(client, session_dir, body):
    _say(client, new_session_id(), "My name is Alice.", subject="alice")
    before = _files(session_dir)

    refused = client.post("/invocations", json=body, headers=headers_for(new_session_id(), subject="alice"))

    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_payload")
    assert _files(session_dir) == before


def _ws(client: TestClient, session_id: str, subject: str) -> Any:
    return client.websocket_connect(
        f"/ws?{SESSION_HEADER}={session_id}",
        headers={"Authorization": f"Bearer {bearer_token(subject)}"},
    )


def _ws_turn(websocket: Any, prompt: str) -> dict[str, Any]:
    websocket.send_text(json.dumps({"prompt": prompt}))
    while (event := websocket.receive_json())["type"] not in ("done", "error"):
        continue
    return dict(event)


def test_ws_answers_forget_me_with_one_receipt_event_and_the_session_starts_empty(client, session_dir):
    session = new_session_id()
    with _ws(client, session, "alice") as websocket:
        assert _ws_turn(websocket, "My name is Alice.")["response"] == "Nice to meet you, Alice."
        websocket.send_text(json.dumps(FORGET))
        event = websocket.receive_json()
        assert _files(session_dir) == []

        after = _ws_turn(websocket, "Do you remember my name?")

    assert event == {
        "type": "receipt",
        **_receipt("alice", sessions=1, owners=1, objects=4),
        "session_id": session,
        "request_id": event["request_id"],
    }
    assert after["response"] == "I don't know your name."
    assert json.loads((session_dir / "owners" / f"{session}.json").read_text()) == {"owner": "alice"}  # claimed anew


def test_ws_forget_me_erases_the_claim_of_a_connection_that_never_ran_a_turn(client, session_dir):
    session = new_session_id()
    with _ws(client, session, "alice") as websocket:
        websocket.send_text(json.dumps(FORGET))
        event = websocket.receive_json()

    assert event["receipt"] == _receipt("alice", sessions=1, owners=1, objects=0)["receipt"]
    assert _files(session_dir) == []


def test_a_turn_in_flight_finishes_first_and_is_erased_with_the_rest(session_dir, monkeypatch):
    """Forget-me waits for the caller's running turn, refuses their new ones meanwhile (409), then erases it all."""
    gate = ModelGate()
    monkeypatch.setenv(*next(iter(gate.env.items())))
    held_session, bobs = new_session_id(), new_session_id()
    with _app(session_dir) as client, ThreadPoolExecutor(max_workers=2) as pool:
        _say(client, bobs, "My name is Bob.", subject="bob")
        turn = pool.submit(_say, client, held_session, "hold a My name is Alice.", subject="alice")
        held = gate.wait_entered()
        forgetting = pool.submit(_forget, client, new_session_id(), subject="alice")
        # Alice on Bob's session writes nothing: 403 until the erasure holds her, then 409.
        refused = poll_until(
            lambda: client.post("/invocations", json={"prompt": "hi"}, headers=headers_for(bobs, subject="alice")),
            lambda response: response.status_code != 403,
            timeout=DEADLINE_SECONDS,
        )
        second = _forget(client, subject="alice")
        held.release()

        assert turn.result() == "Nice to meet you, Alice."
        assert forgetting.result().json() == _receipt("alice", sessions=1, owners=1, objects=4)
        assert (refused.status_code, refused.json()["code"]) == (409, "erasure_in_progress")
        assert refused.headers["Retry-After"] == "1"
        assert (second.status_code, second.json()["code"]) == (409, "erasure_in_progress")
        assert _say(client, held_session, "Do you remember my name?", subject="alice") == "I don't know your name."
    gate.close()


def test_ws_forget_me_as_the_end_user_an_iam_caller_names(session_dir):
    end_user = "alice@example.com"
    with _app(session_dir, authorizer_type="iam") as client:
        session = new_session_id()
        headers = {END_USER_HEADER: end_user}
        with client.websocket_connect(f"/ws?{SESSION_HEADER}={session}", headers=headers) as websocket:
            _ws_turn(websocket, "My name is Alice.")
            websocket.send_text(json.dumps(FORGET))
            event = websocket.receive_json()

    assert event["receipt"] == _receipt(actor_key(end_user), sessions=1, owners=1, objects=4)["receipt"]
    assert _files(session_dir) == []
