"""`python -m agent` on Bedrock without AWS credentials: a 502 `model_error` saying what to set, not a 500.

The real server with the real Bedrock provider, on a machine as fresh as a new clone's (no AWS variables, no
~/.aws, no instance metadata): botocore fails while signing, before any request leaves the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import NoCredentialsError, ParamValidationError, PartialCredentialsError

from agent.error_mapping import MISSING_CREDENTIALS_HINT, api_error_for
from local.processes import ServerProcess, free_port, python_module, start_server
from tests.support.agent_http import invoke, new_session_id, sse_events


@pytest.fixture
def agent_without_credentials(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_EC2_METADATA_DISABLED": "true",
        "MODEL_PROVIDER": "bedrock",
        "AWS_REGION": "us-east-1",
        "SESSION_STORE": "file",
        "SESSION_DIR": str(tmp_path / "sessions"),
        "PORT": str(port),
    }
    server = start_server(
        python_module("agent"), port=port, log_path=tmp_path / "agent.log", env=env, inherit_env=False
    )
    yield server
    server.stop()


def test_no_credentials_is_a_502_model_error_that_says_what_to_set(agent_without_credentials: ServerProcess):
    response = invoke(agent_without_credentials.base_url, new_session_id(), "My name is John Doe.")

    message = f"{MISSING_CREDENTIALS_HINT} (NoCredentialsError); see server logs for this request id"
    assert response.status_code == 502
    assert {k: response.json()[k] for k in ("error", "code", "message")} == {
        "error": message,
        "code": "model_error",
        "message": message,
    }


def test_no_credentials_while_streaming_ends_with_the_same_model_error(agent_without_credentials: ServerProcess):
    response = invoke(agent_without_credentials.base_url, new_session_id(), "hello", stream=True)

    last = sse_events(response.text)[-1]
    assert (last["type"], last["code"]) == ("error", "model_error")
    assert last["message"] == f"{MISSING_CREDENTIALS_HINT} (NoCredentialsError); see server logs for this request id"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NoCredentialsError(), 502, "model_error"),
        (PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"), 502, "model_error"),
        # control: another botocore failure that is not about credentials stays an internal error
        (ParamValidationError(report="bad"), 500, "internal_error"),
    ],
)
def test_only_credential_failures_get_the_credentials_message(error: Exception, status: int, code: str):
    mapped = api_error_for(error)

    assert (mapped.status, mapped.code) == (status, code)
    assert (MISSING_CREDENTIALS_HINT in mapped.message) is (code == "model_error")
