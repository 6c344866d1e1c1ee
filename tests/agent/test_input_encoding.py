"""Text UTF-8 cannot carry is refused with 400 naming its position, before it touches the session or the model."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.agent_http import ask, headers_for, new_session_id
from tests.support.stored_conversation import file_messages, roles, s3_messages

CUT_EMOJI = "cut \ud83d"  # what a client sends when it cuts text inside an emoji: valid JSON, a lone surrogate


def _invoke_escaped(
    base_url: str, session_id: str, prompt: str, *, stream: bool = False, request_id: str = "req"
) -> httpx.Response:
    """POST the prompt as ASCII JSON (``\\ud83d`` escapes), as a client's JSON encoder sends it."""
    body = json.dumps({"prompt": prompt, "stream": stream}).encode("ascii")
    return httpx.post(
        f"{base_url}/invocations", content=body, headers=headers_for(session_id, request_id=request_id), timeout=30
    )


MESSAGE = (
    "field 'prompt' has an unpaired UTF-16 surrogate U+D83D at character 4 (counting from 0); send valid Unicode text"
)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("store", ["file", "s3"])
def test_lone_surrogate_is_refused_and_the_session_keeps_working(agent_starter, request, tmp_path, store, stream):
    s3 = request.getfixturevalue("s3_store") if store == "s3" else None
    server = agent_starter(s3.env if s3 else {})
    session_id = new_session_id()
    assert ask(server.base_url, session_id, "My name is Ada.") == "Nice to meet you, Ada."

    refused = _invoke_escaped(server.base_url, session_id, CUT_EMOJI, stream=stream, request_id="req-surrogate")

    assert refused.status_code == 400
    assert refused.json() == {
        "error": MESSAGE,
        "code": "invalid_prompt",
        "message": MESSAGE,
        "request_id": "req-surrogate",
    }
    assert ask(server.base_url, session_id, "Do you remember my name?") == "Your name is Ada."
    if s3:
        stored = s3_messages(s3.client, s3.bucket, s3.prefix, "anonymous", session_id)
    else:
        stored = file_messages(tmp_path / "sessions", "anonymous", session_id)
    assert roles(stored) == ["user", "assistant"] * 2
    assert [m["content"][0]["text"] for m in stored if m["role"] == "user"] == [
        "My name is Ada.",
        "Do you remember my name?",
    ]


def test_paired_surrogates_are_one_character_and_accepted(shared_agent):
    response = _invoke_escaped(
        shared_agent.base_url, new_session_id(), "emoji \U0001f600"
    )  # escaped as a surrogate pair

    assert response.status_code == 200 and response.json()["response"] == "You said: emoji \U0001f600"
