"""The store names the AWS clients its first turn uses, so they can be built right after a restore."""

from __future__ import annotations

import os

import pytest

from agent.aws_clients import STRANDS_CLIENT_CONFIG, shared_session
from agent.session_store import build_session_store
from agent.settings import Settings


@pytest.fixture
def dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Static keys: building a client then reads the environment and calls nothing."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def test_the_s3_store_prepares_the_client_its_owner_records_and_conversations_use(dummy_credentials, tmp_path):
    settings = Settings(session_store="s3", session_bucket="sessions-bucket", aws_region="eu-west-3")
    store = build_session_store(settings)

    (client,) = store.clients
    session = shared_session("eu-west-3")
    # S3SessionManager asks the shared session for exactly this (agent/aws_clients.py): the same client.
    assert client.build() is session.client(service_name="s3", config=STRANDS_CLIENT_CONFIG)
    assert client.build() is not session.client(service_name="s3")


def test_stores_without_aws_clients_prepare_none(tmp_path):
    assert build_session_store(Settings(session_store="none", session_dir=tmp_path)).clients == ()
    assert build_session_store(Settings(session_store="file", session_dir=tmp_path)).clients == ()
