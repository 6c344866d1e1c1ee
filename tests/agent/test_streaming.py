"""Streaming (``"stream": true``): SSE deltas, then a ``done`` event; failures end with an ``error`` event."""

from __future__ import annotations

import httpx

from tests.support.agent_http import ask, invoke, new_session_id, request_log, sse_events
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.stored_conversation import file_messages


def test_stream_sends_deltas_then_done(shared_agent):
    session_id = new_session_id()

    response = invoke(shared_agent.base_url, session_id, "My name is John Doe.", stream=True, request_id="req-stream-1")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    deltas, done = events[:-1], events[-1]
    assert [e["type"] for e in deltas] == ["delta"] * len(deltas) and len(deltas) == 6
    assert "".join(e["text"] for e in deltas) == "Nice to meet you, John Doe."
    assert done["type"] == "done"
    assert done["response"] == "Nice to meet you, John Doe."
    assert done["session_id"] == session_id and done["request_id"] == "req-stream-1"
    assert done["usage"]["totalTokens"] > 0


def test_streamed_turn_is_part_of_the_conversation(shared_agent):
    session_id = new_session_id()
    invoke(shared_agent.base_url, session_id, "My name is Grace Hopper.", stream=True)

    assert ask(shared_agent.base_url, session_id, "Do you remember my name?") == "Your name is Grace Hopper."
    events = sse_events(invoke(shared_agent.base_url, session_id, "What is the weather in Paris?", stream=True).text)
    assert events[-1]["response"] == "The weather in Paris is sunny, 22 °C."


def test_stream_model_failure_ends_with_error_event(shared_agent):
    response = invoke(
        shared_agent.base_url, new_session_id(), "Please fail the model.", stream=True, request_id="req-stream-fail"
    )

    assert response.status_code == 200  # headers were sent before the model failed
    events = sse_events(response.text)
    assert events == [
        {
            "type": "error",
            "error": "the model call failed (ScriptedModelError); see server logs for this request id",
            "code": "model_error",
            "message": "the model call failed (ScriptedModelError); see server logs for this request id",
            "request_id": "req-stream-fail",
        }
    ]
    assert "Traceback" not in response.text
    [line] = request_log(shared_agent.log_text(), "req-stream-fail")
    assert line["status"] == 502 and line["outcome"] == "model_error" and line["stream"] is True
    assert httpx.get(f"{shared_agent.base_url}/ping").status_code == 200


def test_stream_bad_input_is_a_plain_400(shared_agent):
    response = invoke(shared_agent.base_url, new_session_id(), "", stream=True)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_prompt"


def test_client_leaving_mid_stream_still_completes_the_turn(agent_starter, model_gate, tmp_path):
    server = agent_starter(model_gate.env)
    session_id = new_session_id()
    ask(server.base_url, session_id, "My name is Early Leaver.")
    headers = {SESSION_HEADER: session_id}

    with httpx.stream(
        "POST", f"{server.base_url}/invocations", json={"prompt": "hold leaver", "stream": True}, headers=headers
    ) as response:
        status = response.status_code
        held = model_gate.wait_entered()  # the turn is inside the model, and no answer has been sent yet
    held.release()  # the client has closed its connection: nobody reads this answer

    assert status == 200
    assert ask(server.base_url, session_id, "Do you remember my name?") == "Your name is Early Leaver."
    assert ask(server.base_url, session_id, "How many turns?") == "You have sent 4 messages."  # lock was released
    stored = file_messages(tmp_path / "sessions", "anonymous", session_id)
    assert [m["content"] for m in stored[2:4]] == [[{"text": "hold leaver"}], [{"text": "You said: hold leaver"}]]
