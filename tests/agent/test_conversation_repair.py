"""A turn cut short by ``kill -9`` is closed on restore: the model never gets two user turns in a row.

The scripted model refuses non-alternating conversations as Bedrock's Converse does, and its gate tells the
test that a turn is inside the model, which is when the server is killed. The stored conversation is read
back from the file store and from S3 (moto in server mode).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from agent.conversation_repair import INTERRUPTED_TOOL_TEXT, UNANSWERED_TEXT, closing_messages
from local.processes import ServerProcess
from tests.support.agent_http import ask, invoke, new_session_id
from tests.support.model_gate import ModelGate
from tests.support.stored_conversation import file_messages, roles


def _kill_while_held(
    server: ServerProcess, gate: ModelGate, session_id: str, prompt: str, *, releases: int = 0
) -> None:
    """Send ``prompt``, let ``releases`` model calls of it pass the gate, then ``kill -9`` inside the next one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        cut = pool.submit(invoke, server.base_url, session_id, prompt)
        for _ in range(releases):
            gate.wait_entered().release()
        held = gate.wait_entered()
        server.process.kill()  # SIGKILL while the model is answering
        server.process.wait()
        held.connection.close()
        with pytest.raises(httpx.HTTPError):
            cut.result()


def test_killed_mid_answer_the_unanswered_turn_is_closed_on_restore(agent_starter, model_gate, store):
    session_id = new_session_id()
    server = agent_starter({**store.env, **model_gate.env})
    assert ask(server.base_url, session_id, "My name is Ada.") == "Nice to meet you, Ada."

    _kill_while_held(server, model_gate, session_id, "hold crash and tell me a story")
    restarted = agent_starter(store.env)

    assert ask(restarted.base_url, session_id, "Do you remember my name?") == "Your name is Ada."
    stored = store.messages(session_id)
    assert roles(stored) == ["user", "assistant"] * 3
    assert stored[2]["content"] == [{"text": "hold crash and tell me a story"}]
    assert stored[3]["content"] == [{"text": UNANSWERED_TEXT}]


def test_killed_after_a_tool_result_the_turn_is_closed_with_its_tool_pair_intact(agent_starter, model_gate, tmp_path):
    session_id = new_session_id()
    server = agent_starter(model_gate.env)

    _kill_while_held(server, model_gate, session_id, "hold tool, what is the weather in Paris?", releases=1)
    restarted = agent_starter()

    assert (
        ask(restarted.base_url, session_id, "What is the weather in Seattle?")
        == "The weather in Seattle is rainy, 12 °C."
    )
    stored = file_messages(tmp_path / "sessions", "anonymous", session_id)
    assert roles(stored) == ["user", "assistant", "user", "assistant"] * 2
    tool_use = stored[1]["content"][0]["toolUse"]
    assert stored[2]["content"][0]["toolResult"]["toolUseId"] == tool_use["toolUseId"]
    assert stored[3]["content"] == [{"text": UNANSWERED_TEXT}]


def test_conversation_that_ends_with_an_answer_is_left_alone():
    messages = [{"role": "user", "content": [{"text": "hi"}]}, {"role": "assistant", "content": [{"text": "hello"}]}]

    assert closing_messages(messages) == []
    assert closing_messages([]) == []


def test_unanswered_user_turn_is_closed_by_a_placeholder():
    messages = [{"role": "user", "content": [{"text": "hi"}]}]

    assert closing_messages(messages) == [{"role": "assistant", "content": [{"text": UNANSWERED_TEXT}]}]


def test_open_tool_calls_get_error_results_before_the_placeholder():
    calls = [
        {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}},
        {"toolUse": {"toolUseId": "t2", "name": "get_weather", "input": {}}},
    ]
    messages = [{"role": "user", "content": [{"text": "weather?"}]}, {"role": "assistant", "content": calls}]

    assert closing_messages(messages) == [
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "t1", "status": "error", "content": [{"text": INTERRUPTED_TOOL_TEXT}]}},
                {"toolResult": {"toolUseId": "t2", "status": "error", "content": [{"text": INTERRUPTED_TOOL_TEXT}]}},
            ],
        },
        {"role": "assistant", "content": [{"text": UNANSWERED_TEXT}]},
    ]
