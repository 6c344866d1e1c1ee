"""Every bad input gets an exact 4xx JSON error naming the problem, and the server stays healthy."""

from __future__ import annotations

import httpx
import pytest

from tests.agent.helpers import post_raw
from tests.support.agent_http import bearer_token, new_session_id
from tests.support.agentcore_headers import REQUEST_ID_HEADER, SESSION_HEADER

CASES = [
    pytest.param(
        b'{"prompt": ',
        400,
        "invalid_json",
        "request body is not valid JSON: Expecting value at line 1 column 12",
        id="not-json",
    ),
    pytest.param(
        b"\xff\xfe{}", 400, "invalid_json", "request body is not valid UTF-8: byte 0xff at position 0", id="not-utf8"
    ),
    pytest.param(
        b"", 400, "invalid_json", "request body is not valid JSON: Expecting value at line 1 column 1", id="empty-body"
    ),
    pytest.param(b'["hello"]', 400, "invalid_payload", "request body must be a JSON object, got array", id="array"),
    pytest.param(b'"hello"', 400, "invalid_payload", "request body must be a JSON object, got string", id="string"),
    pytest.param(b"null", 400, "invalid_payload", "request body must be a JSON object, got null", id="null"),
    pytest.param(b"{}", 400, "missing_prompt", "field 'prompt' is required", id="missing-prompt"),
    pytest.param(b'{"text": "hi"}', 400, "missing_prompt", "field 'prompt' is required", id="wrong-field"),
    pytest.param(b'{"prompt": ""}', 400, "invalid_prompt", "field 'prompt' must not be empty", id="empty-prompt"),
    pytest.param(b'{"prompt": "   "}', 400, "invalid_prompt", "field 'prompt' must not be empty", id="blank-prompt"),
    pytest.param(
        b'{"prompt": 42}', 400, "invalid_prompt", "field 'prompt' must be a string, got number", id="number-prompt"
    ),
    pytest.param(
        b'{"prompt": null}', 400, "invalid_prompt", "field 'prompt' must be a string, got null", id="null-prompt"
    ),
    pytest.param(
        b'{"prompt": ["a"]}', 400, "invalid_prompt", "field 'prompt' must be a string, got array", id="array-prompt"
    ),
    pytest.param(
        b'{"prompt": "' + b"x" * 201 + b'"}',
        400,
        "prompt_too_long",
        "field 'prompt' is 201 characters long but must be at most 200",
        id="too-long",
    ),
    pytest.param(
        b'{"prompt": "hi", "stream": "yes"}',
        400,
        "invalid_payload",
        "field 'stream' must be a boolean, got string",
        id="stream-not-bool",
    ),
]


@pytest.mark.parametrize(("body", "status", "code", "message"), CASES)
def test_bad_body_is_rejected_with_named_problem(shared_agent, body, status, code, message):
    response = post_raw(
        shared_agent.base_url,
        body,
        {SESSION_HEADER: new_session_id(), REQUEST_ID_HEADER: "req-bad-1"},
    )

    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": message, "code": code, "message": message, "request_id": "req-bad-1"}
    assert httpx.get(f"{shared_agent.base_url}/ping").status_code == 200


def test_prompt_at_the_limit_is_accepted(shared_agent):
    response = post_raw(shared_agent.base_url, b'{"prompt": "' + b"x" * 200 + b'"}', {SESSION_HEADER: new_session_id()})

    assert response.status_code == 200
    assert response.json()["response"] == "You said: " + "x" * 200


def test_missing_session_header_is_rejected(shared_agent):
    response = post_raw(shared_agent.base_url, b'{"prompt": "hi"}', {})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "missing_session_id"
    assert body["error"] == f"header {SESSION_HEADER} is required"
    assert len(body["request_id"]) == 36  # generated uuid when the header is absent
    assert httpx.get(f"{shared_agent.base_url}/ping").status_code == 200


@pytest.mark.parametrize("session_id", ["../../etc/passwd", "a/b", "-leading-dash", "x" * 257, "white space"])
def test_unsafe_session_id_is_rejected(shared_agent, session_id):
    response = post_raw(shared_agent.base_url, b'{"prompt": "hi"}', {SESSION_HEADER: session_id})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_session_id"
    assert response.json()["error"].startswith(f"header {SESSION_HEADER} must be 1-256 characters")


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Basic dXNlcjpwYXNz", "Authorization header must be 'Bearer <JWT>'"),
        ("Bearer not-a-jwt", "Authorization bearer token is not a readable JWT"),
        ("Bearer " + bearer_token("x").rsplit(".", 2)[0] + ".e30.sig", "Authorization bearer token has no 'sub' claim"),
    ],
    ids=["basic-scheme", "garbage-token", "no-sub"],
)
def test_unreadable_authorization_is_rejected(shared_agent, authorization, message):
    response = post_raw(
        shared_agent.base_url, b'{"prompt": "hi"}', {SESSION_HEADER: new_session_id(), "Authorization": authorization}
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.json()["error"] == message
    assert httpx.get(f"{shared_agent.base_url}/ping").status_code == 200
