"""Text UTF-8 cannot carry is refused with 400 naming its position, before it touches the session or the model."""

from __future__ import annotations

import json

import pytest

from tests.agent.helpers import post_raw
from tests.support.agent_http import ask, headers_for, new_session_id
from tests.support.stored_conversation import roles

CUT_EMOJI = "cut \ud83d"  # what a client sends when it cuts text inside an emoji: valid JSON, a lone surrogate


def _escaped(prompt: str, *, stream: bool = False) -> bytes:
    """The body as ASCII JSON (``\\ud83d`` escapes), as a client's JSON encoder sends it."""
    return json.dumps({"prompt": prompt, "stream": stream}).encode("ascii")


MESSAGE = (
    "field 'prompt' has an unpaired UTF-16 surrogate U+D83D at character 4 (counting from 0); send valid Unicode text"
)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_lone_surrogate_is_refused_and_the_session_keeps_working(agent_starter, store, stream):
    server = agent_starter(store.env)
    session_id = new_session_id()
    assert ask(server.base_url, session_id, "My name is Ada.") == "Nice to meet you, Ada."

    refused = post_raw(
        server.base_url, _escaped(CUT_EMOJI, stream=stream), headers_for(session_id, request_id="req-surrogate")
    )

    assert refused.status_code == 400
    assert refused.json() == {
        "error": MESSAGE,
        "code": "invalid_prompt",
        "message": MESSAGE,
        "request_id": "req-surrogate",
    }
    assert ask(server.base_url, session_id, "Do you remember my name?") == "Your name is Ada."
    stored = store.messages(session_id)
    assert roles(stored) == ["user", "assistant"] * 2
    assert [m["content"][0]["text"] for m in stored if m["role"] == "user"] == [
        "My name is Ada.",
        "Do you remember my name?",
    ]


def test_paired_surrogates_are_one_character_and_accepted(shared_agent):
    body = _escaped("emoji \U0001f600")  # escaped as a surrogate pair

    response = post_raw(shared_agent.base_url, body, headers_for(new_session_id(), request_id="req"))

    assert response.status_code == 200 and response.json()["response"] == "You said: emoji \U0001f600"
