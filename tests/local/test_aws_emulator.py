"""The emulator's ListEvents extension, exercised through boto3 over HTTP: filter, newest first, pages; its TOTP
checks."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import boto3
import httpx
import pytest

from local.aws_emulator import start_emulator
from local.processes import free_port
from tests.support.aws_env import CREDENTIALS, REGION
from tests.support.totp_codes import current_code, wrong_code

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def aws_emulator():
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def data_plane(aws_emulator):
    return boto3.client("bedrock-agentcore", endpoint_url=aws_emulator.endpoint_url, region_name=REGION, **CREDENTIALS)


@pytest.fixture(scope="module")
def memory_id(aws_emulator) -> str:
    control = boto3.client(
        "bedrock-agentcore-control", endpoint_url=aws_emulator.endpoint_url, region_name=REGION, **CREDENTIALS
    )
    return control.create_memory(name="emulator_extension_test", eventExpiryDuration=30)["memory"]["id"]


@pytest.fixture
def session(data_plane, memory_id, request) -> str:
    """Five events at 1 s steps in a fresh session; ``kind`` metadata alternates even/odd; blob = index."""
    session_id = f"session-{request.node.name[:40]}".replace("[", "-").replace("]", "")
    for index in range(5):
        data_plane.create_event(
            memoryId=memory_id,
            actorId="actor-1",
            sessionId=session_id,
            eventTimestamp=START + timedelta(seconds=index),
            payload=[{"blob": str(index)}],
            metadata={"kind": {"stringValue": "even" if index % 2 == 0 else "odd"}},
        )
    return session_id


def _blobs(events: list[dict]) -> list[str]:
    return [e["payload"][0]["blob"] for e in events]


def _equals(key: str, value: str) -> dict:
    return {"left": {"metadataKey": key}, "operator": "EQUALS_TO", "right": {"metadataValue": {"stringValue": value}}}


def test_events_come_newest_first(data_plane, memory_id, session):
    events = data_plane.list_events(memoryId=memory_id, actorId="actor-1", sessionId=session, includePayloads=True)[
        "events"
    ]

    assert _blobs(events) == ["4", "3", "2", "1", "0"]


def test_filter_by_metadata_value(data_plane, memory_id, session):
    response = data_plane.list_events(
        memoryId=memory_id,
        actorId="actor-1",
        sessionId=session,
        includePayloads=True,
        filter={"eventMetadata": [_equals("kind", "odd")]},
    )

    assert _blobs(response["events"]) == ["3", "1"]
    assert all(e["metadata"] == {"kind": {"stringValue": "odd"}} for e in response["events"])
    assert "nextToken" not in response


def test_filter_exists_and_not_exists(data_plane, memory_id, session):
    exists = {"left": {"metadataKey": "kind"}, "operator": "EXISTS"}
    missing = {"left": {"metadataKey": "other"}, "operator": "NOT_EXISTS"}
    absent = {"left": {"metadataKey": "other"}, "operator": "EXISTS"}

    def blobs(condition: dict) -> list[str]:
        return _blobs(
            data_plane.list_events(
                memoryId=memory_id,
                actorId="actor-1",
                sessionId=session,
                includePayloads=True,
                filter={"eventMetadata": [condition]},
            )["events"]
        )

    assert blobs(exists) == ["4", "3", "2", "1", "0"]
    assert blobs(missing) == ["4", "3", "2", "1", "0"]
    assert blobs(absent) == []


def test_pagination_with_max_results_and_next_token(data_plane, memory_id, session):
    pages, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        response = data_plane.list_events(
            memoryId=memory_id, actorId="actor-1", sessionId=session, includePayloads=True, maxResults=2, **kwargs
        )
        pages.append(_blobs(response["events"]))
        token = response.get("nextToken")
        if not token:
            break

    assert pages == [["4", "3"], ["2", "1"], ["0"]]


def test_payloads_omitted_unless_requested(data_plane, memory_id, session):
    events = data_plane.list_events(memoryId=memory_id, actorId="actor-1", sessionId=session, includePayloads=False)[
        "events"
    ]

    assert len(events) == 5 and all("payload" not in e for e in events)


def test_other_sessions_are_not_listed(data_plane, memory_id, session):
    events = data_plane.list_events(memoryId=memory_id, actorId="actor-1", sessionId=session + "-other")["events"]

    assert events == []


def test_cognito_totp_codes_are_checked_against_the_associated_secret(aws_emulator):
    idp = boto3.client("cognito-idp", endpoint_url=aws_emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    pool = idp.create_user_pool(PoolName="totp-checks", MfaConfiguration="OPTIONAL")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="cli", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="tess", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="tess", Password="Totp-Passw0rd-Long!", Permanent=True)
    token = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "tess", "PASSWORD": "Totp-Passw0rd-Long!"},
    )["AuthenticationResult"]["AccessToken"]
    secret = idp.associate_software_token(AccessToken=token)["SecretCode"]

    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.verify_software_token(AccessToken=token, UserCode=wrong_code(secret))
    assert idp.verify_software_token(AccessToken=token, UserCode=current_code(secret))["Status"] == "SUCCESS"


@pytest.mark.slow  # the `python -m` process is the point; it imports all of moto (8 s at load)
def test_runs_as_a_module_with_a_port():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.aws_emulator", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"aws emulator listening on http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION, **CREDENTIALS)
        s3.create_bucket(Bucket="module-mode")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["module-mode"]
        assert httpx.get(f"http://127.0.0.1:{port}/moto-api/").status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
