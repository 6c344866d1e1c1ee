"""Caller isolation: the JWT ``sub`` owns a session id; another subject gets 403 and nothing of it."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.agent_http import ask, invoke, new_session_id


def test_foreign_subject_gets_403_revealing_nothing(shared_agent):
    session_id = new_session_id()
    ask(shared_agent.base_url, session_id, "My name is John Doe.", subject="alice-sub")

    response = invoke(
        shared_agent.base_url, session_id, "Do you remember my name?", subject="mallory-sub", request_id="req-403"
    )

    assert response.status_code == 403
    assert response.json() == {
        "error": "this session id belongs to another caller; start a new session",
        "code": "session_forbidden",
        "message": "this session id belongs to another caller; start a new session",
        "request_id": "req-403",
    }
    assert "John" not in response.text and "alice" not in response.text
    assert (
        ask(shared_agent.base_url, session_id, "Do you remember my name?", subject="alice-sub")
        == "Your name is John Doe."
    )
    assert httpx.get(f"{shared_agent.base_url}/ping").status_code == 200


def test_anonymous_caller_cannot_use_a_subjects_session(shared_agent):
    session_id = new_session_id()
    ask(shared_agent.base_url, session_id, "My name is Alice.", subject="alice-sub")

    assert invoke(shared_agent.base_url, session_id, "hi").status_code == 403


def test_streaming_request_from_foreign_subject_gets_403(shared_agent):
    session_id = new_session_id()
    ask(shared_agent.base_url, session_id, "My name is Alice.", subject="alice-sub")

    response = invoke(shared_agent.base_url, session_id, "Do you remember my name?", subject="bob-sub", stream=True)

    assert response.status_code == 403
    assert response.json()["code"] == "session_forbidden"


def test_ownership_survives_restart(agent_starter):
    session_id = new_session_id()
    server = agent_starter()
    ask(server.base_url, session_id, "My name is Alice.", subject="alice-sub")
    server.stop()

    restarted = agent_starter()

    assert invoke(restarted.base_url, session_id, "Do you remember my name?", subject="bob-sub").status_code == 403
    assert ask(restarted.base_url, session_id, "Do you remember my name?", subject="alice-sub") == "Your name is Alice."


def test_store_is_namespaced_by_caller(agent_starter, tmp_path: Path):
    server = agent_starter()
    alice_session, bob_session = new_session_id(), new_session_id()
    ask(server.base_url, alice_session, "My name is Alice.", subject="alice-sub")
    ask(server.base_url, bob_session, "My name is Bob.", subject="bob-sub")

    actors = tmp_path / "sessions" / "actors"

    assert sorted(p.name for p in actors.iterdir()) == ["alice-sub", "bob-sub"]
    assert [p.name for p in (actors / "alice-sub").iterdir()] == [f"session_{alice_session}"]
    assert [p.name for p in (actors / "bob-sub").iterdir()] == [f"session_{bob_session}"]
    alice_files = "".join(p.read_text() for p in (actors / "alice-sub").rglob("*.json"))
    assert "Alice" in alice_files and "Bob" not in alice_files


def test_unsafe_subject_is_hashed_into_its_own_namespace(agent_starter, tmp_path: Path):
    server = agent_starter()
    ask(server.base_url, new_session_id(), "hello", subject="../../escape")

    names = [p.name for p in (tmp_path / "sessions" / "actors").iterdir()]

    assert len(names) == 1 and names[0].startswith("sha256-") and len(names[0]) == len("sha256-") + 40
