"""Failures answer 5xx JSON with the request id and no trace; one JSON log line per request, no prompt text."""

from __future__ import annotations

import json

import httpx

from tests.support.agent_http import invoke, log_records, new_session_id, request_log
from tests.support.stored_conversation import file_messages, roles

SECRET_PROMPT = "My name is Zebulon Quixote-Secret."

# A request's log line is already in the file when the answer arrives: the server writes it before it answers,
# to stdout, which is the log file; its handler flushes every record (``logging.StreamHandler.emit``) and the
# server runs with ``PYTHONUNBUFFERED=1``. So the tests read the log right after the response, without waiting.


def test_model_failure_is_502_json_without_traceback(shared_agent):
    response = invoke(shared_agent.base_url, new_session_id(), "Please fail the model.", request_id="req-model-fail")

    assert response.status_code == 502
    assert response.json() == {
        "error": "the model call failed (ScriptedModelError); see server logs for this request id",
        "code": "model_error",
        "message": "the model call failed (ScriptedModelError); see server logs for this request id",
        "request_id": "req-model-fail",
    }
    assert "Traceback" not in response.text and "scripted_model.py" not in response.text
    assert httpx.get(f"{shared_agent.base_url}/ping").status_code == 200
    [line] = request_log(shared_agent.log_text(), "req-model-fail")
    assert line["level"] == "ERROR" and line["status"] == 502 and line["outcome"] == "model_error"


def test_store_failure_is_503_store_error(agent_starter, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the session directory should be")
    server = agent_starter({"SESSION_DIR": str(blocker)})

    response = invoke(server.base_url, new_session_id(), "hello", request_id="req-store-fail")

    assert response.status_code == 503
    assert response.json()["code"] == "store_error"
    assert response.json()["request_id"] == "req-store-fail"
    assert response.json()["error"].startswith("the session store failed (")
    assert "Traceback" not in response.text
    assert httpx.get(f"{server.base_url}/ping").status_code == 200


def test_one_json_line_per_request_without_prompt_text(shared_agent):
    session_id = new_session_id()
    response = invoke(shared_agent.base_url, session_id, SECRET_PROMPT, request_id="req-log-1")
    assert response.json()["response"] == "Nice to meet you, Zebulon Quixote-Secret."

    [line] = request_log(shared_agent.log_text(), "req-log-1")

    assert line["level"] == "INFO"
    assert line["session_id"] == session_id
    assert line["status"] == 200 and line["outcome"] == "ok" and line["stream"] is False
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] > 0
    assert line["actor_id"] == "anonymous"
    assert "Zebulon" not in shared_agent.log_text()


def test_rejected_request_is_logged_with_its_outcome(shared_agent):
    invoke(shared_agent.base_url, new_session_id(), 7, request_id="req-log-bad")

    [line] = request_log(shared_agent.log_text(), "req-log-bad")

    assert line["status"] == 400 and line["outcome"] == "invalid_prompt"


def test_every_log_line_is_json(shared_agent):
    invoke(shared_agent.base_url, new_session_id(), "hello", request_id="req-log-json")
    assert len(request_log(shared_agent.log_text(), "req-log-json")) == 1

    lines = [line for line in shared_agent.log_text().splitlines() if line.strip()]

    assert len(log_records(shared_agent.log_text())) == len(lines)


def test_session_keeps_working_after_a_model_failure(agent_starter, tmp_path):
    server = agent_starter()
    session_id = new_session_id()
    invoke(server.base_url, session_id, "My name is Ada.")
    assert invoke(server.base_url, session_id, "Please fail the model.").status_code == 502
    assert invoke(server.base_url, session_id, "Please fail the model.", stream=True).status_code == 200
    server.stop()

    restarted = agent_starter()
    response = invoke(restarted.base_url, session_id, "Do you remember my name?")

    assert response.json()["response"] == "Your name is Ada."
    messages = file_messages(tmp_path / "sessions", "anonymous", session_id)
    assert roles(messages) == ["user", "assistant"] * 4
    assert messages[3]["content"] == [{"text": "(no answer: this turn was interrupted before the answer was stored)"}]


def test_exactly_one_line_per_request(shared_agent):
    ids = {"req-one-ok": "hello", "req-one-bad": "", "req-one-fail": "Please fail the model."}
    for request_id, prompt in ids.items():
        invoke(shared_agent.base_url, new_session_id(), prompt, request_id=request_id)

    records = log_records(shared_agent.log_text())

    for request_id in ids:
        mentioning = [r for r in records if request_id in json.dumps(r)]
        expected = 2 if request_id == "req-one-fail" else 1  # a 5xx adds the ERROR line carrying the stack
        assert len(mentioning) == expected, mentioning


def test_corrupt_stored_session_is_503_and_other_sessions_still_work(agent_starter, tmp_path):
    session_id = new_session_id()
    corrupt = tmp_path / "sessions" / "actors" / "anonymous" / f"session_{session_id}" / "session.json"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text("{not json")
    server = agent_starter()

    response = invoke(server.base_url, session_id, "hello", request_id="req-corrupt")

    assert response.status_code == 503
    assert response.json() == {
        "error": "the session store failed (SessionException); see server logs for this request id",
        "code": "store_error",
        "message": "the session store failed (SessionException); see server logs for this request id",
        "request_id": "req-corrupt",
    }
    assert invoke(server.base_url, new_session_id(), "hello").json()["response"] == "You said: hello"
