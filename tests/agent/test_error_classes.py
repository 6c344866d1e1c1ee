"""Each failure is answered by its class: provider 502, store 503, anything else 500, all with the request id.

The provider case is in test_errors_and_logs.py (the scripted model raises what Bedrock raises); here an
exception no provider raises comes out of the model call, and the store fails in the middle of a turn.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

from tests.support.agent_http import ask, invoke, new_session_id, request_log, sse_events


def test_exception_no_provider_raises_is_500_internal_error(agent_starter, model_gate):
    server = agent_starter(model_gate.env)
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(invoke, server.base_url, new_session_id(), "hold bug", request_id="req-bug")
        model_gate.wait_entered().fail()
        response = answer.result()

    assert response.status_code == 500
    assert response.json() == {
        "error": "internal error (RuntimeError); see server logs for this request id",
        "code": "internal_error",
        "message": "internal error (RuntimeError); see server logs for this request id",
        "request_id": "req-bug",
    }
    [line] = request_log(server.log_text(), "req-bug")
    assert (line["level"], line["status"], line["outcome"]) == ("ERROR", 500, "internal_error")


def test_exception_no_provider_raises_ends_a_stream_with_internal_error(agent_starter, model_gate):
    server = agent_starter(model_gate.env)
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(
            invoke, server.base_url, new_session_id(), "hold bug", stream=True, request_id="req-bug-sse"
        )
        model_gate.wait_entered().fail()
        response = answer.result()

    assert sse_events(response.text) == [
        {
            "type": "error",
            "error": "internal error (RuntimeError); see server logs for this request id",
            "code": "internal_error",
            "message": "internal error (RuntimeError); see server logs for this request id",
            "request_id": "req-bug-sse",
        }
    ]
    [line] = request_log(server.log_text(), "req-bug-sse")
    assert (line["status"], line["outcome"], line["stream"]) == (500, "internal_error", True)


def test_store_failing_mid_session_is_503_store_error(agent_starter, tmp_path):
    server = agent_starter()
    session_id = new_session_id()
    assert ask(server.base_url, session_id, "My name is Ada.") == "Nice to meet you, Ada."
    messages = (
        tmp_path
        / "sessions"
        / "actors"
        / "anonymous"
        / f"session_{session_id}"
        / "agents"
        / "agent_default"
        / "messages"
    )
    shutil.rmtree(messages)
    messages.write_text("a file where the message directory was")  # the next message write fails with an OSError

    response = invoke(server.base_url, session_id, "Do you remember my name?", request_id="req-store-mid")

    assert response.status_code == 503
    assert response.json() == {
        "error": "the session store failed (SessionException); see server logs for this request id",
        "code": "store_error",
        "message": "the session store failed (SessionException); see server logs for this request id",
        "request_id": "req-store-mid",
    }
    [line] = request_log(server.log_text(), "req-store-mid")
    assert (line["status"], line["outcome"]) == (503, "store_error")
    assert ask(server.base_url, new_session_id(), "hello") == "You said: hello"
