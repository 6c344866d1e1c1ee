"""What the agent's S3 requests cost on the wire: owner records and request bodies, against moto over HTTP.

Requests are recorded with botocore's ``before-send`` event on the process's shared session
(``agent/aws_clients.py``), the session every store client is built from.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from agent.aws_clients import EXPECT_CONTINUE_MIN_BYTES, STRANDS_CLIENT_CONFIG, SharedClientSession
from agent.session_owners import S3OwnerRecords
from tests.support.aws_env import CREDENTIALS, REGION

BUCKET = f"agent-requests-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sent(emulator, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[tuple[str, str, bytes | None]]]:
    """An S3 client of a new shared session on moto, and ``(method, path, Expect header)`` of each request."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    session = SharedClientSession(region_name=REGION)
    requests: list[tuple[str, str, bytes | None]] = []

    def record(request: Any, **_: Any) -> None:
        requests.append((request.method, urlsplit(request.url).path, request.headers.get("Expect")))

    session.events.register("before-send.s3", record)
    client = session.client("s3", config=STRANDS_CLIENT_CONFIG)
    boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS).create_bucket(
        Bucket=BUCKET
    )
    return client, requests


def test_claiming_a_new_session_is_one_conditional_write_and_a_taken_one_adds_a_read(sent):
    client, requests = sent
    records = S3OwnerRecords(client, BUCKET, "sessions/")
    session_id = f"s-{uuid.uuid4().hex}"

    first = records.claim(session_id, "alice")
    after_first = list(requests)
    second = records.claim(session_id, "bob")

    key = f"/{BUCKET}/sessions/owners/{session_id}.json"
    assert (first, second) == ("alice", "alice")
    assert [(method, path) for method, path, _ in after_first] == [("PUT", key)]
    assert [(method, path) for method, path, _ in requests[len(after_first) :]] == [("PUT", key), ("GET", key)]


def test_small_bodies_go_out_without_waiting_for_100_continue_and_large_ones_still_wait(sent):
    client, requests = sent

    client.put_object(Bucket=BUCKET, Key="small", Body=b"x" * (EXPECT_CONTINUE_MIN_BYTES - 1))
    client.put_object(Bucket=BUCKET, Key="large", Body=b"x" * EXPECT_CONTINUE_MIN_BYTES)

    assert [(path.rsplit("/", 1)[1], expect) for _, path, expect in requests] == [
        ("small", None),
        ("large", b"100-continue"),
    ]
    assert client.head_object(Bucket=BUCKET, Key="small")["ContentLength"] == EXPECT_CONTINUE_MIN_BYTES - 1


def test_a_claim_that_finds_no_record_after_losing_the_write_writes_again(sent, emulator):
    """Between a lost conditional write and the read of the winner the record can vanish (forget-me of its owner)
    or not exist yet (S3's 409 to a write racing another): the claim then writes again, so it never returns an
    owner that no record names."""
    client, _ = sent
    records = S3OwnerRecords(client, BUCKET, "sessions/")
    other = boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    session_id = f"s-{uuid.uuid4().hex}"
    key = f"sessions/owners/{session_id}.json"
    assert records.claim(session_id, "bob") == "bob"

    def erase_bob_first(request: Any, **_: Any) -> None:
        if request.method == "GET" and request.url.endswith(key):
            other.delete_object(Bucket=BUCKET, Key=key)  # bob's forget-me, just before alice reads the winner

    client.meta.events.register_first("before-send.s3", erase_bob_first)
    owner = records.claim(session_id, "alice")

    assert owner == "alice"
    assert other.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b'{"owner": "alice"}'
