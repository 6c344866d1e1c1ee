"""Hostile bodies get the contract's JSON 4xx and one request log line, never ``500 text/plain``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.processes import ServerProcess
from tests.agent.helpers import post_raw
from tests.support.agent_http import (
    bearer_token,
    headers_for,
    new_session_id,
    request_log,
)
from tests.support.agentcore_headers import REQUEST_ID_HEADER, SESSION_HEADER
from tests.support.raw_connections import connect, read_until_closed, response_parts
from tests.support.run_agent import start_agent

BODY_TIMEOUT_SECONDS = 2
DEFAULT_MAX_BODY_BYTES = 16000 * 12 + 64 * 1024  # MAX_PROMPT_CHARS default × 12 bytes + 64 KiB of other fields


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An agent with the default prompt limit (so the default body limit) and a short body timeout."""
    root: Path = tmp_path_factory.mktemp("malformed")
    server = start_agent(
        log_path=root / "agent.log",
        env={
            "SESSION_STORE": "file",
            "SESSION_DIR": str(root / "sessions"),
            "HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS),
        },
    )
    yield server
    server.stop()


CASES = [
    pytest.param(
        b"[" * 100000, "request body is not valid JSON: it nests arrays or objects too deeply", id="deep-nesting"
    ),
    pytest.param(
        b'{"prompt": "hi", "n": ' + b"9" * 4301 + b"}",
        "request body is not valid JSON: a number has more than 4300 digits",
        id="4301-digit-integer",
    ),
    pytest.param(b'{"prompt": "hi", "n": NaN}', "request body is not valid JSON: NaN is not a JSON number", id="nan"),
    pytest.param(
        b'{"prompt": "hi", "n": -Infinity}',
        "request body is not valid JSON: -Infinity is not a JSON number",
        id="infinity",
    ),
]


@pytest.mark.parametrize(("body", "message"), CASES)
def test_malformed_body_is_a_json_400_with_a_request_log_line(agent, body, message):
    request_id = f"req-malformed-{len(body)}-{body[-4:].hex()}"

    response = post_raw(agent.base_url, body, headers_for(new_session_id(), request_id=request_id))

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": message, "code": "invalid_json", "message": message, "request_id": request_id}
    [line] = request_log(agent.log_text(), request_id)
    assert (line["status"], line["outcome"]) == (400, "invalid_json")
    assert httpx.get(f"{agent.base_url}/ping").status_code == 200


def test_valid_body_with_a_4300_digit_integer_is_accepted(agent):
    body = b'{"prompt": "hi", "n": ' + b"9" * 4300 + b"}"

    response = post_raw(agent.base_url, body, headers_for(new_session_id(), request_id="req-4300-digits"))

    assert response.status_code == 200 and response.json()["response"] == "You said: hi"


def test_body_longer_than_any_valid_request_is_413(agent):
    body = json.dumps({"prompt": "hi", "padding": "x" * DEFAULT_MAX_BODY_BYTES}).encode()

    response = post_raw(agent.base_url, body, headers_for(new_session_id(), request_id="req-too-large"))

    assert response.status_code == 413
    assert response.json() == {
        "error": f"request body is longer than {DEFAULT_MAX_BODY_BYTES} bytes, the most a valid request needs",
        "code": "payload_too_large",
        "message": f"request body is longer than {DEFAULT_MAX_BODY_BYTES} bytes, the most a valid request needs",
        "request_id": "req-too-large",
    }
    [line] = request_log(agent.log_text(), "req-too-large")
    assert (line["status"], line["outcome"]) == (413, "payload_too_large")


def test_body_at_the_limit_is_read(agent):
    padding = DEFAULT_MAX_BODY_BYTES - len(json.dumps({"prompt": "hi", "padding": ""}).encode())
    body = json.dumps({"prompt": "hi", "padding": "x" * padding}).encode()
    assert len(body) == DEFAULT_MAX_BODY_BYTES

    response = post_raw(agent.base_url, body, headers_for(new_session_id(), request_id="req-at-limit"))
    assert response.json()["response"] == "You said: hi"


def test_body_that_stops_arriving_is_answered_408_and_the_connection_closed(agent):
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
        f"{SESSION_HEADER}: {new_session_id()}\r\n{REQUEST_ID_HEADER}: req-slow-body\r\n\r\n"
    )
    # 11 of the 100 announced bytes, then nothing; the read ends when the server closes the connection.
    answer = read_until_closed(connect(agent.base_url, head.encode() + b'{"prompt": '))

    status_line, _, body = response_parts(answer)
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert body == {
        "error": f"the request body did not arrive within {BODY_TIMEOUT_SECONDS} seconds",
        "code": "request_timeout",
        "message": f"the request body did not arrive within {BODY_TIMEOUT_SECONDS} seconds",
        "request_id": "req-slow-body",
    }
    [line] = request_log(agent.log_text(), "req-slow-body")
    assert (line["status"], line["outcome"]) == (408, "request_timeout")


def test_two_authorization_headers_are_400(agent):
    response = httpx.post(
        f"{agent.base_url}/invocations",
        content=b'{"prompt": "hi"}',
        timeout=10,
        headers=[
            *headers_for(new_session_id(), request_id="req-two-auth").items(),
            ("Authorization", f"Bearer {bearer_token('alice-sub')}"),
            ("Authorization", f"Bearer {bearer_token('mallory-sub')}"),
        ],
    )

    assert response.status_code == 400
    message = "request has 2 Authorization headers; send exactly one"
    assert response.json() == {
        "error": message,
        "code": "duplicate_header",
        "message": message,
        "request_id": "req-two-auth",
    }


def test_one_authorization_header_passes(agent):
    headers = headers_for(new_session_id(), subject="alice-sub", request_id="req-one-auth")

    response = post_raw(agent.base_url, b'{"prompt": "hi"}', headers)

    assert response.status_code == 200 and response.json()["response"] == "You said: hi"
