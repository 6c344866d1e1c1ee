"""Concurrency through the real server: many sessions in parallel, overlapping requests in one session.

Every session's agent gets the same model object (tests/support/run_agent.py wires the scripted model as
agent/model_factory.py wires the provider's client), so these tests also exercise the shared client.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed

import httpx

from tests.agent.helpers import FAILURE_BOUND_SECONDS
from tests.support.agent_http import ask, invoke, new_session_id
from tests.support.stored_conversation import file_messages, roles

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


def test_requests_that_arrive_while_the_session_is_busy_run_one_after_another(agent_starter, model_gate, tmp_path):
    """Five requests are parked on a session whose turn is held inside the model, then run one at a time."""
    waiting = 5
    server = agent_starter({**model_gate.env, "SESSION_MAX_WAITERS": str(waiting), "SESSION_WAIT_SECONDS": "3600"})
    session_id = new_session_id()
    prompts = [f"Message {i}." for i in range(waiting + 1)]  # one more than may wait: its 429 says the rest wait

    with ThreadPoolExecutor(max_workers=len(prompts) + 1) as pool:
        holder = pool.submit(invoke, server.base_url, session_id, "hold first")
        held = model_gate.wait_entered()  # the session is busy until the test releases this turn
        crowd = {pool.submit(invoke, server.base_url, session_id, prompt): prompt for prompt in prompts}
        first_answered = next(as_completed(crowd, timeout=FAILURE_BOUND_SECONDS))  # parked ones cannot answer yet
        held.release()
        answers = {crowd[future]: future.result() for future in crowd}

    refused = crowd[first_answered]
    assert answers[refused].status_code == 429 and answers[refused].json()["code"] == "session_queue_full"
    assert holder.result().json()["response"] == "You said: hold first"
    assert {prompt: r.json()["response"] for prompt, r in answers.items() if prompt != refused} == {
        prompt: f"You said: {prompt}" for prompt in prompts if prompt != refused
    }
    stored = file_messages(tmp_path / "sessions", "anonymous", session_id)
    assert roles(stored) == ["user", "assistant"] * (waiting + 1)
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
