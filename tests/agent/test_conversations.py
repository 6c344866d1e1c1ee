"""Conversation behaviour through the real server: isolation per session, persistence, eviction, tools."""

from __future__ import annotations

import httpx

from tests.support.agent_http import ask, invoke, new_session_id


def test_same_session_remembers_and_new_session_does_not(shared_agent):
    first, second = new_session_id(), new_session_id()

    assert ask(shared_agent.base_url, first, "My name is John Doe.") == "Nice to meet you, John Doe."
    assert ask(shared_agent.base_url, first, "Do you remember my name?") == "Your name is John Doe."
    assert ask(shared_agent.base_url, second, "Do you remember my name?") == "I don't know your name."
    assert httpx.get(f"{shared_agent.base_url}/ping").json()["status"] == "Healthy"


def test_success_body_has_contract_fields(shared_agent):
    session_id = new_session_id()

    response = invoke(shared_agent.base_url, session_id, "My name is Ada.", request_id="req-contract-1")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"response", "session_id", "request_id", "usage"}
    assert body["response"] == "Nice to meet you, Ada."
    assert body["session_id"] == session_id
    assert body["request_id"] == "req-contract-1"
    assert body["usage"]["inputTokens"] > 0
    assert body["usage"]["totalTokens"] == body["usage"]["inputTokens"] + body["usage"]["outputTokens"]


def test_weather_question_uses_the_tool(shared_agent):
    answer = ask(shared_agent.base_url, new_session_id(), "What is the weather in Seattle?")

    assert answer == "The weather in Seattle is rainy, 12 °C."


def test_file_store_resumes_after_restart(agent_starter):
    session_id = new_session_id()
    server = agent_starter()
    ask(server.base_url, session_id, "My name is John Doe.")
    server.stop()

    restarted = agent_starter()

    assert ask(restarted.base_url, session_id, "Do you remember my name?") == "Your name is John Doe."
    assert ask(restarted.base_url, session_id, "How many turns?") == "You have sent 3 messages."


def test_evicted_session_is_restored_from_the_store(agent_starter):
    server = agent_starter({"MAX_SESSIONS": "1"})
    first, second = new_session_id(), new_session_id()
    ask(server.base_url, first, "My name is Grace.")
    ask(server.base_url, second, "My name is Alan.")  # evicts the first session's agent

    assert ask(server.base_url, first, "Do you remember my name?") == "Your name is Grace."
    assert ask(server.base_url, second, "Do you remember my name?") == "Your name is Alan."


def test_store_none_keeps_sessions_only_in_memory(agent_starter):
    session_id = new_session_id()
    server = agent_starter({"SESSION_STORE": "none"})
    ask(server.base_url, session_id, "My name is Linus.")
    assert ask(server.base_url, session_id, "Do you remember my name?") == "Your name is Linus."
    server.stop()

    restarted = agent_starter({"SESSION_STORE": "none"})

    assert ask(restarted.base_url, session_id, "Do you remember my name?") == "I don't know your name."
