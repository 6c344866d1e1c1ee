"""The S3 session store (Strands' S3SessionManager) against moto in server mode over HTTP."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support.agent_http import ask, invoke, new_session_id
from tests.support.aws_env import CREDENTIALS, REGION, emulator_env

BUCKET = "agent-sessions-test"
PREFIX = "sessions/"


@pytest.fixture(scope="module")
def s3(emulator):
    client = boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def s3_env(emulator, s3):
    return {
        **emulator_env(emulator.endpoint_url),
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": BUCKET,
        "SESSION_PREFIX": PREFIX,
    }


def _keys(s3, prefix: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_s3_store_resumes_after_restart(agent_starter, s3_env):
    session_id, other = new_session_id(), new_session_id()
    server = agent_starter(s3_env)
    assert (
        ask(server.base_url, session_id, "My name is John Doe.", subject="alice-sub") == "Nice to meet you, John Doe."
    )
    server.stop()

    restarted = agent_starter(s3_env)

    assert (
        ask(restarted.base_url, session_id, "Do you remember my name?", subject="alice-sub") == "Your name is John Doe."
    )
    assert ask(restarted.base_url, other, "Do you remember my name?", subject="alice-sub") == "I don't know your name."


def test_s3_keys_are_namespaced_by_caller_and_owner_recorded(agent_starter, s3_env, s3):
    session_id = new_session_id()
    server = agent_starter(s3_env)
    ask(server.base_url, session_id, "My name is Alice.", subject="alice-sub")

    alice_keys = _keys(s3, f"{PREFIX}actors/alice-sub/session_{session_id}/")
    owner = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}owners/{session_id}.json")["Body"].read())

    assert f"{PREFIX}actors/alice-sub/session_{session_id}/session.json" in alice_keys
    assert any(k.endswith("/messages/message_0.json") for k in alice_keys)
    assert owner == {"owner": "alice-sub"}
    assert invoke(server.base_url, session_id, "hi", subject="bob-sub").status_code == 403
    assert _keys(s3, f"{PREFIX}actors/bob-sub/") == []


def test_missing_bucket_is_a_store_error(agent_starter, s3_env):
    server = agent_starter({**s3_env, "SESSION_BUCKET": "no-such-bucket"})

    response = invoke(server.base_url, new_session_id(), "hello", request_id="req-s3-missing")

    assert response.status_code == 503
    assert response.json()["code"] == "store_error"
    assert response.json()["request_id"] == "req-s3-missing"
