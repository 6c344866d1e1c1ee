"""The AgentCore Memory session store (bedrock_agentcore's Strands integration) against the emulator."""

from __future__ import annotations

import json

from tests.support.agent_http import ask, invoke, new_session_id


def test_memory_store_resumes_after_restart(agent_starter, memory_store):
    session_id, other = new_session_id(), new_session_id()
    server = agent_starter(memory_store.env)
    assert (
        ask(server.base_url, session_id, "My name is John Doe.", subject="alice-sub") == "Nice to meet you, John Doe."
    )
    assert (
        ask(server.base_url, session_id, "What is the weather in Paris?", subject="alice-sub")
        == "The weather in Paris is sunny, 22 °C."
    )
    server.stop()

    restarted = agent_starter(memory_store.env)

    assert (
        ask(restarted.base_url, session_id, "Do you remember my name?", subject="alice-sub") == "Your name is John Doe."
    )
    assert ask(restarted.base_url, session_id, "How many turns?", subject="alice-sub") == "You have sent 4 messages."
    assert ask(restarted.base_url, other, "Do you remember my name?", subject="alice-sub") == "I don't know your name."


def test_memory_events_use_the_caller_as_actor(agent_starter, memory_store):
    data_plane, memory_id = memory_store.client, memory_store.memory_id
    session_id = new_session_id()
    server = agent_starter(memory_store.env)
    ask(server.base_url, session_id, "My name is Alice.", subject="alice-sub")

    alice_events = data_plane.list_events(
        memoryId=memory_id, actorId="alice-sub", sessionId=session_id, includePayloads=True, maxResults=100
    )["events"]
    owner_events = data_plane.list_events(
        memoryId=memory_id, actorId="agent-session-owners", sessionId=session_id, includePayloads=True, maxResults=100
    )["events"]

    assert "Alice" in json.dumps(alice_events, default=str)
    assert [json.loads(e["payload"][0]["blob"]) for e in owner_events] == [{"owner": "alice-sub"}]
    forbidden = invoke(server.base_url, session_id, "Do you remember my name?", subject="bob-sub")
    assert forbidden.status_code == 403
    assert (
        data_plane.list_events(memoryId=memory_id, actorId="bob-sub", sessionId=session_id, maxResults=100)["events"]
        == []
    )
