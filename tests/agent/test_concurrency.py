"""Concurrency through the real server: many sessions in parallel, overlapping requests in one session.

Every session's agent gets the same model object (tests/support/run_agent.py wires the scripted model as
agent/model_factory.py wires the provider's client), so these tests also exercise the shared client.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.agent_http import ask, invoke, new_session_id

SESSIONS = 32


def _conversation(base_url: str, index: int) -> list[str]:
    session_id = new_session_id()
    name = f"User{index:02d}"
    return [
        ask(base_url, session_id, f"My name is {name}."),
        ask(base_url, session_id, "Do you remember my name?"),
        ask(base_url, session_id, f"Note number {index}."),
        ask(base_url, session_id, "How many turns?"),
        ask(base_url, session_id, "Do you remember my name?"),
    ]


def test_32_concurrent_sessions_do_not_cross_talk(agent_starter):
    server = agent_starter(model_delay=0.05)

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        transcripts = list(pool.map(lambda i: _conversation(server.base_url, i), range(SESSIONS)))

    for index, transcript in enumerate(transcripts):
        name = f"User{index:02d}"
        assert transcript == [
            f"Nice to meet you, {name}.",
            f"Your name is {name}.",
            f"You said: Note number {index}.",
            "You have sent 4 messages.",
            f"Your name is {name}.",
        ]
    assert httpx.get(f"{server.base_url}/ping").status_code == 200


def test_different_sessions_run_in_parallel(agent_starter):
    """Each turn waits inside the model until all six are there at once: only concurrent sessions meet."""
    server = agent_starter()
    sessions = [new_session_id() for _ in range(6)]

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        answers = list(pool.map(lambda s: ask(server.base_url, s, "meet 6 sessions"), sessions))

    assert answers == ["All 6 sessions met."] * len(sessions)


def test_concurrent_requests_in_one_session_are_serialized(agent_starter):
    server = agent_starter(model_delay=0.2)
    session_id = new_session_id()
    prompts = [f"Message {i}." for i in range(6)]

    with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
        responses = list(pool.map(lambda p: invoke(server.base_url, session_id, p), prompts))

    assert [r.status_code for r in responses] == [200] * len(prompts)
    assert sorted(r.json()["response"] for r in responses) == sorted(f"You said: {p}" for p in prompts)
    assert ask(server.base_url, session_id, "How many turns?") == "You have sent 7 messages."
    assert "ConcurrencyException" not in server.log_text()


def test_busy_session_is_refused_with_409_when_waiting_is_disabled(agent_starter, model_gate):
    server = agent_starter({**model_gate.env, "SESSION_WAIT_SECONDS": "0"})
    session_id = new_session_id()

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(invoke, server.base_url, session_id, "hold first", request_id="req-race-1")
        held = model_gate.wait_entered()  # the first turn is inside the model: the session is busy
        refused = invoke(server.base_url, session_id, "second", request_id="req-race-2")
        held.release()
        assert first.result().status_code == 200

    assert refused.status_code == 409
    assert refused.headers["Retry-After"] == "1"
    assert refused.json() == {
        "error": "session is busy with another request for more than 0 seconds; retry later",
        "code": "session_busy",
        "message": "session is busy with another request for more than 0 seconds; retry later",
        "request_id": "req-race-2",
    }
    assert ask(server.base_url, session_id, "How many turns?") == "You have sent 2 messages."
